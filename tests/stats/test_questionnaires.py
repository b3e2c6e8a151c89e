"""Questionnaire scoring against the instruments' manuals and hand calculations."""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.stats import QUESTIONNAIRE_COLUMNS, questionnaire_table, score_questionnaires


def _answers(patient, date, instrument, answers):
    return pd.DataFrame(
        {
            "patient_id": patient,
            "date": pd.Timestamp(date),
            "instrument": instrument,
            "item": list(answers),
            "answer": list(answers.values()),
        }
    )


def test_phq4_scores_and_bands_follow_kroenke_2009():
    # Kroenke et al. Psychosomatics 2009;50:613: total 0-12 is the sum of the four items
    # (normal 0-2, mild 3-5, moderate 6-8, severe 9-12); GAD-2 = items 1-2, PHQ-2 =
    # items 3-4, each positive at >= 3. Hand calculation: 1+2 = 3, 0+3 = 3, total 6.
    answers = _answers(
        "P001", "2026-01-05", "phq4", {"nervous": 1, "worrying": 2, "interest": 0, "down": 3}
    )
    scores = score_questionnaires(answers).set_index("score")
    assert scores.loc["phq4_total", "value"] == 6
    assert scores.loc["phq4_total", "band"] == "moderate"
    assert scores.loc["gad2", "value"] == 3
    assert scores.loc["gad2", "band"] == "at or above the screening cut-off of 3"
    assert scores.loc["phq2", "value"] == 3
    worst = _answers(
        "P001", "2026-01-06", "phq4", {"nervous": 3, "worrying": 3, "interest": 3, "down": 3}
    )
    assert score_questionnaires(worst).set_index("score").loc["phq4_total", "band"] == "severe"


def test_a_score_with_an_unanswered_item_is_absent_not_zero():
    answers = _answers("P001", "2026-01-05", "phq4", {"nervous": 1, "worrying": 2, "interest": 0})
    scores = score_questionnaires(answers)
    assert list(scores["score"]) == ["gad2"]


def test_psfs_mean_and_its_minimal_important_difference():
    # Stratford et al. Physiotherapy Canada 1995;47:258: the score is the mean of the
    # activity ratings; a change of 2 points is clinically important.
    answers = pd.concat(
        [
            _answers(
                "P001", "2026-01-05", "psfs", {"activity_1": 3, "activity_2": 5, "activity_3": 4}
            ),
            _answers(
                "P001", "2026-02-16", "psfs", {"activity_1": 6, "activity_2": 7, "activity_3": 5}
            ),
            _answers(
                "P002", "2026-01-05", "psfs", {"activity_1": 3, "activity_2": 5, "activity_3": 4}
            ),
            _answers(
                "P002", "2026-02-16", "psfs", {"activity_1": 5, "activity_2": 6, "activity_3": 5}
            ),
        ]
    )
    table = questionnaire_table(answers)
    assert list(table.columns) == QUESTIONNAIRE_COLUMNS
    follow = table[table["date"] == pd.Timestamp("2026-02-16")].set_index("patient_id")
    assert follow.loc["P001", "value"] == pytest.approx(6.0)  # (6+7+5)/3
    assert follow.loc["P001", "improvement"] == pytest.approx(2.0)  # 6 - 4
    assert bool(follow.loc["P001", "important_improvement"]) is True
    assert follow.loc["P002", "improvement"] == pytest.approx(16 / 3 - 4)
    assert bool(follow.loc["P002", "important_improvement"]) is False


def test_phq4_improvement_is_positive_when_the_score_falls():
    answers = pd.concat(
        [
            _answers(
                "P001",
                "2026-01-05",
                "phq4",
                {"nervous": 2, "worrying": 2, "interest": 1, "down": 1},
            ),
            _answers(
                "P001",
                "2026-03-02",
                "phq4",
                {"nervous": 1, "worrying": 0, "interest": 1, "down": 0},
            ),
        ]
    )
    table = questionnaire_table(answers)
    total = table[(table["score"] == "phq4_total")].set_index("date")
    assert total.loc[pd.Timestamp("2026-03-02"), "change"] == -4  # 2 - 6
    assert total.loc[pd.Timestamp("2026-03-02"), "improvement"] == 4
    assert total["important_improvement"].isna().all()  # no published MID used for PHQ-4


