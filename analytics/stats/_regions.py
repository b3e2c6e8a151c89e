"""Where it hurts: the widespread pain index, region frequency, and change since baseline.

Three results from the diary's ``body_regions`` column (the 19 regions of the
widespread pain index, :data:`analytics.contract.BODY_REGIONS`), for every
patient at once:

- :func:`region_days`: one row per diary day with regions marked: the widespread
  pain index (WPI, 0-19, the number of regions marked) and the number of the five
  areas with a region marked;
- :func:`region_frequency`: per patient, period and region, on how many of the
  days with regions marked the region was marked;
- :func:`region_change`: one row per patient: the mean WPI of the reference
  (baseline) window and of the last days of the diary, the regions painful in
  each window, the regions added and gone.

A day without ``body_regions`` is a day on which the map was not filled in: it
enters no result (it is neither "no pain" nor a WPI of 0). Definitions are in
``docs/analytics.md`` ("Where it hurts").
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from analytics.checks import check_int
from analytics.contract import BODY_REGIONS, REGION_AREA
from analytics.contract.schema import DATE_DTYPE
from analytics.stats._common import no_rows, shared_result
from analytics.stats._medications import reference_windows
from analytics.stats._outcomes import all_patients

__all__ = [
    "REGION_DAY_COLUMNS",
    "REGION_FREQUENCY_COLUMNS",
    "REGION_CHANGE_COLUMNS",
    "PAINFUL_SHARE",
    "region_days",
    "region_frequency",
    "region_change",
]

#: Columns of :func:`region_days`, in order.
REGION_DAY_COLUMNS = ("patient_id", "date", "regions", "wpi", "n_areas")
#: Columns of :func:`region_frequency`, in order.
REGION_FREQUENCY_COLUMNS = (
    "patient_id",
    "period_start",
    "period_end",
    "region",
    "n_days_logged",
    "n_days_marked",
    "share_marked",
)
#: Columns of :func:`region_change`, in order.
REGION_CHANGE_COLUMNS = (
    "patient_id",
    "reference",
    "reference_start",
    "reference_end",
    "n_reference_days",
    "reference_wpi",
    "reference_regions",
    "recent_start",
    "recent_end",
    "n_recent_days",
    "recent_wpi",
    "recent_regions",
    "wpi_change",
    "n_regions_change",
    "regions_added",
    "regions_gone",
)
#: A region is painful over a window when it was marked on at least this share of
#: the window's days with regions marked.
PAINFUL_SHARE = 0.5

_DAY = pd.Timedelta(days=1)
_ORDER = {code: i for i, code in enumerate(BODY_REGIONS)}
_AREAS = sorted(set(REGION_AREA.values()))
#: Bit ``i`` of a region mask is the region ``BODY_REGIONS[i]``.
_BITS = np.arange(len(BODY_REGIONS), dtype=np.int64)
_AREA_BIT = np.array([1 << _AREAS.index(REGION_AREA[code]) for code in BODY_REGIONS], np.int64)


def _mask_of(text: str) -> int:
    """Return the regions a ``body_regions`` cell lists as a mask (unknown code: KeyError)."""
    mask = 0
    for item in text.split(";"):
        item = item.strip()
        if item:
            mask |= 1 << _ORDER[item]
    return mask


def _masks(cells: pd.Series) -> np.ndarray:
    """Return the region mask of every cell (0 if missing or empty), each distinct text once."""
    codes, uniques = pd.factorize(cells)
    table = np.array([_mask_of(str(text)) for text in uniques] + [0], dtype=np.int64)
    return table[codes]


def _starts(*keys: np.ndarray) -> np.ndarray:
    """Where a run of equal keys begins (rows sorted by the keys)."""
    change = np.zeros(len(keys[0]), dtype=bool)
    change[:1] = True
    for key in keys:
        change[1:] |= key[1:] != key[:-1]
    return change


def _bits(masks: np.ndarray) -> np.ndarray:
    """One column per region: 1 where the mask has it."""
    return (masks[:, None] >> _BITS) & 1


def _count(masks: np.ndarray) -> np.ndarray:
    return _bits(masks).sum(axis=1)


def _texts_of(masks: np.ndarray, present: np.ndarray | None = None) -> Any:
    """Masks as ';'-joined codes in the contract's order; missing where not ``present``."""
    uniques, codes = np.unique(masks, return_inverse=True)
    names = np.array(BODY_REGIONS, dtype=object)
    words = [";".join(names[_bits(np.array([m]))[0] == 1]) for m in uniques.tolist()]
    text = np.array(words, dtype=object)[codes.reshape(-1)] if len(masks) else np.array([], object)
    if present is not None:
        text = np.where(present, text, np.array(None, dtype=object))
    return pd.array(text, dtype="str")


