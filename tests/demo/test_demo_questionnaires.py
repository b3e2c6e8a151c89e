"""The demo clinic's questionnaire answers: most treated patients, at baseline and sessions 6 and 12."""

from __future__ import annotations

import pandas as pd

from analytics.demo import demo_answers, generate_clinic
from analytics.io import load_dataset
from analytics.store import project_root


def test_most_treated_patients_answer_at_baseline_and_sessions_6_and_12():
    ds = load_dataset(project_root() / "sample_data")  # the loader checks every answer
    treated = set(ds.sessions["patient_id"])
    answers = ds.questionnaires
    answered = set(answers["patient_id"])
    assert answered <= treated and len(answered) >= 0.75 * len(treated)
    sessions = ds.sessions.sort_values(["patient_id", "date"])
    for pid in sorted(answered)[:10]:
        days = sessions[sessions["patient_id"] == pid]["date"].dt.normalize().tolist()
        mine = answers[answers["patient_id"] == pid]
        assert mine[mine["instrument"] == "phq4"]["date"].min() == days[0] - pd.Timedelta(days=1)
        expected = {days[k - 1] for k in (6, 12) if len(days) >= k}
        assert set(mine[mine["instrument"] == "pgic"]["date"]) == expected


def test_answers_are_deterministic_for_a_seed():
    clinic = generate_clinic(12, rng=3)
    pd.testing.assert_frame_equal(demo_answers(clinic, seed=3), demo_answers(clinic, seed=3))


def test_headache_patients_count_their_headache_days_from_their_own_diary():
    ds = load_dataset(project_root() / "sample_data")
    answers = ds.questionnaires[ds.questionnaires["instrument"] == "headache_days"]
    conditions = ds.patients.set_index("patient_id")["condition"]
    assert set(conditions[answers["patient_id"].unique()]) <= {"migraine", "tension_type_headache"}
    answered = set(ds.questionnaires["patient_id"])
    headache = {p for p in answered if conditions[p] in ("migraine", "tension_type_headache")}
    assert headache and set(answers["patient_id"]) == headache
    # one answer counted by hand: the marked days among the 28 up to the answer's day
    first = answers.iloc[0]
    diary = ds.diary[ds.diary["patient_id"] == first["patient_id"]]
    start = first["date"] - pd.Timedelta(days=27)
    window = diary[(diary["date"] >= start) & (diary["date"] <= first["date"])]
    marked = [h for h in window["headache"] if isinstance(h, str) and h != "none"]
    mine = answers[
        (answers["patient_id"] == first["patient_id"]) & (answers["date"] == first["date"])
    ]
    assert mine.set_index("item")["answer"]["headache_days"] == len(marked)
