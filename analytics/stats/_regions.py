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


def _long(diary: pd.DataFrame) -> pd.DataFrame:
    """One row per (patient, day, region marked): ``patient_id``, ``date``, ``region``."""
    if "body_regions" not in diary.columns:
        return pd.DataFrame(
            {
                "patient_id": pd.Series(dtype="str"),
                "date": pd.Series(dtype=DATE_DTYPE),
                "region": pd.Series(dtype="str"),
            }
        )
    text = diary["body_regions"].astype("str").where(diary["body_regions"].notna())
    items = text.str.split(";").explode().dropna().astype("str").str.strip()
    items = items[items != ""]
    rows = items.index.to_numpy()
    out = pd.DataFrame(
        {
            "patient_id": diary["patient_id"].astype("str").to_numpy()[rows],
            "date": diary["date"].astype(DATE_DTYPE).to_numpy()[rows],
            "region": items.astype("str").to_numpy(),
        }
    )
    return out.drop_duplicates(ignore_index=True)


def _marked(diary: pd.DataFrame) -> bool:
    """Whether some day of ``diary`` may have a region marked (its ``body_regions`` is set)."""
    return "body_regions" in diary.columns and bool(diary["body_regions"].notna().any())


def _joined(codes: pd.Series) -> str:
    """Codes in the contract's order, joined by ';'."""
    return ";".join(sorted(codes, key=_ORDER.__getitem__))


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
    marks = _long(diary)
    marks["area"] = marks["region"].map(REGION_AREA)
    g = marks.groupby(["patient_id", "date"], sort=True)
    out = pd.DataFrame(
        {
            "regions": g["region"].agg(_joined),
            "wpi": g["region"].size(),
            "n_areas": g["area"].nunique(),
        }
    ).reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    out["date"] = out["date"].astype(DATE_DTYPE)
    out["regions"] = out["regions"].astype("str")
    out[["wpi", "n_areas"]] = out[["wpi", "n_areas"]].astype("int64")
    return out[list(REGION_DAY_COLUMNS)]


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
    if start is not None:
        days = days[days["date"] >= pd.Timestamp(start)]
    if end is not None:
        days = days[days["date"] <= pd.Timestamp(end)]
    first = days.groupby("patient_id")["date"].transform("min")
    origin = first if start is None else pd.Series(pd.Timestamp(start), index=days.index)
    origin = origin.astype(DATE_DTYPE)
    last = days.groupby("patient_id")["date"].transform("max")
    if bin_days is None:
        period_start = origin
        period_end = last if end is None else pd.Series(pd.Timestamp(end), index=days.index)
    else:
        k = (days["date"] - origin) // pd.Timedelta(days=bin_days)
        period_start = origin + k * pd.Timedelta(days=bin_days)
        period_end = period_start + (bin_days - 1) * _DAY
    days = days.assign(period_start=period_start.astype(DATE_DTYPE), period_end=period_end)
    keys = ["patient_id", "period_start", "period_end"]
    logged = days.groupby(keys, sort=True).size().rename("n_days_logged").reset_index()
    marks = days.assign(region=days["regions"].str.split(";")).explode("region")
    marked = marks.groupby([*keys, "region"]).size().rename("n_days_marked")
    grid = logged.loc[logged.index.repeat(len(BODY_REGIONS))].reset_index(drop=True)
    grid["region"] = np.tile(np.array(BODY_REGIONS, dtype=object), len(logged))
    grid = grid.join(marked, on=[*keys, "region"])
    grid["n_days_marked"] = grid["n_days_marked"].fillna(0).astype("int64")
    grid["n_days_logged"] = grid["n_days_logged"].astype("int64")
    grid["share_marked"] = (grid["n_days_marked"] / grid["n_days_logged"]).astype("float64")
    grid["region"] = grid["region"].astype("str")
    grid["period_end"] = grid["period_end"].astype(DATE_DTYPE)
    return grid[list(REGION_FREQUENCY_COLUMNS)]


def _window(days: pd.DataFrame, start: pd.Series, end: pd.Series) -> pd.DataFrame:
    """Per patient: days with regions inside its window, their mean WPI, the painful regions."""
    row_start = start.reindex(days["patient_id"]).to_numpy()
    row_end = end.reindex(days["patient_id"]).to_numpy()
    inside = days[(days["date"].to_numpy() >= row_start) & (days["date"].to_numpy() <= row_end)]
    g = inside.groupby("patient_id")
    out = pd.DataFrame({"n_days": g.size(), "wpi": g["wpi"].mean()}).reindex(start.index)
    marks = inside.assign(region=inside["regions"].str.split(";")).explode("region")
    counts = marks.groupby(["patient_id", "region"]).size()
    share = counts / g.size().reindex(counts.index.get_level_values(0)).to_numpy()
    painful = share[share >= PAINFUL_SHARE].reset_index()
    sets = painful.groupby("patient_id")["region"].agg(frozenset)
    out["regions"] = sets.reindex(start.index)
    out["n_days"] = out["n_days"].fillna(0).astype("int64")
    return out


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
    sets = {}
    for name, start, end in (
        ("reference", out["reference_start"], out["reference_end"]),
        ("recent", out["recent_start"], out["recent_end"]),
    ):
        w = _window(days, start, end)
        enough = w["n_days"] >= min_days
        out[f"n_{name}_days"] = w["n_days"]
        out[f"{name}_wpi"] = w["wpi"].where(enough).astype("float64")
        empty = pd.Series([frozenset()] * len(ids), index=ids, dtype=object)
        sets[name] = w["regions"].where(w["regions"].notna(), empty).where(enough)
        out[f"{name}_regions"] = _texts(sets[name])
    apart = out["recent_start"] > out["reference_end"]
    valid = apart & out["reference_wpi"].notna() & out["recent_wpi"].notna()
    out["wpi_change"] = (out["recent_wpi"] - out["reference_wpi"]).where(valid).astype("float64")
    n_ref = sets["reference"].map(len, na_action="ignore")
    n_rec = sets["recent"].map(len, na_action="ignore")
    out["n_regions_change"] = (n_rec - n_ref).where(valid).astype("float64")
    pairs = list(zip(sets["reference"], sets["recent"], valid, strict=True))
    added = [b - a if ok else None for a, b, ok in pairs]
    gone = [a - b if ok else None for a, b, ok in pairs]
    out["regions_added"] = _texts(pd.Series(added, index=ids, dtype=object))
    out["regions_gone"] = _texts(pd.Series(gone, index=ids, dtype=object))
    out = out.reset_index()
    out["patient_id"] = out["patient_id"].astype("str")
    return out[list(REGION_CHANGE_COLUMNS)]


def _texts(sets: pd.Series) -> pd.Series:
    """Region sets as ';'-joined codes in the contract's order; missing stays missing."""
    text = sets.map(_joined, na_action="ignore")
    return text.astype("str").where(sets.notna())