def test_pgic_much_improved_is_a_responder_and_has_no_baseline():
    # Farrar et al. Pain 2001;94:149: "much" or "very much improved" (1-2 of 7).
    answers = pd.concat(
        [
            _answers("P001", "2026-02-16", "pgic", {"pgic": 3}),
            _answers("P001", "2026-03-30", "pgic", {"pgic": 2}),
        ]
    )
    table = questionnaire_table(answers).set_index("date")
    assert list(table["important_improvement"]) == [False, True]
    assert table.loc[pd.Timestamp("2026-03-30"), "band"] == "much or very much improved"
    assert table["baseline_value"].isna().all() and table["change"].isna().all()


def test_questionnaires_fall_due_at_baseline_and_after_sessions_6_and_12():
    from analytics.stats import questionnaires_due

    days = pd.date_range("2026-01-05", periods=12, freq="7D")
    sessions = pd.DataFrame({"patient_id": "P1", "date": days})
    phq4 = {"nervous": 1, "worrying": 1, "interest": 1, "down": 1}
    answers = _answers("P1", "2026-01-02", "phq4", phq4)
    after_six = sessions.iloc[:7]  # seven sessions: the sixth was on 2026-02-09
    due = questionnaires_due(after_six, answers, patient_ids=["P2"])
    p1 = due[due["patient_id"] == "P1"].set_index("instrument")
    assert list(p1.index) == ["pgic", "phq4", "psfs"]
    assert (p1["time_point"] == "session 6").all()
    assert (p1["due_since"] == pd.Timestamp("2026-02-09")).all()
    assert due[due["patient_id"] == "P2"]["time_point"].tolist() == ["baseline", "baseline"]
    answered = pd.concat([answers, _answers("P1", "2026-02-10", "pgic", {"pgic": 2})])
    assert "pgic" not in set(questionnaires_due(after_six, answered)["instrument"])
    at_twelve = questionnaires_due(sessions, answered)
    assert set(at_twelve["time_point"]) == {"session 12"}  # session 6 superseded


def test_headache_days_responder_is_half_the_baseline_days_ihs():
    """IHS guidelines (Tfelt-Hansen 2000; Bendtsen 2010): a responder has at least 50 %
    fewer headache days per 4 weeks than at baseline. By hand: 12 -> 6 is exactly 50 %
    (responder), 12 -> 7 is 41.7 % (not); a baseline of 0 days has no share (missing);
    16 days is in the chronic range (ICHD-3: 15 or more)."""
    answers = pd.concat(
        [
            _answers("A", "2026-01-01", "headache_days", {"headache_days": 12, "medication_days": 8}),
            _answers("A", "2026-02-01", "headache_days", {"headache_days": 6, "medication_days": 3}),
            _answers("A", "2026-03-01", "headache_days", {"headache_days": 7, "medication_days": 3}),
            _answers("B", "2026-01-01", "headache_days", {"headache_days": 0, "medication_days": 0}),
            _answers("B", "2026-02-01", "headache_days", {"headache_days": 16, "medication_days": 2}),
        ]
    )  # fmt: skip
    table = questionnaire_table(answers)
    days = table[table["score"] == "headache_days"].set_index(["patient_id", "date"])
    assert days["value"].tolist() == [12.0, 6.0, 7.0, 0.0, 16.0]
    assert days["improvement"].tolist() == pytest.approx([0.0, 6.0, 5.0, 0.0, -16.0])
    assert days["important_improvement"].tolist()[:3] == [False, True, False]
    assert days["important_improvement"].isna().tolist()[3:] == [True, True]
    assert days["band"].tolist()[-1] == "15 days or more (chronic range)"
    medicine = table[table["score"] == "medication_days"]
    assert medicine["important_improvement"].isna().all()  # no published rule: none claimed


