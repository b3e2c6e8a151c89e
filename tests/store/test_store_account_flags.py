"""The store's part of Unlock and of a password an administrator set, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from analytics.errors import NotFoundError
from analytics.store import USER_COLUMNS, Store


def _record(store: Store, name: str) -> dict:
    record = store.user_record(name)
    assert record is not None
    return record


def test_must_change_password_is_set_kept_and_cleared(store: Store) -> None:
    store.add_user("setup", username="new", role="clinician", password_hash="h1",
                   must_change_password=True)  # fmt: skip
    store.add_user("setup", username="old", role="clinician", password_hash="h1")
    assert _record(store, "new")["must_change_password"] is True
    assert _record(store, "old")["must_change_password"] is False
    # a re-hash of the same password keeps the flag; a new password sets it as told
    store.set_password_hash("new", "new", "h2", changed=False)
    assert _record(store, "new")["must_change_password"] is True
    store.set_password_hash("new", "new", "h3")
    assert _record(store, "new")["must_change_password"] is False
    store.set_password_hash("boss", "old", "h4", must_change=True)
    assert _record(store, "old")["must_change_password"] is True
    users = store.users("t").set_index("username")
    assert list(store.users("t").columns) == USER_COLUMNS
    assert users["must_change_password"].tolist() == [False, True]


def test_unlock_clears_the_lock_and_count_and_keeps_the_hash(store: Store) -> None:
    store.add_user("setup", username="ann", role="clinician", password_hash="the hash")
    uid = _record(store, "ann")["id"]
    now = dt.datetime(2026, 12, 6, 12, 0)
    for _ in range(5):
        store.record_login_failure(uid, now=now, max_failures=5, lock_for=dt.timedelta(minutes=15))
    store.record_login_failure(uid, now=now, max_failures=5, lock_for=dt.timedelta(minutes=15))
    locked = _record(store, "ann")
    assert locked["locked_until"] == now + dt.timedelta(minutes=15) and locked["failed_count"] == 1
    before = store.unlock("boss", "ann")
    assert before == {"failed_count": 1, "locked_until": now + dt.timedelta(minutes=15)}
    after = _record(store, "ann")
    assert (after["failed_count"], after["locked_until"]) == (0, None)
    assert after["password_hash"] == "the hash"
    assert after["password_changed_at"] == locked["password_changed_at"]
    with pytest.raises(NotFoundError, match="No account named 'nobody'"):
        store.unlock("boss", "nobody")


def test_enable_after_disable(store: Store) -> None:
    store.add_user("setup", username="ann", role="clinician", password_hash="h")
    store.set_disabled("boss", "ann")
    assert _record(store, "ann")["disabled"] is True
    store.set_disabled("boss", "ann", disabled=False)
    assert _record(store, "ann")["disabled"] is False
    with pytest.raises(NotFoundError):
        store.set_disabled("boss", "nobody", disabled=False)


def test_last_sign_in_is_the_newest_session(store: Store) -> None:
    store.add_user("setup", username="ann", role="clinician", password_hash="h")
    uid = _record(store, "ann")["id"]
    assert store.users("t")["last_sign_in"].isna().all()
    store.create_auth_session("s1", uid, dt.datetime(2026, 12, 1, 9, 0))
    store.create_auth_session("s2", uid, dt.datetime(2026, 12, 5, 17, 30))
    last = store.users("t").set_index("username").loc["ann", "last_sign_in"]
    assert last == dt.datetime(2026, 12, 5, 17, 30)
