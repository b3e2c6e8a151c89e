"""Entries during the day through the service: the patient adds and answers their own, audited."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.errors import AccessDeniedError
from analytics.pipeline import analysis_diary, per_patient
from tests.service.test_service import _own_data_dir, _service, store, template  # noqa: F401, F811

TODAY = dt.date(2024, 3, 1)


def test_a_flare_is_added_and_its_rescue_medicine_asked_about_two_hours_later(store):  # noqa: F811
    pat = _service(store, "pat")
    flare = {"date": "2024-03-01", "time": "09:30", "pain": 8, "flare": "yes",
             "duration_minutes": 45, "rescue_medication": "ibuprofen"}  # fmt: skip
    assert pat.add_entry(None, flare, today=TODAY) == "created"
    assert pat.rescue_questions(None, now=dt.datetime(2024, 3, 1, 11, 29)).empty
    due = pat.rescue_questions(None, now=dt.datetime(2024, 3, 1, 11, 30))
    assert due["time"].tolist() == ["09:30"]
    pat.answer_rescue(None, "2024-03-01", "09:30", "yes")
    assert pat.rescue_questions(None, now=dt.datetime(2024, 3, 1, 12, 0)).empty
    shared = _service(store, "share-link").entries(None)  # a share link may look
    assert shared["rescue_helped"].tolist() == ["yes"]
    with pytest.raises(AccessDeniedError):
        _service(store, "share-link").add_entry(None, flare, today=TODAY)
    with pytest.raises(AccessDeniedError):
        _service(store, "ben").answer_rescue("P1", "2024-03-01", "09:30", "no")
    log = store.audit_log("test")
    mine = log[log["patient_id"] == "P1"]
    assert mine["detail"].str.contains("add_entry").any()
    assert mine["detail"].str.contains("answer_rescue").any()
    assert mine["detail"].fillna("").str.contains("rescue questions").any()
    assert set(log["outcome"]) >= {"denied"}


def test_the_patient_read_and_the_stored_outcomes_fold_in_the_entries(store):  # noqa: F811
    admin = _service(store, "admin")
    settings = admin.analysis_settings()
    admin.cohort_tables(settings, purpose="test", tables=())  # stored before the entries
    pat = _service(store, "pat")
    day = {"date": "2024-01-09", "time": "15:00", "pain": 9, "flare": "yes",
           "rescue_medication": "ibuprofen"}  # fmt: skip
    pat.add_entry(None, day, today=TODAY)
    pat.add_entry(None, {"date": "2024-02-01", "time": "08:00", "pain": 3}, today=TODAY)
    before = len(store.audit_log("test"))
    ds = pat.patient_dataset("P1", purpose="chart")
    log = store.audit_log("test")
    assert len(log) == before + 1 and '"entries": 2' in log["detail"].iloc[-1]
    assert ds.entries["time"].tolist() == ["15:00", "08:00"]
    daily = analysis_diary(ds.diary, ds.entries)
    assert daily["pain"].tolist() == [5.5, 7.5, 6.5, 3.0]  # 2024-01-09: mean of 6 and 9
    stored = admin.cohort_tables(settings, purpose="test", tables=())["patient_outcomes"]
    expected = per_patient(ds.patients, daily, ds.sessions, settings)["patient_outcomes"]
    got = stored[stored["patient_id"] == "P1"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got["n_diary_days"].iloc[0] == 4
