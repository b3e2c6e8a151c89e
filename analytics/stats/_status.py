"""Status of each patient as of a date: monitoring, not trial outcomes.

DOMAIN.md section 4 ("Status as of a date D"): the current 7-day mean, days since
the last entry, recent adverse events and the most recent valid follow-up window.
The trial-style baseline and follow-up of :func:`analytics.stats.patient_outcomes`
do not change with D.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from analytics.checks import check_int
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import patient_codes
from analytics.stats._outcomes import all_patients
from analytics.stats._runs import exact_sums, window_bounds

__all__ = [
    "STATUS_COLUMNS",
    "patient_status",
    "CLINICAL_SIGNALS",
    "LOGGING_SIGNALS",
    "OPIOID_RISE_MME",
    "course_triage",
]

#: Columns of :func:`patient_status` with their dtypes.
STATUS_COLUMNS: dict[str, str] = {
    "patient_id": "str",
    "status_date": DATE_DTYPE,
    "last_entry_date": DATE_DTYPE,
    "days_since_last_entry": "Int64",
    "not_logging": "bool",
    "current_mean": "float64",
    "current_n": "int64",
    "last_valid_mean": "float64",
    "last_valid_mean_date": DATE_DTYPE,
    "n_recent_adverse_events": "int64",
    "recent_followup_pain": "float64",
    "recent_followup_n": "int64",
    "recent_followup_start": DATE_DTYPE,
    "recent_followup_end": DATE_DTYPE,
}


def _valid_windows(
    codes: np.ndarray, day: np.ndarray, pain: np.ndarray, window_days: int, min_entries: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Latest trailing-window mean with >= min_entries per patient: (row, mean, n).

    Rows are sorted by patient (``codes``) and ``day``; ``row`` is each patient's
    latest row whose ``window_days``-day window (ending on that row's day) holds at
    least ``min_entries`` pain ratings, ``mean`` that window's mean pain and ``n``
    (float) its ratings. Whole-number pain on distinct days (the NRS) takes the
    prefix-sum path: sums of whole numbers are exact in any order, so ``sum / n``
    is bit for bit pandas' online rolling mean; any other input is handed to
    pandas' rolling mean over the same windows.
    """
    if not len(codes):
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    found = _windows_exact(codes, day, pain, window_days, min_entries)
    if found is None:
        found = _windows_rolling(codes, day, pain, window_days, min_entries)
    return found


