"""Headache days per 4 weeks, their change from baseline and the 50 % responder.

The rule (IHS guidelines for controlled trials of preventive treatment of migraine;
Vickers 2004) is documented with its choices in ``docs/analytics.md``, "Headache
days". Every function takes canonical frames, never mutates them and returns a
documented DataFrame; nothing is rounded.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from analytics.checks import check_int
from analytics.stats._common import TEXT_DTYPE
from analytics.stats._groups import TOO_FEW_PATIENTS, newcombe_interval, wilson_interval
from analytics.stats._outcomes import (
    as_days,
    dates_by_patient,
    patient_positions,
    patient_rows,
    window_rows,
)

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
    "n_headache_patients",
    "n_evaluable",
    "n_responders",
    "responder_rate",
    "responder_ci_low",
    "responder_ci_high",
    "mean_baseline_headache_days",
    "mean_followup_headache_days",
    "mean_change_headache_days",
    "compared_with",
    "risk_difference",
    "rd_ci_low",
    "rd_ci_high",
    "reason",
]


def _day_kinds(diary: pd.DataFrame, condition_row: np.ndarray) -> tuple[np.ndarray, ...]:
    """Per diary row: headache day, migraine day, marked (a ``headache`` value given)."""
    if "headache" in diary.columns:
        mark = diary["headache"]
        kind = (mark if mark.dtype == TEXT_DTYPE else mark.astype("str")).to_numpy(dtype=object)
    else:
        kind = np.full(len(diary), np.nan, dtype=object)
    marked = pd.notna(kind)
    pain = diary["pain"].to_numpy(dtype="float64")
    from_pain = ~marked & condition_row & (pain >= 1)
    migraine = kind == "migraine"
    headache = (kind == "headache") | migraine | from_pain
    return headache, migraine, marked


def _has_condition(patients: pd.DataFrame | None, rows: np.ndarray) -> np.ndarray:
    """Per patient (its row of ``patients`` or -1): a condition of :data:`HEADACHE_CONDITIONS`."""
    if patients is None or not len(patients):
        return np.zeros(len(rows), dtype=bool)
    condition = patients["condition"]
    if condition.dtype != TEXT_DTYPE:
        condition = condition.astype("str")
    headache = np.isin(condition.to_numpy(dtype=object), HEADACHE_CONDITIONS)
    return np.append(headache, False)[rows]


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
    ids, (at, in_patients) = patient_positions(diary, patients)
    n = len(ids)
    has_condition = _has_condition(patients, patient_rows(in_patients, n))
    condition_row = np.append(has_condition, False)[at]
    headache, migraine, marked = _day_kinds(diary, condition_row)

    days = HEADACHE_PERIOD_DAYS
    _, in_base, in_fu = window_rows(
        as_days(diary["date"]), at, dates_by_patient(index, ids), days, days, followup_at
    )
    known = at >= 0

    def count(rows: np.ndarray) -> np.ndarray:
        return np.bincount(at[rows & known], minlength=n)

    keep = has_condition | (count(headache & marked) > 0)
    marks = keep & (count(marked) > 0)
    out: dict[str, object] = {"patient_id": ids.array, "headache_patient": keep}
    per_4w: dict[str, np.ndarray] = {}
    for stage, inside in (("baseline", in_base), ("followup", in_fu)):
        n_days = count(inside)
        valid = keep & (n_days >= min_days)
        with np.errstate(divide="ignore"):
            scale = days / np.where(n_days > 0, n_days.astype("float64"), np.nan)
        per_4w[f"{stage}_headache_days"] = np.where(valid, count(inside & headache) * scale, np.nan)
        per_4w[f"{stage}_migraine_days"] = np.where(
            valid & marks, count(inside & migraine) * scale, np.nan
        )
        # the entries of a patient left out are missing (1 underneath, as pandas fills)
        out[f"{stage}_headache_n"] = pd.arrays.IntegerArray(np.where(keep, n_days, 1), ~keep)
    base = per_4w["baseline_headache_days"]
    change = base - per_4w["followup_headache_days"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * change / np.where(base > 0, base, np.nan)
    out.update(per_4w)
    out["change_headache_days"] = change
    out["pct_change_headache_days"] = pct
    out["headache_responder_50"] = pd.arrays.BooleanArray(
        pct >= HEADACHE_RESPONSE_PCT, np.isnan(pct)
    )
    out["change_migraine_days"] = (
        per_4w["baseline_migraine_days"] - per_4w["followup_migraine_days"]
    )
    return pd.DataFrame({name: out[name] for name in HEADACHE_COLUMNS})


def headache_summary(
    outcomes: pd.DataFrame,
    *,
    by: str = "group",
    control_labels: Iterable[str] = (),
    min_group_size: int = 5,
) -> pd.DataFrame:
    """Give the 50 % responder rate of headache days by group and its difference from a control.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        Per-patient rows with ``by`` and the columns of :func:`headache_days`.
    by : str, default "group"
        The column that names the groups; a missing label is its own group ("").
    control_labels : iterable of str, default ()
        Labels of control groups (compared case-blind); the first group in label
        order whose label is one of them is the control, or the first group when
        none is.
    min_group_size : int, default 5
        Fewest evaluable patients of a group for its interval and for a
        difference with it (as :func:`analytics.stats.group_summary`).

    Returns
    -------
    pandas.DataFrame
        One row per group holding a headache patient, in label order, columns
        :data:`HEADACHE_SUMMARY_COLUMNS`:

        - ``n_headache_patients``, ``n_evaluable`` (with a responder verdict),
          ``n_responders`` (int);
        - ``responder_rate`` (fraction 0-1): responders / evaluable, with the
          Wilson 95 % interval ``responder_ci_low``, ``responder_ci_high``;
        - ``mean_baseline_headache_days``, ``mean_followup_headache_days``,
          ``mean_change_headache_days`` (days per 28, over the evaluable
          patients);
        - ``compared_with`` (str): the control group, empty on its own row and
          when there is one group; ``risk_difference`` (fraction −1..1): this
          group's responder rate − the control's, with Newcombe's 95 % hybrid
          score interval ``rd_ci_low``, ``rd_ci_high``;
        - ``reason`` (str): ``too_few_patients`` when the group (or, for the
          difference, the control) has fewer than ``min_group_size`` evaluable
          patients: its intervals and difference are then withheld; else "".
    """
    check_int(min_group_size, "min_group_size", "headache_summary", 1, 10_000)
    rows = outcomes[outcomes["headache_patient"].fillna(False).astype("bool").to_numpy()]
    responder = rows["headache_responder_50"].astype("boolean")
    evaluable = responder.notna()
    frame = pd.DataFrame(
        {
            "group": rows[by].astype("str").fillna("").to_numpy(),
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
    ).astype("int64")
    out["responder_rate"] = out["n_responders"] / out["n_evaluable"].where(out["n_evaluable"] > 0)
    low, high = wilson_interval(out["n_responders"].to_numpy(), out["n_evaluable"].to_numpy())
    out["responder_ci_low"], out["responder_ci_high"] = low, high
    for stage in ("baseline", "followup", "change"):
        name = f"mean_{stage}_headache_days"
        out[name] = grouped[name].mean()
    out.index.name = "group"
    out = out.reset_index()
    _compare(out, {str(c).strip().lower() for c in control_labels})
    small = (out["n_evaluable"] < min_group_size).to_numpy()
    control_small = out["compared_with"].isin(out.loc[small, "group"]).to_numpy()
    out.loc[small, ["responder_ci_low", "responder_ci_high"]] = np.nan
    withheld = small | control_small
    out.loc[withheld, ["risk_difference", "rd_ci_low", "rd_ci_high"]] = np.nan
    out["reason"] = np.where(withheld, TOO_FEW_PATIENTS, "")
    return out[HEADACHE_SUMMARY_COLUMNS].astype(
        {"group": "str", "compared_with": "str", "reason": "str"}
    )


def _compare(groups: pd.DataFrame, control_labels: set[str]) -> None:
    """Add the difference of each group's responder rate from the control's, in place."""
    groups["compared_with"] = ""
    for name in ("risk_difference", "rd_ci_low", "rd_ci_high"):
        groups[name] = np.nan
    if len(groups) < 2:
        return
    is_control = groups["group"].str.strip().str.lower().isin(control_labels).to_numpy()
    ref = groups[is_control].iloc[0] if is_control.any() else groups.iloc[0]
    others = (groups["group"] != ref["group"]).to_numpy()
    n_ref, r_ref = int(ref["n_evaluable"]), int(ref["n_responders"])
    # one interval per group: a handful of rows, never one per patient
    bounds = [
        newcombe_interval(int(r), int(n), r_ref, n_ref)
        for r, n in zip(groups["n_responders"], groups["n_evaluable"], strict=True)
    ]
    groups.loc[others, "compared_with"] = str(ref["group"])
    groups.loc[others, "risk_difference"] = (groups["responder_rate"] - ref["responder_rate"])[
        others
    ]
    groups.loc[others, "rd_ci_low"] = np.array([b[0] for b in bounds])[others]
    groups.loc[others, "rd_ci_high"] = np.array([b[1] for b in bounds])[others]
