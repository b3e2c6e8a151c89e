"""Time to response and the Kaplan-Meier estimator.

DOMAIN.md section 4 ("Time to response"): days from the index date until the
7-day mean pain first stays at or below 70% of baseline for 7 days, censored
at the diary's end; summarised with a Kaplan-Meier curve and its median.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from analytics.checks import check_int, check_number
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import TEXT_DTYPE, patient_codes
from analytics.stats._session_response import (
    PainIndex,
    PatientDayKeys,
    day_numbers,
    empty_table,
    to_dates,
    window_mean,
)
from analytics.stats._thresholds import at_most

__all__ = [
    "TIME_TO_RESPONSE_COLUMNS",
    "KM_COLUMNS",
    "KaplanMeier",
    "time_to_response",
    "kaplan_meier",
    "cadence_min_entries",
]

#: The dtype of a canonical text column (``astype("str")`` leaves it as it is).

#: Columns of :func:`time_to_response` with their dtypes.
TIME_TO_RESPONSE_COLUMNS: dict[str, str] = {
    "patient_id": "str",
    "index_date": DATE_DTYPE,
    "baseline": "float64",
    "days_to_response": "int64",
    "event": "bool",
    "response_date": DATE_DTYPE,
    "last_day": DATE_DTYPE,
}

#: Columns of :attr:`KaplanMeier.table` with their dtypes.
KM_COLUMNS: dict[str, str] = {
    "time": "float64",
    "n_at_risk": "int64",
    "n_events": "int64",
    "n_censored": "int64",
    "survival": "float64",
    "ci_low": "float64",
    "ci_high": "float64",
}


def time_to_response(
    diary: pd.DataFrame,
    index_dates: pd.Series,
    baseline: pd.Series,
    *,
    fraction: float = 0.7,
    hold_days: int = 7,
    window_days: int = 7,
    min_entries: int = 4,
) -> pd.DataFrame:
    """Days from the index date to a sustained response, per patient.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame (``patient_id``, ``date``, ``pain``).
    index_dates : pandas.Series
        Index date t0 per patient (index ``patient_id``), e.g.
        :func:`analytics.contract.index_dates`.
    baseline : pandas.Series
        Baseline pain B per patient (index ``patient_id``).
    fraction : float, default 0.7
        A day qualifies when its trailing mean is <= fraction * B, in [0, 1].
    hold_days : int, default 7
        Consecutive qualifying calendar days needed, in [1, 365].
    window_days : int, default 7
        Length of the trailing window (days t-window_days+1..t), in [1, 365].
    min_entries : int, default 4
        Diary entries needed in the trailing window of a daily diary, in [1,
        window_days]; a sparser diary needs fewer (:func:`cadence_min_entries`).

    Returns
    -------
    pandas.DataFrame
        One row per patient with a baseline above 0 (not NaN; a zero baseline
        leaves no room for a relative reduction), an index date and at least one
        diary entry, sorted by patient_id (dtypes in
        :data:`TIME_TO_RESPONSE_COLUMNS`):

        - ``patient_id`` (str)
        - ``index_date`` (datetime64): t0.
        - ``baseline`` (float64, NRS): B.
        - ``days_to_response`` (int64, days): response day - t0 for an event,
          else last_day - t0 (0 when the diary ends before t0).
        - ``event`` (bool): a response was observed.
        - ``response_date`` (datetime64): the response day; NaT when censored.
        - ``last_day`` (datetime64): the patient's last diary day.

    Notes
    -----
    For each calendar day t from t0 to the last diary day, the trailing mean
    m_t is the mean pain of the diary entries on days max(t0,
    t-window_days+1)..t — **post-index days only**, so that the baseline never
    makes a response look earlier (or a day-0 response possible); with fewer than
    the patient's minimum of entries m_t is missing (so with the defaults no day
    before t0 + 3 qualifies in a daily diary). The minimum follows the patient's
    logging cadence c, the median days between consecutive entries from t0 on
    (:func:`cadence_min_entries`): 4 for a daily diary, 3 every second day, 2
    every third day. Day t qualifies when m_t <= fraction * B; a missing
    m_t does not qualify and breaks a run. The **response day is the first day
    of the first run of hold_days consecutive qualifying days** lying wholly in
    t0..last diary day (a run cut off by the end of the diary is censored).
    DOMAIN.md: "days from t0 until the 7-day mean first stays <= 70% of B for 7
    days".

    Examples
    --------
    >>> import pandas as pd
    >>> diary = pd.DataFrame({"patient_id": "a", "pain": [8.0] * 3 + [2.0] * 12,
    ...     "date": pd.date_range("2024-01-01", periods=15).astype("datetime64[ns]")})
    >>> t = time_to_response(diary, pd.Series({"a": pd.Timestamp("2024-01-01")}),
    ...     pd.Series({"a": 8.0}), hold_days=3, window_days=2, min_entries=2)
    >>> t[["days_to_response", "event"]].to_dict("records")
    [{'days_to_response': 3, 'event': True}]
    """
    func = "time_to_response"
    fraction = check_number(fraction, "fraction", func, 0, 1)
    hold_days = check_int(hold_days, "hold_days", func, 1, 365)
    window_days = check_int(window_days, "window_days", func, 1, 365)
    min_entries = check_int(min_entries, "min_entries", func, 1, window_days)

    ids, day0, base = _evaluable(diary, index_dates, baseline)
    if len(ids) == 0:
        return empty_table(TIME_TO_RESPONSE_COLUMNS)
    diary_day = day_numbers(diary["date"])
    keys = PatientDayKeys([diary["patient_id"]], [day0, diary_day])
    code = keys.code_of(ids)
    pain = PainIndex(diary, keys, diary_day)
    last = pain.last_day(code)

    cadence = _logging_cadence(keys.code(diary["patient_id"]), diary_day, code, day0)
    needed = cadence_min_entries(cadence, window_days=window_days, min_entries=min_entries)
    response = _response_days(
        pain, code, day0, last, fraction * base, hold_days, window_days, needed
    )
    event = response >= 0
    days = np.where(event, response - day0, np.maximum(last - day0, 0))
    response_date = to_dates(np.where(event, response, 0))
    response_date[~event] = np.datetime64("NaT")
    return pd.DataFrame(
        {
            "patient_id": pd.array(ids, dtype="str"),
            "index_date": to_dates(day0),
            "baseline": base,
            "days_to_response": days,
            "event": event,
            "response_date": response_date,
            "last_day": to_dates(last),
        }
    )


def _evaluable(
    diary: pd.DataFrame, index_dates: pd.Series, baseline: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Find the patients with a diary, an index date and a positive baseline: ids, t0, B.

    % change is undefined at B = 0: such a patient would "respond" on the first day
    the mean is 0, so they are left out (patient_outcomes says why). The ids are
    sorted code point by code point, as pandas sorts text; t0 is in days.
    """
    b_values = _floats(baseline)
    b_ids, b_at = _first_listed(baseline.index, ~np.isnan(b_values))
    positive = b_values[b_at] > 0
    b_ids, b_at = b_ids[positive], b_at[positive]
    t0_dates = index_dates.to_numpy(dtype=DATE_DTYPE)
    t0_ids, t0_at = _first_listed(index_dates.index, ~np.isnat(t0_dates))
    diary_ids = np.asarray(patient_codes(diary["patient_id"])[1], dtype=object)
    ids = np.intersect1d(np.intersect1d(b_ids, t0_ids), diary_ids)
    day0 = t0_dates[t0_at[np.searchsorted(t0_ids, ids)]].astype("datetime64[D]").astype(np.int64)
    return ids, day0, b_values[b_at[np.searchsorted(b_ids, ids)]]