def _windows_exact(
    codes: np.ndarray, day: np.ndarray, pain: np.ndarray, window_days: int, min_entries: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """:func:`_valid_windows` by prefix sums, or None when the input needs pandas' path."""
    if not exact_sums(pain):
        return None  # sums could round, or pandas would keep a negative zero's sign
    key, start, stop = window_bounds(codes, day, window_days)
    if len(key) > 1 and not (np.diff(key) > 0).all():
        return None  # unsorted or a patient with two entries on one day
    n = stop - start
    valid = np.flatnonzero(n >= min_entries)
    last = _last_of_each(codes, valid)
    cum = np.concatenate([[0.0], np.cumsum(pain)])
    mean = (cum[stop[last]] - cum[start[last]]) / n[last]
    return last, mean, n[last].astype("float64")


def _windows_rolling(
    codes: np.ndarray, day: np.ndarray, pain: np.ndarray, window_days: int, min_entries: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_valid_windows` by pandas' rolling mean over the windows of every patient.

    The windows are those of a time-based ``f"{window_days}D"`` window of each
    patient (each row's window ends on that row), given to pandas as bounds: its
    online mean runs over all the rows at once and starts afresh at each patient,
    as a grouped rolling window does. Missing pain is not counted.
    """
    _, start, stop = window_bounds(codes, day, window_days)
    rated = np.concatenate([[0], np.cumsum(~np.isnan(pain))])
    n = rated[stop] - rated[start]
    roll = pd.Series(pain).rolling(_Bounds(start, stop), min_periods=1)
    last = _last_of_each(codes, np.flatnonzero(n >= min_entries))
    return last, roll.mean().to_numpy()[last], n[last].astype("float64")


class _Bounds(BaseIndexer):
    """Window bounds computed beforehand, for pandas' rolling functions."""

    def __init__(self, start: np.ndarray, stop: np.ndarray) -> None:
        super().__init__()
        self.start, self.stop = start.astype(np.int64), stop.astype(np.int64)

    def get_window_bounds(
        self,
        num_values: int = 0,
        min_periods: int | None = None,
        center: bool | None = None,
        closed: str | None = None,
        step: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Return the bounds given at construction."""
        return self.start, self.stop


def _last_of_each(codes: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Pick the last of ``rows`` (ascending positions) of each patient code."""
    if not len(rows):
        return rows
    return rows[np.append(codes[rows][1:] != codes[rows][:-1], True)]


def patient_status(
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    index_dates: pd.Series,
    *,
    patients: pd.DataFrame | None = None,
    as_of: str | dt.date | None = None,
    window_days: int = 7,
    min_entries: int = 4,
    followup_days: int = 14,
    followup_min_entries: int = 4,
    recent_days: int = 28,
    not_logging_days: int = 7,
) -> pd.DataFrame:
    """Where each patient stands on a date D (monitoring status).

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame.
    sessions : pandas.DataFrame or None
        Canonical sessions frame (adverse events).
    index_dates : pandas.Series
        Index date per patient (:func:`analytics.contract.index_dates`).
    patients : pandas.DataFrame, optional
        Canonical patients frame: its patients get a row even without diary or
        sessions.
    as_of : date-like, optional
        D. Default: each patient's last diary day (last session day without a
        diary). Entries after D are ignored.
    window_days : int, default 7
        Trailing window of the current mean, days ``[D − window_days + 1, D]``.
    min_entries : int, default 4
        Entries needed for a trailing mean, in [1, window_days].
    followup_days : int, default 14
        Length of the recent follow-up window.
    followup_min_entries : int, default 4
        Entries needed for a valid follow-up mean.
    recent_days : int, default 28
        Adverse events count in the sessions of days ``[D − recent_days + 1, D]``.
    not_logging_days : int, default 7
        ``not_logging`` when the last entry is at least this many days before D.

    Returns
    -------
    pandas.DataFrame
        One row per patient in any input, sorted by ``patient_id`` (dtypes in
        :data:`STATUS_COLUMNS`):

        - ``status_date`` (datetime64): D;
        - ``last_entry_date`` (datetime64): last diary day on or before D (NaT
          without one);
        - ``days_since_last_entry`` (Int64, days): D − ``last_entry_date``;
          ``<NA>`` without an entry;
        - ``not_logging`` (bool): ``days_since_last_entry >= not_logging_days`` or
          no entry on or before D;
        - ``current_mean`` (float, NRS): mean pain of the entries in
          ``[D − window_days + 1, D]``, NaN with fewer than ``min_entries``;
          ``current_n`` (int): those entries;
        - ``last_valid_mean`` (float, NRS) and ``last_valid_mean_date``
          (datetime64): the latest trailing mean with at least ``min_entries``
          entries, computed on a diary day on or before D, and that day (equal to
          ``current_mean`` when the patient logged on D);
        - ``n_recent_adverse_events`` (int): adverse events in sessions of days
          ``[D − recent_days + 1, D]`` (counted as in
          :func:`analytics.stats.adverse_event_counts`);
        - ``recent_followup_pain`` (float, NRS), ``recent_followup_n`` (int),
          ``recent_followup_start``, ``recent_followup_end`` (datetime64,
          inclusive): the most recent valid follow-up window — the
          ``followup_days``-day window ending on the latest diary day on or before
          D that holds at least ``followup_min_entries`` entries on or after the
          index date; it never starts before the index date. NaN/0/NaT when none
          (or no index date).

    Notes
    -----
    DOMAIN.md section 4 "Status as of a date D". The strict follow-up of
    :func:`analytics.stats.patient_outcomes` is the last ``followup_days``
    days of the diary, valid or not; the recent valid window is the latest one a
    clinician can use when the last days are sparse.

    Examples
    --------
    >>> from analytics.contract import empty_frame
    >>> patient_status(empty_frame("diary"), None, pd.Series(dtype="datetime64[ns]")).shape
    (0, 14)
    """
    func = "patient_status"
    window_days = check_int(window_days, "window_days", func, 1, 3650)
    min_entries = check_int(min_entries, "min_entries", func, 1, window_days)
    followup_days = check_int(followup_days, "followup_days", func, 1, 3650)
    followup_min_entries = check_int(followup_min_entries, "followup_min_entries", func, 1, 3650)
    recent_days = check_int(recent_days, "recent_days", func, 1, 3650)
    not_logging_days = check_int(not_logging_days, "not_logging_days", func, 1, 3650)

    idx = index_dates.astype(DATE_DTYPE)
    idx.index = idx.index.astype("str")
    ids = all_patients(diary, patients, sessions, pd.DataFrame({"patient_id": idx.index}))
    n_ids = len(ids)
    rows = _pain_days(diary, ids)
    s_pos, s_day = _session_days(sessions, ids)
    end = _status_dates(rows, s_pos, s_day, n_ids, as_of)
    # the diary up to D: entries after D are ignored
    upto = rows.subset(rows.day <= end[rows.pos])
    mean_cur, n_cur = _current_mean(upto, end, n_ids, window_days, min_entries)
    mean_last, _, date_last = _last_valid_by_patient(upto, n_ids, window_days, min_entries)
    t0 = idx.reindex(ids).to_numpy()
    events = _recent_adverse_events(sessions, s_pos, s_day, end, n_ids, recent_days)
    columns = {
        "patient_id": ids.array,
        "status_date": end,
        **_last_entries(upto, end, n_ids, not_logging_days),
        "current_mean": mean_cur,
        "current_n": n_cur,
        "last_valid_mean": mean_last,
        "last_valid_mean_date": date_last,
        "n_recent_adverse_events": events,
        **_recent_followup(upto, t0, n_ids, followup_days, followup_min_entries),
    }
    return pd.DataFrame(columns)


def _last_entries(
    upto: _Rows, end: np.ndarray, n_ids: int, not_logging_days: int
) -> dict[str, object]:
    """Each patient's last diary entry up to D, the days since, and whether logging stopped."""
    last_entry = _group_max(upto.pos, upto.day, n_ids)
    no_entry = np.isnat(last_entry)
    # both are midnights: whole days
    since = np.where(no_entry, np.timedelta64(0, "ns"), end - last_entry) // _DAY
    return {
        "last_entry_date": last_entry,
        "days_since_last_entry": pd.arrays.IntegerArray(np.where(no_entry, 0, since), no_entry),
        "not_logging": no_entry | (since >= not_logging_days),
    }


def _recent_followup(
    upto: _Rows, t0: np.ndarray, n_ids: int, followup_days: int, min_entries: int
) -> dict[str, np.ndarray]:
    """Find the most recent valid follow-up window of each patient, never before its t0."""
    post = upto.subset(upto.day >= t0[upto.pos])
    fu_mean, fu_n, fu_end = _last_valid_by_patient(post, n_ids, followup_days, min_entries)
    start = fu_end - (followup_days - 1) * _DAY
    start = np.where(np.isnat(fu_end), np.datetime64("NaT", "ns"), np.where(start >= t0, start, t0))
    return {
        "recent_followup_pain": fu_mean,
        "recent_followup_n": np.where(np.isnan(fu_n), 0, fu_n).astype("int64"),
        "recent_followup_start": start,
        "recent_followup_end": fu_end,
    }


_DAY = np.timedelta64(1, "D")
_NAT = np.datetime64("NaT", "ns")


class _Rows(NamedTuple):
    """Diary rows sorted by patient and day, as arrays.

    ``pos`` is the patient's position in the sorted patient index, ``day`` the day
    (midnight, datetime64[ns]) and ``pain`` float64.
    """

    pos: np.ndarray
    day: np.ndarray
    pain: np.ndarray

    def subset(self, keep: np.ndarray) -> _Rows:
        """Keep the rows where ``keep`` is True, in their order."""
        at = np.flatnonzero(keep)
        return _Rows(self.pos[at], self.day[at], self.pain[at])


def _pain_days(diary: pd.DataFrame, ids: pd.Index) -> _Rows:
    """Take the diary's patient, day (midnight) and pain, sorted by patient and day.

    The order is that of :func:`sort_by_patient_day` (stable): ``ids`` is sorted,
    so patient positions sort as the ids do, and a missing day comes last. Rows
    without a patient id belong to no patient and are left out.
    """
    pos = _positions(diary["patient_id"], ids)
    dates = diary["date"]
    if dates.dtype != DATE_DTYPE:
        dates = dates.astype(DATE_DTYPE)
    day = dates.to_numpy().astype("datetime64[D]").astype(DATE_DTYPE)
    pain = diary["pain"]
    pain = (pain if pain.dtype == np.float64 else pain.astype("float64")).to_numpy()
    # a missing day sorts last, as in pandas
    key = np.where(np.isnat(day), np.iinfo(np.int64).max, day.view(np.int64))
    same = pos[1:] == pos[:-1]
    if (pos[1:] >= pos[:-1]).all() and (key[1:][same] >= key[:-1][same]).all():
        at = np.arange(len(pos))  # already in order, as the loaders and the store return it
    else:
        at = np.lexsort((key, pos))  # stable: rows of one patient and day keep their order
    at = at[pos[at] >= 0]
    return _Rows(pos[at], day[at], pain[at])


def _positions(patient_id: pd.Series, ids: pd.Index) -> np.ndarray:
    """Position of each row's patient (as text) in ``ids``; -1 without a patient id."""
    codes, uniques = patient_codes(patient_id)
    return np.append(ids.get_indexer(uniques), -1)[codes]


def _session_days(sessions: pd.DataFrame | None, ids: pd.Index) -> tuple[np.ndarray, np.ndarray]:
    """Take each session's patient (position in ``ids``) and day (midnight); empty without."""
    if sessions is None or not len(sessions):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=DATE_DTYPE)
    dates = sessions["date"]
    if dates.dtype != DATE_DTYPE:
        dates = dates.astype(DATE_DTYPE)
    day = dates.to_numpy().astype("datetime64[D]").astype(DATE_DTYPE)
    return _positions(sessions["patient_id"], ids), day


def _group_max(pos: np.ndarray, day: np.ndarray, n_ids: int) -> np.ndarray:
    """Latest day per patient position (NaT without one)."""
    out = np.full(n_ids, np.iinfo(np.int64).min)  # NaT is the smallest int64
    keep = pos >= 0
    np.maximum.at(out, pos[keep], day[keep].view(np.int64))
    return out.view(DATE_DTYPE)


def _status_dates(
    rows: _Rows,
    s_pos: np.ndarray,
    s_day: np.ndarray,
    n_ids: int,
    as_of: str | dt.date | None,
) -> np.ndarray:
    """Find D per patient: ``as_of``, else the last diary day (last session day without)."""
    if as_of is None:
        last_diary = _group_max(rows.pos, rows.day, n_ids)
        last_session = _group_max(s_pos, s_day, n_ids)
        return np.where(np.isnat(last_diary), last_session, last_diary)
    day = pd.Series(pd.Timestamp(as_of).normalize(), index=range(n_ids))
    return day.astype(DATE_DTYPE).to_numpy()


def _current_mean(
    upto: _Rows, end: np.ndarray, n_ids: int, window_days: int, min_entries: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean pain and entries of the trailing window ending on D, per patient position.

    The mean is NaN with fewer than ``min_entries`` entries (missing pain does not
    count). Whole-number pain sums exactly in any order, so ``sum / n`` equals
    pandas' group mean bit for bit; any other pain is averaged by pandas, over the
    same rows in the same order.
    """
    recent = upto.day > end[upto.pos] - window_days * _DAY
    pos, pain = upto.pos[recent], upto.pain[recent]
    n = np.bincount(pos[~np.isnan(pain)], minlength=n_ids)
    if exact_sums(pain):
        with np.errstate(divide="ignore", invalid="ignore"):
            mean = np.bincount(pos, weights=pain, minlength=n_ids) / n
    else:
        mean = np.full(n_ids, np.nan)
        means = pd.Series(pain).groupby(pos).mean()
        mean[means.index.to_numpy()] = means.to_numpy()
    return np.where(n >= min_entries, mean, np.nan), n.astype("int64")


def _last_valid_by_patient(
    rows: _Rows, n_ids: int, window_days: int, min_entries: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_valid_windows` of the rows by patient position: NaN, NaN and NaT without one."""
    last, mean, n = _valid_windows(rows.pos, rows.day, rows.pain, window_days, min_entries)
    at = rows.pos[last]
    out_mean, out_n = np.full(n_ids, np.nan), np.full(n_ids, np.nan)
    out_date = np.full(n_ids, _NAT)
    out_mean[at], out_n[at], out_date[at] = mean, n, rows.day[last]
    return out_mean, out_n, out_date


def _recent_adverse_events(
    sessions: pd.DataFrame | None,
    s_pos: np.ndarray,
    s_day: np.ndarray,
    end: np.ndarray,
    n_ids: int,
    recent_days: int,
) -> np.ndarray:
    """Count the adverse events of the sessions in ``[D − recent_days + 1, D]``."""
    from analytics.stats._safety import adverse_events_long

    if sessions is None or not len(s_pos):
        return np.zeros(n_ids, dtype="int64")
    listing = sessions["adverse_events"]
    s_end = np.append(end, _NAT)[s_pos]  # NaT for a session without a patient id
    recent = np.flatnonzero((s_day <= s_end) & (s_day > s_end - recent_days * _DAY))
    text = listing.array.take(recent)
    listed = ~pd.isna(text)  # a session without a listing has no event
    recent, text = recent[listed], text[listed]
    if not len(recent):
        return np.zeros(n_ids, dtype="int64")
    events = adverse_events_long(pd.DataFrame({"adverse_events": text}))
    who = s_pos[recent][events["row"].to_numpy()]
    return np.bincount(who, minlength=n_ids).astype("int64")


#: Signals of the patient's pain and safety, most urgent first: they come before any gap.
CLINICAL_SIGNALS = ("worse_than_baseline", "rising_pain", "recent_adverse_event", "opioid_rise")
#: Gaps in the record: looked at after every clinical signal.
LOGGING_SIGNALS = ("probably_ended", "not_logging", "low_adherence", "insufficient_baseline")
#: A rise of the daily opioid dose (follow-up minus baseline, MME/day) that is "large":
#: 20 MME is 100 mg of tramadol a day; the CDC 2022 guideline asks clinicians to
#: reassess at every increase, and a rise this size is more than a dose adjustment.
OPIOID_RISE_MME = 20.0


def course_triage(
    outcomes: pd.DataFrame,
    courses: pd.DataFrame,
    *,
    as_of: str | dt.date,
    quiet_weeks: int = 8,
    opioid_rise_mme: float = OPIOID_RISE_MME,
) -> pd.DataFrame:
    """Who needs a look first: active courses, clinical signals before logging gaps.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        One row per patient with ``patient_id``, ``change`` (pain reduction from
        baseline, points, positive = better), ``slope_ci_low`` (lower 95 % limit
        of the Theil–Sen slope of the treatment period, points/week),
        ``change_opioid_mme`` (baseline − follow-up daily MME),
        ``flag_recent_adverse_event``, ``not_logging``, ``flag_low_adherence``,
        ``flag_insufficient_baseline`` (bool) and ``days_since_last_entry``.
    courses : pandas.DataFrame
        :meth:`analytics.store.Store.course_states`: ``patient_id``,
        ``course_state`` ("active", "paused", "ended") and ``last_session``;
        a patient without a row is on an active course.
    as_of : date-like
        The day of the status (today).
    quiet_weeks : int, default 8
        An active course with no session for at least this many weeks (counted from
        the last session) is "probably ended"; in [1, 520].
    opioid_rise_mme : float, default :data:`OPIOID_RISE_MME`
        A follow-up daily opioid dose this many MME above the baseline is a large rise.

    Returns
    -------
    pandas.DataFrame
        One row per patient of ``outcomes``, in triage order, columns:

        - ``patient_id`` (str), ``course_state`` (str);
        - ``weeks_since_session`` (float, weeks): ``as_of`` − last session, NaN
          without a session;
        - ``worse_than_baseline`` (bool): ``change < 0`` — any rise of pain from
          the baseline;
        - ``rising_pain`` (bool): ``slope_ci_low > 0`` — pain rises over the
          treatment period;
        - ``recent_adverse_event`` (bool);
        - ``opioid_rise`` (bool): ``change_opioid_mme <= −opioid_rise_mme``;
        - ``probably_ended`` (bool): an active course whose last session is
          ``quiet_weeks`` weeks or more before ``as_of``;
        - ``not_logging`` (bool): not logging, and not probably ended (that
          patient is asked about the course instead);
        - ``low_adherence``, ``insufficient_baseline`` (bool);
        - ``signals`` (str): the raised signals, clinical first (the order of
          :data:`CLINICAL_SIGNALS` then :data:`LOGGING_SIGNALS`), joined by ``;``;
        - ``needs_attention`` (bool): an active course with any signal; paused
          and ended courses never need attention;
        - ``triage_group`` (int): 0 an active course with a clinical signal, 1 an
          active course with only gaps, 2 an active course without a signal, 3 a
          paused course, 4 an ended course.

        Sorted by ``triage_group``, then the clinical signals in their order, the
        largest rise of pain from the baseline, the longest silence, and the
        patient id.

    Examples
    --------
    >>> out = pd.DataFrame({"patient_id": ["a"], "change": [-0.5], "slope_ci_low": [float("nan")],
    ...     "change_opioid_mme": [float("nan")], "flag_recent_adverse_event": [False],
    ...     "not_logging": [True], "flag_low_adherence": [False],
    ...     "flag_insufficient_baseline": [False], "days_since_last_entry": [3]})
    >>> course_triage(out, pd.DataFrame(columns=["patient_id", "course_state", "last_session"]),
    ...     as_of="2026-03-01")["signals"].tolist()
    ['worse_than_baseline;not_logging']
    """
    func = "course_triage"
    quiet_weeks = check_int(quiet_weeks, "quiet_weeks", func, 1, 520)
    day = pd.Timestamp(as_of).normalize()
    pid = outcomes["patient_id"].astype("str")
    c = courses.set_index(courses["patient_id"].astype("str"))
    state = c["course_state"].reindex(pid).fillna("active").astype("str").to_numpy()
    last = pd.to_datetime(c["last_session"].reindex(pid)).astype(DATE_DTYPE).dt.normalize()
    weeks = ((day - last).dt.days / 7.0).to_numpy(dtype="float64")

    def flag(name: str) -> np.ndarray:
        return outcomes[name].astype("boolean").fillna(False).to_numpy(bool)

    def num(name: str) -> np.ndarray:
        return pd.to_numeric(outcomes[name], errors="coerce").to_numpy(dtype="float64")

    active = state == "active"
    change = num("change")
    out = pd.DataFrame({"patient_id": pid.to_numpy(), "course_state": state})
    out["weeks_since_session"] = weeks
    with np.errstate(invalid="ignore"):
        out["worse_than_baseline"] = change < 0
        out["rising_pain"] = num("slope_ci_low") > 0
        out["recent_adverse_event"] = flag("flag_recent_adverse_event")
        out["opioid_rise"] = num("change_opioid_mme") <= -float(opioid_rise_mme)
        quiet = active & (weeks >= quiet_weeks)
    out["probably_ended"] = quiet
    out["not_logging"] = flag("not_logging") & ~quiet
    out["low_adherence"] = flag("flag_low_adherence")
    out["insufficient_baseline"] = flag("flag_insufficient_baseline")
    silence = pd.to_numeric(outcomes["days_since_last_entry"], errors="coerce")
    return _triage_order(out, active, change, silence.to_numpy(dtype="float64"))


def _triage_order(
    out: pd.DataFrame, active: np.ndarray, change: np.ndarray, silence: np.ndarray
) -> pd.DataFrame:
    """Add ``signals``, ``needs_attention`` and ``triage_group``; sort in triage order."""
    state = out["course_state"].to_numpy()
    names = CLINICAL_SIGNALS + LOGGING_SIGNALS
    raised = out[list(names)].to_numpy(bool)
    out["signals"] = [";".join(n for n, on in zip(names, row, strict=True) if on) for row in raised]
    clinical = out[list(CLINICAL_SIGNALS)].to_numpy(bool).any(axis=1)
    gaps = out[list(LOGGING_SIGNALS)].to_numpy(bool).any(axis=1)
    out["needs_attention"] = active & (clinical | gaps)
    group = np.where(clinical, 0, np.where(gaps, 1, 2))
    group = np.where(state == "paused", 3, np.where(state == "ended", 4, group))
    out["triage_group"] = group.astype("int64")
    keys = out.assign(
        **{f"_{n}": ~out[n] for n in CLINICAL_SIGNALS},
        # the largest rise of pain first, among the patients with a clinical signal
        _rise=np.where(group == 0, np.nan_to_num(change, nan=0.0), 0.0),
        _silence=-np.nan_to_num(silence, nan=1e9),
    )
    order = keys.sort_values(
        ["triage_group", *(f"_{n}" for n in CLINICAL_SIGNALS), "_rise", "_silence", "patient_id"],
        kind="stable",
    ).index
    return out.loc[order].reset_index(drop=True)
