"""Outcome snapshots: a scope's stored tables kept together and patched per patient.

The reference is always the patients' own stored rows (``Store.read_outcomes``),
read one stored row per patient and table, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.access import LOCAL_OPERATOR, user_from_record
from analytics.contract import Dataset
from analytics.errors import StoreError
from analytics.pipeline import _stored as stored
from analytics.service import Service
from analytics.settings import AnalysisSettings
from analytics.store import Store
from analytics.store._snapshots import CLINIC_SCOPE, Snapshots, clinician_scope
from tests.store.conftest import SQLITE_ONLY

SETTINGS = AnalysisSettings(n_boot=50)
FP = stored.settings_fingerprint(SETTINGS)
NAMES = list(stored.stored_tables())


@pytest.fixture
def admin(store: Store, clinic: Dataset) -> Service:
    service = Service(store, LOCAL_OPERATOR, face="test")
    service.import_dataset(clinic)
    service.refresh_outcomes(SETTINGS)
    store.forget_snapshots("test")  # the import's: these tests build it from stored rows
    return service


def test_an_import_writes_the_snapshot_the_first_read_uses(
    store: Store, clinic: Dataset, reads: list[tuple[str, Any]]
) -> None:
    admin = Service(store, LOCAL_OPERATOR, face="test")
    first = clinic.patients["patient_id"].iloc[:3]
    admin.import_dataset(
        replace(
            clinic,
            **{t: getattr(clinic, t)[getattr(clinic, t)["patient_id"].isin(first)]
               for t in ("patients", "diary", "sessions", "questionnaires", "entries")},
        )
    )  # fmt: skip
    admin.import_dataset(clinic)  # the others, patched into the first import's snapshot
    reads.clear()
    _assert_equal_to_stored_rows(store)
    assert reads == [("snapshot", sorted(NAMES))], "the import's snapshot, no stored row"


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any]]]:
    """Each read of stored rows (``("rows", patient ids or None)``) and of snapshot
    rows (``("snapshot", table names)``)."""
    seen: list[tuple[str, Any]] = []
    rows, snaps = Snapshots._stored_rows, Snapshots._snapshot_rows

    def stored_rows(self, fingerprint, names, clinician_user_id, patient_ids):  # type: ignore[no-untyped-def]
        seen.append(("rows", None if patient_ids is None else sorted(patient_ids)))
        return rows(self, fingerprint, names, clinician_user_id, patient_ids)

    def snapshot_rows(self, scope, fingerprint, names):  # type: ignore[no-untyped-def]
        seen.append(("snapshot", sorted(names)))
        return snaps(self, scope, fingerprint, names)

    monkeypatch.setattr(Snapshots, "_stored_rows", stored_rows)
    monkeypatch.setattr(Snapshots, "_snapshot_rows", snapshot_rows)
    yield seen


def _assert_equal_to_stored_rows(store: Store, clinician_user_id: int | None = None) -> None:
    scope = CLINIC_SCOPE if clinician_user_id is None else clinician_scope(clinician_user_id)
    got = store.scope_outcomes(FP, NAMES, scope=scope, clinician_user_id=clinician_user_id)
    expected = store.read_outcomes(FP, clinician_user_id=clinician_user_id)
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        pdt.assert_frame_equal(got[name], frame, check_exact=True, obj=name)


def _change_one_day(admin: Service, store: Store, pid: str) -> None:
    diary = store.dataset("test", patient_ids=[pid]).diary
    entry = admin.get_diary_entry(pid, diary["date"].max().date())
    assert entry is not None
    entry["pain"] = 10.0 if entry["pain"] != 10.0 else 0.0
    assert admin.save_diary_entry(entry, replace=True).action == "updated"


@SQLITE_ONLY
def test_a_snapshot_is_built_once_then_read_whole(
    store: Store, admin: Service, reads: list[tuple[str, Any]]
) -> None:
    _assert_equal_to_stored_rows(store)
    assert reads == [("rows", None)], "no snapshot yet: every patient's stored rows"
    reads.clear()
    _assert_equal_to_stored_rows(store)
    assert reads == [("snapshot", sorted(NAMES))], "then the snapshot alone"


@SQLITE_ONLY
def test_a_save_patches_exactly_that_patient_into_the_snapshot(
    store: Store, admin: Service, reads: list[tuple[str, Any]]
) -> None:
    _assert_equal_to_stored_rows(store)
    ids = admin.visible_patient_ids()
    _change_one_day(admin, store, ids[1])
    reads.clear()
    _assert_equal_to_stored_rows(store)
    assert reads == [("snapshot", sorted(NAMES)), ("rows", [ids[1]])]
    # the patched snapshot was written back: the next read needs no stored row
    reads.clear()
    _assert_equal_to_stored_rows(store)
    assert reads == [("snapshot", sorted(NAMES))]


def test_the_snapshot_follows_deletions_sessions_and_a_full_refresh(
    store: Store, admin: Service
) -> None:
    _assert_equal_to_stored_rows(store)
    ids = admin.visible_patient_ids()
    diary = store.dataset("test", patient_ids=[ids[0]]).diary
    admin.delete_diary_entry(ids[0], diary["date"].min().date(), reason="entered twice")
    sessions = store.dataset("test", patient_ids=[ids[2]]).sessions
    last = sessions.iloc[-1]
    admin.save_session(
        {
            "patient_id": ids[2],
            "date": (last["date"] + pd.Timedelta(days=1)).to_pydatetime(),
            "technique": last["technique"],
            "adverse_events": "bruising",
        }
    )
    _change_one_day(admin, store, ids[-1])
    _assert_equal_to_stored_rows(store)
    admin.refresh_outcomes(SETTINGS, full=True)
    _assert_equal_to_stored_rows(store)
    # and the service's tables equal one pandas pass over the rows
    got = admin.cohort_tables(SETTINGS, purpose="test")
    ds = store.dataset("test")
    expected = stored.per_patient_tables(ds.patients, ds.diary, ds.sessions, SETTINGS, ds.entries)
    pdt.assert_frame_equal(got["session_response"], expected["session_response"])


def _doctor(store: Store, admin: Service, patient_ids: list[str]) -> Service:
    admin.add_user(
        "dr_s", role="clinician", password="a long enough password 1", must_change_password=False
    )
    admin.assign("dr_s", patient_ids)
    record = store.user_record("dr_s")
    assert record is not None
    return Service(store, user_from_record(record), face="test")


def test_a_snapshot_holding_an_unassigned_patient_is_never_read(
    store: Store, admin: Service, reads: list[tuple[str, Any]]
) -> None:
    ids = admin.visible_patient_ids()
    doctor = _doctor(store, admin, ids[:3])
    first = doctor.cohort_tables(SETTINGS, purpose="test")["patient_outcomes"]
    assert first["patient_id"].tolist() == ids[:3]
    admin.unassign("dr_s", [ids[1]])
    reads.clear()
    again = doctor.cohort_tables(SETTINGS, purpose="test")
    assert not [r for r in reads if r[0] == "snapshot"], "the old snapshot was not read"
    assert again["patient_outcomes"]["patient_id"].tolist() == [ids[0], ids[2]]
    for name, frame in again.items():
        assert set(frame["patient_id"]) <= {ids[0], ids[2]}, name
    _assert_equal_to_stored_rows(store, doctor.user.user_id)


@SQLITE_ONLY
def test_a_patient_newly_assigned_is_patched_in(
    store: Store, admin: Service, reads: list[tuple[str, Any]]
) -> None:
    ids = admin.visible_patient_ids()
    doctor = _doctor(store, admin, ids[:2])
    doctor.cohort_tables(SETTINGS, purpose="test")
    admin.assign("dr_s", [ids[4]])
    reads.clear()
    got = doctor.cohort_tables(SETTINGS, purpose="test")["patient_outcomes"]
    assert got["patient_id"].tolist() == [ids[0], ids[1], ids[4]]
    assert ("rows", [ids[4]]) in reads
    _assert_equal_to_stored_rows(store, doctor.user.user_id)


def test_a_failed_snapshot_write_still_returns_the_rows(
    store: Store, admin: Service, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = Store._write

    def failing(self, what, work):  # type: ignore[no-untyped-def]
        if what == "keep the outcome snapshot":
            raise StoreError("Could not keep the outcome snapshot: the disk is full.")
        return real(self, what, work)

    monkeypatch.setattr(Store, "_write", failing)
    with caplog.at_level(logging.WARNING, logger="analytics.store._snapshots"):
        _assert_equal_to_stored_rows(store)
    assert "the disk is full" in caplog.text


@SQLITE_ONLY
def test_snapshots_of_other_settings_are_dropped(store: Store, admin: Service) -> None:
    other = AnalysisSettings(n_boot=50, responder_threshold=50.0)
    admin.cohort_tables(SETTINGS, purpose="test")
    admin.cohort_tables(other, purpose="test")
    with store._reading("test") as conn:
        import sqlalchemy as sa

        from analytics.store import _models as models

        s = models.outcome_snapshots
        kept = {r[0] for r in conn.execute(sa.select(s.c.fingerprint).distinct())}
    assert kept == {stored.settings_fingerprint(other)}
    store.forget_snapshots("test")
    _assert_equal_to_stored_rows(store)


@SQLITE_ONLY
def test_a_scope_that_does_not_match_the_clinician_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="must be 'clinician:7'"):
        store.scope_outcomes(FP, NAMES, scope=CLINIC_SCOPE, clinician_user_id=7)
    with pytest.raises(ValueError, match="must be 'clinic'"):
        store.scope_outcomes(FP, NAMES, scope=clinician_scope(7))


@SQLITE_ONLY
def test_the_service_refuses_unknown_table_names(admin: Service) -> None:
    with pytest.raises(ValueError, match="sequence of per-patient table names"):
        admin.cohort_tables(SETTINGS, purpose="test", tables=["diary"])
    with pytest.raises(ValueError, match="sequence of per-patient table names"):
        admin.cohort_tables(SETTINGS, purpose="test", tables="patient_outcomes")
    only = admin.cohort_tables(SETTINGS, purpose="test", tables=())
    assert sorted(only) == ["patient_outcomes", "status_anchor"]
    full = admin.cohort_tables(SETTINGS, purpose="test")
    pdt.assert_frame_equal(only["patient_outcomes"], full["patient_outcomes"])


@SQLITE_ONLY
def test_tables_patched_at_different_times_take_only_their_own_changes(
    store: Store, admin: Service
) -> None:
    # the overview patches its tables after one save; a later read of every table finds
    # the other tables behind by two patients and the overview's by one
    _assert_equal_to_stored_rows(store)
    ids = admin.visible_patient_ids()
    overview = ["patient_outcomes", *stored.STATUS_TABLES]
    _change_one_day(admin, store, ids[0])
    store.scope_outcomes(FP, overview, scope=CLINIC_SCOPE)
    _change_one_day(admin, store, ids[3])
    _assert_equal_to_stored_rows(store)
