"""Headache days per 4 weeks, their change from baseline and the 50 % responder.

The rule (IHS guidelines for controlled trials of preventive treatment of migraine;
Vickers 2004) is documented with its choices in ``docs/analytics.md``, "Headache
days". Every function takes canonical frames, never mutates them and returns a
documented DataFrame; nothing is rounded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.checks import check_int
from analytics.stats._groups import newcombe_interval, wilson_interval
from analytics.stats._outcomes import all_patients, outcome_windows, per_row

__all__ = [
    "HEADACHE_CONDITIONS",
    "HEADACHE_PERIOD_DAYS",
    "HEADACHE_MIN_DAYS",
    "HEADACHE_RESPONSE_PCT",
    "HEADACHE_COLUMNS",
    "HEADACHE_SUMMARY_COLUMNS",
    "headache_days",
    "headache_summary",
]

#: Conditions whose patients are counted in headache days whatever their diary marks.
HEADACHE_CONDITIONS = ("migraine", "tension_type_headache")
#: Length of the baseline and follow-up windows and of the reported period, days (4 weeks).
HEADACHE_PERIOD_DAYS = 28
#: Fewest logged days of the 28 for a valid 4-week count (five days a week).
HEADACHE_MIN_DAYS = 20
#: Reduction of headache days that makes a responder, % (IHS guidelines).
HEADACHE_RESPONSE_PCT = 50.0

#: Columns of :func:`headache_days` in order.
HEADACHE_COLUMNS = [
    "patient_id",
    "headache_patient",
    "baseline_headache_days",
    "baseline_headache_n",
    "followup_headache_days",
    "followup_headache_n",
    "change_headache_days",
    "pct_change_headache_days",
    "headache_responder_50",
    "baseline_migraine_days",
    "followup_migraine_days",
    "change_migraine_days",
]

#: Columns of :func:`headache_summary` in order.
HEADACHE_SUMMARY_COLUMNS = [
    "group",
    "compared_with",
    "n_headache_patients",
    "n_evaluable",
    "n_responders",
    "responder_rate",
    "responder_ci_low",
    "responder_ci_high",
    "mean_baseline_headache_days",
    "mean_followup_headache_days",
    "mean_change_headache_days",
]


def _day_kinds(diary: pd.DataFrame, condition_row: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per diary row: headache day, migraine day, marked (a ``headache`` value given)."""
    if "headache" in diary.columns:
        mark = diary["headache"].astype("str")
    else:
        mark = pd.Series(np.nan, index=diary.index, dtype="str")
    marked = mark.notna().to_numpy()
    kind = mark.fillna("").to_numpy(dtype=object)
    pain = diary["pain"].to_numpy(dtype="float64")
    from_pain = ~marked & condition_row & (pain >= 1)
    headache = np.isin(kind, ("headache", "migraine")) | from_pain
    migraine = kind == "migraine"
    return headache, migraine, marked


