"""The import format for a clinic: its rules in sentences, empty templates, a filled example.

The column tables come from :func:`analytics.contract.column_table`; the files are
written by the same writer as an export (:func:`analytics.io.zip_files`), so a
template or the example opened in a spreadsheet and saved again as CSV imports
as it is.
"""

from __future__ import annotations

import datetime as dt
import functools

import numpy as np
import pandas as pd

from analytics.contract import Dataset, empty_frame
from analytics.contract.schema import TABLES
from analytics.io import dataset_files, zip_files

__all__ = [
    "FILE_TABLES",
    "FORMAT_RULES",
    "TEMPLATES_ZIP_NAME",
    "EXAMPLE_ZIP_NAME",
    "example_clinic",
    "example_row",
    "template_files",
    "templates_zip",
    "example_zip",
]

#: The three files of an import, in the order they are described and zipped.
FILE_TABLES = ("patients", "diary", "sessions")
#: File names of the two downloads.
TEMPLATES_ZIP_NAME = "paindiary-templates.zip"
EXAMPLE_ZIP_NAME = "paindiary-example-clinic.zip"
#: The members' time stamp: the files are the same at every download.
_STAMP = dt.datetime(2026, 1, 1)

#: The rules a file most often breaks, in the words the Data page and the docs use.
FORMAT_RULES: tuple[str, ...] = (
    "Save each file as **CSV UTF-8** with a **comma** between the cells. A file separated "
    "by semicolons, tabs or pipes is refused: in a spreadsheet set to semicolons, choose "
    "“CSV UTF-8 (comma delimited)” when saving.",
    "The first line names the columns exactly as in the tables below (`pain`, not `Pain`). "
    "The order of the columns is free, and an optional column may be left out.",
    "Dates are written **YYYY-MM-DD** (2026-03-14). 14/03/2026 is refused, because the "
    "order of day and month cannot be guessed. A session may carry its clinic time: "
    "2026-03-14T10:30.",
    "Numbers use a **point** as the decimal separator: 5.5, not 5,5. Pain and the other "
    "scores are numbers from **0 to 10**; paindiary records whole numbers, and a decimal "
    "such as 5.5 is accepted. Needles, minutes, doses and the birth year are whole "
    "numbers: 3.0 is refused.",
    "**One row per patient and day** in diary.csv and one per patient and session time in "
    "sessions.csv. A day given twice with other values is refused; given twice with the "
    "same values it is kept once, with a warning.",
    "Every `patient_id` of diary.csv and sessions.csv must be in patients.csv, or be a "
    "patient paindiary already holds. Ids are matched exactly: P001 and p001 are two "
    "patients.",
    "An empty cell means “not recorded”. A required column must have a value in every row; "
    "`frequency_hz` is required for an electroacupuncture session and must be empty for "
    "the other techniques.",
)


def template_files() -> dict[str, pd.DataFrame]:
    """Return the three empty templates: file name to a header-only table.

    Returns
    -------
    dict of str to pandas.DataFrame
        ``patients.csv``, ``diary.csv`` and ``sessions.csv``, each with the
        contract's columns in the contract's order and no rows.
    """
    return {TABLES[t].file_name: empty_frame(t).astype("str") for t in FILE_TABLES}


def templates_zip() -> bytes:
    """Return the three empty templates as one zip file (header lines only)."""
    return zip_files(template_files(), when=_STAMP)


def _diary(pid: str, days: pd.DatetimeIndex, start: pd.Timestamp, drop: float) -> pd.DataFrame:
    """Make a diary: pain near 7 before ``start``, then falling by up to ``drop`` points."""
    weeks = np.clip((days - start).days.to_numpy() / 7.0, 0, None)
    wiggle = np.resize(np.array([0, 1, 0, -1, 0, 1, -1]), len(days))
    pain = np.clip(np.round(7 - drop * (1 - np.exp(-weeks / 3)) + wiggle), 0, 10)
    return pd.DataFrame(
        {
            "patient_id": pid,
            "date": days,
            "pain": pain,
            "worst_pain": np.clip(pain + 2, 0, 10),
            "enjoyment_interference": np.clip(pain - 1, 0, 10),
            "activity_interference": pain,
            "sleep_quality": 10 - pain,
            "mood": np.clip(11 - pain, 0, 10),
            "stress": np.clip(pain - 1, 0, 10),
            "analgesic_doses": pd.array(np.where(pain >= 6, 2, 0), dtype="Int64"),
            "opioid_mme": 0.0,
        }
    )


