"""Sign-in bursts: concurrent guesses never outrun the lockout or the memory bound.

Each burst runs on SQLite and on PostgreSQL. Where the order of attempts matters the
password check is held at a gate the test opens (``verify_password`` waits for an
event), so every attempt is in flight or queued before any is decided: the result
then depends on the product's rules, not on how the threads happen to be scheduled.

Every refusal is checked word for word, and the database before and after through
:func:`~tests.hostile.conftest.database_fingerprint` (every table but the audit log)
and :func:`~tests.hostile.conftest.audit_trail` (the rows a burst added, one by one).
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import argon2
import pytest

from analytics.access import _auth as auth
from analytics.errors import AuthenticationError
from analytics.store import Store, open_store
from tests.store.conftest import backend, db_url, pg_server

from .conftest import AuditEntry, audit_trail, changed_tables, database_fingerprint

__all__ = ["backend", "db_url", "pg_server"]

RIGHT = "correct horse battery"
WRONG = "wrong horse battery"
WAIT = 30.0  # seconds: the longest a test waits for a state before failing


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as s:
        s.save_patient("admin", {"patient_id": "P001", "condition": "low back pain"})
        s.add_user(
            "admin",
            username="pat",
            role="patient",
            patient_id="P001",
            password_hash=auth.hash_password(RIGHT),
        )
        yield s


class HeldChecks:
    """Hold every password check until :meth:`release`; count how many run at once."""

    def __init__(self, real: Callable[[str, str], bool]) -> None:
        self._real = real
        self._open = threading.Event()
        self._lock = threading.Lock()
        self.running = 0
        self.most = 0

    def __call__(self, password_hash: str, password: str) -> bool:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            if not self._open.wait(WAIT):
                raise AssertionError("the test never released the password checks")
            return self._real(password_hash, password)
        finally:
            with self._lock:
                self.running -= 1

    def release(self) -> None:
        self._open.set()


def wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.01)


def attempt(store: Store, username: str, password: str) -> str:
    """Sign in; "refused" only when the refusal says exactly :data:`auth.SIGN_IN_REFUSED`."""
    try:
        auth.authenticate(store, username, password, face="test")
    except AuthenticationError as exc:
        assert str(exc) == auth.SIGN_IN_REFUSED
        return "refused"
    return "signed in"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _rows(entries: list[AuditEntry]) -> Counter[tuple[str, str, str | None]]:
    return Counter((e.action, e.outcome, e.reason) for e in entries)


def _locked_reason(until: dt.datetime) -> str:
    return f"locked until {until:%Y-%m-%d %H:%M} UTC"


def _check_lock(store: Store, before: dict[str, Any], started: dt.datetime) -> dict[str, Any]:
    """Check that ``pat`` is locked for a minute from this burst on; return the account."""
    record = store.user_record("pat")
    assert record is not None
    until = record["locked_until"]
    assert until is not None
    now = _utcnow()
    assert until > now  # still locked
    assert started + dt.timedelta(minutes=1) <= until <= now + dt.timedelta(minutes=1)
    # the wrong passwords changed the count and the lock, nothing else of the account
    assert {k: v for k, v in record.items() if k not in ("failed_count", "locked_until")} == {
        k: v for k, v in before.items() if k not in ("failed_count", "locked_until")
    }
    return record


def _still_locked_and_unchanged(store: Store, until: dt.datetime) -> None:
    """The right password once more: refused, one audit row, nothing else changed."""
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    assert attempt(store, "pat", RIGHT) == "refused"
    assert database_fingerprint(store) == print_before
    added = audit_trail(store)[len(trail) :]
    assert [(e.action, e.outcome, e.reason) for e in added] == [
        ("login_failed", "failed", _locked_reason(until))
    ]


def test_eleven_wrong_passwords_then_the_right_one_never_sign_in_and_leave_a_lock(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twelve threads: eleven wrong passwords queue, then the right one; none signs in.

    Two checks run at once for one account, so when the fifth wrong password locks the
    account at most one other wrong password is in flight: it read the account before
    the lock and is counted after it (``failed_count`` 0 or 1, one "wrong password"
    row beyond the five that locked). Every later attempt, the right password among
    them, is refused as locked and counted nowhere.
    """
    account = store.user_record("pat")
    assert account is not None
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    held = HeldChecks(auth.verify_password)
    monkeypatch.setattr(auth, "verify_password", held)
    started = _utcnow()
    with ThreadPoolExecutor(max_workers=12) as pool:
        wrong = [pool.submit(attempt, store, "pat", WRONG) for _ in range(11)]
        wait_until(lambda: auth.sign_ins_waiting("pat") == 11, "the 11 wrong guesses queue")
        right = pool.submit(attempt, store, "pat", RIGHT)
        wait_until(lambda: auth.sign_ins_waiting("pat") == 12, "the right password queues")
        wait_until(lambda: held.running == auth.CHECKS_PER_ACCOUNT, "two checks run")
        held.release()
        outcomes = [f.result(WAIT) for f in wrong]
        assert right.result(WAIT) == "refused"
    assert outcomes == ["refused"] * 11
    assert held.most == auth.CHECKS_PER_ACCOUNT
    record = _check_lock(store, account, started)
    until = record["locked_until"]
    assert changed_tables(print_before, database_fingerprint(store)) == {"users"}
    late = record["failed_count"]
    assert late in range(auth.CHECKS_PER_ACCOUNT)
    expected = Counter(
        {
            ("lockout", "ok", None): 1,
            ("login_failed", "failed", _locked_reason(until)): 12 - auth.MAX_FAILURES - late,
        }
    )
    for n in range(1, auth.MAX_FAILURES + 1):
        expected["login_failed", "failed", f"wrong password ({n} in a row)"] += 1
    expected["login_failed", "failed", "wrong password (1 in a row)"] += late
    added = audit_trail(store)[len(trail) :]
    assert _rows(added) == expected  # no "login" row among them
    [lockout] = [e for e in added if e.action == "lockout"]
    assert lockout.detail == {"locked_until": until.isoformat(), "minutes": 1}
    # ... and the lock holds for the right password afterwards too.
    _still_locked_and_unchanged(store, until)


