"""entries.csv: checked like the other files, with its own rules; read by load_dataset, exported."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pytest

from analytics.errors import DataValidationError
from analytics.io import dataset_files, load_dataset, load_entries

HEADER = "patient_id,date,time,pain,flare,duration_minutes,rescue_medication,rescue_helped,notes\n"
TODAY = dt.date(2026, 3, 10)
SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


def test_each_problem_is_named_with_its_line_column_value_and_fix():
    text = HEADER + (
        "P1,2026-03-01,14:30,7,yes,90,ibuprofen,a_little,\n"
        "P1,2026-03-01,9:05,5,,,,,\n"
        "P1,2026-03-02,10:00,5,no,30,,,\n"
        "P1,2026-03-02,11:00,5,yes,,,yes,\n"
        "P1,2026-03-02,12:00,11,maybe,,,,\n"
        "P1,2026-03-01,14:30,6,,,,,\n"
    )
    with pytest.raises(DataValidationError) as caught:
        load_entries(io.StringIO(text), today=TODAY, name="entries.csv")
    problems = caught.value.problems
    assert set(problems["file"]) == {"entries.csv"}
    by_line = problems.groupby("line")["message"].apply(" | ".join)
    assert (
        by_line[3]
        == 'time is "9:05"; write the time of day as HH:MM on a 24-hour clock, e.g. 14:30'
    )
    assert "a duration is kept for flares only: write yes in flare" in by_line[4]
    assert "no rescue_medication is named; name the medicine taken" in by_line[5]
    assert "pain" in by_line[6] and "flare must be one of: yes, no" in by_line[6]
    assert "duplicate entry" in by_line[2] and "duplicate entry" in by_line[7]


def test_load_dataset_reads_the_sample_entries_and_the_export_writes_them_back(tmp_path):
    ds = load_dataset(SAMPLE)
    assert ds.entries["flare"].eq("yes").sum() > 100
    assert ds.entries["rescue_helped"].dropna().isin(["yes", "a_little", "no"]).all()
    files = dataset_files(ds)
    assert "entries.csv" in files
    folder = tmp_path / "copy"
    folder.mkdir()
    for name in ("patients.csv", "diary.csv", "sessions.csv"):
        shutil.copy(SAMPLE / name, folder / name)
    files["entries.csv"].to_csv(folder / "entries.csv", index=False)
    again = load_dataset(folder)
    assert again.entries.equals(ds.entries)
