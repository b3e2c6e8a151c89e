"""Sums over each patient's sorted days, exact for whole-number pain.

Whole-number pain (the NRS) sums exactly in any order, so a mean taken as
``sum / n`` from prefix sums or from sums over runs is bit for bit the mean pandas'
online rolling window and grouped mean compute with compensated sums. Every
function here says None (or False) for input where that does not hold; the caller
then takes pandas' own path.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.stats._common import patient_codes

__all__ = ["exact_sums", "window_bounds", "window_sums_exact", "weekly_means_exact"]


def exact_sums(pain: np.ndarray) -> bool:
    """Whether ``pain`` sums exactly in any order: finite whole numbers, no negative zero."""
    if not (np.isfinite(pain).all() and (pain == np.floor(pain)).all()):
        return False
    return not (np.abs(pain).sum() >= 2.0**52 or np.signbit(pain[pain == 0]).any())


def window_bounds(
    codes: np.ndarray, day: np.ndarray, window_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each row's window ``(day - window_days, day]`` of its patient: (key, start, stop).

    ``key`` orders the rows by patient and day (no window reaches the patient
    before); the window of row ``i`` is rows ``start[i]:stop[i]`` (``stop = i + 1``).
    """
    days = day.astype("datetime64[D]").astype(np.int64)
    days = days - days.min()
    key = codes * (int(days.max()) + window_days + 1) + days
    start = np.searchsorted(key, key - window_days, side="right")
    return key, start, np.arange(1, len(key) + 1)


def window_sums_exact(
    frame: pd.DataFrame, window_days: int
) -> tuple[np.ndarray, np.ndarray] | None:
    """Sum and count of pain in each row's trailing window, by prefix sums; None if inexact.

    ``frame`` (``patient_id``, ``date``, ``pain``) is sorted by patient and date. Pain
    that does not sum exactly, days with a time, or a patient with two entries on
    one day return None: pandas' time-based rolling window computes those.
    """
    pain = frame["pain"].to_numpy(dtype="float64")
    if not exact_sums(pain):
        return None
    stamp = frame["date"].to_numpy(dtype="datetime64[ns]")
    if (stamp.astype("datetime64[D]") != stamp).any():
        return None
    codes = patient_codes(frame["patient_id"])[0].astype(np.int64)
    key, start, stop = window_bounds(codes, stamp, window_days)
    if len(key) > 1 and not (np.diff(key) > 0).all():
        return None  # unsorted or a patient with two entries on one day
    cum = np.concatenate([[0.0], np.cumsum(pain)])
    return cum[stop] - cum[start], (stop - start).astype("int64")


def weekly_means_exact(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Return the weekly means of ``frame`` by runs of days; None if inexact.

    ``frame`` (``patient_id``, ``week_start``, ``week``, ``pain``; sorted by patient and
    day) has each patient's weeks as consecutive runs; one row per run, as
    :func:`analytics.stats.weekly_means` returns them. Pain that does not sum
    exactly (fractional or missing) or rows out of order return None.
    """
    pain = frame["pain"].to_numpy(dtype="float64")
    if not len(pain) or not exact_sums(pain):
        return None
    codes = patient_codes(frame["patient_id"])[0]
    start = frame["week_start"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    step, shift = np.diff(codes), np.diff(start)
    if len(codes) > 1 and not ((step > 0) | ((step == 0) & (shift >= 0))).all():
        return None  # not in patient and week order
    first = np.flatnonzero(np.concatenate([[True], (step != 0) | (shift != 0)]))
    n = np.diff(np.append(first, len(pain)))
    return pd.DataFrame(
        {
            "patient_id": frame["patient_id"].array[first],
            "week_start": frame["week_start"].to_numpy()[first],
            "week": frame["week"].array[first],
            "mean_pain": np.add.reduceat(pain, first) / n,
            "n_days": n.astype("int64"),
        }
    )