def headache_days(
    diary: pd.DataFrame,
    patients: pd.DataFrame | None,
    index: pd.Series,
    *,
    followup_at: int | None = None,
    min_days: int = HEADACHE_MIN_DAYS,
) -> pd.DataFrame:
    """Headache and migraine days per 4 weeks at baseline and follow-up, per patient.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary (``patient_id``, ``date``, ``pain`` and, when given,
        ``headache``). Never modified.
    patients : pandas.DataFrame or None
        Canonical patients (``condition`` decides who has a headache condition).
    index : pandas.Series
        Index date per patient (``patient_id`` index), as from
        :func:`analytics.contract.index_dates`.
    followup_at : int or None, default None
        As in :func:`analytics.stats.patient_outcomes`: None = the last 28 days of
        the diary on or after the index date; H = the 28 days ending on day H − 1.
    min_days : int, default 20
        Fewest logged days of a 28-day window for a valid count, in [1, 28].

    Returns
    -------
    pandas.DataFrame
        One row per patient of ``diary`` and ``patients``, sorted by
        ``patient_id``, columns :data:`HEADACHE_COLUMNS`:

        - ``headache_patient`` (bool): a headache condition
          (:data:`HEADACHE_CONDITIONS`) or a diary day marked ``headache`` or
          ``migraine``; every other column is empty when False;
        - ``baseline_headache_days`` (float, days per 28): headache days in the 28
          days before the index date × 28 / days logged there, NaN with fewer
          than ``min_days`` logged days; ``baseline_headache_n`` (int): days
          logged in that window;
        - ``followup_headache_days``, ``followup_headache_n``: the same over the
          follow-up window;
        - ``change_headache_days`` (float, days per 28): baseline − follow-up,
          positive = fewer headache days;
        - ``pct_change_headache_days`` (float, %): 100 · change / baseline, NaN
          when the baseline has no headache day;
        - ``headache_responder_50`` (boolean, nullable): % reduction ≥ 50,
          ``<NA>`` when that is missing;
        - ``baseline_migraine_days``, ``followup_migraine_days``,
          ``change_migraine_days`` (float, days per 28): the same for days marked
          ``migraine``; NaN for a patient whose diary marks no day.

    Raises
    ------
    ValueError
        When an option is out of range.

    Examples
    --------
    >>> from analytics.contract import empty_frame
    >>> headache_days(empty_frame("diary"), None, pd.Series(dtype="datetime64[ns]")).shape
    (0, 12)
    """
    func = "headache_days"
    check_int(min_days, "min_days", func, 1, HEADACHE_PERIOD_DAYS)
    if followup_at is not None:
        check_int(followup_at, "followup_at", func, 1, 36500)
    ids = all_patients(diary, patients)
    conditions = pd.Series(dtype="str")
    if patients is not None and len(patients):
        conditions = patients.set_index(patients["patient_id"].astype("str"))["condition"]
    has_condition = (
        conditions.astype("str").isin(HEADACHE_CONDITIONS).reindex(ids, fill_value=False)
    )
    pid = diary["patient_id"].astype("str")
    condition_row = per_row(has_condition.astype("bool"), pid).fillna(False).to_numpy(dtype=bool)
    headache, migraine, marked = _day_kinds(diary, condition_row)

    days = HEADACHE_PERIOD_DAYS
    _, rows = outcome_windows(
        diary, index, baseline_days=days, followup_days=days, followup_at=followup_at
    )
    counts = pd.DataFrame(
        {
            "marks_headache": headache & marked,
            "marked": marked,
            **{
                f"{stage}_{what}": rows[f"in_{stage}"].to_numpy() & flag
                for stage in ("baseline", "followup")
                for what, flag in (
                    ("n", np.ones(len(diary), dtype=bool)),
                    ("headache", headache),
                    ("migraine", migraine),
                )
            },
        }
    )
    sums = counts.groupby(pid.to_numpy()).sum().reindex(ids, fill_value=0)
    out = pd.DataFrame(index=ids)
    out["headache_patient"] = (has_condition | (sums["marks_headache"] > 0)).astype("bool")
    keep = out["headache_patient"].to_numpy()
    marks = keep & (sums["marked"] > 0).to_numpy()
    for stage in ("baseline", "followup"):
        n = sums[f"{stage}_n"].astype("float64")
        valid = keep & (n >= min_days).to_numpy()
        per_4w = days / n.where(n > 0)
        out[f"{stage}_headache_days"] = (sums[f"{stage}_headache"] * per_4w).where(valid)
        out[f"{stage}_headache_n"] = sums[f"{stage}_n"].astype("int64").where(keep)
        out[f"{stage}_migraine_days"] = (sums[f"{stage}_migraine"] * per_4w).where(valid & marks)
    out["change_headache_days"] = out["baseline_headache_days"] - out["followup_headache_days"]
    base = out["baseline_headache_days"]
    out["pct_change_headache_days"] = 100 * out["change_headache_days"] / base.where(base > 0)
    pct = out["pct_change_headache_days"]
    out["headache_responder_50"] = (
        (pct >= HEADACHE_RESPONSE_PCT).astype("boolean").where(pct.notna(), pd.NA)
    )
    out["change_migraine_days"] = out["baseline_migraine_days"] - out["followup_migraine_days"]
    out["baseline_headache_n"] = out["baseline_headache_n"].astype("Int64")
    out["followup_headache_n"] = out["followup_headache_n"].astype("Int64")
    out = out.reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    return out[HEADACHE_COLUMNS]


