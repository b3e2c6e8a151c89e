"""Questionnaires through the service: the patient answers their own, every call is audited."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.errors import AccessDeniedError, DataValidationError
from tests.service.test_service import _own_data_dir, _service, store, template  # noqa: F401, F811

TODAY = dt.date(2024, 3, 1)
PHQ4 = {"nervous": 2, "worrying": 2, "interest": 1, "down": 1}


def test_a_patient_answers_their_own_and_sees_the_change(store):  # noqa: F811
    pat = _service(store, "pat")
    assert pat.save_questionnaire(None, "2024-01-09", "phq4", PHQ4, today=TODAY) == "created"
    later = {"nervous": 1, "worrying": 0, "interest": 1, "down": 0}
    assert pat.save_questionnaire(None, "2024-02-20", "phq4", later, today=TODAY) == "created"
    scores = pat.questionnaire_scores("P1")
    total = scores[scores["score"] == "phq4_total"]
    assert total["value"].tolist() == [6.0, 2.0]
    assert total["improvement"].tolist() == [0.0, 4.0]
    log = store.audit_log("test")
    edits = log[(log["action"] == "edit") & (log["patient_id"] == "P1")]
    assert len(edits) == 2 and edits["detail"].str.contains("save_questionnaire").all()
    assert (log["detail"].fillna("").str.contains("questionnaire scores")).any()


def test_others_are_refused_and_bad_answers_are_refused_in_words(store):  # noqa: F811
    with pytest.raises(AccessDeniedError):
        _service(store, "ben").save_questionnaire(
            "P1", "2024-01-09", "pgic", {"pgic": 2}, today=TODAY
        )
    with pytest.raises(AccessDeniedError):
        _service(store, "share-link").save_questionnaire(
            None, "2024-01-09", "pgic", {"pgic": 2}, today=TODAY
        )
    with pytest.raises(DataValidationError, match="not one of 1, 2, 3, 4, 5, 6, 7"):
        _service(store, "ann").save_questionnaire(
            "P1", "2024-01-09", "pgic", {"pgic": 9}, today=TODAY
        )
    log = store.audit_log("test")
    assert set(log["outcome"]) >= {"denied", "failed"}


def test_baseline_questionnaires_are_due_until_answered(store):  # noqa: F811
    pat = _service(store, "pat")
    due = pat.questionnaires_due(None, today=TODAY)
    assert sorted(due["instrument"]) == ["phq4", "psfs"]  # one session so far: baseline, no PGIC
    pat.save_questionnaire(None, "2024-01-09", "phq4", PHQ4, today=TODAY)
    assert pat.questionnaires_due(None, today=TODAY)["instrument"].tolist() == ["psfs"]


def test_the_cohort_due_read_is_the_per_patient_rule_for_the_scope_at_once(store):  # noqa: F811
    pat = _service(store, "pat")
    pat.save_questionnaire(None, "2024-01-09", "phq4", PHQ4, today=TODAY)
    ann = _service(store, "ann")
    cohort = ann.cohort_questionnaires_due(purpose="overview", today=TODAY)
    each = pd.concat([ann.questionnaires_due(pid, today=TODAY) for pid in ("P1", "P2")])
    pd.testing.assert_frame_equal(cohort, each.reset_index(drop=True))
    # P1 answered the PHQ-4; both have one session: the baseline PSFS (and P2's PHQ-4) due
    assert cohort.groupby("patient_id")["instrument"].apply(list).to_dict() == {
        "P1": ["psfs"],
        "P2": ["phq4", "psfs"],
    }
    # ben's patients never enter ann's read; the read is one audited view of her cohort
    assert set(_service(store, "ben").cohort_questionnaires_due(purpose="o", today=TODAY)[
        "patient_id"]) == {"P3", "P4"}  # fmt: skip
    log = store.audit_log("test")
    views = log[(log["patient_id"] == "*") & log["detail"].fillna("").str.contains("overview")]
    assert len(views) == 1 and "questionnaires_due" in views["detail"].iloc[0]