def _marked(diary: pd.DataFrame) -> bool:
    """Whether some day of ``diary`` may have a region marked (its ``body_regions`` is set)."""
    return "body_regions" in diary.columns and bool(diary["body_regions"].notna().any())


@shared_result
def region_days(diary: pd.DataFrame) -> pd.DataFrame:
    """Compute the widespread pain index of every diary day with body regions marked.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame (a frame without ``body_regions`` has no such
        day). Not modified.

    Returns
    -------
    pandas.DataFrame
        One row per diary day with at least one region marked, sorted by
        ``patient_id`` and ``date``; columns :data:`REGION_DAY_COLUMNS`:

        - ``regions`` (str): the codes marked, ``;``-joined in the contract's order;
        - ``wpi`` (int, 0-19): widespread pain index, the number of regions marked;
        - ``n_areas`` (int, 0-5): the areas of the 2016 criteria (left upper,
          right upper, left lower, right lower, axial) with a region marked.

    Notes
    -----
    The WPI of the 2016 revised fibromyalgia criteria (Wolfe et al. 2016, Semin
    Arthritis Rheum 46:319) counts the painful regions among its 19; the region
    set of the diary is that one, so the count is the index.

    Examples
    --------
    >>> import pandas as pd
    >>> diary = pd.DataFrame({"patient_id": ["p1"], "date": pd.to_datetime(["2026-01-01"]),
    ...                       "body_regions": ["low_back;l_hip;neck"]})
    >>> region_days(diary)[["wpi", "n_areas"]].values.tolist()
    [[3, 2]]
    """
    if len(diary) and not _marked(diary):
        return no_rows(region_days, diary, lambda: region_days(diary.iloc[:0]))
    if "body_regions" in diary.columns:
        masks = _masks(diary["body_regions"])
    else:
        masks = np.zeros(len(diary), dtype=np.int64)
    keep = np.flatnonzero(masks)
    pid = diary["patient_id"].astype("str").to_numpy()[keep]
    date = diary["date"].astype(DATE_DTYPE).to_numpy()[keep]
    masks = masks[keep]
    # days by patient then date; a day listed twice marks what either row marks
    codes = pd.factorize(pid, sort=True)[0]
    order = np.lexsort((date, codes))
    codes, date, pid, masks = codes[order], date[order], pid[order], masks[order]
    first = np.flatnonzero(_starts(codes, date))
    day_masks = np.bitwise_or.reduceat(masks, first) if len(first) else masks
    bits = _bits(day_masks)
    return pd.DataFrame(
        {
            "patient_id": pd.array(pid[first], dtype="str"),
            "date": date[first],
            "regions": _texts_of(day_masks),
            "wpi": bits.sum(axis=1).astype("int64"),
            "n_areas": _count(np.bitwise_or.reduce(bits * _AREA_BIT, axis=1)).astype("int64"),
        }
    )


