"""Entries during the day in the store: added as they happen, answered two hours later, imported."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from analytics.contract import Dataset
from analytics.errors import DataValidationError
from analytics.io import load_entries, validate_records

TODAY = dt.date(2026, 1, 10)


def _dataset(pain: float) -> Dataset:
    text = f"patient_id,date,time,pain,flare,duration_minutes\nP1,2026-01-05,14:30,{pain},yes,90\n"
    return Dataset(
        patients=validate_records("patients", [{"patient_id": "P1", "condition": "migraine"}]),
        diary=validate_records("diary", [{"patient_id": "P1", "date": "2026-01-04", "pain": 5}]),
        sessions=validate_records("sessions", []),
        entries=load_entries(io.StringIO(text), today=TODAY),
    )


def test_entries_are_added_answered_and_imported_with_history(store):
    store.import_dataset("t", _dataset(7))
    store.import_dataset("t", _dataset(8))  # differs: kept without update
    assert store.entries("t")["pain"].tolist() == [7.0]
    store.import_dataset("t", _dataset(8), update=True)
    assert store.entries("t")["pain"].tolist() == [8.0]

    record = {"patient_id": "P1", "date": dt.date(2026, 1, 6), "time": "09:15", "pain": 6,
              "flare": "yes", "rescue_medication": "ibuprofen"}  # fmt: skip
    assert store.add_entry("p001", record, today=TODAY) == "created"
    assert store.add_entry("p001", record, today=TODAY) == "unchanged"
    store.answer_rescue("p001", "P1", "2026-01-06", "09:15", "a_little")
    got = store.entries("t", patient_ids=["P1"]).set_index("time")
    assert got.loc["09:15", "rescue_helped"] == "a_little"
    assert got.loc["09:15", "rescue_answered_by"] == "p001"
    assert got.loc["14:30", "duration_minutes"] == 90
    history = store.history("t", "P1")
    kept = history[history["table"] == "entries"]
    assert kept["action"].tolist() == ["create", "update", "create", "update"]

    with pytest.raises(DataValidationError, match="time is"):
        store.add_entry("p001", {**record, "time": "9:15"}, today=TODAY)
    with pytest.raises(DataValidationError, match="yes, a_little, no"):
        store.answer_rescue("p001", "P1", "2026-01-06", "09:15", "maybe")
    assert len(store.entries("t")) == 2 and isinstance(store.entries("t"), pd.DataFrame)
