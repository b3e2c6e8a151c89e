"""A share link lives only as long as its creator's access to the patient.

Each use checks that the creator's account is active and still may share that
patient; a refused use is recorded with its reason and changes nothing else.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.access import LOCAL_OPERATOR, User, hash_password, user_from_record
from analytics.errors import AccessDeniedError, AuthenticationError
from analytics.service import Service
from analytics.store import Store, open_store

from .conftest import fingerprint

REFUSED = (
    "This share link is not valid: it may have expired or been revoked. "
    "Ask the person who shared it for a new one."
)


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, Path]]:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)
    path = tmp_path / "clinic.sqlite3"
    with open_store(f"sqlite:///{path}") as s:
        for pid in ("P1", "P2"):
            s.save_patient("setup", {"patient_id": pid, "condition": "neck pain"})
            s.save_diary_entry("setup", {"patient_id": pid, "date": "2024-01-02", "pain": 6})
        h = hash_password("clinic test password 1")
        s.add_user("setup", username="ann", role="clinician", password_hash=h)
        s.add_user("setup", username="pat", role="patient", patient_id="P1", password_hash=h)
        s.assign("setup", "ann", ["P1", "P2"])
        yield s, path


def _as(store: Store, name: str) -> Service:
    record = store.user_record(name)
    assert record is not None
    user: User = user_from_record(record)
    return Service(store, user, face="test")


def _denials(store: Store) -> list[tuple[str, str]]:
    log = store.audit_log("test")
    rows = log[(log["action"] == "share_use") & (log["outcome"] == "denied")]
    return [(r.patient_id, r.detail) for r in rows.itertuples()]


def test_a_link_stops_working_when_its_clinician_loses_the_patient(
    clinic: tuple[Store, Path],
) -> None:
    store, path = clinic
    token = _as(store, "ann").create_share_link("P2", days=7)
    assert Service.for_share_link(store, token).patient_dataset("P2", purpose="t").diary.shape[0]
    # the assignment ends behind the service's back (no revocation): each use still checks
    store.unassign("setup", "ann", ["P2"])
    before = fingerprint(path)
    with pytest.raises(AuthenticationError) as err:
        Service.for_share_link(store, token)
    assert str(err.value) == REFUSED
    after = fingerprint(path)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    [(patient, detail)] = _denials(store)
    assert patient == "P2" and "creator lost access" in str(detail)


def test_a_link_stops_working_when_its_creator_is_disabled(clinic: tuple[Store, Path]) -> None:
    store, _ = clinic
    token = _as(store, "pat").create_share_link("P1", days=7)
    Service.for_share_link(store, token)  # works while the account is active
    Service(store, LOCAL_OPERATOR, face="test").disable_user("pat")
    with pytest.raises(AuthenticationError, match="not valid"):
        Service.for_share_link(store, token)
    assert [p for p, _ in _denials(store)] == ["P1"]


def test_another_clinicians_links_keep_working(clinic: tuple[Store, Path]) -> None:
    store, _ = clinic
    token = _as(store, "ann").create_share_link("P1", days=7)
    Service(store, LOCAL_OPERATOR, face="test").unassign("ann", ["P2"])  # not P1
    assert Service.for_share_link(store, token).read_only
    assert _denials(store) == []


def _revocations(store: Store) -> list[tuple[str, str]]:
    log = store.audit_log("test")
    rows = log[log["action"] == "share_revoke"]
    return [(r.patient_id, r.detail) for r in rows.itertuples()]


def test_unassigning_revokes_the_clinicians_links_for_those_patients_for_good(
    clinic: tuple[Store, Path],
) -> None:
    store, _ = clinic
    ann = _as(store, "ann")
    kept, revoked = ann.create_share_link("P1", days=7), ann.create_share_link("P2", days=7)
    admin = Service(store, LOCAL_OPERATOR, face="test")
    admin.unassign("ann", ["P2"])
    [(patient, detail)] = _revocations(store)
    assert patient == "P2" and "creator unassigned" in str(detail)
    admin.assign("ann", ["P2"])  # assigned again: the revoked link stays revoked
    with pytest.raises(AuthenticationError, match="not valid"):
        Service.for_share_link(store, revoked)
    assert Service.for_share_link(store, kept).read_only
    links = store.share_links("test")
    assert links.set_index("patient_id")["revoked_at"].notna().to_dict() == {
        "P1": False,
        "P2": True,
    }


def test_disabling_revokes_every_link_the_account_made(clinic: tuple[Store, Path]) -> None:
    store, _ = clinic
    token = _as(store, "pat").create_share_link("P1", days=7)
    admin = Service(store, LOCAL_OPERATOR, face="test")
    admin.disable_user("pat")
    admin.enable_user("pat")  # enabled again: the link stays revoked
    with pytest.raises(AuthenticationError, match="not valid"):
        Service.for_share_link(store, token)
    [(patient, detail)] = _revocations(store)
    assert patient == "P1" and "creator disabled" in str(detail)


def test_an_admin_revokes_another_creators_link_from_the_list(clinic: tuple[Store, Path]) -> None:
    store, _ = clinic
    token = _as(store, "ann").create_share_link("P2", days=7)
    kept = _as(store, "pat").create_share_link("P1", days=7)
    admin = Service(store, LOCAL_OPERATOR, face="test")
    links = admin.active_share_links()
    assert sorted(links["created_by"]) == ["ann", "pat"]
    [link_id] = links.loc[links["created_by"] == "ann", "link_id"].tolist()
    admin.revoke_share_link(link_id)
    with pytest.raises(AuthenticationError) as err:
        Service.for_share_link(store, token)
    assert str(err.value) == REFUSED
    assert Service.for_share_link(store, kept).read_only  # the other creator's link works
    assert admin.active_share_links()["created_by"].tolist() == ["pat"]
    [(patient, detail)] = _revocations(store)
    assert patient == "P2" and f'"link_id": {link_id}' in str(detail)


def test_a_clinicians_listing_is_refused_and_changes_nothing_but_the_log(
    clinic: tuple[Store, Path],
) -> None:
    store, path = clinic
    _as(store, "pat").create_share_link("P1", days=7)
    n_rows = len(store.audit_log("test"))
    before = fingerprint(path)
    with pytest.raises(AccessDeniedError) as err:
        _as(store, "ann").active_share_links()
    assert str(err.value) == (
        "Access denied: active_share_links is for admin accounts; ann is a clinician."
    )
    after = fingerprint(path)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    assert after["audit_log"][0] == before["audit_log"][0] + 1
    new = store.audit_log("test").iloc[n_rows:]
    assert new[["username", "action", "outcome", "detail"]].values.tolist() == [
        ["ann", "view", "denied", '{"call": "active_share_links"}']
    ]
