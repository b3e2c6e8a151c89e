"""questionnaires.csv: checked like the other files, read by load_dataset and analyze."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from analytics.cli import main
from analytics.errors import DataValidationError
from analytics.io import load_dataset, load_questionnaires

HEADER = "patient_id,date,instrument,item,answer\n"
TODAY = dt.date(2026, 3, 10)


def test_each_wrong_answer_is_named_with_its_line():
    text = HEADER + (
        "P1,2026-03-01,pgic,pgic,2\n"
        "P1,2026-03-01,phq4,down,5\n"
        "P1,2026-03-01,phq4,mood,1\n"
        "P1,2026-03-01,sf36,x,1\n"
        "P1,2026-03-20,pgic,pgic,1\n"
    )
    with pytest.raises(DataValidationError) as caught:
        load_questionnaires(io.StringIO(text), today=TODAY)
    problems = caught.value.problems.set_index("line")
    assert list(problems.index) == [3, 4, 5, 6]
    assert problems.loc[3, "message"] == 'answer is "5"; for down it must be one of 0, 1, 2, 3'
    assert (
        "PHQ-4 has no such item; its items are nervous, worrying, interest, down"
        in problems.loc[4, "message"]
    )
    assert (
        "instrument must be one of: headache_days, pgic, phq4, psfs" in problems.loc[5, "message"]
    )
    assert "in the future" in problems.loc[6, "message"]


def test_skip_loads_the_valid_answers_and_keeps_the_rejected_rows():
    text = HEADER + "P1,2026-03-01,pgic,pgic,2\nP1,2026-03-01,phq4,down,9\n"
    with pytest.warns(UserWarning):
        frame = load_questionnaires(io.StringIO(text), today=TODAY, on_error="skip")
    assert frame["answer"].tolist() == [2]
    assert frame.attrs["rejects"]["line"].tolist() == [3]


def _clinic(folder):
    folder.mkdir()
    days = pd.date_range("2026-01-01", periods=60, freq="D")
    pain = [6 if d < pd.Timestamp("2026-01-15") else 4 for d in days]
    pd.DataFrame({"patient_id": "P001", "date": days.strftime("%Y-%m-%d"), "pain": pain}).to_csv(
        folder / "diary.csv", index=False
    )
    (folder / "patients.csv").write_text("patient_id,condition\nP001,neck_pain\n", encoding="utf-8")
    sessions = "patient_id,date,technique\n" + "".join(
        f"P001,2026-01-{d:02d},manual\n" for d in (15, 22, 29)
    )
    (folder / "sessions.csv").write_text(sessions, encoding="utf-8")
    return folder


def test_load_dataset_checks_the_answers_patients(tmp_path):
    folder = _clinic(tmp_path / "clinic")
    (folder / "questionnaires.csv").write_text(
        HEADER + "P999,2026-01-14,pgic,pgic,4\n", encoding="utf-8"
    )
    with pytest.raises(DataValidationError, match="questionnaires.csv line 2"):
        load_dataset(folder, today=TODAY)


@pytest.mark.slow
def test_analyze_adds_the_questionnaire_table_and_leaves_the_other_files_unchanged(tmp_path):
    folder = _clinic(tmp_path / "clinic")
    assert main(["analyze", str(folder), "--out", str(tmp_path / "before")]) == 0
    answers = HEADER + "".join(
        f"P001,{date},psfs,activity_{n},{value}\n"
        for date, values in (("2026-01-14", (3, 5, 4)), ("2026-02-20", (6, 7, 5)))
        for n, value in enumerate(values, start=1)
    )
    (folder / "questionnaires.csv").write_text(answers, encoding="utf-8")
    assert main(["analyze", str(folder), "--out", str(tmp_path / "after")]) == 0
    before = sorted(p.name for p in (tmp_path / "before").iterdir())
    after = sorted(p.name for p in (tmp_path / "after").iterdir())
    assert sorted([*before, "questionnaire_scores.csv"]) == after
    for name in before:
        assert (tmp_path / "before" / name).read_bytes() == (tmp_path / "after" / name).read_bytes()
    table = pd.read_csv(tmp_path / "after" / "questionnaire_scores.csv")
    assert table["improvement"].tolist() == [0.0, 2.0]
    assert table["important_improvement"].tolist() == [False, True]
