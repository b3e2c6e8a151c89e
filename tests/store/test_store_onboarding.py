"""The store's onboarding rows on SQLite and PostgreSQL: clinician codes assign an import's
new patients in its transaction; a first sign-in link is spent once."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.contract import Dataset
from analytics.errors import ConflictError
from analytics.io import validate_records
from analytics.store import NO_PASSWORD_YET, Store


def _patients(*rows: tuple[str, str]) -> Dataset:
    return Dataset(
        patients=validate_records(
            "patients",
            [{"patient_id": p, "condition": "back pain", "clinician_id": c} for p, c in rows],
        ),
        diary=validate_records("diary", []),
        sessions=validate_records("sessions", []),
    )


def test_codes_assign_and_a_link_is_spent_once(store: Store) -> None:
    store.add_user("setup", username="doc", role="clinician", password_hash="h")
    assert store.map_clinician_code("admin", "C1", "doc") is None
    store.import_dataset("admin", _patients(("P1", "C1"), ("P2", "C2")))
    doc = store.user_record("doc")
    assert store.assigned_patient_ids(int(doc["id"])) == ["P1"]
    log = store.audit_log("test")
    assert (log["action"] == "user_admin").sum() == 1
    assert store.clinician_codes()["clinician"].fillna("").tolist() == ["doc", ""]

    patient = store.add_user(
        "admin", username="p2", role="patient", password_hash=NO_PASSWORD_YET, patient_id="P2"
    )
    later = dt.datetime(2100, 1, 1)
    first, replaced = store.add_invite(
        "admin", token_hash="a" * 64, user_id=patient["id"], expires_at=later
    )
    second, replaced = store.add_invite(
        "admin", token_hash="b" * 64, user_id=patient["id"], expires_at=later
    )
    assert replaced == [first] and store.invite("a" * 64)["revoked_at"] is not None
    status = store.onboarding_status(["P1", "P2"]).set_index("patient_id")
    assert status.loc["P2", "invite_expires_at"] == later and not status.loc["P2", "has_password"]
    now = dt.datetime(2030, 1, 1)
    store.use_invite(second, "chosen hash", now=now)
    assert store.user_record("p2")["password_hash"] == "chosen hash"
    with pytest.raises(ConflictError):
        store.use_invite(second, "another hash", now=now)
    assert store.onboarding_status(["P2"])["has_password"].tolist() == [True]