def _floats(values: pd.Series) -> np.ndarray:
    """``values.astype("float64")`` as an array."""
    return values.to_numpy(dtype="float64", na_value=np.nan)


def _first_listed(index: pd.Index, valid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sorted distinct labels (as text) of the ``valid`` entries, and each one's first position.

    A label listed twice counts at its first valid entry.
    """
    at = np.flatnonzero(valid)
    labels = np.asarray(index if index.dtype == TEXT_DTYPE else index.astype("str"), dtype=object)[
        at
    ]
    ids, first = np.unique(labels, return_index=True)
    return ids, at[first]


def _response_days(
    pain: PainIndex,
    code: np.ndarray,
    day0: np.ndarray,
    last: np.ndarray,
    limit: np.ndarray,
    hold_days: int,
    window_days: int,
    min_entries: np.ndarray,
) -> np.ndarray:
    """Find each patient's response day: the first of ``hold_days`` qualifying days, else -1.

    Day t qualifies when the trailing mean of days max(t0, t − window_days + 1)..t,
    with at least the patient's ``min_entries`` entries, is at most ``limit``; the
    run must lie in t0..last. All patients' calendar days t0..last are laid out in
    one array.
    """
    n_eval = np.maximum(last - day0 + 1, 0)
    first_pos = np.cumsum(n_eval) - n_eval
    owner = np.repeat(np.arange(len(day0)), n_eval)
    t = day0[owner] + (np.arange(n_eval.sum()) - first_pos[owner])
    # the trailing mean uses post-index days only, so it never reaches back into
    # the baseline (on day t0 it is the mean of day t0 alone)
    total, n = pain.window(code[owner], np.maximum(t - window_days + 1, day0[owner]), t)
    with np.errstate(invalid="ignore"):
        qualifies = at_most(window_mean(total, n, min_entries[owner]), limit[owner])
    cum = np.concatenate([[0], np.cumsum(qualifies)])
    pos = np.arange(len(t))
    fits = pos + hold_days <= (first_pos + n_eval)[owner]
    ends = np.minimum(pos + hold_days, len(t))
    starts_run = fits & (cum[ends] - cum[pos] == hold_days)
    hit_owner, first_hit = np.unique(owner[starts_run], return_index=True)
    response = np.full(len(day0), -1, dtype=np.int64)
    response[hit_owner] = t[starts_run][first_hit]
    return response


def _logging_cadence(
    row_code: np.ndarray, day: np.ndarray, code: np.ndarray, day0: np.ndarray
) -> np.ndarray:
    """Give each patient's median days between consecutive entries from t0 on (1 with < 2).

    ``row_code`` and ``day`` are the patient code and day of every diary row;
    ``code`` and ``day0`` those of the patients and their index days.
    """
    pos = np.full(int(max(row_code.max(initial=-1), code.max(initial=-1))) + 2, -1)
    pos[code] = np.arange(len(code))
    pos = pos[row_code]  # the patient's position in ``code``; -1 when not one of them
    keep = pos >= 0
    pos, day = pos[keep], day[keep]
    after = day >= day0[pos]
    pos, day = pos[after], day[after]
    order = np.lexsort((day, pos))
    pos, day = pos[order], day[order]
    # the gaps of each patient, sorted; the median is the middle one or the mean of two
    same = pos[1:] == pos[:-1]
    gap_pos = pos[1:][same]
    gap = (day[1:] - day[:-1])[same].astype("float64")
    order = np.lexsort((gap, gap_pos))
    gap_pos, gap = gap_pos[order], gap[order]
    count = np.bincount(gap_pos, minlength=len(code))
    start = np.cumsum(count) - count
    out = np.ones(len(code))
    has = count > 0
    lo = (start + (count - 1) // 2)[has]
    hi = (start + count // 2)[has]
    out[has] = (gap[lo] + gap[hi]) / 2
    return out


def cadence_min_entries(cadence, *, window_days: int = 7, min_entries: int = 4) -> np.ndarray:
    """Fewest entries a trailing window needs at a patient's logging cadence.

    Parameters
    ----------
    cadence : array_like
        Median days between the patient's consecutive diary entries (1 = daily).
    window_days : int, default 7
        Length of the trailing window.
    min_entries : int, default 4
        The fewest entries of a daily diary's window (``AnalysisSettings.min_entries``,
        capped at the window).

    Returns
    -------
    numpy.ndarray
        ``min(min_entries, max(2, floor(window_days / cadence)))`` per patient
        (int64): the entries every window of that length holds when the patient
        logs every ``cadence`` days, never more than ``min_entries`` and never
        fewer than 2 (a mean of one day is not a trend).

    Notes
    -----
    A fixed 4-in-7 rule can never be met by a patient who logs every third day,
    however much the pain falls. Completeness is judged against the patient's own
    schedule, as ecological momentary assessment judges compliance against the
    prompts scheduled (Shiffman S, Stone AA, Hufford MR. Annu Rev Clin Psychol
    2008;4:1-32); a daily diary (c = 1, also with missed days) keeps ``min_entries``.

    Examples
    --------
    >>> cadence_min_entries([1, 1.5, 2, 3, 7]).tolist()
    [4, 4, 3, 2, 2]
    """
    c = np.maximum(np.asarray(cadence, dtype="float64"), 1.0)
    return np.minimum(min_entries, np.maximum(2, np.floor(window_days / c))).astype("int64")


@dataclass(frozen=True, eq=False)
class KaplanMeier:
    """Kaplan-Meier estimate of the share of patients not yet responding.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per distinct time, starting at 0 (dtypes in :data:`KM_COLUMNS`):
        ``time`` (days), ``n_at_risk`` (durations >= time), ``n_events``,
        ``n_censored`` (censored at exactly this time), ``survival`` (S(t), share
        still without response just after ``time``), ``ci_low``, ``ci_high``
        (pointwise CI of S(t), exponential Greenwood / log(-log)).
    median : float
        First time with S(t) <= 0.5 (median time to response); NaN if never.
    n : int
        Number of subjects.
    n_events : int
        Number of events (responses).
    alpha : float
        1 - confidence level of the intervals.
    """

    table: pd.DataFrame = field(repr=False)
    median: float
    n: int
    n_events: int
    alpha: float = 0.05

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of the survival table."""
        return self.table.copy()

    def cumulative_response(self) -> pd.DataFrame:
        """Share of patients responded by each time, 1 - S(t), for charting.

        Returns
        -------
        pandas.DataFrame
            ``time`` (days), ``cumulative_response`` (1 - survival), ``ci_low``
            (1 - survival's ci_high), ``ci_high`` (1 - survival's ci_low).
        """
        t = self.table
        return pd.DataFrame(
            {
                "time": t["time"],
                "cumulative_response": 1.0 - t["survival"],
                "ci_low": 1.0 - t["ci_high"],
                "ci_high": 1.0 - t["ci_low"],
            }
        )


