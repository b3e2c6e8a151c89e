"""Secondary outcomes (PEG, sleep, mood, stress, medication) and data-quality flags.

Secondary outcomes use exactly the baseline and follow-up windows of the pain
outcome (:func:`analytics.stats.outcome_windows`). Definitions in
``docs/analytics.md``.

Both tables are computed on numpy arrays: the patients of each frame are coded
once, per-patient results are gathered by code and looked up for the patients
of the table, and the table is built once at the end.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.checks import check_int
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import TEXT_DTYPE, patient_codes
from analytics.stats._medications import opioid_mme_per_day
from analytics.stats._outcomes import (
    all_patients,
    check_windows,
    join_flags,
    outcome_windows,
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

#: A day in nanoseconds, the unit of the int64 view of ``datetime64[ns]``.
_DAY_NS = 86_400 * 10**9
#: NaT in the int64 view of ``datetime64[ns]``.
_NAT = np.iinfo(np.int64).min
#: The dtype of a canonical text column, which ``astype("str")`` leaves as it is.


def _text(column: pd.Series) -> pd.Series:
    """Return ``column.astype("str")``, without the copy when it is text already."""
    return column if column.dtype == TEXT_DTYPE else column.astype("str")


def _floats(column: pd.Series, *, numeric: bool = False) -> np.ndarray:
    """Return ``column`` as float64 values (missing as NaN), first read as numbers if ``numeric``."""
    if column.dtype == "float64":
        return column.to_numpy()
    if isinstance(column.array, pd.arrays.IntegerArray | pd.arrays.FloatingArray):
        # numbers with missing values (Int64): what astype("float64") returns
        return column.array.to_numpy(dtype="float64", na_value=np.nan)
    if numeric:
        column = pd.to_numeric(column)
    return column.astype("float64").to_numpy()


def _ns(column: pd.Series) -> np.ndarray:
    """Return a date column as int64 nanoseconds of ``datetime64[ns]`` (NaT as :data:`_NAT`)."""
    if column.dtype != DATE_DTYPE:
        column = column.astype(DATE_DTYPE)
    return column.to_numpy().view("int64")


def _measures(diary: pd.DataFrame) -> np.ndarray:
    """Return the day's value of each of :data:`SECONDARY_MEASURES`: float64, one column each."""
    values = np.empty((len(diary), len(SECONDARY_MEASURES)), dtype="float64", order="F")
    pain, enjoyment, activity = (
        _floats(diary[c]) for c in ("pain", "enjoyment_interference", "activity_interference")
    )
    # PEG only on days where all three items were answered
    answered = ~(np.isnan(pain) | np.isnan(enjoyment) | np.isnan(activity))
    # summed left to right from +0, as DataFrame.mean(axis=1) sums a row (so -0 days read +0)
    values[:, 0] = np.where(answered, (0.0 + pain + enjoyment + activity) / 3, np.nan)
    for j, col in enumerate(SECONDARY_MEASURES[1:-1], start=1):
        values[:, j] = _floats(diary[col], numeric=True)
    # the day's MME: recorded, else from a named opioid's dose; a blank day of a
    # patient who records opioid doses is a day without one (0), not a missing day
    values[:, -1] = opioid_mme_per_day(diary).to_numpy()
    return values


