"""Courses of treatment in the store and the service: states, history, import, policy, audit."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from analytics.access import LOCAL_OPERATOR, User, user_from_record
from analytics.cli import main
from analytics.contract import Dataset, empty_frame
from analytics.errors import AccessDeniedError, DataValidationError
from analytics.service import Service
from analytics.store import Store

TODAY = dt.date(2026, 6, 1)


def _patients(rows: list[dict]) -> pd.DataFrame:
    frame = empty_frame("patients")
    new = pd.DataFrame(rows).reindex(columns=frame.columns)
    return new.astype(frame.dtypes.to_dict())


def _dataset(rows: list[dict]) -> Dataset:
    return Dataset(
        patients=_patients(rows), diary=empty_frame("diary"), sessions=empty_frame("sessions")
    )


@pytest.fixture
def clinic(store: Store) -> Store:
    store.import_dataset(
        "test",
        _dataset(
            [
                {"patient_id": "A", "condition": "neck_pain"},
                {"patient_id": "B", "condition": "neck_pain"},
                {
                    "patient_id": "C",
                    "condition": "neck_pain",
                    "course_end": pd.Timestamp("2026-03-02"),
                },
                {
                    "patient_id": "D",
                    "condition": "migraine",
                    "course_end": pd.Timestamp("2026-04-10"),
                    "course_end_reason": "moved",
                },
            ]
        ),
    )
    return store


def test_courses_start_active_and_the_import_ends_them_on_its_day(clinic: Store) -> None:
    states = clinic.course_states("test").set_index("patient_id")
    assert states["course_state"].to_dict() == {
        "A": "active", "B": "active", "C": "ended", "D": "ended"
    }  # fmt: skip
    # no reason in the file: completed
    assert states.loc["C", "course_end_reason"] == "completed"
    assert states.loc["D", "course_end_reason"] == "moved"
    assert states.loc["C", "course_since"] == pd.Timestamp("2026-03-02")
    assert states.loc["C", "course_set_by"] == "test"
    assert pd.isna(states.loc["A", "course_since"])
    # re-importing the same file changes nothing
    before = len(clinic.course_history("test", "C"))
    clinic.import_dataset(
        "test",
        _dataset(
            [{"patient_id": "C", "condition": "neck_pain", "course_end": pd.Timestamp("2026-03-02"),
              "course_end_reason": "completed"}]
        ),
    )  # fmt: skip
    assert len(clinic.course_history("test", "C")) == before


def test_a_change_is_kept_with_its_history_and_mirrored_in_patients(clinic: Store) -> None:
    done = clinic.set_course_state("dr", "A", "paused", today=TODAY)
    assert (done["previous"], done["changed"]) == ("active", True)
    assert done["effective_date"] == TODAY
    clinic.set_course_state(
        "dr", "A", "ended", effective_date="2026-05-20", reason="dropped_out", today=TODAY
    )
    again = clinic.set_course_state(
        "dr", "A", "ended", effective_date="2026-05-20", reason="dropped_out", today=TODAY
    )
    assert not again["changed"]
    history = clinic.course_history("test", "A")
    assert history["state"].tolist() == ["paused", "ended"]
    assert history["reason"].tolist() == ["", "dropped_out"]
    assert history["set_by"].tolist() == ["dr", "dr"]
    row = clinic.patients("test", patient_ids=["A"]).iloc[0]
    assert row["course_end"] == pd.Timestamp("2026-05-20")
    assert row["course_end_reason"] == "dropped_out"
    clinic.set_course_state("dr", "A", "active", today=TODAY)
    row = clinic.patients("test", patient_ids=["A"]).iloc[0]
    assert pd.isna(row["course_end"]) and pd.isna(row["course_end_reason"])
    assert clinic.course_states("test", patient_ids=["A"])["course_state"].tolist() == ["active"]


@pytest.mark.parametrize(
    ("state", "kwargs", "message"),
    [
        ("over", {}, "'over' is not a state of a course; choose one of active, paused, ended."),
        ("ended", {"reason": "bored"}, "'bored' is not a reason a course ends; choose one of"),
        ("paused", {"reason": "moved"}, "A reason is given only when a course ends"),
        ("ended", {"effective_date": "2026-06-02"}, "2026-06-02 is after today (2026-06-01)"),
        ("ended", {"effective_date": "2026-02-30"}, "'2026-02-30' is not a date; write it as"),
    ],
)
def test_a_wrong_change_is_refused_in_a_sentence_and_writes_nothing(
    clinic: Store, state: str, kwargs: dict, message: str
) -> None:
    with pytest.raises(
        DataValidationError, match="^" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        clinic.set_course_state("dr", "B", state, today=TODAY, **kwargs)
    assert clinic.course_history("test", "B").empty


def _clinician(store: Store, patient_ids: list[str]) -> User:
    admin = Service(store, LOCAL_OPERATOR, face="test")
    admin.add_user(
        "dr", role="clinician", password="correct horse battery 7", must_change_password=False
    )
    admin.assign("dr", patient_ids)
    record = store.user_record("dr")
    assert record is not None
    return user_from_record(record)


def test_clinicians_set_the_courses_of_their_patients_only_and_each_change_is_audited(
    clinic: Store,
) -> None:
    svc = Service(clinic, _clinician(clinic, ["A", "B"]), face="test")
    svc.set_course_state("A", "ended", reason="discharged", today=TODAY)
    with pytest.raises(AccessDeniedError):
        svc.set_course_state("C", "active", today=TODAY)
    with pytest.raises(DataValidationError):
        svc.set_course_state("B", "ended", reason="bored", today=TODAY)
    # the clinician's cohort read is scoped in the query
    assert svc.course_states()["patient_id"].tolist() == ["A", "B"]
    log = clinic.audit_log("test", username="dr")
    edits = log[log["action"] == "edit"]
    assert edits["outcome"].tolist() == ["ok", "denied", "failed"]
    assert edits["patient_id"].tolist() == ["A", "C", "B"]
    assert '"state": "ended"' in edits["detail"].iloc[0]
    assert '"reason": "discharged"' in edits["detail"].iloc[0]
    assert (log["action"] == "view").sum() == 1  # the course_states read


def test_the_course_command_ends_pauses_and_restarts_in_sentences(
    clinic: Store, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*args: str) -> tuple[int, str]:
        code = main(["course", *args, "--db", db_url])
        out = capsys.readouterr()
        return code, (out.out + out.err).strip()

    code, text = run("end", "B", "--date", "2026-03-01", "--reason", "moved")
    assert (code, text) == (0, "The course of patient B is now ended 01 Mar 2026 (moved away).")
    code, text = run("start", "B")
    assert (code, text) == (0, "The course of patient B is now active.")
    code, text = run("end", "B", "--date", "01/03/2026")
    assert code == 1
    assert text == "error: '01/03/2026' is not a date; write it as YYYY-MM-DD (e.g. " + (
        f"{dt.date.today():%Y-%m-%d}" + ")."
    )
    assert "Traceback" not in text
    history = clinic.course_history("test", "B")
    assert history["state"].tolist() == ["ended", "active"]
