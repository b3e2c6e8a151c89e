"""Secondary outcomes (PEG, sleep, mood, stress, medication) and data-quality flags.

Secondary outcomes use exactly the baseline and follow-up windows of the pain
outcome (:func:`analytics.stats.outcome_windows`). Definitions in
``docs/analytics.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from analytics.checks import check_int
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import patient_codes, sort_by_patient_day
from analytics.stats._medications import opioid_mme_per_day
from analytics.stats._outcomes import (
    all_patients,
    check_windows,
    join_flags,
    outcome_windows,
    per_row,
)
from analytics.stats._thresholds import at_most

__all__ = ["SECONDARY_MEASURES", "FLAGS", "secondary_outcomes", "data_quality"]

#: Measures of :func:`secondary_outcomes`, in column order.
SECONDARY_MEASURES = (
    "peg",
    "sleep_quality",
    "mood",
    "stress",
    "analgesic_doses",
    "opioid_mme",
)
#: Flags of :func:`data_quality`, in the order they are joined in ``flags``.
FLAGS = ("worsening", "low_adherence", "recent_adverse_event", "insufficient_baseline")

_DAY = pd.Timedelta(days=1)


def _measures(diary: pd.DataFrame) -> pd.DataFrame:
    peg_items = diary[["pain", "enjoyment_interference", "activity_interference"]].astype("float64")
    values = pd.DataFrame(index=diary.index)
    # PEG only on days where all three items were answered
    values["peg"] = peg_items.mean(axis=1).where(peg_items.notna().all(axis=1))
    for col in SECONDARY_MEASURES[1:-1]:
        values[col] = pd.to_numeric(diary[col]).astype("float64")
    # the day's MME: recorded, else from a named opioid's dose; a blank day of a
    # patient who records opioid doses is a day without one (0), not a missing day
    values["opioid_mme"] = opioid_mme_per_day(diary)
    return values


def _patient_codes(pid: pd.Series) -> tuple[np.ndarray, Callable[[Any], Any]]:
    """Code ``pid`` as integers for grouping.

    Returns the codes and the function that labels a grouped result (Series or
    DataFrame indexed by code) with the patient ids again.
    """
    codes, uniques = patient_codes(pid)
    labels = pd.Index(uniques, dtype="str")

    def by_patient(result: Any) -> Any:
        result = result[result.index.to_numpy() >= 0]  # rows without a patient: dropped
        return result.set_axis(labels[result.index.to_numpy()])

    return codes, by_patient


def secondary_outcomes(
    diary: pd.DataFrame,
    index_dates: pd.Series,
    *,
    baseline_days: int = 14,
    followup_days: int = 14,
    followup_at: int | None = None,
    min_entries: int = 4,
) -> pd.DataFrame:
    """Baseline, follow-up and change of the secondary diary measures.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    index_dates : pandas.Series
        Index date per patient (``patient_id`` index).
    baseline_days, followup_days, followup_at, min_entries
        As in :func:`analytics.stats.patient_outcomes`; a measure's window mean
        needs ``min_entries`` days on which that measure was recorded.

    Returns
    -------
    pandas.DataFrame
        One row per patient in ``diary``, sorted by ``patient_id``; for every
        measure m in ``peg``, ``sleep_quality``, ``mood``, ``stress``,
        ``analgesic_doses``, ``opioid_mme``:

        - ``baseline_<m>``, ``followup_<m>`` (float): mean over the pain outcome's
          windows; NaN with fewer than ``min_entries`` recorded days;
        - ``change_<m>`` (float): ``baseline_<m> − followup_<m>``.

        Units: ``peg`` = mean of pain, enjoyment_interference and
        activity_interference on days with all three (0-10, PEG-3, Krebs 2009);
        sleep_quality, mood (0-10, 10 = best), stress (0-10, 10 = worst),
        analgesic_doses (doses/day), opioid_mme (MME/day). The change has the sign
        of the pain change: positive = the value went down, which is an
        improvement for peg, stress, analgesic_doses and opioid_mme and a
        deterioration for sleep_quality and mood.
    """
    check_windows("secondary_outcomes", baseline_days, followup_days, followup_at, min_entries)
    ids = all_patients(diary)
    _, rows = outcome_windows(
        diary,
        index_dates,
        baseline_days=baseline_days,
        followup_days=followup_days,
        followup_at=followup_at,
    )
    values = _measures(diary)
    codes, by_patient = _patient_codes(diary["patient_id"].astype("str"))
    base = values.where(rows["in_baseline"], np.nan).groupby(codes)
    fu = values.where(rows["in_followup"], np.nan).groupby(codes)
    b_mean = by_patient(base.mean().where(base.count() >= min_entries)).reindex(ids)
    f_mean = by_patient(fu.mean().where(fu.count() >= min_entries)).reindex(ids)
    out = pd.DataFrame(index=ids)
    for m in SECONDARY_MEASURES:
        out[f"baseline_{m}"] = b_mean[m].astype("float64")
        out[f"followup_{m}"] = f_mean[m].astype("float64")
        out[f"change_{m}"] = (out[f"baseline_{m}"] - out[f"followup_{m}"]).astype("float64")
    out = out.reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    return out


def data_quality(
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    outcomes: pd.DataFrame,
    *,
    as_of: str | dt.date | None = None,
    window_days: int = 28,
) -> pd.DataFrame:
    """Diary adherence, gaps and clinical flags per patient.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    sessions : pandas.DataFrame or None
        Canonical sessions frame (for recent adverse events).
    outcomes : pandas.DataFrame
        :func:`analytics.stats.patient_outcomes` (uses ``baseline_pain``,
        ``change``, ``pct_change``, ``reason``).
    as_of : date-like, optional
        End of the "last 28 days" windows. Default: each patient's last diary day
        (last session day when there is no diary).
    window_days : int, default 28
        Length of the "last 28 days" windows (adherence and recent adverse
        events), in [1, 3650].

    Returns
    -------
    pandas.DataFrame
        One row per patient in any input, sorted by ``patient_id``:

        - ``n_diary_days`` (int);
        - ``adherence`` (float, fraction 0-1): diary days / calendar days from the
          first to the last entry inclusive (NaN without a diary);
        - ``adherence_28d`` (float, fraction 0-1): entries in the ``window_days``
          (default 28) days ``[end − window_days + 1, end]`` divided by the days of that window on or after the
          patient's first diary entry or session (28 once the patient has been
          followed that long), end = ``as_of`` or the patient's last diary day
          (last session day without a diary); 0 when ``as_of`` is before the
          first entry;
        - ``longest_gap_days`` (int): most consecutive days without an entry
          between the first and last entry (0 for a daily diary);
        - ``baseline_sufficient`` (bool): the pain baseline is valid;
        - ``flag_worsening`` (bool): ``change <= −2`` points or ``pct_change <= −30``;
        - ``flag_low_adherence`` (bool): ``adherence_28d < 0.5``;
        - ``flag_recent_adverse_event`` (bool): a session with an adverse event in
          the same 28-day window;
        - ``flag_insufficient_baseline`` (bool): the patient has an index date but
          too few baseline entries;
        - ``flags`` (str): names of the raised flags without the ``flag_`` prefix
          in the order worsening, low_adherence, recent_adverse_event,
          insufficient_baseline, joined by ``;`` (``""`` when none).
    """
    window_days = check_int(window_days, "window_days", "data_quality", 1, 3650)
    end_fixed = None if as_of is None else pd.Timestamp(as_of).normalize()
    ids = all_patients(diary, sessions, outcomes)
    pid = diary["patient_id"].astype("str")
    dates = diary["date"].astype(DATE_DTYPE)
    # group the diary rows by integer codes (one factorisation), labelled by patient
    codes, by_patient = _patient_codes(pid)
    g = dates.groupby(codes)
    out = pd.DataFrame(index=ids)
    first, last = by_patient(g.min()).reindex(ids), by_patient(g.max()).reindex(ids)
    out["n_diary_days"] = by_patient(g.size()).reindex(ids, fill_value=0).astype("int64")
    span = (last - first).dt.days + 1
    out["adherence"] = (out["n_diary_days"] / span).astype("float64")

    if sessions is not None and len(sessions):
        s_pid = sessions["patient_id"].astype("str")
        s_day = sessions["date"].astype(DATE_DTYPE).dt.normalize()
        last_session = s_day.groupby(s_pid).max().reindex(ids)
        first_session = s_day.groupby(s_pid).min().reindex(ids)
    else:
        s_pid = pd.Series(dtype="str")
        s_day = pd.Series(dtype=DATE_DTYPE)
        last_session = pd.Series(pd.NaT, index=ids, dtype=DATE_DTYPE)
        first_session = last_session
    end = (
        pd.Series(end_fixed, index=ids, dtype=DATE_DTYPE)
        if end_fixed is not None
        else last.fillna(last_session)
    )
    row_end = per_row(end, pid)
    recent = (dates <= row_end) & (dates > row_end - window_days * _DAY)
    n_recent = by_patient(recent.groupby(codes).sum()).reindex(ids, fill_value=0)
    # days of the window the patient was already keeping a diary or being treated:
    # a diary started 10 days ago and kept daily is 10/10, not 10/28
    began = pd.concat([first, first_session], axis=1).min(axis=1).astype(DATE_DTYPE)
    first_day = end - (window_days - 1) * _DAY
    window_start = first_day.where(first_day >= began, began)
    n_window = ((end - window_start).dt.days + 1).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (n_recent / n_window.where(n_window > 0)).astype("float64")
    out["adherence_28d"] = rate.where(n_window > 0, 0.0).where(end.notna())

    out["longest_gap_days"] = _longest_gaps(pid, dates, ids)

    o = outcomes.set_index(outcomes["patient_id"].astype("str")).reindex(ids)
    out["baseline_sufficient"] = o["baseline_pain"].notna().to_numpy(bool)
    change = pd.to_numeric(o["change"]).astype("float64")
    pct = pd.to_numeric(o["pct_change"]).astype("float64")
    out["flag_worsening"] = (at_most(change, -2.0) | at_most(pct, -30.0)).to_numpy(bool)
    out["flag_low_adherence"] = (out["adherence_28d"] < 0.5).to_numpy(bool)
    if sessions is not None and len(s_pid):
        ae = _recent_adverse_event(sessions, s_pid, s_day, end, window_days)
        out["flag_recent_adverse_event"] = ae.to_numpy(bool)
    else:
        out["flag_recent_adverse_event"] = False
    reason = o["reason"].astype("str").fillna("")
    out["flag_insufficient_baseline"] = reason.str.contains(
        "insufficient_baseline", regex=False
    ).to_numpy(bool)
    flags = out[[f"flag_{name}" for name in FLAGS]]
    out["flags"] = join_flags(flags.set_axis(list(FLAGS), axis=1))
    out = out.reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    return out


def _longest_gaps(pid: pd.Series, dates: pd.Series, ids: pd.Index) -> pd.Series:
    """Count the most consecutive days without an entry between each diary's first and last."""
    order = sort_by_patient_day(pd.DataFrame({"patient_id": pid.array, "date": dates.to_numpy()}))
    o_codes, o_uniques = patient_codes(order["patient_id"])
    gaps = order["date"].groupby(o_codes).diff().dt.days - 1
    longest = gaps.groupby(o_codes).max()
    longest = longest[longest.index.to_numpy() >= 0]
    longest.index = pd.Index(o_uniques, dtype="str")[longest.index.to_numpy()]
    return longest.reindex(ids).fillna(0).clip(lower=0).astype("int64")


def _recent_adverse_event(
    sessions: pd.DataFrame, s_pid: pd.Series, s_day: pd.Series, end: pd.Series, window_days: int
) -> pd.Series:
    """Tell per patient whether a session of the window ending on ``end`` had an adverse event."""
    has_ae = sessions["adverse_events"].notna() & (
        sessions["adverse_events"].astype("str").str.strip() != ""
    )
    s_end = per_row(end, s_pid)
    in_window = (s_day <= s_end) & (s_day > s_end - window_days * _DAY)
    return (has_ae & in_window).groupby(s_pid).any().reindex(end.index, fill_value=False)