def example_clinic() -> Dataset:
    """Return a small valid clinic: three patients, twelve weeks of diary, weekly sessions.

    EX01 has manual acupuncture for low back pain, EX02 electroacupuncture (2/100 Hz)
    for osteoarthritis while taking oxycodone, EX03 auricular acupuncture for migraine
    with one sore session. Each keeps a daily diary from two weeks before the first
    session (a few days missed); the dates lie in early 2026.

    Returns
    -------
    analytics.contract.Dataset
        Canonical frames; written out (:func:`example_zip`) they load with no
        problem and no warning.
    """
    patients = pd.DataFrame(
        {
            "patient_id": ["EX01", "EX02", "EX03"],
            "condition": ["chronic_low_back_pain", "osteoarthritis", "migraine"],
            "group": ["acupuncture", "acupuncture", "acupuncture"],
            "start_date": pd.to_datetime([None, None, "2026-02-16"]),
            "sex": ["F", "M", "F"],
            "birth_year": pd.array([1968, 1955, 1990], dtype="Int64"),
            "clinician_id": ["C01", "C01", "C02"],
        }
    )
    starts = pd.to_datetime(["2026-02-02", "2026-02-09", "2026-02-16"])
    plans = [("manual", None, 3.5), ("electro", "2/100", 2.5), ("auricular", None, 4.0)]
    diaries, sessions = [], []
    for (pid, start), (technique, freq, drop) in zip(
        zip(patients["patient_id"], starts, strict=True), plans, strict=True
    ):
        days = pd.date_range(start - pd.Timedelta(days=14), periods=84, freq="D")
        days = days[np.arange(len(days)) % 9 != 4]  # a day missed now and then
        diary = _diary(pid, days, start, drop)
        if pid == "EX02":  # oxycodone 10 mg a day for the first four weeks: 15 MME
            on = diary["date"] < start + pd.Timedelta(days=28)
            diary["medication"] = pd.Series("oxycodone", index=diary.index).where(on)
            diary["medication_dose"] = np.where(on, 10.0, np.nan)
            diary["opioid_mme"] = np.where(on, 15.0, 0.0)
        diaries.append(diary)
        when = start + pd.to_timedelta(np.arange(8) * 7, unit="D") + pd.Timedelta(hours=10)
        before = diary.set_index("date")["pain"].reindex(when.normalize()).ffill().bfill()
        sessions.append(
            pd.DataFrame(
                {
                    "patient_id": pid,
                    "date": when,
                    "technique": technique,
                    "frequency_hz": freq,
                    "points": "LI4;ST36;SP6;LR3" if technique != "auricular" else "MA10;MA55",
                    "needles": pd.array([10] * len(when), dtype="Int64"),
                    "retention_min": pd.array([20] * len(when), dtype="Int64"),
                    "pain_before": before.to_numpy(),
                    "pain_after": np.clip(before.to_numpy() - 2, 0, 10),
                    "adverse_events": [
                        "soreness" if pid == "EX03" and k == 2 else None for k in range(8)
                    ],
                    "practitioner": "C01" if pid != "EX03" else "C02",
                    "notes": [
                        "first session, relaxed after 5 min" if k == 0 else None for k in range(8)
                    ],
                }
            )
        )
    diary_all = pd.concat(diaries, ignore_index=True)
    return Dataset(
        patients=patients,
        diary=diary_all,
        sessions=pd.concat(sessions, ignore_index=True),
    )


@functools.cache
def _example_files() -> dict[str, pd.DataFrame]:
    """Make the example clinic's files once; callers copy what they hand out."""
    return dataset_files(example_clinic())


def example_zip() -> bytes:
    """Return :func:`example_clinic` as one zip of its three CSV files."""
    return zip_files(_example_files(), when=_STAMP)


def example_row(table: str) -> pd.DataFrame:
    """Return the first row of the example clinic's file ``table``, as its CSV cells.

    Parameters
    ----------
    table : {"patients", "diary", "sessions"}

    Returns
    -------
    pandas.DataFrame
        One row of text cells, in the contract's columns and order.
    """
    if table not in FILE_TABLES:
        raise ValueError(
            f"The 'table' parameter of example_row must be one of {list(FILE_TABLES)}. "
            f"Got {table!r} instead."
        )
    return _example_files()[TABLES[table].file_name].head(1).reset_index(drop=True).copy()
