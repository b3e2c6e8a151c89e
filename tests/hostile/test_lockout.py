"""Sign-in bursts: concurrent guesses never outrun the lockout or the memory bound.

Each burst runs on SQLite and on PostgreSQL. Where the order of attempts matters the
password check is held at a gate the test opens (``verify_password`` waits for an
event), so every attempt is in flight or queued before any is decided: the result
then depends on the product's rules, not on how the threads happen to be scheduled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from analytics.access import _auth as auth
from analytics.errors import AuthenticationError
from analytics.store import Store, open_store
from tests.store.conftest import backend, db_url, pg_server

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
    try:
        auth.authenticate(store, username, password, face="test")
    except AuthenticationError:
        return "refused"
    return "signed in"


def test_eleven_wrong_passwords_then_the_right_one_never_sign_in_and_leave_a_lock(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = HeldChecks(auth.verify_password)
    monkeypatch.setattr(auth, "verify_password", held)
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
    record = store.user_record("pat")
    assert record is not None and record["locked_until"] is not None
    log = store.audit_log("test")
    assert list(log["action"]).count("lockout") == 1
    assert list(log["action"]).count("login") == 0
    assert list(log["action"]).count("login_failed") == 12
    # ... and the lock holds for the right password afterwards too.
    assert attempt(store, "pat", RIGHT) == "refused"


def test_a_burst_of_twelve_at_once_leaves_the_account_locked(store: Store) -> None:
    """All twelve released together (real hashing, no held checks): whichever order the
    attempts land in, no failure clears the lock another one set."""
    start = threading.Barrier(12)

    def go(password: str) -> str:
        start.wait(WAIT)
        return attempt(store, "pat", password)

    with ThreadPoolExecutor(max_workers=12) as pool:
        futures = [pool.submit(go, WRONG) for _ in range(11)] + [pool.submit(go, RIGHT)]
        outcomes = [f.result(WAIT * 2) for f in futures]
    assert outcomes[:11] == ["refused"] * 11
    record = store.user_record("pat")
    assert record is not None and record["locked_until"] is not None
    assert attempt(store, "pat", RIGHT) == "refused"


def test_a_right_password_checked_while_another_attempt_locks_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The right password's check starts before the lock and ends after it."""
    for _ in range(auth.MAX_FAILURES - 1):
        assert attempt(store, "pat", WRONG) == "refused"
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
    # its refusal and the other attempt's lockout row land in either order
    details = list(store.audit_log("test")["detail"])
    assert any("locked or disabled while the password was checked" in d for d in details[-2:])


def _locked(store: Store) -> bool:
    record = store.user_record("pat")
    return record is not None and record["locked_until"] is not None


def test_a_password_over_the_limit_is_refused_before_hashing(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def never(password_hash: str, password: str) -> bool:
        raise AssertionError("a 50 MB password reached argon2")

    monkeypatch.setattr(auth, "verify_password", never)
    with pytest.raises(AuthenticationError, match="Sign-in refused"):
        auth.authenticate(store, "pat", "x" * (auth.MAX_PASSWORD_LENGTH + 1), face="test")
    with pytest.raises(AuthenticationError, match="Sign-in refused"):
        auth.authenticate(store, "nobody", "x" * 50_000_000, face="test")
    details = list(store.audit_log("test")["detail"])
    assert all("password over 1024 characters" in d for d in details)
    record = store.user_record("pat")
    assert record is not None and record["failed_count"] == 0


def test_forty_anonymous_sign_ins_check_at_most_four_passwords_at_once(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """argon2 takes 64 MiB per check: the bound on checks is the bound on that memory."""
    held = HeldChecks(auth.verify_password)
    monkeypatch.setattr(auth, "verify_password", held)
    names = [f"stranger{i}" for i in range(40)]
    with ThreadPoolExecutor(max_workers=40) as pool:
        futures = [pool.submit(attempt, store, name, WRONG) for name in names]
        wait_until(
            lambda: sum(auth.sign_ins_waiting(n) for n in names) == 40, "all 40 attempts arrive"
        )
        wait_until(lambda: held.running == auth.CHECKS_IN_FLIGHT, "the first checks run")
        held.release()
        assert [f.result(WAIT) for f in futures] == ["refused"] * 40
    assert held.most == auth.CHECKS_IN_FLIGHT == 4