def headache_summary(
    outcomes: pd.DataFrame, *, by: str = "group", control: str | None = None
) -> pd.DataFrame:
    """Give the 50 % responder rate of headache days by group and its difference between groups.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        Per-patient rows with ``by`` and the columns of :func:`headache_days`.
    by : str, default "group"
        The column that names the groups; a missing label is its own group ("").
    control : str or None, default None
        The group every other group is compared with; None = the first group
        in label order.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HEADACHE_SUMMARY_COLUMNS`; one row per group holding a
        headache patient (``compared_with`` empty), then one row per other group
        compared with ``control`` (``group`` the group, ``compared_with`` the
        control):

        - ``n_headache_patients``, ``n_evaluable`` (with a responder verdict),
          ``n_responders`` (int);
        - ``responder_rate`` (fraction): responders / evaluable, with the Wilson
          95 % interval ``responder_ci_low``, ``responder_ci_high``; on a
          comparison row the difference group − control with Newcombe's 95 %
          hybrid score interval (fractions −1..1);
        - ``mean_baseline_headache_days``, ``mean_followup_headache_days``,
          ``mean_change_headache_days`` (days per 28, over the evaluable
          patients); on a comparison row the differences group − control.
    """
    rows = outcomes[outcomes["headache_patient"].fillna(False).astype("bool").to_numpy()]
    label = rows[by].astype("str").fillna("")
    responder = rows["headache_responder_50"].astype("boolean")
    evaluable = responder.notna()
    frame = pd.DataFrame(
        {
            "group": label.to_numpy(),
            "evaluable": evaluable.to_numpy(),
            "responder": responder.fillna(False).to_numpy(dtype=bool),
            **{
                f"mean_{stage}_headache_days": rows[f"{stage}_headache_days"]
                .where(evaluable)
                .to_numpy(dtype="float64")
                for stage in ("baseline", "followup", "change")
            },
        }
    )
    grouped = frame.groupby("group", sort=True)
    out = pd.DataFrame(
        {
            "n_headache_patients": grouped.size(),
            "n_evaluable": grouped["evaluable"].sum(),
            "n_responders": grouped["responder"].sum(),
        }
    )
    for column in ("baseline", "followup", "change"):
        name = f"mean_{column}_headache_days"
        out[name] = grouped[name].mean()
    out = out.astype({c: "int64" for c in ("n_headache_patients", "n_evaluable", "n_responders")})
    nobs = out["n_evaluable"].to_numpy()
    out["responder_rate"] = out["n_responders"] / out["n_evaluable"].where(out["n_evaluable"] > 0)
    low, high = wilson_interval(out["n_responders"].to_numpy(), nobs)
    out["responder_ci_low"], out["responder_ci_high"] = low, high
    out.index.name = "group"
    out = out.reset_index()
    out["compared_with"] = ""
    pairs = _comparisons(out, control)
    return pd.concat([out, pairs], ignore_index=True)[HEADACHE_SUMMARY_COLUMNS].astype(
        {"group": "str", "compared_with": "str"}
    )


def _comparisons(groups: pd.DataFrame, control: str | None) -> pd.DataFrame:
    """One row per group other than the control: differences with Newcombe's interval."""
    empty = pd.DataFrame({c: pd.Series(dtype=groups[c].dtype) for c in groups.columns})
    if len(groups) < 2:
        return empty
    match = groups[groups["group"] == control] if control is not None else groups.iloc[:1]
    if not len(match):
        return empty
    ref = match.iloc[0]
    others = groups[groups["group"] != ref["group"]].copy()
    intervals = [
        newcombe_interval(int(r), int(n), int(ref["n_responders"]), int(ref["n_evaluable"]))
        for r, n in zip(others["n_responders"], others["n_evaluable"], strict=True)
    ]
    others["responder_rate"] = others["responder_rate"] - ref["responder_rate"]
    others["responder_ci_low"] = [i[0] for i in intervals]
    others["responder_ci_high"] = [i[1] for i in intervals]
    for stage in ("baseline", "followup", "change"):
        name = f"mean_{stage}_headache_days"
        others[name] = others[name] - ref[name]
    others["compared_with"] = str(ref["group"])
    return others
