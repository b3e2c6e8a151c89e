"""Entries during the day in the analysis: the daily values and the flare table.

Every path of the analysis (``analyze``, the Dask engine, a patient's summary) takes its
diary through :func:`analysis_diary`, so the day's value is defined once
(:func:`analytics.stats.daily_diary`); :func:`flares` and :func:`write_flare_table` give
the flare table beside the other outputs when there are entries.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analytics.contract import empty_frame, index_dates
from analytics.pipeline._analyze import csv_cells
from analytics.settings import DEFAULT_SETTINGS, AnalysisSettings
from analytics.stats import FLARE_MIN_DAYS, daily_diary, flare_table

__all__ = ["FLARE_FILE", "analysis_diary", "flares", "write_flare_table"]

#: File :func:`write_flare_table` writes next to the other outputs.
FLARE_FILE = "flares.csv"


def analysis_diary(diary: pd.DataFrame, entries: pd.DataFrame | None) -> pd.DataFrame:
    """Give the diary the statistics use: the daily log with the day's entries folded in.

    See :func:`analytics.stats.daily_diary`; without entries it is ``diary`` itself.
    """
    return daily_diary(diary, entries)


def flares(
    daily: pd.DataFrame,
    entries: pd.DataFrame,
    patients: pd.DataFrame | None,
    sessions: pd.DataFrame | None,
    settings: AnalysisSettings = DEFAULT_SETTINGS,
) -> pd.DataFrame:
    """Give the flare table of :func:`analytics.stats.flare_table` with the analysis' windows.

    Parameters
    ----------
    daily : pandas.DataFrame
        The diary the statistics use (:func:`analysis_diary`).
    entries : pandas.DataFrame
        Canonical entries (``Dataset.entries``).
    patients, sessions : pandas.DataFrame or None
        Canonical frames; they give the index dates.
    settings : AnalysisSettings, optional
        Its baseline and follow-up windows are the flare table's.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`analytics.stats.FLARE_COLUMNS`, one row per patient with
        an entry.
    """
    patients = patients if patients is not None else empty_frame("patients")
    sessions = sessions if sessions is not None else empty_frame("sessions")
    return flare_table(
        daily,
        entries,
        index_dates(patients, sessions),
        baseline_days=settings.baseline_days,
        followup_days=settings.followup_days,
        followup_at=settings.followup_at,
        min_days=min(settings.baseline_days, settings.followup_days, FLARE_MIN_DAYS),
    )


def write_flare_table(table: pd.DataFrame, out_dir: str | Path) -> Path | None:
    """Write the flare table as ``out_dir/flares.csv``, or nothing when it has no rows.

    A clinic without entries gets exactly the files it got before.
    """
    if not len(table):
        return None
    path = Path(out_dir) / FLARE_FILE
    csv_cells(table).to_csv(path, index=False, lineterminator="\n")
    return path
