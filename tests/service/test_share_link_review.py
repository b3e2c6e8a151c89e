"""The clinic's active share links for administrators (``Service.active_share_links``).

Only links that work now are listed (revoked and expired ones are left out, in the
query), sorted by creator, never with a token or its hash; reading the list is not
recorded (as the audit log and the account list are not), a refused reading is.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from analytics.access import LOCAL_OPERATOR, User, hash_password, user_from_record
from analytics.errors import AccessDeniedError, AuthenticationError
from analytics.service import Service
from analytics.store import Store, open_store

COLUMNS = ["link_id", "patient_id", "created_by", "created_at", "expires_at"]


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    """P1, P2 assigned to the clinician "ann"; "pat" is P1; "admin" sees everyone."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)
    with open_store(f"sqlite:///{tmp_path / 'clinic.sqlite3'}") as s:
        for pid in ("P1", "P2"):
            s.save_patient("setup", {"patient_id": pid, "condition": "neck pain"})
        h = hash_password("clinic test password 1")
        s.add_user("setup", username="admin", role="admin", password_hash=h)
        s.add_user("setup", username="ann", role="clinician", password_hash=h)
        s.add_user("setup", username="pat", role="patient", patient_id="P1", password_hash=h)
        s.assign("setup", "ann", ["P1", "P2"])
        yield s


def _as(store: Store, name: str) -> Service:
    record = store.user_record(name)
    assert record is not None
    user: User = user_from_record(record)
    return Service(store, user, face="test")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _stored_link(store: Store, creator: str, patient_id: str, expires_at: dt.datetime) -> int:
    """A link stored directly (no audit row), e.g. one that has expired."""
    return store.add_share_link(
        creator, token_hash=secrets.token_hex(32), patient_id=patient_id, expires_at=expires_at
    )


def _log(store: Store) -> pd.DataFrame:
    return store.audit_log("test")


def test_only_links_that_work_now_are_listed_by_creator_newest_first(store: Store) -> None:
    ann, pat = _as(store, "ann"), _as(store, "pat")
    ann.create_share_link("P1", days=7)
    ann.create_share_link("P2", days=3)  # ann's newer link comes first
    ann.create_share_link("P2", days=7)
    revoked_id = int(ann.share_links("P2")["link_id"].iat[0])  # newest first
    pat.create_share_link("P1", days=1)
    Service(store, LOCAL_OPERATOR, face="test").create_share_link("P2", days=90)
    _stored_link(store, "ann", "P1", _now() - dt.timedelta(minutes=1))  # expired
    ann.revoke_share_link(revoked_id)

    links = _as(store, "admin").active_share_links()

    assert list(links.columns) == COLUMNS
    assert links[["created_by", "patient_id"]].values.tolist() == [
        ["ann", "P2"],
        ["ann", "P1"],
        [LOCAL_OPERATOR.username, "P2"],
        ["pat", "P1"],
    ]
    assert revoked_id not in set(links["link_id"])
    assert links["link_id"].dtype == "int64"
    assert (links["expires_at"] > pd.Timestamp(_now())).all()
    assert (links["created_at"] <= links["expires_at"]).all()


def test_the_list_never_holds_a_token_or_its_hash(store: Store) -> None:
    tokens = [_as(store, "ann").create_share_link(p, days=5) for p in ("P1", "P2")]
    links = _as(store, "admin").active_share_links()
    stored = [store.share_link(link_id=int(i)) for i in links["link_id"]]
    hashes = [str(link["token_hash"]) for link in stored if link is not None]
    assert len(links) == 2 and len(hashes) == 2
    assert not [c for c in links.columns if "token" in c or "hash" in c]
    text = links.to_csv(index=False)
    assert not [t for t in [*tokens, *hashes] if t in text]


def test_reading_the_list_is_not_recorded(store: Store) -> None:
    _as(store, "ann").create_share_link("P1", days=5)
    before = len(_log(store))
    assert len(_as(store, "admin").active_share_links()) == 1
    assert len(_log(store)) == before  # like the audit log and the account list


def test_no_link_gives_an_empty_list_with_its_columns(store: Store) -> None:
    links = _as(store, "admin").active_share_links()
    assert links.empty and list(links.columns) == COLUMNS


def test_a_link_is_left_out_at_the_moment_its_use_is_refused(store: Store) -> None:
    """The store's filter and a link's use agree on the moment of expiry."""
    moment = dt.datetime(2030, 1, 1, 12, 0)
    on_time = _stored_link(store, "ann", "P1", moment)
    later = _stored_link(store, "ann", "P1", moment + dt.timedelta(seconds=1))
    active = store.share_links("test", active_at=moment)
    assert active["link_id"].tolist() == [later]
    assert on_time in store.share_links("test")["link_id"].tolist()


@pytest.mark.parametrize("who", ["pat", "ann", "share-link"])
def test_everyone_but_an_admin_is_refused_and_the_refusal_recorded(store: Store, who: str) -> None:
    if who == "share-link":
        token = _as(store, "pat").create_share_link("P1", days=3)
        service = Service.for_share_link(store, token)
    else:
        service = _as(store, who)
    name, role = service.user.username, {"pat": "patient", "ann": "clinician"}.get(who, "patient")
    before = len(_log(store))
    with pytest.raises(AccessDeniedError) as err:
        service.active_share_links()
    assert str(err.value) == (
        f"Access denied: active_share_links is for admin accounts; {name} is a {role}."
    )
    log = _log(store)
    assert len(log) == before + 1
    row = log.iloc[-1]
    assert (row["username"], row["action"], row["outcome"]) == (name, "view", "denied")
    assert pd.isna(row["patient_id"])
    assert json.loads(row["detail"]) == {"call": "active_share_links"}


def test_a_link_revoked_from_the_list_leaves_it_and_stops_working(store: Store) -> None:
    token = _as(store, "ann").create_share_link("P2", days=7)
    admin = _as(store, "admin")
    [link_id] = admin.active_share_links()["link_id"].tolist()
    admin.revoke_share_link(link_id)
    assert admin.active_share_links().empty
    with pytest.raises(AuthenticationError, match="not valid"):
        Service.for_share_link(store, token)
    revokes = _log(store).query("action == 'share_revoke'")
    assert revokes[["username", "outcome", "patient_id"]].values.tolist() == [["admin", "ok", "P2"]]
