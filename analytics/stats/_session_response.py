"""Session-level response: immediate change, short-term change and relief duration.

DOMAIN.md section 4 ("Session response"). One row per acupuncture session, and a
summary by technique and electroacupuncture frequency band with patient-clustered
bootstrap confidence intervals.

Everything is computed with a handful of array operations over the whole clinic
(sorted ``(patient, day)`` keys, ``searchsorted`` and cumulative sums), never a
Python loop per patient or per day.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.checks import check_int, check_number
from analytics.contract import frequency_band
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import TEXT_DTYPE, patient_codes
from analytics.stats._safety import event_rows
from analytics.stats._thresholds import at_most

__all__ = [
    "RESPONSE_COLUMNS",
    "BY_TECHNIQUE_COLUMNS",
    "TECHNIQUE_BAND_ORDER",
    "session_response",
    "session_response_by_technique",
]

#: Columns of :func:`session_response`, in order, with their dtypes.
RESPONSE_COLUMNS: dict[str, str] = {
    "patient_id": "str",
    "session_date": DATE_DTYPE,
    "session_number": "int64",
    "technique": "str",
    "frequency_hz": "str",
    "technique_band": "str",
    "pain_before": "float64",
    "pain_after": "float64",
    "immediate_change": "float64",
    "pre_mean": "float64",
    "pre_n": "int64",
    "post_mean": "float64",
    "post_n": "int64",
    "short_term_change": "float64",
    "relief_days": "float64",
    "relief_censored": "bool",
    "relief_censor_reason": "str",
    "n_adverse_events": "int64",
    "adverse_events": "str",
}

#: Columns of :func:`session_response_by_technique`, in order, with their dtypes.
BY_TECHNIQUE_COLUMNS: dict[str, str] = {
    "technique_band": "str",
    "n_sessions": "int64",
    "n_patients": "int64",
    "n_immediate": "int64",
    "mean_immediate_change": "float64",
    "immediate_ci_low": "float64",
    "immediate_ci_high": "float64",
    "n_short_term": "int64",
    "mean_short_term_change": "float64",
    "short_term_ci_low": "float64",
    "short_term_ci_high": "float64",
    "mean_relief_days": "float64",
}

#: Display order of the technique bands (``analytics.stats._common.frequency_band`` labels).
TECHNIQUE_BAND_ORDER = (
    "manual",
    "electro_low",
    "electro_medium",
    "electro_high",
    "electro_mixed",
    "electro_unknown",
    "auricular",
    "other",
)

# --------------------------------------------------------------------------------------
# Shared machinery: (patient, day) keys. Also used by analytics.stats and analytics.stats.
# --------------------------------------------------------------------------------------

#: Days of margin below the earliest date so that windows reaching back stay in range.
_MARGIN = 1 << 20
#: Key stride per patient: key = code * _STRIDE + (day - day0); day0 = earliest day - _MARGIN.
_STRIDE = 1 << 32


def empty_table(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


#: The dtype of a canonical text column (``astype("str")`` leaves it as it is).


def text_array(values: pd.Series) -> pd.api.extensions.ExtensionArray:
    """Return the values of ``values.astype("str")``, not converting a column that is text."""
    return (values if values.dtype == TEXT_DTYPE else values.astype("str")).array


def taken(values: Any, order: np.ndarray | None) -> Any:
    """``values`` in ``order`` (an array or extension array); as they are when ``order`` is None."""
    return values if order is None else values.take(order)


def day_numbers(values: pd.Series) -> np.ndarray:
    """Calendar day (days since 1970-01-01, int64) of each date or date-time."""
    return values.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)


def to_dates(days: np.ndarray) -> np.ndarray:
    """Inverse of :func:`day_numbers`: midnight ``datetime64[ns]``."""
    return np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype(DATE_DTYPE)


def run_numbers(code: np.ndarray) -> np.ndarray:
    """1-based position of each row within its run of equal ``code`` (int64)."""
    idx = np.arange(len(code), dtype=np.int64)
    start = np.ones(len(code), dtype=bool)
    start[1:] = code[1:] != code[:-1]
    return idx - np.maximum.accumulate(np.where(start, idx, 0)) + 1


class PatientDayKeys:
    """Integer keys ordering (patient, day) pairs of several frames consistently.

    A patient's code is the position of its id (as text) among the sorted ids of
    all the frames; a missing id has code -1.
    """

    def __init__(self, patient_ids: list[pd.Series], days: list[np.ndarray]) -> None:
        found = [np.asarray(patient_codes(p)[1], dtype=object) for p in patient_ids]
        ids = np.concatenate(found) if found else np.empty(0, dtype=object)
        self.patients = np.unique(ids)  # sorted code point by code point, as pandas sorts text
        nonempty = [d for d in days if len(d)]
        self.day0 = (min(int(d.min()) for d in nonempty) if nonempty else 0) - _MARGIN

    def code(self, patient_id: pd.Series) -> np.ndarray:
        """Code of the patient of each row of ``patient_id`` (int64)."""
        # look up each distinct patient once, then spread over the rows
        codes, uniques = patient_codes(patient_id)
        return np.append(self.code_of(np.asarray(uniques, dtype=object)), -1)[codes]

    def code_of(self, ids: np.ndarray) -> np.ndarray:
        """Code of each patient id of ``ids`` (text, int64; -1 when not one of the frames')."""
        pos = np.searchsorted(self.patients, ids).astype(np.int64)
        if not len(pos):
            return pos
        at = np.minimum(pos, max(len(self.patients) - 1, 0))
        known = (pos < len(self.patients)) & (self.patients[at] == ids)
        return np.where(known, pos, -1)

    def key(self, code: np.ndarray, day: np.ndarray) -> np.ndarray:
        return code * _STRIDE + (np.asarray(day, dtype=np.int64) - self.day0)


class PainIndex:
    """Diary pain sorted by (patient, day) with cumulative sums for window means."""

    def __init__(
        self, diary: pd.DataFrame, keys: PatientDayKeys, day: np.ndarray | None = None
    ) -> None:
        """Index the rows of ``diary`` with a pain; ``day`` is ``day_numbers(diary["date"])``."""
        pain = diary["pain"].to_numpy(dtype="float64", na_value=np.nan)
        keep = ~np.isnan(pain)
        code = keys.code(diary["patient_id"])[keep]
        day = (day_numbers(diary["date"]) if day is None else day)[keep]
        pain = pain[keep]
        k = keys.key(code, day)
        if len(k) > 1 and not (k[1:] >= k[:-1]).all():  # a stable sort, skipped when in order
            order = np.argsort(k, kind="stable")
            k, code, day, pain = k[order], code[order], day[order], pain[order]
        self.keys_obj = keys
        self.key = k
        self.code = code
        self.day = day
        self.pain = pain
        self.cum = np.concatenate([[0.0], np.cumsum(self.pain)])

    def window(
        self, code: np.ndarray, first_day: np.ndarray, last_day: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Sum and number of diary entries of patient ``code`` on days first..last (inclusive)."""
        lo = np.searchsorted(self.key, self.keys_obj.key(code, first_day), side="left")
        hi = np.searchsorted(self.key, self.keys_obj.key(code, last_day), side="right")
        n = np.maximum(hi - lo, 0)
        total = np.where(n > 0, self.cum[np.maximum(hi, lo)] - self.cum[lo], 0.0)
        return total, n

    def last_day(self, code: np.ndarray) -> np.ndarray:
        """Last diary day of each patient code (int64 day number; -1 << 62 when none)."""
        out = np.full(len(code), -(1 << 62), dtype=np.int64)
        if len(self.key):
            hi = np.searchsorted(self.key, (code + 1) * _STRIDE, side="left") - 1
            ok = (hi >= 0) & (self.code[np.maximum(hi, 0)] == code)
            out[ok] = self.day[hi[ok]]
        return out


def window_mean(total: np.ndarray, n: np.ndarray, min_entries: int | np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n >= min_entries, total / np.maximum(n, 1), np.nan)


def _session_order(code: np.ndarray, date: pd.Series) -> np.ndarray | None:
    """Stable order of the sessions by patient then date-time, missing values last.

    ``code`` numbers the patients in sorted order (-1 when missing). None when
    the sessions are in that order already.
    """
    when = date.to_numpy(dtype="datetime64[ns]")
    missing = np.isnat(when)
    patient = np.where(code < 0, np.iinfo(np.int64).max, code)
    order = np.lexsort((when.view(np.int64), missing, patient))
    if (order == np.arange(len(order))).all():
        return None
    return order


def prepare_sessions(
    diary: pd.DataFrame, sessions: pd.DataFrame
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray, PainIndex]:
    """Order the sessions by patient and date-time; their days, patient codes; the pain index.

    Returns the stable order of the sessions by patient and date-time (None when
    they are in that order), the calendar day and patient code of each session in
    that order, and the diary's pain index.
    """
    day = day_numbers(sessions["date"])
    diary_day = day_numbers(diary["date"])
    keys = PatientDayKeys([sessions["patient_id"], diary["patient_id"]], [day, diary_day])
    code = keys.code(sessions["patient_id"])
    order = _session_order(code, sessions["date"])
    if order is not None:
        day, code = day[order], code[order]
    return order, day, code, PainIndex(diary, keys, diary_day)


# --------------------------------------------------------------------------------------
# session_response
# --------------------------------------------------------------------------------------


def session_response(
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    *,
    window_days: int = 3,
    min_entries: int = 2,
    relief_points: float = 1.0,
) -> pd.DataFrame:
    """Immediate change, short-term change and relief duration of every session.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame (``patient_id``, ``date``, ``pain``; see
        :mod:`analytics.contract.schema`). Rows with missing pain are ignored.
    sessions : pandas.DataFrame
        Canonical sessions frame. ``date`` may carry a time of day; only its
        calendar date is used. Need not be sorted.
    window_days : int, default 3
        Length w of the pre-session window (days s-w..s-1) and of the
        post-session window (days s+1..s+w), in [1, 365].
    min_entries : int, default 2
        Diary entries needed in a window for its mean, in [1, window_days].
    relief_points : float, default 1.0
        A diary day counts as relief when its pain is at most
        ``pre_mean - relief_points`` (NRS points, in [0, 10]).

    Returns
    -------
    pandas.DataFrame
        One row per session, sorted by ``patient_id`` and session date-time
        (column names and dtypes in :data:`RESPONSE_COLUMNS`):

        - ``patient_id`` (str)
        - ``session_date`` (datetime64, midnight): calendar date s of the session.
        - ``session_number`` (int64): 1-based order of the session within the patient.
        - ``technique``, ``frequency_hz`` (str): as recorded.
        - ``technique_band`` (str): ``manual``, ``auricular``, ``other`` or
          ``electro_low`` / ``electro_medium`` / ``electro_high`` / ``electro_mixed`` /
          ``electro_unknown`` (:func:`analytics.stats._common.frequency_band`).
        - ``pain_before``, ``pain_after`` (float64, NRS 0-10): as recorded.
        - ``immediate_change`` (float64, NRS points): pain_before - pain_after;
          positive = better; NaN when either is missing.
        - ``pre_mean`` (float64, NRS): mean diary pain on days s-w..s-1; NaN when
          fewer than ``min_entries`` entries.
        - ``pre_n`` (int64): diary entries on days s-w..s-1.
        - ``post_mean`` (float64, NRS): mean diary pain on days s+1..s+w; NaN when
          fewer than ``min_entries`` entries.
        - ``post_n`` (int64): diary entries on days s+1..s+w.
        - ``short_term_change`` (float64, NRS points): pre_mean - post_mean;
          positive = better.
        - ``relief_days`` (float64, days): length of the relief run (Notes); NaN
          when ``pre_mean`` is NaN.
        - ``relief_censored`` (bool): the run was stopped by the next session or
          the end of the diary rather than by a day without relief.
        - ``relief_censor_reason`` (str): ``"next_session"``, ``"diary_end"`` or
          ``""`` (not censored, or no relief_days).
        - ``n_adverse_events`` (int64): distinct adverse events recorded.
        - ``adverse_events`` (str): as recorded (missing when none).

    Notes
    -----
    Let s be the calendar date of the session and y_t the diary pain on day t.
    The diary entry of day s itself belongs to neither window (it mixes before
    and after the session).

    - immediate change = pain_before - pain_after;
    - short-term change = mean(y_{s-w..s-1}) - mean(y_{s+1..s+w}), each mean
      needing ``min_entries`` entries (DOMAIN.md section 4, w = 3 by default);
    - relief duration = the number of consecutive *calendar* days t = s+1,
      s+2, ... with an observed y_t <= pre_mean - relief_points. A day without a
      diary entry ends the run, uncensored (conservative: relief is counted only
      where it was observed). The run stops, censored, when it reaches the day
      before the next session on a later calendar date (reason
      ``next_session``; the next session's day is never counted) or the
      patient's last diary day (reason ``diary_end``; a session on or after the
      last diary day therefore has 0 days, censored). When both apply,
      ``next_session`` is reported.

    Several sessions on the same calendar date share their windows and relief
    (the "next session" of each is the next one on a later date). No published
    standard exists for carry-over; this definition is the project's.

    Examples
    --------
    >>> import pandas as pd
    >>> from analytics.contract import empty_frame
    >>> diary = pd.DataFrame({"patient_id": "p1", "pain": [6.0, 6.0, 6.0, 4.0, 4.0, 6.0],
    ...     "date": pd.date_range("2024-01-01", periods=6).astype("datetime64[ns]")})
    >>> sessions = pd.concat([empty_frame("sessions"), pd.DataFrame({"patient_id": ["p1"],
    ...     "date": pd.to_datetime(["2024-01-03 10:30"]).astype("datetime64[ns]"),
    ...     "technique": ["manual"]})], ignore_index=True)
    >>> r = session_response(diary, sessions)
    >>> r[["pre_mean", "post_n", "relief_days", "relief_censored"]].to_dict("records")
    [{'pre_mean': 6.0, 'post_n': 3, 'relief_days': 2.0, 'relief_censored': False}]
    """
    func = "session_response"
    window_days = check_int(window_days, "window_days", func, 1, 365)
    min_entries = check_int(min_entries, "min_entries", func, 1, window_days)
    relief_points = check_number(relief_points, "relief_points", func, 0, 10)
    if len(sessions) == 0:
        return empty_table(RESPONSE_COLUMNS)

    order, s_day, s_code, pain = prepare_sessions(diary, sessions)
    windows = _windows_and_relief(pain, s_code, s_day, window_days, min_entries, relief_points)
    event_text = taken(text_array(sessions["adverse_events"]), order)
    n_events = np.bincount(event_rows(event_text)[0], minlength=len(s_code)).astype(np.int64)
    return pd.DataFrame(
        {
            **_as_recorded(sessions, order, s_code, s_day),
            **windows,
            "n_adverse_events": n_events,
            "adverse_events": event_text,
        }
    )


def _as_recorded(
    sessions: pd.DataFrame, order: np.ndarray | None, s_code: np.ndarray, s_day: np.ndarray
) -> dict[str, object]:
    """Take the columns of :func:`session_response` that describe the sessions as recorded.

    ``order`` is the order of the sessions (:func:`prepare_sessions`); ``s_code``
    and ``s_day`` are their patient codes and days in that order.
    """
    before = taken(sessions["pain_before"].to_numpy(dtype="float64", na_value=np.nan), order)
    after = taken(sessions["pain_after"].to_numpy(dtype="float64", na_value=np.nan), order)
    band = frequency_band(sessions["technique"], sessions["frequency_hz"])
    return {
        "patient_id": taken(text_array(sessions["patient_id"]), order),
        "session_date": to_dates(s_day),
        "session_number": session_numbers(s_code),
        "technique": taken(text_array(sessions["technique"]), order),
        "frequency_hz": taken(text_array(sessions["frequency_hz"]), order),
        "technique_band": taken(text_array(band), order),
        "pain_before": before,
        "pain_after": after,
        "immediate_change": before - after,
    }


def session_numbers(s_code: np.ndarray) -> np.ndarray:
    """1-based order of each session within its patient (int64), the sessions in order.

    Sessions without a patient have none: as ``groupby(...).cumcount()`` leaves
    them, and the int64 column cannot hold that.
    """
    if (s_code < 0).any():
        number = pd.Series(s_code).groupby(np.where(s_code < 0, np.nan, s_code)).cumcount() + 1
        return number.astype("int64").to_numpy()  # raises, as for a missing number
    return run_numbers(s_code)


def _windows_and_relief(
    pain: PainIndex,
    s_code: np.ndarray,
    s_day: np.ndarray,
    window_days: int,
    min_entries: int,
    relief_points: float,
) -> dict[str, object]:
    """Compute each session's pre and post windows and its relief run, per session day.

    The windows and relief belong to a distinct (patient, session day): sessions on
    one calendar date share them. Returns the columns of :func:`session_response`
    from ``pre_mean`` to ``relief_censor_reason``, one value per session.
    """
    s_key = pain.keys_obj.key(s_code, s_day)
    u_key, u_of_session = np.unique(s_key, return_inverse=True)
    first = np.searchsorted(s_key, u_key, side="left")
    u_code, u_day = s_code[first], s_day[first]
    has_next = np.append(u_code[1:] == u_code[:-1], False)
    next_day = np.where(has_next, np.append(u_day[1:], 0), np.iinfo(np.int64).max)

    pre_total, pre_n = pain.window(u_code, u_day - window_days, u_day - 1)
    pre_mean = window_mean(pre_total, pre_n, min_entries)
    post_total, post_n = pain.window(u_code, u_day + 1, u_day + window_days)
    post_mean = window_mean(post_total, post_n, min_entries)
    relief = _relief_run(pain, u_key, u_day, next_day, pre_mean - relief_points)

    last_diary = pain.last_day(u_code)
    end = u_day + relief
    by_next = has_next & (end >= next_day - 1)
    by_end = ~by_next & (end >= last_diary)
    has_relief = ~np.isnan(pre_mean)
    reason = np.select(
        [by_next & has_relief, by_end & has_relief], ["next_session", "diary_end"], ""
    )
    pick = u_of_session
    return {
        "pre_mean": pre_mean[pick],
        "pre_n": pre_n[pick],
        "post_mean": post_mean[pick],
        "post_n": post_n[pick],
        "short_term_change": (pre_mean - post_mean)[pick],
        "relief_days": np.where(has_relief, relief, np.nan)[pick],
        "relief_censored": (reason != "")[pick],
        "relief_censor_reason": pd.array(reason[pick], dtype="str"),
    }


def _relief_run(
    pain: PainIndex,
    u_key: np.ndarray,
    u_day: np.ndarray,
    next_day: np.ndarray,
    threshold: np.ndarray,
) -> np.ndarray:
    """Consecutive observed relief days from s+1, per distinct session day (int64).

    Every diary day is assigned to the latest session day strictly before it;
    within that group, day t (the i-th entry, 0-based) continues the run when
    t = s + 1 + i (no gap so far) and every entry so far is at or below the
    threshold. Both conditions hold on a prefix, so the run is their count.
    """
    pos = np.searchsorted(u_key, pain.key, side="left") - 1
    valid = pos >= 0
    valid[valid] = (u_key[pos[valid]] // _STRIDE) == pain.code[valid]
    pos, day, y = pos[valid], pain.day[valid], pain.pain[valid]
    valid = day < next_day[pos]
    pos, day, y = pos[valid], day[valid], y[valid]
    if len(pos) == 0:
        return np.zeros(len(u_key), dtype=np.int64)
    start = np.r_[True, pos[1:] != pos[:-1]]
    idx = np.arange(len(pos))
    first = np.maximum.accumulate(np.where(start, idx, 0))  # first entry of the group
    rank = idx - first
    good = at_most(y, threshold[pos])  # NaN threshold -> False
    # every entry of the group so far is good: no bad one from its first to here
    bad_so_far = np.cumsum(~good)
    all_good = bad_so_far - (bad_so_far[first] - ~good[first]) == 0
    in_run = all_good & (day - u_day[pos] == rank + 1)
    return np.bincount(pos[in_run], minlength=len(u_key)).astype(np.int64)


# --------------------------------------------------------------------------------------
# session_response_by_technique
# --------------------------------------------------------------------------------------

#: Bootstrap draws per chunk are limited to this many patient indices (memory bound).
_BOOT_CHUNK_CELLS = 2_000_000


def _cluster_bootstrap(
    gen: np.random.Generator, sums: np.ndarray, counts: np.ndarray, n_boot: int
) -> np.ndarray:
    """Ratio-of-sums means of ``n_boot`` cluster resamples; ``sums``/``counts`` are (k, n_patients).

    Replicate b draws ``gen.integers(0, n, size=n)`` patient indices (with
    replacement, one row of a (chunk, n) draw); its mean of metric j is the sum of
    the drawn patients' ``sums[j]`` over the sum of their ``counts[j]`` (the same
    as pooling the drawn patients' sessions). Returns a (k, n_boot) array, NaN
    where a replicate has no value.
    """
    n = sums.shape[1]
    chunk = max(1, _BOOT_CHUNK_CELLS // n)
    out = np.empty((sums.shape[0], n_boot))
    for lo in range(0, n_boot, chunk):
        size = min(chunk, n_boot - lo)
        draw = gen.integers(0, n, size=(size, n))
        for j in range(sums.shape[0]):  # two metrics; np.take beats weights @ sums here
            num = np.take(sums[j], draw).sum(axis=1)
            den = np.take(counts[j], draw).sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                out[j, lo : lo + size] = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    return out


def _percentile_ci(boot: np.ndarray) -> tuple[float, float]:
    ok = boot[~np.isnan(boot)]
    if len(ok) == 0:
        return np.nan, np.nan
    low, high = np.percentile(ok, [2.5, 97.5])
    return float(low), float(high)


def session_response_by_technique(
    responses: pd.DataFrame, *, n_boot: int = 2000, rng=0
) -> pd.DataFrame:
    """Mean immediate and short-term change by technique band, with cluster-bootstrap CIs.

    Parameters
    ----------
    responses : pandas.DataFrame
        Output of :func:`session_response`.
    n_boot : int, default 2000
        Bootstrap replicates, in [1, 1000000].
    rng : int, numpy.random.Generator or None, default 0
        Seed or generator, passed to ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        One row per technique band present, in :data:`TECHNIQUE_BAND_ORDER`
        (other labels after, alphabetically); dtypes in :data:`BY_TECHNIQUE_COLUMNS`:

        - ``technique_band`` (str)
        - ``n_sessions`` (int64): sessions of the band.
        - ``n_patients`` (int64): patients with at least one session of the band.
        - ``n_immediate`` (int64): sessions with an immediate change.
        - ``mean_immediate_change`` (float64, NRS points): mean over those sessions.
        - ``immediate_ci_low``, ``immediate_ci_high`` (float64): 95% CI.
        - ``n_short_term`` (int64): sessions with a short-term change.
        - ``mean_short_term_change`` (float64, NRS points): mean over those sessions.
        - ``short_term_ci_low``, ``short_term_ci_high`` (float64): 95% CI.
        - ``mean_relief_days`` (float64, days): mean relief_days over sessions that
          have one, censored runs included at their observed length (so a lower
          bound of the true mean).

    Notes
    -----
    Means are session-level (each session weighs the same). The 95% CIs are
    percentile intervals of a cluster bootstrap (Field & Welsh 2007): each
    replicate resamples the band's patients with replacement, keeping all their
    sessions, and recomputes the mean; replicates without any value of the metric
    are dropped. Replicates are drawn from one ``numpy.random.default_rng(rng)``
    stream, band after band in the output order, as ``integers(0, n_patients,
    size=n_patients)`` per replicate, the same draws serving both metrics
    (vectorised: replicates x per-patient sums and counts, in chunks). With
    fewer than 2 patients in a band the CIs are NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> r = pd.DataFrame({"patient_id": ["a", "a", "b", "c"], "technique_band": "manual",
    ...     "immediate_change": [1.0, 2.0, 3.0, 2.0], "short_term_change": [0.5, None, 1.0, 0.0],
    ...     "relief_days": [1.0, 0.0, 2.0, None]})
    >>> t = session_response_by_technique(r, n_boot=200)
    >>> t[["n_sessions", "n_patients", "mean_immediate_change"]].to_dict("records")
    [{'n_sessions': 4, 'n_patients': 3, 'mean_immediate_change': 2.0}]
    """
    func = "session_response_by_technique"
    n_boot = check_int(n_boot, "n_boot", func, 1, 1_000_000)
    gen = np.random.default_rng(rng)
    if len(responses) == 0:
        return empty_table(BY_TECHNIQUE_COLUMNS)

    r = responses[
        ["patient_id", "technique_band", "immediate_change", "short_term_change", "relief_days"]
    ]
    present = set(r["technique_band"].dropna().astype("str"))
    bands = [b for b in TECHNIQUE_BAND_ORDER if b in present]
    bands += sorted(present - set(bands))
    metrics = ["immediate_change", "short_term_change"]
    rows = []
    for band in bands:  # a loop over a handful of bands, each vectorised
        sub = r[r["technique_band"] == band]
        values = sub[metrics].astype("float64")
        per = (
            pd.concat(
                [
                    values.fillna(0.0).add_suffix("_sum"),
                    values.notna().astype("int64").add_suffix("_n"),
                ],
                axis=1,
            )
            .groupby(sub["patient_id"].to_numpy(), sort=True)
            .sum()
        )
        sums = per[[m + "_sum" for m in metrics]].to_numpy().T
        counts = per[[m + "_n" for m in metrics]].to_numpy().T.astype(np.float64)
        n_values = counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            means = np.where(n_values > 0, sums.sum(axis=1) / np.maximum(n_values, 1), np.nan)
        if len(per) >= 2:
            boot = _cluster_bootstrap(gen, sums, counts, n_boot)
            cis = [_percentile_ci(boot[j]) for j in range(len(metrics))]
        else:
            cis = [(np.nan, np.nan)] * len(metrics)
        relief = sub["relief_days"].astype("float64")
        rows.append(
            {
                "technique_band": band,
                "n_sessions": len(sub),
                "n_patients": len(per),
                "n_immediate": int(n_values[0]),
                "mean_immediate_change": means[0],
                "immediate_ci_low": cis[0][0],
                "immediate_ci_high": cis[0][1],
                "n_short_term": int(n_values[1]),
                "mean_short_term_change": means[1],
                "short_term_ci_low": cis[1][0],
                "short_term_ci_high": cis[1][1],
                "mean_relief_days": relief.mean() if relief.notna().any() else np.nan,
            }
        )
    return pd.DataFrame(rows, columns=list(BY_TECHNIQUE_COLUMNS)).astype(BY_TECHNIQUE_COLUMNS)
