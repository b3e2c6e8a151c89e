"""A share link lives only as long as its creator's access to the patient.

Each use checks that the creator's account is active and still may share that
patient; a refused use is recorded with its reason and changes nothing else.
Disabling or unassigning through the service revokes the creator's links for those
patients for good (enabling or assigning again does not bring them back).
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


#: Who made the link, for which patient, and how they lose access to it
#: (a patient cannot be unassigned: only disabling applies).
CREATORS = {
    "clinician": ("ann", "P2"),
    "patient": ("pat", "P1"),
}
LOSSES = [
    pytest.param("clinician", "disable", id="clinician-disabled"),
    pytest.param("clinician", "unassign", id="clinician-unassigned"),
    pytest.param("patient", "disable", id="patient-disabled"),
]
#: The tables a refused use may change: the audit row and its count.
AUDIT = ("audit_log", "audit_repeats")


def _others(print_: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    return {t: v for t, v in print_.items() if t not in AUDIT}


def _refused_changes_nothing_but_the_log(store: Store, path: Path, token: str) -> None:
    before = fingerprint(path)
    with pytest.raises(AuthenticationError) as err:
        Service.for_share_link(store, token)
    assert str(err.value) == REFUSED
    assert _others(fingerprint(path)) == _others(before)


@pytest.mark.parametrize(("creator", "loss"), LOSSES)
def test_a_link_stops_working_when_its_creator_loses_access(
    clinic: tuple[Store, Path], creator: str, loss: str
) -> None:
    store, path = clinic
    name, patient = CREATORS[creator]
    token = _as(store, name).create_share_link(patient, days=7)
    assert Service.for_share_link(store, token).patient_dataset(patient, purpose="t").diary.shape[0]
    # access ends behind the service's back (no revocation): each use still checks
    if loss == "disable":
        store.set_disabled("setup", name)
    else:
        store.unassign("setup", name, [patient])
    _refused_changes_nothing_but_the_log(store, path, token)
    [(denied, detail)] = _denials(store)
    assert denied == patient and "creator lost access" in str(detail)
    assert store.share_links("test")["revoked_at"].isna().all()  # refused, not revoked


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


@pytest.mark.parametrize(("creator", "loss"), LOSSES)
def test_losing_access_revokes_the_creators_links_for_good(
    clinic: tuple[Store, Path], creator: str, loss: str
) -> None:
    store, path = clinic
    name, patient = CREATORS[creator]
    revoked = _as(store, name).create_share_link(patient, days=7)
    # a link that stays: the creator's other patient (unassigning), else another creator's
    if loss == "unassign":
        kept_by, kept_for = name, "P1"
    else:
        kept_by, kept_for = ("pat", "P1") if creator == "clinician" else ("ann", "P2")
    kept = _as(store, kept_by).create_share_link(kept_for, days=7)
    admin = Service(store, LOCAL_OPERATOR, face="test")
    if loss == "disable":
        admin.disable_user(name)
        admin.enable_user(name)  # enabled again: the link stays revoked
    else:
        admin.unassign(name, [patient])
        admin.assign(name, [patient])  # assigned again: the revoked link stays revoked
    [(revoked_for, detail)] = _revocations(store)
    reason = "creator disabled" if loss == "disable" else "creator unassigned"
    assert revoked_for == patient and reason in str(detail)
    _refused_changes_nothing_but_the_log(store, path, revoked)
    [(denied, denial)] = _denials(store)
    assert denied == patient and '"reason": "revoked"' in str(denial)
    assert Service.for_share_link(store, kept).read_only
    links = store.share_links("test")
    assert links.set_index("patient_id")["revoked_at"].notna().to_dict() == {
        patient: True,
        kept_for: False,
    }


def test_an_admin_revokes_another_creators_link_from_the_list(clinic: tuple[Store, Path]) -> None:
    store, path = clinic
    token = _as(store, "ann").create_share_link("P2", days=7)
    kept = _as(store, "pat").create_share_link("P1", days=7)
    admin = Service(store, LOCAL_OPERATOR, face="test")
    links = admin.active_share_links()
    assert sorted(links["created_by"]) == ["ann", "pat"]
    [link_id] = links.loc[links["created_by"] == "ann", "link_id"].tolist()
    admin.revoke_share_link(link_id)
    _refused_changes_nothing_but_the_log(store, path, token)
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