def region_frequency(
    diary: pd.DataFrame,
    *,
    start: pd.Timestamp | None = None,
    end: pd.Timestamp | None = None,
    bin_days: int | None = None,
) -> pd.DataFrame:
    """Count how often each region was marked, per patient and period.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame. Not modified.
    start, end : pandas.Timestamp, optional
        The days counted (inclusive); default: each patient's first and last day
        with regions marked.
    bin_days : int, optional
        Split the days into periods of this many days counted from ``start`` (or
        the patient's first day), in [1, 3650]; default: one period.

    Returns
    -------
    pandas.DataFrame
        One row per patient, period with regions marked and region (all 19, in
        the contract's order); columns :data:`REGION_FREQUENCY_COLUMNS`:
        ``period_start``, ``period_end`` (inclusive), ``n_days_logged`` (days of
        the period with regions marked), ``n_days_marked`` (those with this
        region), ``share_marked`` = ``n_days_marked / n_days_logged`` (0-1).
    """
    if bin_days is not None:
        bin_days = check_int(bin_days, "bin_days", "region_frequency", 1, 3650)
    if len(diary) and not _marked(diary):
        return no_rows(region_frequency, diary, lambda: region_frequency(diary.iloc[:0]))
    days = region_days(diary)
    date = days["date"].to_numpy()
    inside = np.ones(len(days), dtype=bool)
    if start is not None:
        inside &= date >= pd.Timestamp(start).to_datetime64()
    if end is not None:
        inside &= date <= pd.Timestamp(end).to_datetime64()
    pid = days["patient_id"].array[inside]
    date = date[inside]
    masks = _masks(days["regions"])[inside]
    # the days are sorted by patient and date: each patient is a run
    codes = pd.factorize(np.asarray(pid, dtype=object))[0]
    runs = np.flatnonzero(_starts(codes))
    ends = np.append(runs[1:], len(date)) if len(runs) else runs
    length = ends - runs
    first = np.repeat(date[runs], length)
    last = np.repeat(date[ends - 1], length)
    origin = first if start is None else np.full(len(date), pd.Timestamp(start).to_datetime64())
    origin = origin.astype(DATE_DTYPE)
    if bin_days is None:
        period_start = origin
        period_end = last if end is None else np.full(len(date), pd.Timestamp(end).to_datetime64())
    else:
        width = np.timedelta64(bin_days, "D").astype("timedelta64[ns]")
        period_start = origin + ((date - origin) // width) * width
        period_end = period_start + (bin_days - 1) * np.timedelta64(1, "D")
    period_end = np.asarray(period_end).astype(DATE_DTYPE)
    # each (patient, period) is a run of days too, in sorted order
    group = np.flatnonzero(_starts(codes, period_start, period_end))
    logged = np.diff(np.append(group, len(date))).astype("int64")
    n_regions = len(BODY_REGIONS)
    if len(group):
        marked = np.add.reduceat(_bits(masks), group, axis=0).reshape(-1).astype("int64")
    else:
        marked = np.zeros(0, dtype="int64")
    n_logged = np.repeat(logged, n_regions)
    return pd.DataFrame(
        {
            "patient_id": pd.array(
                np.repeat(np.asarray(pid, dtype=object)[group], n_regions), dtype="str"
            ),
            "period_start": np.repeat(period_start[group], n_regions).astype(DATE_DTYPE),
            "period_end": np.repeat(period_end[group], n_regions),
            "region": pd.array(
                np.tile(np.array(BODY_REGIONS, dtype=object), len(group)), dtype="str"
            ),
            "n_days_logged": n_logged,
            "n_days_marked": marked,
            "share_marked": (marked / n_logged).astype("float64"),
        }
    )


def _window(
    days: pd.DataFrame, at: np.ndarray, masks: np.ndarray, start: pd.Series, end: pd.Series
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per patient of ``start``'s index: days with regions in the window, mean WPI, painful mask.

    ``at`` is each day's patient position in that index, ``masks`` its region mask.
    """
    date = days["date"].to_numpy()
    inside = (date >= start.to_numpy()[at]) & (date <= end.to_numpy()[at])
    n_patients = len(start)
    where = at[inside]
    n = np.bincount(where, minlength=n_patients)
    wpi_sum = np.bincount(where, weights=days["wpi"].to_numpy()[inside], minlength=n_patients)
    wpi = np.full(n_patients, np.nan)
    np.divide(wpi_sum, n, out=wpi, where=n > 0)
    counts = np.zeros((n_patients, len(BODY_REGIONS)), dtype=np.int64)
    np.add.at(counts, where, _bits(masks[inside]))
    share = np.zeros(counts.shape)
    np.divide(counts, n[:, None], out=share, where=n[:, None] > 0)
    painful = (share >= PAINFUL_SHARE) & (counts > 0)
    return n.astype("int64"), wpi, (painful.astype(np.int64) << _BITS).sum(axis=1)


def region_change(
    diary: pd.DataFrame,
    index_dates: pd.Series | None = None,
    *,
    baseline_days: int = 14,
    recent_days: int = 14,
    min_days: int = 4,
) -> pd.DataFrame:
    """Compare the painful regions of the baseline window with the last days of the diary.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary frame. Not modified.
    index_dates : pandas.Series, optional
        Index date per patient (``patient_id`` index).
    baseline_days : int, default 14
        Length of the reference window, days, in [1, 3650]
        (``AnalysisSettings.baseline_days``).
    recent_days : int, default 14
        The recent window: the ``recent_days`` days ending on the patient's last
        diary day, in [1, 3650] (``AnalysisSettings.followup_days``).
    min_days : int, default 4
        Fewest days with regions marked for a window's values, in [1, 3650]
        (``AnalysisSettings.min_entries``).

    Returns
    -------
    pandas.DataFrame
        One row per patient with a day with regions marked, sorted by
        ``patient_id``; columns :data:`REGION_CHANGE_COLUMNS`:

        - ``reference`` (str): ``baseline`` (the baseline window of the pain
          outcome) or ``diary_start`` (no index date: the first
          ``baseline_days`` days of the diary);
        - ``reference_start``, ``reference_end`` (datetime64[ns], inclusive);
        - ``n_reference_days`` (int): days of the window with regions marked;
        - ``reference_wpi`` (float, 0-19): their mean widespread pain index, NaN
          with fewer than ``min_days`` days;
        - ``reference_regions`` (str): the regions painful over the window —
          marked on at least :data:`PAINFUL_SHARE` of those days — ``;``-joined
          in the contract's order; missing with fewer than ``min_days`` days;
        - ``recent_start``, ``recent_end``, ``n_recent_days``, ``recent_wpi``,
          ``recent_regions``: the same for the ``recent_days`` days ending on the
          last diary day;
        - ``wpi_change`` (float): ``recent_wpi − reference_wpi`` (negative = fewer
          painful regions now); NaN when the windows overlap or either lacks days;
        - ``n_regions_change`` (float): the number of recent painful regions
          minus the number of reference ones, with the same rule;
        - ``regions_added``, ``regions_gone`` (str): painful regions only in the
          recent window, and only in the reference window, ``;``-joined (``""``
          when none); missing when the change is NaN.

    Notes
    -----
    The windows are those of :func:`opioid_change` (the reference window is the
    pain outcome's baseline), with the follow-up window's length for the recent
    days.
    """
    func = "region_change"
    baseline_days = check_int(baseline_days, "baseline_days", func, 1, 3650)
    recent_days = check_int(recent_days, "recent_days", func, 1, 3650)
    min_days = check_int(min_days, "min_days", func, 1, 3650)
    if len(diary) and not _marked(diary):
        return no_rows(region_change, diary, lambda: region_change(diary.iloc[:0]))
    days = region_days(diary)
    ids = all_patients(days)
    pid = diary["patient_id"].astype("str")
    out = reference_windows(diary, index_dates, baseline_days=baseline_days).reindex(ids)
    out["recent_end"] = diary["date"].astype(DATE_DTYPE).groupby(pid).max().reindex(ids)
    out["recent_start"] = out["recent_end"] - (recent_days - 1) * _DAY
    at = ids.get_indexer(days["patient_id"])
    masks = _masks(days["regions"])
    sets = {}
    for name, start, end in (
        ("reference", out["reference_start"], out["reference_end"]),
        ("recent", out["recent_start"], out["recent_end"]),
    ):
        n, wpi, painful = _window(days, at, masks, start, end)
        enough = n >= min_days
        out[f"n_{name}_days"] = n
        out[f"{name}_wpi"] = np.where(enough, wpi, np.nan)
        sets[name] = (painful, enough)
        out[f"{name}_regions"] = _texts_of(painful, enough)
    apart = (out["recent_start"] > out["reference_end"]).to_numpy()
    (ref, ref_ok), (rec, rec_ok) = sets["reference"], sets["recent"]
    valid = apart & ref_ok & rec_ok
    out["wpi_change"] = np.where(valid, out["recent_wpi"] - out["reference_wpi"], np.nan)
    n_change = (_count(rec) - _count(ref)).astype("float64")
    out["n_regions_change"] = np.where(valid, n_change, np.nan)
    out["regions_added"] = _texts_of(rec & ~ref, valid)
    out["regions_gone"] = _texts_of(ref & ~rec, valid)
    out = out.reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    return out[list(REGION_CHANGE_COLUMNS)]