def kaplan_meier(durations, events, *, alpha: float = 0.05) -> KaplanMeier:
    """Kaplan-Meier survival curve with Greenwood log(-log) confidence intervals.

    Parameters
    ----------
    durations : array-like of float
        Time to event or censoring, >= 0 (e.g. ``days_to_response``).
    events : array-like of bool
        True for an observed event, False for censored; same length.
    alpha : float, default 0.05
        The intervals have level 1 - alpha, alpha in (0, 1).

    Returns
    -------
    KaplanMeier

    Raises
    ------
    ValueError
        Lengths differ, or a duration is negative or not finite.

    Notes
    -----
    S(t) = prod_{t_i <= t} (1 - d_i / n_i). Greenwood's sum
    V(t) = sum_{t_i <= t} d_i / (n_i (n_i - d_i)) (a term with d_i = n_i counts
    0), and the exponential Greenwood interval
    exp(-exp(log(-log S) -/+ z * sqrt(V) / log S)), z = Phi^-1(1 - alpha/2);
    where S = 1 the interval is [1, 1]. This is exactly what lifelines'
    ``KaplanMeierFitter`` computes (Kalbfleisch & Prentice 2002; lifelines
    0.30); ties: events before censorings at the same time.

    Examples
    --------
    >>> km = kaplan_meier([2, 3, 3, 5], [True, True, False, True])
    >>> km.table["survival"].tolist(), km.median
    ([1.0, 0.75, 0.5, 0.0], 3.0)
    """
    if not (isinstance(alpha, float | int) and 0 < alpha < 1) or isinstance(alpha, bool):
        raise ValueError(
            f"The 'alpha' parameter of kaplan_meier must be a float in (0, 1). Got {alpha!r} instead."
        )
    d = np.asarray(durations, dtype=np.float64).ravel()
    e = np.asarray(events, dtype=bool).ravel()
    if d.shape != e.shape:
        raise ValueError(
            f"kaplan_meier needs as many events as durations; got {e.size} events "
            f"and {d.size} durations."
        )
    if not np.all(np.isfinite(d)) or np.any(d < 0):
        raise ValueError("kaplan_meier needs finite durations >= 0; found negative or missing.")
    times = np.union1d([0.0], d)
    idx = np.searchsorted(times, d)
    n_events = np.bincount(idx[e], minlength=len(times))
    n_censored = np.bincount(idx[~e], minlength=len(times))
    removed = n_events + n_censored
    n_at_risk = len(d) - np.concatenate([[0], np.cumsum(removed)[:-1]])
    with np.errstate(invalid="ignore", divide="ignore"):
        surv = np.cumprod(1.0 - np.where(n_at_risk > 0, n_events / np.maximum(n_at_risk, 1), 0.0))
        term = np.where(
            n_at_risk > n_events, n_events / (n_at_risk * (n_at_risk - n_events * 1.0)), 0.0
        )
        var = np.cumsum(term)
        z = stats.norm.ppf(1 - alpha / 2)
        v = np.log(surv)
        low = np.exp(-np.exp(np.log(-v) - z * np.sqrt(var) / v))
        high = np.exp(-np.exp(np.log(-v) + z * np.sqrt(var) / v))
    low = np.where(np.isnan(low), 1.0, low)
    high = np.where(np.isnan(high), 1.0, high)
    table = pd.DataFrame(
        {
            "time": times,
            "n_at_risk": n_at_risk,
            "n_events": n_events,
            "n_censored": n_censored,
            "survival": surv,
            "ci_low": low,
            "ci_high": high,
        }
    ).astype(KM_COLUMNS)
    below = np.flatnonzero(surv <= 0.5)
    median = float(times[below[0]]) if len(below) else float("nan")
    return KaplanMeier(
        table=table, median=median, n=len(d), n_events=int(e.sum()), alpha=float(alpha)
    )