def test_headache_days_fall_due_only_for_headache_conditions():
    from analytics.stats import questionnaires_due

    sessions = pd.DataFrame({"patient_id": ["M", "T", "L"], "date": pd.Timestamp("2026-01-05")})
    conditions = pd.Series(
        {"M": "migraine", "T": "tension_type_headache", "L": "chronic_low_back_pain"}
    )
    answers = _answers("X", "2026-01-01", "pgic", {"pgic": 4})
    due = questionnaires_due(sessions, answers, conditions=conditions)
    headache = due[due["instrument"] == "headache_days"]
    assert headache["patient_id"].tolist() == ["M", "T"]
    assert (headache["time_point"] == "baseline").all()
    assert set(due[due["patient_id"] == "L"]["instrument"]) == {"phq4", "psfs"}
    # without the patients' conditions it is due for nobody
    assert "headache_days" not in set(questionnaires_due(sessions, answers)["instrument"])


def test_composite_responder_needs_pain_and_function_or_pgic():
    # IMMPACT (Dworkin 2008): two methods. Hand-worked truth table, Kleene logic for unknowns.
    from analytics.stats import composite_responders

    def psfs(p, d, v):
        return _answers(p, d, "psfs", {"activity_1": v, "activity_2": v, "activity_3": v})

    answers = pd.concat(
        [
            psfs("A", "2026-01-05", 3), psfs("A", "2026-03-30", 5),  # function +2: important
            psfs("B", "2026-01-05", 3), psfs("B", "2026-03-30", 4),  # +1 only
            _answers("B", "2026-03-30", "pgic", {"pgic": 2}),  # much improved
            psfs("C", "2026-01-05", 3), psfs("C", "2026-03-30", 4),
            _answers("C", "2026-03-30", "pgic", {"pgic": 3}),  # minimally improved
            psfs("D", "2026-01-05", 3), psfs("D", "2026-03-30", 6),  # pain non-responder
        ]
    )  # fmt: skip
    outcomes = pd.DataFrame(
        {"patient_id": ["A", "B", "C", "D", "E"], "responder": [True, True, True, False, True]}
    )
    table = composite_responders(outcomes, questionnaire_table(answers)).set_index("patient_id")
    assert table["function_responder"].tolist()[:4] == [True, False, False, True]
    assert table["pgic_responder"].tolist()[1:3] == [True, False]
    assert table.loc["A", "composite_responder"] and table.loc["B", "composite_responder"]
    assert not table.loc["C", "composite_responder"] and not table.loc["D", "composite_responder"]
    assert table["composite_responder"].isna().tolist() == [False, False, False, False, True]


def test_summarize_patient_carries_the_scores_and_the_composite_responder():
    from analytics.io import validate_records
    from analytics.pipeline import summarize_patient

    days = pd.date_range("2026-01-01", periods=70, freq="D")
    diary = validate_records(
        "diary",
        [
            {"patient_id": "P1", "date": d.date(), "pain": 6.0 if i < 14 else 3.0}
            for i, d in enumerate(days)
        ],
    )
    sessions = validate_records(
        "sessions",
        [{"patient_id": "P1", "date": f"2026-01-{d}", "technique": "manual"} for d in (15, 22, 29)],
    )
    answers = pd.concat(
        [
            _answers(
                "P1", "2026-01-14", "psfs", {"activity_1": 3, "activity_2": 3, "activity_3": 3}
            ),
            _answers(
                "P1", "2026-03-10", "psfs", {"activity_1": 6, "activity_2": 5, "activity_3": 4}
            ),
            _answers("P2", "2026-03-10", "pgic", {"pgic": 1}),  # another patient's row is dropped
        ]
    )
    summary = summarize_patient(None, diary, sessions, patient_id="P1", questionnaires=answers)
    assert set(summary.questionnaires["patient_id"]) == {"P1"}
    assert summary.questionnaires["improvement"].tolist() == [0.0, 2.0]
    row = summary.composite.iloc[0]
    assert (
        bool(row["pain_responder"])
        and bool(row["function_responder"])
        and bool(row["composite_responder"])
    )
    assert summarize_patient(None, diary, sessions, patient_id="P1").questionnaires.empty
