"""Entries during the day: the day's value the statistics use, and flares per patient.

A patient logs one daily entry (``diary``) and may add entries at any time of day
(``entries``, the optional ``entries.csv``): a pain score with its time, marked as a
flare or attack where it is one, with a duration and a rescue medicine. The rules are
documented in ``docs/analytics.md``, "Entries during the day" and "Flares". Every
function takes canonical frames, never mutates them and returns a documented
DataFrame; nothing is rounded.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analytics.checks import check_int
from analytics.contract import RESCUE_ANSWERS, empty_entries, is_flare
from analytics.stats._outcomes import outcome_windows, per_row

__all__ = [
    "FLARE_COLUMNS",
    "FLARE_PERIOD_DAYS",
    "FLARE_MIN_DAYS",
    "RESCUE_HELPED",
    "daily_diary",
    "flare_table",
    "rescue_questions_due",
    "RESCUE_ASK_AFTER",
]

#: How long after a rescue medicine "Did it help?" is asked.
RESCUE_ASK_AFTER = pd.Timedelta(hours=2)

#: Flares are counted per this many days (4 weeks), as headache days are.
FLARE_PERIOD_DAYS = 28
#: Fewest days logged in a 14-day window for a flare rate (five days a week).
FLARE_MIN_DAYS = 10
#: Answers to "Did it help?" that count as the rescue medicine having helped.
RESCUE_HELPED = RESCUE_ANSWERS[:2]

#: Columns of :func:`flare_table` in order.
FLARE_COLUMNS = [
    "patient_id",
    "n_entries",
    "n_flares",
    "baseline_flares_per_4w",
    "baseline_days_logged",
    "followup_flares_per_4w",
    "followup_days_logged",
    "change_flares_per_4w",
    "median_flare_minutes",
    "n_flares_with_duration",
    "n_rescue",
    "n_rescue_answered",
    "rescue_helped_rate",
]


def daily_diary(diary: pd.DataFrame, entries: pd.DataFrame | None = None) -> pd.DataFrame:
    """Give the diary the statistics use: one row a day, entries during the day included.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary (the daily log, one row per patient and day). Never modified.
    entries : pandas.DataFrame or None
        Canonical entries (``patient_id``, ``date``, ``pain``; ``Dataset.entries``).
        Never modified.

    Returns
    -------
    pandas.DataFrame
        The diary's columns, one row per patient and day with a daily log or an entry,
        sorted by ``patient_id``, ``date``:

        - ``pain``: the mean of the day's pain scores, the daily log counting as one
          entry beside the entries of that day;
        - ``worst_pain``: on a day with entries, the largest of the daily log's worst
          pain (its pain when no worst pain was logged) and the entries' pain;
        - every other column as logged, empty on a day with entries only.

        Without entries the diary itself is returned: a diary of one entry a day keeps
        every value, so every statistic keeps its meaning.

    Examples
    --------
    >>> diary = pd.DataFrame({"patient_id": ["P1"], "date": pd.to_datetime(["2026-03-01"]),
    ...                       "pain": [4.0], "worst_pain": [5.0]})
    >>> entries = pd.DataFrame({"patient_id": ["P1"], "date": pd.to_datetime(["2026-03-01"]),
    ...                         "pain": [8.0]})
    >>> daily_diary(diary, entries)[["pain", "worst_pain"]].to_numpy().tolist()
    [[6.0, 8.0]]
    """
    if entries is None or not len(entries):
        return diary
    key = ["patient_id", "date"]
    ids = entries["patient_id"].astype("str")
    grouped = entries.assign(patient_id=ids).groupby(key, sort=False)["pain"]
    days = grouped.agg(["sum", "count", "max"]).reset_index()
    days.columns = [*key, "entry_sum", "entry_n", "entry_max"]
    logged = diary.assign(patient_id=diary["patient_id"].astype("str"), _logged=True)
    out = logged.merge(days, on=key, how="outer", sort=False)
    has_log = out["_logged"].eq(True).to_numpy()
    log_pain = out["pain"].to_numpy(dtype="float64")
    with_entries = out["entry_n"].notna().to_numpy()
    n = np.where(has_log, 1.0, 0.0) + out["entry_n"].fillna(0).to_numpy(dtype="float64")
    total = np.where(has_log, log_pain, 0.0) + out["entry_sum"].fillna(0).to_numpy(dtype="float64")
    out["pain"] = np.where(with_entries, total / n, log_pain)
    if "worst_pain" in out.columns:
        log_worst = out["worst_pain"].to_numpy(dtype="float64")
        log_worst = np.where(np.isnan(log_worst) & has_log, log_pain, log_worst)
        worst = np.fmax(log_worst, out["entry_max"].to_numpy(dtype="float64"))
        out["worst_pain"] = np.where(with_entries, worst, out["worst_pain"])
    out = out[list(diary.columns)].astype(diary.dtypes.to_dict())
    return out.sort_values(key, kind="stable").reset_index(drop=True)


def _window_flags(
    frame: pd.DataFrame, windows: pd.DataFrame, stage: str, ids: pd.Series
) -> np.ndarray:
    """Per row of ``frame``: its date falls in the patient's ``stage`` window."""
    start = per_row(windows[f"{stage}_start"], ids).to_numpy()
    end = per_row(windows[f"{stage}_end"], ids).to_numpy()
    day = frame["date"].to_numpy(dtype="datetime64[ns]")
    return np.asarray((day >= start) & (day <= end), dtype=bool)


