"""Words for the questionnaires: the clinician's table, the patient's sentences, what is due."""

from __future__ import annotations

import re

import pandas as pd

from analytics.presentation import (
    composite_lines,
    due_names,
    due_text,
    questionnaire_panel,
    questionnaire_sentences,
    visit_numbers,
)
from analytics.stats import composite_responders, questionnaire_table, questionnaires_due

ACTIVITIES = ["activity_1", "activity_2", "activity_3"]
PHQ4 = ["nervous", "worrying", "interest", "down"]
# six weekly sessions from 8 January 2026
SESSIONS = pd.DataFrame(
    {
        "patient_id": "P1",
        "date": pd.date_range("2026-01-08 09:30", periods=6, freq="7D"),
    }
)


def _answers(rows: list[tuple[str, str, list[str], list[int]]]) -> pd.DataFrame:
    frames = [
        pd.DataFrame(
            {
                "patient_id": "P1",
                "date": pd.Timestamp(day),
                "instrument": instrument,
                "item": items,
                "answer": values,
            }
        )  # fmt: skip
        for day, instrument, items, values in rows
    ]
    return pd.concat(frames, ignore_index=True)


ANSWERS = _answers(
    [
        ("2026-01-05", "psfs", ACTIVITIES, [3, 4, 5]),  # mean 4
        ("2026-01-05", "phq4", PHQ4, [2, 2, 1, 2]),  # total 7, moderate
        ("2026-02-12", "psfs", ACTIVITIES, [6, 6, 7]),  # mean 19/3 = 6.33: +2.33
        ("2026-02-12", "phq4", PHQ4, [1, 1, 1, 1]),  # total 4, mild: −3
        ("2026-02-12", "pgic", ["pgic"], [2]),  # much improved, after session 6
    ]
)


def test_visit_numbers_count_the_sessions_on_or_before_each_day():
    days = pd.Series(pd.to_datetime(["2026-01-05", "2026-01-08", "2026-02-12", "2026-03-01"]))
    assert visit_numbers(days, SESSIONS).tolist() == [0, 1, 6, 6]
    assert visit_numbers(days, None).tolist() == [0, 0, 0, 0]


def test_the_clinician_table_compares_the_latest_answer_with_the_first():
    panel = questionnaire_panel(questionnaire_table(ANSWERS), SESSIONS).set_index("score")
    psfs = panel.loc["Ability in chosen activities (PSFS mean, 0-10)"]
    assert psfs["questionnaire"] == "PSFS"
    assert psfs["baseline"] == "4 (05 Jan 2026)"
    assert psfs["latest"] == "6.3 (12 Feb 2026, after session 6)"
    # 19/3 − 4 = 2.33 points, more than the published 2-point minimal important difference
    assert psfs["since_baseline"] == "better by 2.3 points"
    assert psfs["meaningful"].startswith("yes: reaches the 2-point minimal important")
    phq = panel.loc["Anxiety and depression (PHQ-4 total, 0-12)"]
    assert phq["since_baseline"] == "better by 3 points"  # lower is better on the PHQ-4
    assert phq["meaningful"] == "no published minimal important difference"
    pgic = panel.loc["Global impression of change"]
    assert pgic["baseline"] == "—" and pgic["since_baseline"] == "—"
    assert pgic["latest"].startswith("2, much improved (12 Feb 2026")
    assert phq["latest"] == "4, mild (12 Feb 2026, after session 6)"
    main = questionnaire_panel(questionnaire_table(ANSWERS), SESSIONS, scores="main")
    assert main["questionnaire"].tolist() == ["PGIC", "PHQ-4", "PSFS"]
    assert pgic["meaningful"].startswith("yes: much or very much improved")
    assert questionnaire_panel(questionnaire_table(ANSWERS.iloc[:0])).empty


def test_the_patient_reads_plain_words_without_abbreviations():
    sentences = questionnaire_sentences(questionnaire_table(ANSWERS), SESSIONS)
    assert sentences == [
        "Your overall impression of change at visit 6: much improved.",
        "Your anxiety and low mood score fell by 3 points since you started (lower is better). "
        "It is now in the “mild” range.",
        "Your function score rose by 2.3 points since you started — more than the 2-point "
        "change that counts as meaningful.",
    ]
    assert not any(re.search(r"\b[A-Z]{2,}", s) for s in sentences)
    assert questionnaire_sentences(questionnaire_table(ANSWERS.iloc[:0])) == []


def test_the_function_sentence_compares_with_the_minimal_important_difference():
    def psfs_after(values: list[int]) -> str:
        answers = _answers(
            [
                ("2026-01-05", "psfs", ACTIVITIES, [3, 4, 5]),
                ("2026-03-01", "psfs", ACTIVITIES, values),
            ]
        )
        return questionnaire_sentences(questionnaire_table(answers))[0]

    assert "rose by 2 points" in psfs_after([5, 6, 7]) and "as much as the 2-point" in psfs_after(
        [5, 6, 7]
    )
    assert "less than the 2-point change" in psfs_after([4, 5, 6])
    assert psfs_after([2, 3, 4]).startswith("Your function score fell by 1 point")
    assert "(higher is better)" in psfs_after([2, 3, 4])
    first = _answers([("2026-01-05", "psfs", ACTIVITIES, [3, 4, 5])])
    assert questionnaire_sentences(questionnaire_table(first))[0].startswith(
        "Your function score when you started: 4."
    )


def test_the_composite_responder_names_both_methods_and_their_results():
    table = questionnaire_table(ANSWERS)
    row = composite_responders(pd.DataFrame({"patient_id": ["P1"], "responder": [True]}), table)
    verdict, methods = composite_lines(row.iloc[0].to_dict(), threshold=30)
    assert verdict == "Responder by two methods (IMMPACT): yes."
    assert methods[0] == "Method 1, pain: diary pain reduced by at least 30% — yes."
    assert "PSFS" in methods[1] and "2-point minimal important difference — yes" in methods[1]
    assert "(PGIC) much or very much improved — yes" in methods[1]
    unknown = {"pain_responder": pd.NA, "composite_responder": pd.NA}
    assert composite_lines(unknown, threshold=35)[0].endswith("cannot be decided.")
    assert "not answered" in composite_lines(unknown, threshold=35)[1][1]


def test_due_words_name_the_instruments_of_the_same_rule_as_log_today():
    sessions = pd.concat([SESSIONS, SESSIONS.assign(patient_id="P2").iloc[:1]])
    due = questionnaires_due(sessions, ANSWERS.iloc[:0], patient_ids=["P3"], today="2026-02-13")
    # P1 reached session 6: every instrument; P2 one session, P3 none: baseline, not PGIC
    assert due_names(due).to_dict() == {
        "P1": "PGIC, PHQ-4, PSFS",
        "P2": "PHQ-4, PSFS",
        "P3": "PHQ-4, PSFS",
    }
    assert due_text(due[due["patient_id"] == "P1"]) == "PGIC, PHQ-4, PSFS due (session 6)"
    assert due_text(due.iloc[:0]) == "" and due_names(due.iloc[:0]).empty