def test_a_burst_of_twelve_at_once_leaves_the_account_locked(store: Store) -> None:
    """All twelve released together (real hashing, no held checks): whichever order the
    attempts land in, no failure clears the lock another one set.

    The order is the scheduler's, so the right password may land before the fifth
    wrong one (in practice it often does): it is right then, signs in and resets the
    count, and its "login" row comes before the lock. Landing later, it is refused
    like the wrong ones. Either way the burst ends with one lock of a minute, and the
    right password is refused afterwards. The exact order is the previous test's.
    """
    account = store.user_record("pat")
    assert account is not None
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    start = threading.Barrier(12)

    def go(password: str) -> str:
        start.wait(WAIT)
        return attempt(store, "pat", password)

    started = _utcnow()
    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(go, WRONG) for _ in range(11)] + [pool.submit(go, RIGHT)]
        outcomes = [f.result(WAIT * 2) for f in futures]
    assert outcomes[:11] == ["refused"] * 11
    assert outcomes[11] in ("refused", "signed in")
    record = _check_lock(store, account, started)
    until = record["locked_until"]
    assert record["failed_count"] in range(auth.CHECKS_PER_ACCOUNT)  # only a check in flight
    assert changed_tables(print_before, database_fingerprint(store)) == {"users"}
    added = audit_trail(store)[len(trail) :]
    [lockout] = [e for e in added if e.action == "lockout"]
    assert lockout.detail == {"locked_until": until.isoformat(), "minutes": 1}
    logins = [e for e in added if e.action == "login"]
    assert len(logins) == (outcomes[11] == "signed in")
    assert all(e.id < lockout.id for e in logins)  # never signed in after the lock
    refusals = [e for e in added if e.action == "login_failed"]
    assert len(refusals) == outcomes.count("refused")
    assert {e.outcome for e in refusals} == {"failed"}
    counted = [e.reason for e in refusals if e.reason and e.reason.startswith("wrong password")]
    assert counted.count(f"wrong password ({auth.MAX_FAILURES} in a row)") == 1
    assert set(counted) <= {f"wrong password ({n} in a row)" for n in range(1, 6)}
    assert {e.reason for e in refusals} - set(counted) <= {
        _locked_reason(until),
        "locked or disabled while the password was checked",  # the right one, in flight
    }
    assert len(added) == len(refusals) + len(logins) + 1
    _still_locked_and_unchanged(store, until)


