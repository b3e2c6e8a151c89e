"""Entries during the day through the service: the patient adds and answers their own, audited."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.errors import AccessDeniedError
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