def _check_options(
    baseline_days: int, followup_days: int, followup_at: int | None, min_days: int
) -> None:
    func = "flare_table"
    check_int(baseline_days, "baseline_days", func, 1, 3650)
    check_int(followup_days, "followup_days", func, 1, 3650)
    check_int(min_days, "min_days", func, 1, min(baseline_days, followup_days))
    if followup_at is not None:
        check_int(followup_at, "followup_at", func, 1, 36500)


def flare_table(
    daily: pd.DataFrame,
    entries: pd.DataFrame,
    index: pd.Series,
    *,
    baseline_days: int = 14,
    followup_days: int = 14,
    followup_at: int | None = None,
    min_days: int = FLARE_MIN_DAYS,
) -> pd.DataFrame:
    """Flares per 4 weeks before and after the index date, their duration and rescue medicine.

    Parameters
    ----------
    daily : pandas.DataFrame
        The diary the statistics use (:func:`daily_diary`): the days logged.
    entries : pandas.DataFrame
        Canonical entries (``Dataset.entries``). Never modified.
    index : pandas.Series
        Index date per patient (``patient_id`` index), as from
        :func:`analytics.contract.index_dates`.
    baseline_days, followup_days, followup_at : int
        The windows of :func:`analytics.stats.patient_outcomes`: the ``baseline_days``
        before the index date, and the last ``followup_days`` of the diary on or after
        it (or the window ending on day ``followup_at`` − 1).
    min_days : int, default 10
        Fewest days logged in a window for its flare rate, at most the window's length.

    Returns
    -------
    pandas.DataFrame
        One row per patient with an entry, sorted by ``patient_id``, columns
        :data:`FLARE_COLUMNS`:

        - ``n_entries``, ``n_flares`` (int): entries, and entries marked as a flare;
        - ``baseline_flares_per_4w`` (float, flares per 28 days): flares in the baseline
          window × 28 / days logged there, NaN with fewer than ``min_days`` logged
          days or no index date; ``baseline_days_logged`` (int): days of the daily
          diary in that window;
        - ``followup_flares_per_4w``, ``followup_days_logged``: the same over the
          follow-up window;
        - ``change_flares_per_4w`` (float): baseline − follow-up, positive = fewer flares;
        - ``median_flare_minutes`` (float, minutes): median duration of the flares with
          a duration, over the whole diary; ``n_flares_with_duration`` (int);
        - ``n_rescue`` (int): entries naming a rescue medicine; ``n_rescue_answered``
          (int): of those, the ones whose "Did it help?" was answered;
        - ``rescue_helped_rate`` (fraction 0-1): answered rescue uses answered "yes" or
          "a little" / answered ones, NaN with none answered.

    Raises
    ------
    ValueError
        When an option is out of range.

    Examples
    --------
    >>> from analytics.contract import empty_entries, empty_frame
    >>> index = pd.Series(dtype="datetime64[ns]")
    >>> flare_table(empty_frame("diary"), empty_entries(), index).shape
    (0, 13)
    """
    _check_options(baseline_days, followup_days, followup_at, min_days)
    entries = entries if len(entries) else empty_entries()
    ids = pd.Index(entries["patient_id"].astype("str").unique(), dtype="str", name="patient_id")
    ids = ids.sort_values()
    windows, rows = outcome_windows(
        daily,
        index,
        baseline_days=baseline_days,
        followup_days=followup_days,
        followup_at=followup_at,
    )
    day_ids = daily["patient_id"].astype("str").to_numpy()
    logged = rows.groupby(day_ids).sum().reindex(ids, fill_value=0)
    entry_ids = entries["patient_id"].astype("str")
    flare = is_flare(entries).to_numpy()
    windows = windows.reindex(pd.Index(sorted(set(windows.index) | set(ids)), dtype="str"))
    duration = (
        entries["duration_minutes"].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    )
    rescue = entries["rescue_medication"].notna().to_numpy()
    answer = entries["rescue_helped"].astype("str")
    counts = pd.DataFrame(
        {
            "n_entries": np.ones(len(entries), dtype="int64"),
            "n_flares": flare,
            "n_flares_with_duration": flare & ~np.isnan(duration),
            "n_rescue": rescue,
            "n_rescue_answered": rescue & answer.notna().to_numpy(),
            "n_helped": rescue & answer.isin(RESCUE_HELPED).to_numpy(),
            **{
                f"{stage}_flares": flare & _window_flags(entries, windows, stage, entry_ids)
                for stage in ("baseline", "followup")
            },
        }
    )
    sums = counts.groupby(entry_ids.to_numpy()).sum().reindex(ids, fill_value=0)
    out = pd.DataFrame(index=ids)
    for name in ("n_entries", "n_flares"):
        out[name] = sums[name].astype("int64")
    for stage in ("baseline", "followup"):
        n = logged[f"in_{stage}"].astype("int64")
        valid = (n >= min_days) & windows[f"{stage}_start"].reindex(ids).notna()
        rate = sums[f"{stage}_flares"] * FLARE_PERIOD_DAYS / n.where(n > 0)
        out[f"{stage}_flares_per_4w"] = rate.where(valid).astype("float64")
        out[f"{stage}_days_logged"] = n
    out["change_flares_per_4w"] = out["baseline_flares_per_4w"] - out["followup_flares_per_4w"]
    timed = pd.Series(np.where(flare, duration, np.nan)).groupby(entry_ids.to_numpy()).median()
    out["median_flare_minutes"] = timed.reindex(ids).astype("float64")
    for name in ("n_flares_with_duration", "n_rescue", "n_rescue_answered"):
        out[name] = sums[name].astype("int64")
    answered = out["n_rescue_answered"]
    out["rescue_helped_rate"] = sums["n_helped"] / answered.where(answered > 0)
    out = out.reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    return out[FLARE_COLUMNS]


