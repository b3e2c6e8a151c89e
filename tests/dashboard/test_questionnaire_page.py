"""The patient sees due questionnaires on Log today and answers them on their own page."""

from __future__ import annotations

import datetime as dt

from analytics.access import LOCAL_OPERATOR
from analytics.service import Service
from analytics.store import open_store

from .conftest import PASSWORD, open_page


def test_due_questionnaires_are_announced_answered_and_stored(demo_db):
    log = open_page("views/log_today.py", user="p007")
    assert not log.exception
    assert any("short questionnaires are due" in info.value for info in log.info)

    at = open_page("views/questionnaire.py", user="p007")
    assert not at.exception
    assert at.subheader[0].value == "Patient Global Impression of Change"
    at.radio(key="questionnaire.pgic.pgic").set_value("Much improved")
    at.button(key="FormSubmitter:questionnaire.pgic-Save my answers").click().run()
    assert not at.exception
    assert "your PGIC answers are saved" in at.success[0].value
    assert at.subheader[0].value == "Patient Health Questionnaire-4"
    # the form refuses a half-answered questionnaire in words, saving nothing
    at.radio(key="questionnaire.phq4.nervous").set_value("Several days")
    at.button(key="FormSubmitter:questionnaire.phq4-Save my answers").click().run()
    assert "Please answer every question" in at.warning[0].value
    with open_store(demo_db) as store:
        answers = store.questionnaire_answers("test", patient_ids=["P007"])
        log_rows = store.audit_log("test")
    assert answers[["instrument", "item", "answer"]].values.tolist() == [["pgic", "pgic", 2]]
    assert ((log_rows["action"] == "edit") & (log_rows["patient_id"] == "P007")).sum() == 1


def test_a_clinician_cannot_open_the_patients_questionnaire_page(demo_db):
    at = open_page("views/questionnaire.py", user="dr.a")
    assert not at.exception
    assert any("not open to" in error.value for error in at.error)


def test_answer_now_opens_the_questionnaire_page(demo_db):
    log = open_page("views/log_today.py", user="p007")
    log.button(key="questionnaire_due.open").click().run()
    assert not log.exception
    assert log.title[0].value == "📋 Questionnaires"


def test_a_patient_with_nothing_due_gets_a_clear_empty_state(demo_db):
    log = open_page("views/log_today.py", user="p001")  # answered at session 6, has 8 sessions
    assert not any("questionnaire" in info.value for info in log.info)
    at = open_page("views/questionnaire.py", user="p001")
    assert "No questionnaire is due today" in at.success[0].value


def test_a_migraine_patient_types_the_headache_days(demo_db):
    """P042 (migraine, 13 sessions) has answered PGIC, PHQ-4 and PSFS today; headache days
    are due too, asked as typed counts of days, not as 29 buttons."""
    today = dt.date.today()
    with open_store(demo_db) as store:
        Service(store, LOCAL_OPERATOR, face="test:setup").add_user(
            "p042", role="patient", password=PASSWORD, patient_id="P042",
            must_change_password=False,
        )  # fmt: skip
        for instrument, answers in (
            ("pgic", {"pgic": 3}),
            ("phq4", {"nervous": 1, "worrying": 1, "interest": 0, "down": 0}),
            ("psfs", {"activity_1": 5, "activity_2": 6, "activity_3": 4}),
        ):
            store.save_questionnaire("test", "P042", today, instrument, answers)
    at = open_page("views/questionnaire.py", user="p042")
    assert at.subheader[0].value == "Headache days in the last 4 weeks"
    at.number_input(key="questionnaire.headache_days.headache_days").set_value(9)
    at.number_input(key="questionnaire.headache_days.medication_days").set_value(4)
    at.button(key="FormSubmitter:questionnaire.headache_days-Save my answers").click().run()
    assert not at.exception
    assert "your Headache days answers are saved" in at.success[0].value
    with open_store(demo_db) as store:
        answers = store.questionnaire_answers("test", patient_ids=["P042"])
    mine = answers[answers["instrument"] == "headache_days"].set_index("item")["answer"]
    assert mine.to_dict() == {"headache_days": 9, "medication_days": 4}
