"""Tables the pages show, built from analysis results with pandas alone (no Streamlit)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from analytics.presentation import days_text

__all__ = [
    "GROUPINGS",
    "group_summaries",
    "group_comparisons",
    "kaplan_meier_table",
    "kaplan_meier_median",
    "dose_summary",
    "session_response_by_technique",
    "emax_points",
    "dose_views",
    "secondary_table",
    "not_logging_text",
    "ATTENTION_ORDER",
    "followup_status",
    "build_overview",
    "factor_effects_of",
    "nof1_of",
]


#: The ``group_by`` values of ``AnalysisResult.group_summary``, in tab order.
GROUPINGS = ("group", "condition", "technique")


def group_summaries(result: Any) -> dict[str, pd.DataFrame]:
    """``result.group_summary`` split by its ``group_by`` column (group, condition, technique)."""
    gs = result.group_summary
    return {
        by: gs[gs["group_by"] == by].reset_index(drop=True)
        for by in GROUPINGS
        if (gs["group_by"] == by).any()
    }


def group_comparisons(result: Any) -> dict[str, pd.DataFrame]:
    """``result.group_comparison`` split by its ``group_by`` column."""
    gc = result.group_comparison
    if "group_by" not in gc.columns:
        return {}
    return {
        by: gc[gc["group_by"] == by].reset_index(drop=True)
        for by in GROUPINGS
        if (gc["group_by"] == by).any()
    }


def kaplan_meier_table(result: Any) -> pd.DataFrame | None:
    """Return the Kaplan–Meier table of time to response, or None."""
    km = result.kaplan_meier
    return None if km is None else km.table


def kaplan_meier_median(result: Any) -> float | None:
    """Median days to response (NaN when fewer than half respond), or None."""
    km = result.kaplan_meier
    return None if km is None else float(km.median)


def dose_summary(result: Any) -> tuple[pd.DataFrame, Any]:
    """Cohort change by session number and the Emax fit (or None)."""
    return result.dose_response_summary, result.emax_fit


def session_response_by_technique(result: Any) -> pd.DataFrame:
    """Mean immediate/short-term session response per technique band."""
    return result.session_response_by_technique


def emax_points(fit: Any, max_session: float, n: int = 100) -> tuple[Any, Any] | None:
    """Return the Emax curve ``fit.predict`` on a grid of session numbers 1..max_session."""
    import numpy as np

    if fit is None or not np.isfinite(fit.emax) or max_session < 1:
        return None
    k = np.linspace(1.0, float(max_session), n)
    return k, fit.predict(k)


def dose_views(result: Any, patient_id: str) -> tuple[pd.DataFrame | None, pd.DataFrame, Any]:
    """Return the patient's change by session number, the cohort summary and the Emax curve."""
    dr = result.dose_response
    patient = dr[(dr["patient_id"] == patient_id) & dr["change_from_baseline"].notna()]
    cohort = result.dose_response_summary
    top = max(
        float(patient["session_number"].max()) if len(patient) else 0.0,
        float(cohort["session_number"].max()) if len(cohort) else 0.0,
    )
    return (patient if len(patient) else None), cohort, emax_points(result.emax_fit, top)


def secondary_table(outcome: dict[str, Any] | None) -> pd.DataFrame | None:
    """Baseline, follow-up and change in words of each secondary measure of one patient.

    Columns ``measure`` (:data:`dashboard.labels.SECONDARY_LABELS`), ``baseline``,
    ``follow-up`` (floats) and ``change`` ("better by 2.4 points", read through
    :func:`dashboard.labels.change_words`, so better sleep reads as better).
    """
    from dashboard import labels

    if outcome is None:
        return None
    rows = []
    for m, label in labels.SECONDARY_LABELS.items():
        before = pd.to_numeric(outcome.get(f"baseline_{m}"), errors="coerce")
        after = pd.to_numeric(outcome.get(f"followup_{m}"), errors="coerce")
        if pd.isna(before) and pd.isna(after):
            continue
        rows.append(
            {
                "measure": label[:1].upper() + label[1:],
                "baseline": float(before),
                "follow-up": float(after),
                "change": labels.change_words(m, outcome.get(f"change_{m}")),
            }
        )
    return pd.DataFrame(rows, columns=["measure", "baseline", "follow-up", "change"])


def not_logging_text(days: Any) -> str:
    """'not logging for 47 days' (the flag in words), 'no diary entry yet' without entries."""
    if days is None or pd.isna(days):
        return "no diary entry yet"
    return f"not logging for {days_text(days)}"


#: Order of the flags in the clinic overview's "needs attention" text: most urgent first.
ATTENTION_ORDER = (
    "worsening",
    "not_logging",
    "recent_adverse_event",
    "low_adherence",
    "insufficient_baseline",
)


