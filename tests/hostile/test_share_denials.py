"""A revoked share link used again and again is one audit row with a count, nothing more.

Each refused use is recorded ("share_use", denied) with its reason; repeats of the
same link for the same reason within ``SHARE_DENIAL_WINDOW`` add to that row's count
(``audit_repeats``) instead of adding rows, so a link hammered from outside cannot
flood the audit log. After the window, a refused use starts a new row. No other table
changes, and every refusal gives the same sentence.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.access import LOCAL_OPERATOR, User, user_from_record
from analytics.errors import AuthenticationError
from analytics.service import SHARE_DENIAL_WINDOW, Service
from analytics.store import Store, open_store

from ..dashboard.conftest import PASSWORD, new_app
from .conftest import fingerprint

#: What the service answers for an unknown, expired or revoked link.
REFUSED = (
    "This share link is not valid: it may have expired or been revoked. "
    "Ask the person who shared it for a new one."
)
#: What the shared page shows for such a link: the service's own sentence.
PAGE_REFUSED = REFUSED
#: The tables a refused use may change: the audit row and its count.
AUDIT = ("audit_log", "audit_repeats")


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, Path]]:
    """P1 with a diary day, and ann, a clinician who has P1."""
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)
    path = tmp_path / "clinic.sqlite3"
    monkeypatch.setenv("PAINDIARY_DB", f"sqlite:///{path}")
    with open_store(f"sqlite:///{path}") as store:
        store.save_patient("setup", {"patient_id": "P1", "condition": "neck pain"})
        store.save_diary_entry("setup", {"patient_id": "P1", "date": "2024-01-02", "pain": 6})
        local = Service(store, LOCAL_OPERATOR, face="test:setup")
        local.add_user("ann", role="clinician", password=PASSWORD, must_change_password=False)
        local.assign("ann", ["P1"])
        yield store, path


def _revoked_link(store: Store) -> tuple[str, int]:
    """A link ann made for P1 and revoked: (its token, its id)."""
    record = store.user_record("ann")
    assert record is not None
    user: User = user_from_record(record)
    ann = Service(store, user, face="test")
    token = ann.create_share_link("P1", days=3)
    link_id = int(ann.share_links("P1")["link_id"].iloc[0])
    ann.revoke_share_link(link_id)
    return token, link_id


def _denials(store: Store) -> list[tuple[str, str, int, dict]]:
    log = store.audit_log("test", action="share_use", limit=None)
    return [
        (r.outcome, r.patient_id, int(r.n_times), json.loads(r.detail))
        for r in log.itertuples()  # oldest first
    ]


def _others(print_: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    return {t: v for t, v in print_.items() if t not in AUDIT}


def _rows(print_: dict[str, tuple[int, str]]) -> tuple[int, int]:
    return print_["audit_log"][0], print_["audit_repeats"][0]


def test_twenty_uses_of_a_revoked_link_are_one_row_counted_twenty_times(
    clinic: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, path = clinic
    token, link_id = _revoked_link(store)
    before = fingerprint(path)
    for _ in range(20):
        with pytest.raises(AuthenticationError) as refused:
            Service.for_share_link(store, token)
        assert str(refused.value) == REFUSED
    within = fingerprint(path)
    assert _others(within) == _others(before)
    assert _rows(within) == (_rows(before)[0] + 1, _rows(before)[1] + 1)
    reason = {"reason": "revoked", "link_id": link_id}
    assert _denials(store) == [("denied", "P1", 20, reason)]

    # after the window, a refused use is a new row (the counted one stays as it was)
    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + SHARE_DENIAL_WINDOW
    monkeypatch.setattr("analytics.store._history.utcnow", lambda: later)
    with pytest.raises(AuthenticationError) as refused:
        Service.for_share_link(store, token)
    assert str(refused.value) == REFUSED
    after = fingerprint(path)
    assert _others(after) == _others(before)
    assert _rows(after) == (_rows(within)[0] + 1, _rows(within)[1])
    assert _denials(store) == [("denied", "P1", 20, reason), ("denied", "P1", 1, reason)]


def test_twenty_uses_of_an_expired_link_are_one_row_counted_twenty_times(
    clinic: tuple[Store, Path],
) -> None:
    store, path = clinic
    record = store.user_record("ann")
    assert record is not None
    ann = Service(store, user_from_record(record), face="test")
    token = ann.create_share_link("P1", days=1)
    link_id = int(ann.share_links("P1")["link_id"].iloc[0])
    link = store.share_link(link_id=link_id)
    assert link is not None
    later = link["expires_at"] + dt.timedelta(minutes=1)  # the clock the service offers
    Service.for_share_link(store, token, now=link["expires_at"] - dt.timedelta(minutes=1))
    before = fingerprint(path)
    for _ in range(20):
        with pytest.raises(AuthenticationError) as refused:
            Service.for_share_link(store, token, now=later)
        assert str(refused.value) == REFUSED
    after = fingerprint(path)
    assert _others(after) == _others(before)
    assert _rows(after) == (_rows(before)[0] + 1, _rows(before)[1] + 1)
    assert _denials(store) == [
        ("ok", "P1", 1, {"link_id": link_id}),  # the use while it still worked
        ("denied", "P1", 20, {"reason": "expired", "link_id": link_id}),
    ]


def test_a_revoked_link_opened_in_new_tabs_shows_the_refusal_and_counts_on_one_row(
    clinic: tuple[Store, Path],
) -> None:
    store, path = clinic
    token, link_id = _revoked_link(store)
    before = fingerprint(path)
    for _ in range(3):  # three browser tabs, each a new visit, each rerun once
        at: AppTest = new_app()
        at.query_params["token"] = token
        at.run()
        at.run()
        assert not at.exception
        assert [t.value for t in at.title] == ["🔗 Shared summary"]
        assert [e.value for e in at.error] == [PAGE_REFUSED]
        assert not at.markdown and not at.metric and not at.dataframe
    after = fingerprint(path)
    assert _others(after) == _others(before)
    assert _rows(after) == (_rows(before)[0] + 1, _rows(before)[1] + 1)
    assert _denials(store) == [("denied", "P1", 6, {"reason": "revoked", "link_id": link_id})]
