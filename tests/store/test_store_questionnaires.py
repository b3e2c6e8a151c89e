"""Questionnaire answers in the store: an import adds them once, an update replaces them with history."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from analytics.contract import Dataset
from analytics.io import validate_records
from analytics.store import open_store


def _dataset(answer: int) -> Dataset:
    answers = pd.DataFrame(
        {"patient_id": "P1", "date": pd.Timestamp("2026-01-05"), "instrument": "pgic", "item": "pgic",
         "answer": pd.array([answer], dtype="Int64")}
    )  # fmt: skip
    return Dataset(
        patients=validate_records("patients", [{"patient_id": "P1", "condition": "neck pain"}]),
        diary=validate_records("diary", [{"patient_id": "P1", "date": "2026-01-04", "pain": 5}]),
        sessions=validate_records("sessions", []),
        questionnaires=answers,
    )


def test_import_adds_answers_once_and_update_replaces_them(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}") as store:
        store.import_dataset("t", _dataset(3))
        store.import_dataset("t", _dataset(3))
        store.import_dataset("t", dataclasses.replace(_dataset(2)))  # differs: kept without update
        assert store.questionnaire_answers("t")["answer"].tolist() == [3]
        store.import_dataset("t", _dataset(2), update=True)
        assert store.questionnaire_answers("t")["answer"].tolist() == [2]
        history = store.history("t", "P1")
        kept = history[history["table"] == "questionnaires"]
        assert kept["action"].tolist() == ["create", "update"]
        assert (
            store.save_questionnaire("t", "P1", dt.date(2026, 1, 5), "pgic", {"pgic": 2})
            == "unchanged"
        )
