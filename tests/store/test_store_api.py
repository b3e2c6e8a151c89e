"""Single-record API of the Store: reads equal the loaders' frames, writes lose nothing."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analytics.contract import empty_frame
from analytics.errors import ConflictError, DataValidationError, StoreError
from analytics.io import validate_records
from analytics.store import HISTORY_COLUMNS, NotFoundError, SaveResult, Store

ACTOR = "clinician:demo"
PATIENT = {"patient_id": "P001", "condition": "migraine", "group": "acupuncture", "start_date": "2024-03-04",
           "sex": "F", "birth_year": 1970, "clinician_id": "C1"}  # fmt: skip
DAY = {"patient_id": "P001", "date": "2024-03-01", "pain": 6.5, "worst_pain": 8, "mood": 4,
       "analgesic_doses": 2, "opioid_mme": 7.5, "notes": "=1+1 stayed in bed"}  # fmt: skip
SESSION = {"patient_id": "P001", "date": "2024-03-04T10:30", "technique": "electro", "frequency_hz": "2/100",
           "points": "LI4;ST36-L", "needles": 8, "retention_min": 20, "pain_before": 6, "pain_after": 3.5,
           "adverse_events": "bruising", "practitioner": "Dr A", "notes": "-first"}  # fmt: skip


@pytest.fixture
def filled(store: Store) -> Store:
    store.save_patient(ACTOR, PATIENT)
    store.save_diary_entry(ACTOR, DAY)
    store.save_diary_entry(
        ACTOR, {**DAY, "date": "2024-02-28", "pain": 7, "notes": None, "mood": None}
    )
    store.save_session(ACTOR, SESSION)
    return store


def test_empty_store_reads_canonical_empty_frames(store: Store) -> None:
    for table in ("patients", "diary", "sessions"):
        assert_frame_equal(getattr(store, table)(ACTOR), empty_frame(table))
    assert store.counts(ACTOR) == {"patients": 0, "diary": 0, "sessions": 0, "history": 0}
    assert store.patient_ids(ACTOR) == []
    assert list(store.history(ACTOR).columns) == HISTORY_COLUMNS


def test_reads_equal_what_the_validator_returns(filled: Store) -> None:
    expected_diary = validate_records("diary", [{**DAY, "date": "2024-02-28", "pain": 7, "notes": None,
                                                 "mood": None}, DAY])  # fmt: skip
    assert_frame_equal(filled.diary(ACTOR), expected_diary)
    assert_frame_equal(filled.diary(ACTOR, "P001"), expected_diary)
    assert_frame_equal(filled.patients(ACTOR), validate_records("patients", [PATIENT]))
    assert_frame_equal(filled.sessions(ACTOR, "P001"), validate_records("sessions", [SESSION]))
    assert_frame_equal(
        filled.diary(ACTOR, start="2024-03-01"), expected_diary.iloc[1:].reset_index(drop=True)
    )
    assert_frame_equal(filled.diary(ACTOR, end=dt.date(2024, 2, 28)), expected_diary.iloc[:1])
    assert len(filled.diary(ACTOR, "P999")) == 0
    ds = filled.dataset(ACTOR)
    assert_frame_equal(ds.diary, expected_diary)
    assert filled.patient_ids(ACTOR) == ["P001"]
    assert filled.counts(ACTOR) == {"patients": 1, "diary": 2, "sessions": 1, "history": 4}


def test_save_is_an_upsert_that_keeps_history(filled: Store) -> None:
    same = filled.save_diary_entry("patient:P001", DAY)
    assert same.action == "unchanged" and same.previous == same.current
    stored = filled.get_diary_entry(ACTOR, "P001", "2024-03-01")
    assert stored is not None and stored["date"] == dt.date(2024, 3, 1) and stored["pain"] == 6.5

    with pytest.raises(ConflictError, match="replace=True") as info:
        filled.save_diary_entry("patient:P001", {**DAY, "pain": 3})
    assert info.value.existing == stored
    assert filled.get_diary_entry(ACTOR, "P001", "2024-03-01") == stored  # nothing written

    result = filled.save_diary_entry("patient:P001", {**DAY, "pain": 3}, replace=True)
    assert isinstance(result, SaveResult) and result.action == "updated"
    assert (
        result.previous == stored and result.current is not None and result.current["pain"] == 3.0
    )
    hist = filled.history(ACTOR, "P001")
    last = hist.iloc[-1]
    assert (last["action"], last["actor"], last["table"], last["key"]) == ("update", "patient:P001", "diary",
                                                                           "2024-03-01")  # fmt: skip
    assert json.loads(last["old"])["pain"] == 6.5 and json.loads(last["new"])["pain"] == 3.0
    assert hist["changed_at"].dtype == "datetime64[ns]"
    assert result.to_frame()["state"].tolist() == ["previous", "current"]


def test_delete_is_explicit_and_recorded(filled: Store) -> None:
    with pytest.raises(ValueError, match="'reason' parameter"):
        filled.delete_diary_entry(ACTOR, "P001", "2024-03-01", reason="")
    result = filled.delete_diary_entry(
        ACTOR, "P001", "2024-03-01", reason="entered for the wrong day"
    )
    assert (
        result.action == "deleted"
        and result.previous is not None
        and result.previous["pain"] == 6.5
    )
    assert filled.get_diary_entry(ACTOR, "P001", "2024-03-01") is None
    last = filled.history(ACTOR).iloc[-1]
    assert last["action"] == "delete" and last["reason"] == "entered for the wrong day"
    assert json.loads(last["old"])["notes"] == "=1+1 stayed in bed" and pd.isna(last["new"])
    with pytest.raises(NotFoundError, match="P001 on 2024-03-01"):
        filled.delete_diary_entry(ACTOR, "P001", "2024-03-01", reason="again")


def test_patient_and_session_saves(filled: Store) -> None:
    assert filled.save_patient(ACTOR, PATIENT).action == "unchanged"
    assert (
        filled.save_patient(ACTOR, {**PATIENT, "group": "waitlist"}, replace=True).action
        == "updated"
    )
    assert filled.patients(ACTOR)["group"].tolist() == ["waitlist"]
    other_time = {**SESSION, "date": "2024-03-04T15:00"}
    assert filled.save_session(ACTOR, other_time).action == "created"  # key is the date-time
    with pytest.raises(ConflictError):
        filled.save_session(ACTOR, {**SESSION, "needles": 9})


def test_invalid_input_raises_before_writing(filled: Store) -> None:
    with pytest.raises(DataValidationError, match="pain"):
        filled.save_diary_entry(ACTOR, {**DAY, "pain": 11})
    with pytest.raises(DataValidationError, match="Unknown patient 'P404'"):
        filled.save_diary_entry(ACTOR, {**DAY, "patient_id": "P404"})
    with pytest.raises(ValueError, match="The 'actor' parameter of Store.save_diary_entry"):
        filled.save_diary_entry("", DAY)
    with pytest.raises(ValueError, match="The 'actor' parameter of Store.diary"):
        filled.diary(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="The 'date' parameter"):
        filled.get_diary_entry(ACTOR, "P001", "yesterday")
    assert filled.counts(ACTOR)["diary"] == 2


def test_database_enforces_the_contract_too(filled: Store, backend: str) -> None:
    import sqlalchemy as sa

    bad = [
        "INSERT INTO diary (patient_id, date, pain) VALUES ('P001', '2024-01-01', 11)",
        "INSERT INTO diary (patient_id, date, pain) VALUES ('P001', '2024-03-01', 1)",  # duplicate day
        "INSERT INTO diary (patient_id, date, pain) VALUES ('NOPE', '2024-01-01', 1)",  # foreign key
        "INSERT INTO diary (patient_id, date) VALUES ('P001', '2024-01-02')",  # pain NOT NULL
        "INSERT INTO sessions (patient_id, date, technique) VALUES ('P001', '2024-01-01', 'laser')",
        "INSERT INTO patients (patient_id, condition, sex) VALUES ('P9', 'x', 'Q')",
    ]
    for sql in bad:
        with pytest.raises(sa.exc.IntegrityError), filled.engine.begin() as conn:
            conn.exec_driver_sql(sql)


def test_one_patient_reads_use_an_index(filled: Store, backend: str) -> None:
    import sqlalchemy as sa

    with filled.engine.connect() as conn:
        if backend == "sqlite":
            plan = " ".join(
                str(r[-1]) for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT * FROM diary WHERE patient_id = 'P001'")
            )  # fmt: skip
            hist = " ".join(
                str(r[-1]) for r in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT * FROM history WHERE patient_id = 'P001' ORDER BY id")
            )  # fmt: skip
            assert "USING INDEX" in plan and "USING INDEX" in hist, (plan, hist)
        else:
            conn.exec_driver_sql("SET enable_seqscan = off")
            for table in ("diary", "sessions", "history"):
                plan = " ".join(r[0] for r in conn.execute(
                    sa.text(f"EXPLAIN SELECT * FROM {table} WHERE patient_id = 'P001'")))  # fmt: skip
                assert "Index" in plan, plan


def test_database_errors_become_store_errors(filled: Store) -> None:
    filled.engine.dispose()
    with filled.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE history")
    with pytest.raises(StoreError, match=r"Could not read the history in the database"):
        filled.history(ACTOR)