def test_a_right_password_checked_while_another_attempt_locks_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The right password's check starts before the lock and ends after it."""
    for _ in range(auth.MAX_FAILURES - 1):
        assert attempt(store, "pat", WRONG) == "refused"
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    checking = threading.Event()

    def verify(password_hash: str, password: str) -> bool:
        if password != RIGHT:
            return False
        checking.set()
        wait_until(lambda: _locked(store), "the last wrong password locks the account")
        return True

    monkeypatch.setattr(auth, "verify_password", verify)
    with ThreadPoolExecutor(max_workers=2) as pool:
        right = pool.submit(attempt, store, "pat", RIGHT)
        assert checking.wait(WAIT)
        assert attempt(store, "pat", WRONG) == "refused"
        assert right.result(WAIT) == "refused"
    record = store.user_record("pat")
    assert record is not None and record["failed_count"] == 0
    assert record["locked_until"] is not None
    assert changed_tables(print_before, database_fingerprint(store)) == {"users"}
    # its refusal and the other attempt's lockout row land in either order
    assert _rows(audit_trail(store)[len(trail) :]) == Counter(
        {
            ("login_failed", "failed", f"wrong password ({auth.MAX_FAILURES} in a row)"): 1,
            ("lockout", "ok", None): 1,
            ("login_failed", "failed", "locked or disabled while the password was checked"): 1,
        }
    )


def _locked(store: Store) -> bool:
    record = store.user_record("pat")
    return record is not None and record["locked_until"] is not None


def test_a_password_over_the_limit_is_refused_before_hashing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over :data:`auth.MAX_PASSWORD_LENGTH` characters: no argon2 call, no count, one row.

    A password of exactly the limit is checked (one verification, one counted failure),
    so the limit is where the docs say.
    """
    argon2_calls: list[str] = []

    def counting(name: str) -> Callable[..., Any]:
        real = getattr(argon2.PasswordHasher, name)

        def call(self: argon2.PasswordHasher, *args: Any, **kwargs: Any) -> Any:
            argon2_calls.append(name)
            return real(self, *args, **kwargs)

        return call

    auth._dummy_hash()  # made by the process's first sign-in (one below would make it)
    for name in ("hash", "verify"):
        monkeypatch.setattr(argon2.PasswordHasher, name, counting(name))
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    for username, password in (
        ("pat", "x" * (auth.MAX_PASSWORD_LENGTH + 1)),
        ("nobody", "x" * 50_000_000),
    ):
        with pytest.raises(AuthenticationError) as refused:
            auth.authenticate(store, username, password, face="test")
        assert str(refused.value) == auth.SIGN_IN_REFUSED
    assert argon2_calls == []
    assert database_fingerprint(store) == print_before
    added = audit_trail(store)[len(trail) :]
    assert [(e.username, e.action, e.outcome, e.reason) for e in added] == [
        (name, "login_failed", "failed", "password over 1024 characters")
        for name in ("pat", "nobody")
    ]
    # the limit itself is a password like any other: checked once and counted
    assert attempt(store, "pat", "x" * auth.MAX_PASSWORD_LENGTH) == "refused"
    assert argon2_calls == ["verify"]
    record = store.user_record("pat")
    assert record is not None and record["failed_count"] == 1
    assert audit_trail(store)[-1].reason == "wrong password (1 in a row)"


def test_forty_anonymous_sign_ins_check_at_most_four_passwords_at_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 takes 64 MiB per check: the bound on checks is the bound on that memory."""
    held = HeldChecks(auth.verify_password)
    monkeypatch.setattr(auth, "verify_password", held)
    names = [f"stranger{i}" for i in range(40)]
    before, trail = database_fingerprint(store), audit_trail(store)
    with ThreadPoolExecutor(max_workers=40) as pool:
        futures = [pool.submit(attempt, store, name, WRONG) for name in names]
        wait_until(
            lambda: sum(auth.sign_ins_waiting(n) for n in names) == 40, "all 40 attempts arrive"
        )
        wait_until(lambda: held.running == auth.CHECKS_IN_FLIGHT, "the first checks run")
        held.release()
        assert [f.result(WAIT) for f in futures] == ["refused"] * 40
    assert held.most == auth.CHECKS_IN_FLIGHT == 4
    # nothing but forty "unknown user" rows: no account, lock or count came of them
    assert database_fingerprint(store) == before
    added = audit_trail(store)[len(trail) :]
    assert sorted((a.username, a.action, a.outcome, a.reason) for a in added) == sorted(
        (name, "login_failed", "failed", "unknown user") for name in names
    )
