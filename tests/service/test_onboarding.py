"""Onboarding in bulk: clinician codes, patient accounts and first sign-in links.

The clinic is the one of test_service.py: P1, P2 (code "ann") assigned to ann, P3, P4
(code "ben") to ben; only P1 has a patient account ("pat").
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import access as auth
from analytics.contract import Dataset
from analytics.errors import AccessDeniedError, AuthenticationError, ConflictError
from analytics.io import validate_records
from analytics.service import Service, invite_link
from analytics.store import Store, open_store
from tests.service.test_service import _build, _user

GOOD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)
    monkeypatch.delenv("PAINDIARY_URL", raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "clinic.sqlite3"
    _build(path)
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "clinic.sqlite3"
    shutil.copy(template, path)
    with open_store(f"sqlite:///{path}") as s:
        yield s


def _admin(store: Store) -> Service:
    return Service(store, _user(store, "admin"), face="test")


def _new_patients(*rows: tuple[str, str | None]) -> Dataset:
    return Dataset(
        patients=validate_records(
            "patients",
            [{"patient_id": p, "condition": "neck pain", "clinician_id": c} for p, c in rows],
        ),
        diary=validate_records("diary", []),
        sessions=validate_records("sessions", []),
    )


def _audit(store: Store) -> list[dict]:
    log = store.audit_log("test")
    return [{**row, "detail": json.loads(row["detail"] or "{}")} for row in log.to_dict("records")]


def test_an_import_assigns_the_new_patients_of_a_mapped_code(store: Store) -> None:
    admin = _admin(store)
    assert admin.map_clinician_code("C07", "spare") == []  # no stored patient has C07 yet
    admin.import_dataset(_new_patients(("P7", "C07"), ("P8", "C99"), ("P9", None)))
    spare = store.user_record("spare")
    assert store.assigned_patient_ids(int(spare["id"])) == ["P7"]
    rows = [r for r in _audit(store) if r["detail"].get("by") == "clinician code"]
    assert [(r["detail"]["clinician"], r["detail"]["patient_ids"]) for r in rows] == [
        ("spare", ["P7"])
    ]
    codes = admin.clinician_codes().set_index("clinician_id")
    assert codes.loc["C07", "clinician"] == "spare" and codes.loc["C99", "n_patients"] == 1
    # mapping C99 later assigns the stored patient with that code and no clinician
    assert admin.map_clinician_code("C99", "ann") == ["P8"]
    status = admin.onboarding_status(["P7", "P8", "P9"]).set_index("patient_id")
    assert status["clinicians"].tolist() == ["spare", "ann", ""]
    assert status["username"].isna().all()


def test_a_failed_import_assigns_nobody(store: Store) -> None:
    admin = _admin(store)
    admin.map_clinician_code("C07", "spare")
    clash = _new_patients(("P7", "C07"), ("P1", "someone else"))  # P1 is stored with "ann"
    with pytest.raises(ConflictError):
        admin.import_dataset(clash)
    assert store.assigned_patient_ids(int(store.user_record("spare")["id"])) == []


def test_only_an_admin_onboards_and_a_refusal_is_recorded(store: Store) -> None:
    ann = Service(store, _user(store, "ann"), face="test")
    with pytest.raises(AccessDeniedError):
        ann.invite_patients(["P2"])
    with pytest.raises(AccessDeniedError):
        ann.map_clinician_code("C01", "ann")
    denied = [r for r in _audit(store) if r["outcome"] == "denied"]
    assert {r["detail"]["call"] for r in denied} == {"invite_patients", "map_clinician_code"}


def test_a_first_sign_in_link_sets_the_password_once(store: Store) -> None:
    admin = _admin(store)
    (invite,) = admin.invite_patients(["P2"], days=14)
    assert (invite.username, invite.created) == ("p2", True)
    assert invite_link(invite.token).startswith("http://localhost:8501/?invite=")
    # the account cannot sign in before its owner chooses a password
    with pytest.raises(AuthenticationError):
        auth.authenticate(store, "p2", GOOD)
    assert Service.invite_account(store, invite.token) == "p2"
    with pytest.raises(
        ValueError, match="must have 8 to 1024 characters"
    ):  # NIST rules, in a sentence
        Service.accept_invite(store, invite.token, "short")
    user = Service.accept_invite(store, invite.token, GOOD)  # the link still worked
    assert (user.username, user.patient_id, user.must_change_password) == ("p2", "P2", False)
    assert auth.authenticate(store, "p2", GOOD).username == "p2"
    with pytest.raises(AuthenticationError, match=r"was used on .*it works once"):
        Service.accept_invite(store, invite.token, GOOD + " again")
    log = _audit(store)
    used = [r for r in log if r["detail"].get("op") == "invite_use"]
    assert sorted(r["outcome"] for r in used) == ["denied", "ok"]
    # the token is in no audit row
    assert not any(invite.token in json.dumps(r["detail"]) for r in log)
    # the account exists already: a new link reuses it
    (again,) = admin.invite_patients(["P2"])
    assert again.created is False


def test_a_link_expires_and_a_newer_one_replaces_it(store: Store) -> None:
    admin = _admin(store)
    (first,) = admin.invite_patients(["P3"], days=1)
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=2)
    with pytest.raises(AuthenticationError, match="expired on"):
        Service.accept_invite(store, first.token, GOOD, now=later)
    (second,) = admin.invite_patients(["P3"])
    with pytest.raises(AuthenticationError, match="replaced by a newer one"):
        Service.invite_account(store, first.token)
    with pytest.raises(AuthenticationError, match="not valid"):
        Service.invite_account(store, "x" * 43)
    assert Service.accept_invite(store, second.token, GOOD).username == "p3"
    with pytest.raises(ValueError, match="1 to 90 days"):
        admin.invite_patients(["P4"], days=0)