def rescue_questions_due(entries: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    """Give the entries whose rescue medicine is due its "Did it help?" question.

    Parameters
    ----------
    entries : pandas.DataFrame
        Canonical entries. Never modified.
    now : datetime.datetime
        The patient's local time now.

    Returns
    -------
    pandas.DataFrame
        The entries naming a rescue medicine with no answer yet, taken at least
        :data:`RESCUE_ASK_AFTER` (two hours) before ``now``, oldest first, with the
        columns of ``entries``.

    Examples
    --------
    >>> e = pd.DataFrame({"patient_id": ["P1"], "date": pd.to_datetime(["2026-03-01"]),
    ...                   "time": ["14:30"], "rescue_medication": ["ibuprofen"],
    ...                   "rescue_helped": [None]})
    >>> len(rescue_questions_due(e, dt.datetime(2026, 3, 1, 16, 29)))
    0
    >>> len(rescue_questions_due(e, dt.datetime(2026, 3, 1, 16, 30)))
    1
    """
    taken = entries["date"] + pd.to_timedelta(entries["time"].astype("str") + ":00")
    due = (
        entries["rescue_medication"].notna()
        & entries["rescue_helped"].isna()
        & (taken + RESCUE_ASK_AFTER <= pd.Timestamp(now))
    )
    order = taken[due.to_numpy()].sort_values(kind="stable").index
    return entries.loc[order]