def followup_status(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Return the follow-up a status view shows: the strict one, else the most recent valid one.

    The strict follow-up (the last ``followup_days`` diary days) is blank when those
    days hold too few entries — one entry after a long gap is enough for that. A
    status "as of today" then shows the most recent valid follow-up window
    (``recent_followup_*`` of ``patient_outcomes``) with its dates instead of a blank.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        ``AnalysisResult.patient_outcomes`` (with the status columns).

    Returns
    -------
    pandas.DataFrame
        Same index, columns:

        - ``shown_followup_pain`` (float, NRS): strict follow-up mean, else the recent one;
        - ``shown_followup_start``, ``shown_followup_end`` (datetime64): its window;
        - ``shown_pct_change`` (float, %, positive = better): strict ``pct_change``,
          else ``100·(baseline − recent follow-up)/baseline`` (NaN for a zero or
          missing baseline) — the same formula;
        - ``shown_response_category`` (str): IMMPACT category of it
          (:func:`analytics.stats.response_category`), "" when missing;
        - ``shown_responder`` (boolean): ``shown_pct_change`` ≥ the responder
          threshold is decided by the caller; here ``<NA>`` when missing;
        - ``followup_source`` (str): ``"strict"``, ``"recent"`` or ``""`` (none).
    """
    from analytics.stats import response_category

    strict = outcomes["pct_change"].notna()
    base = outcomes["baseline_pain"].astype("float64")
    recent = outcomes["recent_followup_pain"].astype("float64")
    use_recent = ~strict & recent.notna() & base.notna() & (base > 0)
    pct = (
        outcomes["pct_change"]
        .astype("float64")
        .where(strict, (100.0 * (base - recent) / base).where(use_recent))
    )
    source = pd.Series("", index=outcomes.index, dtype="str")
    source[strict] = "strict"
    source[use_recent] = "recent"
    category = response_category(pct).astype("object").where(pct.notna(), "")
    return pd.DataFrame(
        {
            "shown_followup_pain": outcomes["followup_pain"]
            .astype("float64")
            .where(strict, recent.where(use_recent)),
            "shown_followup_start": outcomes["followup_start"].where(
                strict, outcomes["recent_followup_start"].where(use_recent)
            ),
            "shown_followup_end": outcomes["followup_end"].where(
                strict, outcomes["recent_followup_end"].where(use_recent)
            ),
            "shown_pct_change": pct,
            "shown_response_category": category.astype("str"),
            "followup_source": source,
        },
        index=outcomes.index,
    )


def build_overview(outcomes: pd.DataFrame, pats: pd.DataFrame) -> pd.DataFrame:
    """Build the table of :func:`overview_table` from the patients' outcomes and the patients frame."""
    table = outcomes.merge(
        pats[["patient_id", "clinician_id"]],
        on="patient_id",
        how="left",
        validate="one_to_one",
    )
    table["flag_not_logging"] = table["not_logging"].fillna(True).astype(bool)
    flags = {
        name: table[f"flag_{name}"].fillna(False).astype(bool).to_numpy()
        for name in ATTENTION_ORDER
    }
    table["flags"] = [
        ";".join(name for name in ATTENTION_ORDER if flags[name][i]) for i in range(len(table))
    ]
    table = pd.concat([table, followup_status(table)], axis=1)
    table["attention"] = (table["flags"] == "").astype("int64")
    # flagged first; among them worsening, then a recent adverse event, then the
    # longest silence, then low adherence; the patient id breaks ties
    keys = [
        "attention",
        "flag_worsening",
        "flag_recent_adverse_event",
        "flag_not_logging",
        "silence",
        "flag_low_adherence",
        "patient_id",
    ]
    order = table.assign(
        **{f"flag_{n}": ~pd.Series(flags[n], index=table.index) for n in ATTENTION_ORDER},
        silence=-table["days_since_last_entry"].astype("float64").fillna(1e9),
    ).sort_values(keys, kind="stable")
    table = table.loc[order.index].reset_index(drop=True)
    return table


def factor_effects_of(result: Any, patient_id: str) -> pd.DataFrame:
    """Return the patient's factor effects with an estimate (``result.factor_effects``).

    Rows of :func:`analytics.stats.factor_effects` whose ``reason`` is empty,
    same-day and next-day (lag 1) effects, in the library's order.
    """
    fe = result.factor_effects
    rows = fe[(fe["patient_id"] == patient_id) & (fe["reason"] == "")]
    return rows.reset_index(drop=True)


def nof1_of(result: Any, patient_id: str) -> dict[str, Any] | None:
    """Return the patient's row of ``result.nof1_effects`` (NAP and Tau-U) as a dict, or None."""
    ne = result.nof1_effects
    rows = ne[ne["patient_id"] == patient_id]
    return None if rows.empty else rows.iloc[0].to_dict()