def _patient_codes(pid: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Code ``pid`` as integers (-1 without a patient) and name the patient of each code."""
    codes, uniques = patient_codes(pid)
    return codes, pd.Index(uniques).astype("str", copy=False)


def _positions(labels: pd.Index, ids: pd.Index) -> np.ndarray:
    """Position in ``labels`` of each of ``ids`` (-1 where absent), as ``reindex`` finds it."""
    _, positions = labels.reindex(ids)
    return np.arange(len(ids)) if positions is None else positions


def _take(values: np.ndarray, positions: np.ndarray, fill: object) -> np.ndarray:
    """``values`` at ``positions``, ``fill`` where the position is -1."""
    return np.append(values, np.array([fill], dtype=values.dtype))[positions]


def _scatter(values: np.ndarray, positions: np.ndarray, size: int, fill: object) -> np.ndarray:
    """Invert :func:`_take`: an array of ``size + 1`` (``fill`` where nothing lands, and at -1)."""
    out = np.full(size + 1, fill, dtype=values.dtype)
    found = positions >= 0
    out[positions[found]] = values[found]
    return out


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
    n_measures = values.shape[1]
    # the baseline values, then the follow-up values: NaN outside the window
    windowed = np.full((len(diary), 2 * n_measures), np.nan, order="F")
    np.copyto(windowed[:, :n_measures], values, where=rows["in_baseline"].to_numpy()[:, None])
    np.copyto(windowed[:, n_measures:], values, where=rows["in_followup"].to_numpy()[:, None])
    codes, labels = _patient_codes(diary["patient_id"])
    # the grouped mean of pandas for every patient code, each column a block of its
    # own (copy=False keeps them apart): pandas picks a column's summation by its
    # block (compensated sums, or plain ones on sorted codes when the column has
    # no missing value), so one block per measure and window keeps every last bit
    blocks = {j: windowed[:, j] for j in range(windowed.shape[1])}
    grouped = pd.DataFrame(blocks, copy=False).groupby(codes).mean()
    means = grouped.to_numpy()[grouped.index.to_numpy() >= 0]  # rows without a patient: dropped
    enough = _recorded_days(windowed, codes, len(labels)) >= min_entries
    means = np.where(enough, means, np.nan)
    at = _positions(labels, ids)
    by_patient = np.append(means, np.full((1, 2 * n_measures), np.nan), axis=0)[at]
    columns: dict[str, object] = {"patient_id": ids.array}
    for j, m in enumerate(SECONDARY_MEASURES):
        baseline, followup = by_patient[:, j], by_patient[:, n_measures + j]
        columns[f"baseline_{m}"] = baseline
        columns[f"followup_{m}"] = followup
        columns[f"change_{m}"] = baseline - followup
    return pd.DataFrame(columns)


def _recorded_days(values: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """Count the non-missing ``values`` of each column per patient code (``size`` codes)."""
    order = None if (codes[1:] >= codes[:-1]).all() else np.argsort(codes, kind="stable")
    key = codes if order is None else codes[order]
    starts = np.flatnonzero(np.diff(key, prepend=-2))  # runs of one code (-1: no patient)
    run = key[starts]
    counts = np.zeros((size, values.shape[1]), dtype=np.intp)
    if not len(starts):
        return counts
    kept = run >= 0
    recorded = ~np.isnan(values)
    for j in range(values.shape[1]):  # column by column: each is contiguous
        column = recorded[:, j] if order is None else recorded[order, j]
        counts[run[kept], j] = np.add.reduceat(column, starts, dtype=np.intp)[kept]
    return counts


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
    n_ids = len(ids)
    # the diary's patients coded once; every date below is int64 nanoseconds
    codes, labels = _patient_codes(diary["patient_id"])
    day = _ns(diary["date"])
    at = _positions(labels, ids)
    runs = _DayRuns(codes, day, len(labels))
    n_diary_days = _take(np.bincount(codes[codes >= 0], minlength=len(labels)), at, 0)
    first, last = _take(runs.first, at, _NAT), _take(runs.last, at, _NAT)
    kept = first != _NAT
    span = np.where(kept, (last - first) // _DAY_NS + 1, 0)
    adherence = np.divide(n_diary_days, span, out=np.full(n_ids, np.nan), where=kept)

    treated = sessions if sessions is not None and len(sessions) else None
    if treated is not None:
        s_codes, s_labels = _patient_codes(treated["patient_id"])
        s_day = _ns(treated["date"])
        s_day = np.where(s_day != _NAT, s_day - s_day % _DAY_NS, _NAT)  # the calendar day
        s_at = _positions(s_labels, ids)
        s_runs = _DayRuns(s_codes, s_day, len(s_labels))
        first_session = _take(s_runs.first, s_at, _NAT)
        last_session = _take(s_runs.last, s_at, _NAT)
    else:
        first_session = last_session = np.full(n_ids, _NAT, dtype="int64")
    if end_fixed is not None:
        end = pd.Series(end_fixed, index=ids, dtype=DATE_DTYPE).to_numpy().view("int64")
    else:
        end = np.where(last != _NAT, last, last_session)
    window = window_days * _DAY_NS
    began = np.where(first == _NAT, first_session, np.minimum(first, first_session))
    began = np.where(first_session == _NAT, first, began)
    adherence_28d = _recent_adherence(codes, day, at, len(labels), end, began, window)

    o_at = _positions(pd.Index(_text(outcomes["patient_id"])), ids)
    baseline_sufficient = _take(pd.notna(outcomes["baseline_pain"].array), o_at, False)
    change = _take(_floats(outcomes["change"], numeric=True), o_at, np.nan)
    pct = _take(_floats(outcomes["pct_change"], numeric=True), o_at, np.nan)
    if treated is not None:
        recent_ae = _recent_adverse_event(treated, s_codes, len(s_labels), s_day, s_at, end, window)
    else:
        recent_ae = np.zeros(n_ids, dtype=bool)
    # a missing reason reads False, as the empty text it stands for
    reason = _text(outcomes["reason"]).str.contains("insufficient_baseline", regex=False)
    insufficient = reason.to_numpy(bool)
    flags = {
        "worsening": at_most(change, -2.0) | at_most(pct, -30.0),
        "low_adherence": adherence_28d < 0.5,
        "recent_adverse_event": recent_ae,
        "insufficient_baseline": _take(insufficient, o_at, False),
    }
    joined = join_flags(pd.DataFrame(np.column_stack(list(flags.values())), columns=list(FLAGS)))
    return pd.DataFrame(
        {
            "patient_id": ids.array,
            "n_diary_days": n_diary_days.astype("int64", copy=False),
            "adherence": adherence,
            "adherence_28d": adherence_28d,
            "longest_gap_days": _take(runs.longest_gap, at, 0),
            "baseline_sufficient": baseline_sufficient,
            **{f"flag_{name}": flag for name, flag in flags.items()},
            "flags": joined.array,
        }
    )


def _recent_adherence(
    codes: np.ndarray,
    day: np.ndarray,
    at: np.ndarray,
    n_labels: int,
    end: np.ndarray,
    began: np.ndarray,
    window: int,
) -> np.ndarray:
    """Share of the days of each patient's window ending on ``end`` with a diary entry.

    Only the days of the window the patient was already keeping a diary or being
    treated (from ``began``) count: a diary started 10 days ago and kept daily is
    10/10, not 10/28. NaN without an end. Dates are int64 nanoseconds.
    """
    has_end = end != _NAT
    row_end = _scatter(end, at, n_labels, _NAT)[codes]
    recent = (row_end != _NAT) & (day != _NAT) & (day <= row_end) & (day > row_end - window)
    n_recent = _take(np.bincount(codes[recent], minlength=n_labels), at, 0)
    first_day = end - (window - _DAY_NS)
    later = has_end & (began != _NAT) & (first_day >= began)
    window_start = np.where(later, first_day, began)
    counted = has_end & (window_start != _NAT)
    n_window = np.where(counted, (end - window_start) // _DAY_NS + 1, 0)
    positive = counted & (n_window > 0)
    rate = np.divide(n_recent, n_window, out=np.zeros(len(end)), where=positive)
    return np.where(has_end, rate, np.nan)


class _DayRuns:
    """First and last date, and longest gap, of each patient code's rows that have a date.

    ``codes`` (-1 without a patient) and ``day`` (int64 nanoseconds, NaT as
    :data:`_NAT`) are aligned; the results are indexed by code (``size`` codes):
    ``first`` and ``last`` (NaT without a dated row) and ``longest_gap`` (most
    calendar days without a row between two consecutive dated rows, 0 with fewer
    than two).
    """

    def __init__(self, codes: np.ndarray, day: np.ndarray, size: int) -> None:
        dated = (codes >= 0) & (day != _NAT)
        key, day = codes[dated], day[dated]
        step = key[1:] - key[:-1]
        if not ((step > 0) | ((step == 0) & (day[1:] >= day[:-1]))).all():
            order = np.lexsort((day, key))  # rows not by patient and date: sorted
            key, day = key[order], day[order]
        starts = np.flatnonzero(np.diff(key, prepend=-1))
        ends = np.flatnonzero(np.diff(key, append=-1))
        run = key[starts]
        self.first = np.full(size, _NAT, dtype="int64")
        self.last = np.full(size, _NAT, dtype="int64")
        self.first[run], self.last[run] = day[starts], day[ends]
        # days without a row between consecutive rows of a patient; 0 across patients
        gaps = np.where(key[1:] == key[:-1], (day[1:] - day[:-1]) // _DAY_NS - 1, 0)
        self.longest_gap = np.zeros(size, dtype="int64")
        if len(starts):
            longest = np.maximum.reduceat(np.append(gaps, 0), starts)
            self.longest_gap[run] = np.maximum(longest, 0)


def _recent_adverse_event(
    sessions: pd.DataFrame,
    codes: np.ndarray,
    size: int,
    day: np.ndarray,
    positions: np.ndarray,
    end: np.ndarray,
    window: int,
) -> np.ndarray:
    """Tell per patient whether a session of the window ending on ``end`` had an adverse event.

    ``codes`` (``size`` codes) and ``day`` (calendar day, int64 ns) are the
    sessions' patient codes and dates, ``positions`` the code of each patient of
    ``end`` (-1 without a session), ``window`` the window's length in nanoseconds.
    """
    events = sessions["adverse_events"]
    has_ae = pd.notna(events.array) & (_text(events).str.strip() != "").to_numpy(bool)
    s_end = _scatter(end, positions, size, _NAT)[codes]
    in_window = (s_end != _NAT) & (day != _NAT) & (day <= s_end) & (day > s_end - window)
    hit = np.bincount(codes[has_ae & in_window], minlength=size) > 0
    return _take(hit, positions, False)
