"""Progressive delays instead of a hard lock anyone can trigger.

An account's lock starts at 1 minute and doubles with each further lock in a day (at
most 15); an address that keeps failing waits 2 s, 4 s, 8 s … between attempts and
is refused before any password check meanwhile, without counting against the
account. Each refusal is one "login_failed" row and changes nothing else; an
administrator's unlock ends a lock early and keeps the password.

The tests that sign in run on SQLite and on PostgreSQL (the account's count and lock
are database writes; the address waits are kept in this process, but their refusals
are audit rows too). Every refusal is checked word for word, and the database
through :func:`~tests.hostile.conftest.database_fingerprint` and
:func:`~tests.hostile.conftest.audit_trail`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import streamlit.runtime.context as st_context

from analytics.access import LOCAL_OPERATOR, source_address
from analytics.access import _auth as auth
from analytics.access._delays import address_delay, lock_minutes
from analytics.errors import AuthenticationError
from analytics.service import Service
from analytics.store import Store, open_store
from dashboard import session
from tests.store.conftest import backend, db_url, pg_server

from ..dashboard.conftest import new_app, sign_in
from .conftest import audit_trail, changed_tables, database_fingerprint

__all__ = ["backend", "db_url", "pg_server"]

RIGHT = "correct horse battery"
WRONG = "wrong horse battery"
T0 = dt.datetime(2026, 3, 2, 9, 0, 0)
ATTACKER = "203.0.113.9"


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A clinic of one patient account, ``pat``, on the test's backend; no address remembered."""
    auth._ADDRESSES.clear()
    with open_store(db_url) as s:
        s.save_patient("setup", {"patient_id": "P1", "condition": "neck pain"})
        s.add_user(
            "setup", username="pat", role="patient", patient_id="P1",
            password_hash=auth.hash_password(RIGHT),
        )  # fmt: skip
        yield s
    auth._ADDRESSES.clear()


def _try(store: Store, password: str, clock: Clock, source: str | None = None) -> str:
    try:
        auth.authenticate(store, "pat", password, face="test", clock=clock, source=source)
    except AuthenticationError as exc:
        assert str(exc) == auth.SIGN_IN_REFUSED
        return "refused"
    return "signed in"


def _last_reason(store: Store) -> str | None:
    return audit_trail(store)[-1].reason


def _refused_and_nothing_changed(
    store: Store, password: str, clock: Clock, source: str | None, reason: str
) -> None:
    """One refusal that changes nothing but one "login_failed" row with this reason."""
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    assert _try(store, password, clock, source) == "refused"
    assert database_fingerprint(store) == print_before
    added = audit_trail(store)[len(trail) :]
    assert [(e.username, e.action, e.outcome, e.reason) for e in added] == [
        ("pat", "login_failed", "failed", reason)
    ]


def test_the_delays_double_up_to_fifteen_minutes() -> None:
    assert [lock_minutes(n) for n in range(7)] == [1, 2, 4, 8, 15, 15, 15]
    seconds = [address_delay(n).total_seconds() for n in range(13)]
    assert seconds == [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]


def test_an_account_lock_starts_at_a_minute_and_grows_with_each_further_lock(
    store: Store,
) -> None:
    clock = Clock()
    for expected in (1, 2, 4):
        trail = audit_trail(store)
        for _ in range(auth.MAX_FAILURES):
            assert _try(store, WRONG, clock) == "refused"
        record = store.user_record("pat")
        assert record is not None and record["failed_count"] == 0
        until = clock.now + dt.timedelta(minutes=expected)
        assert record["locked_until"] == until
        added = audit_trail(store)[len(trail) :]
        assert [(e.action, e.outcome, e.reason) for e in added] == [
            ("login_failed", "failed", f"wrong password ({n} in a row)") for n in range(1, 6)
        ] + [("lockout", "ok", None)]
        assert added[-1].detail == {"locked_until": until.isoformat(), "minutes": expected}
        # the right password during the lock: refused, counted nowhere, nothing changed
        clock.advance(minutes=expected, seconds=-1)
        _refused_and_nothing_changed(
            store, RIGHT, clock, None, f"locked until {until:%Y-%m-%d %H:%M} UTC"
        )
        clock.advance(seconds=2)
    assert _try(store, RIGHT, clock) == "signed in"  # the lock has passed: the owner signs in
    record = store.user_record("pat")
    assert record is not None and record["failed_count"] == 0 and record["locked_until"] is None


def test_an_admin_unlock_ends_the_lock_and_keeps_the_password(store: Store) -> None:
    clock = Clock()
    account = store.user_record("pat")
    assert account is not None
    for _ in range(auth.MAX_FAILURES):
        assert _try(store, WRONG, clock) == "refused"
    _refused_and_nothing_changed(store, RIGHT, clock, None, "locked until 2026-03-02 09:01 UTC")
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    Service(store, LOCAL_OPERATOR, face="test").unlock_user("pat")
    assert changed_tables(print_before, database_fingerprint(store)) == {"users"}
    unlocked = store.user_record("pat")
    assert unlocked == {**account, "failed_count": 0, "locked_until": None}  # password kept
    added = audit_trail(store)[len(trail) :]
    assert [(e.username, e.action, e.outcome, e.detail) for e in added] == [
        (
            LOCAL_OPERATOR.username, "user_admin", "ok",
            {"op": "unlock_user", "username": "pat", "failed_count": 0,
             "locked_until": "2026-03-02T09:01:00"},
        )
    ]  # fmt: skip
    # within the minute the lock would have lasted, the same password now signs in
    assert _try(store, RIGHT, clock) == "signed in"
    assert store.user_record("pat") == unlocked
    last = audit_trail(store)[-1]
    assert (last.username, last.action, last.outcome) == ("pat", "login", "ok")


def test_an_address_that_keeps_failing_waits_and_is_refused_before_any_check(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock()
    checks: list[str] = []
    real: Callable[[str, str], bool] = auth.verify_password

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counted)
    for _ in range(3):
        assert _try(store, WRONG, clock, ATTACKER) == "refused"
    assert len(checks) == 3
    # the fourth guess right away: refused before the password is checked, not counted
    _refused_and_nothing_changed(
        store, RIGHT, clock, ATTACKER, "this address waits until 09:00:02 UTC"
    )
    assert len(checks) == 3
    record = store.user_record("pat")
    assert record is not None and record["failed_count"] == 3 and record["locked_until"] is None
    # the owner at their own device is not held up by the guesses
    assert _try(store, RIGHT, clock, "198.51.100.7") == "signed in"
    # the address waits 2 s, then 4 s after its next failure
    clock.advance(seconds=2)
    assert _try(store, WRONG, clock, ATTACKER) == "refused"
    assert _last_reason(store) == "wrong password (1 in a row)"
    clock.advance(seconds=3)
    _refused_and_nothing_changed(
        store, WRONG, clock, ATTACKER, "this address waits until 09:00:06 UTC"
    )
    clock.advance(seconds=1)
    assert _try(store, RIGHT, clock, ATTACKER) == "signed in"  # and a right password clears it
    assert auth._ADDRESSES.wait_until(ATTACKER, clock.now) is None


def test_the_forwarded_header_counts_only_when_configured() -> None:
    headers = {"X-Forwarded-For": "10.9.9.9, 192.0.2.44", "Host": "clinic"}
    assert source_address("127.0.0.1", headers, forwarded_header=None) == "127.0.0.1"
    assert source_address("127.0.0.1", headers, forwarded_header="x-forwarded-for") == (
        "192.0.2.44"
    )
    assert source_address("127.0.0.1", {}, forwarded_header="X-Forwarded-For") == "127.0.0.1"
    assert source_address(None, {}, forwarded_header=None) is None


def test_a_look_alike_username_is_named_and_never_reads_as_another_in_the_log(
    store: Store,
) -> None:
    store.add_user("setup", username="admin", role="admin", password_hash=auth.hash_password(RIGHT))
    trail = audit_trail(store)
    print_before = database_fingerprint(store)
    with pytest.raises(AuthenticationError) as refused:
        auth.authenticate(store, "\u0430dmin", RIGHT, face="test", clock=Clock())
    assert str(refused.value) == (
        auth.SIGN_IN_REFUSED + " The username holds U+0430 CYRILLIC SMALL LETTER A (looks like "
        "'a'): usernames are written with the letters a to z, digits, dots, dashes and "
        "underscores."
    )
    assert database_fingerprint(store) == print_before
    [row] = audit_trail(store)[len(trail) :]
    assert (row.username, row.action, row.outcome) == ("\\u0430dmin", "login_failed", "failed")
    assert row.detail == {
        "reason": "unknown user",
        "look_alikes": "The username holds U+0430 CYRILLIC SMALL LETTER A (looks like 'a'): "
        "usernames are written with the letters a to z, digits, dots, dashes and underscores.",
    }


# ------------------------------------------------------------ through the sign-in page

PROXY = "127.0.0.1"  # the reverse proxy on the app's machine


@pytest.fixture
def login_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The app's database (URL) with one clinician, ``dr.a``; the app's clock at T0."""
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    with open_store(url) as s:
        Service(s, LOCAL_OPERATOR, face="test:setup").add_user(
            "dr.a", role="clinician", password=RIGHT, must_change_password=False
        )
    monkeypatch.setenv("PAINDIARY_DB", url)
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)
    monkeypatch.setattr(session, "_clock", Clock())
    auth._ADDRESSES.clear()
    yield url
    auth._ADDRESSES.clear()


def test_the_sign_in_page_makes_the_proxy_s_client_address_wait(
    login_page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy names the client in the header the clinic configured; the client's own
    # earlier entry (anything it likes) is not taken. AppTest has no WebSocket handshake:
    # the one seam replaced is Streamlit's read of it, so the app's own reading of the
    # address (dashboard.session._source, analytics.access.source_address) runs as served.
    monkeypatch.setenv("PAINDIARY_FORWARDED_HEADER", "X-Forwarded-For")
    handshake = SimpleNamespace(
        headers=[("Host", "clinic"), ("X-Forwarded-For", f"198.51.100.7, {ATTACKER}")],
        cookies={},
        remote_ip=PROXY,
    )
    monkeypatch.setattr(st_context, "_get_client_context", lambda: handshake)
    checks: list[str] = []
    real: Callable[[str, str], bool] = auth.verify_password

    def counted(password_hash: str, password: str) -> bool:
        checks.append(password)
        return real(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counted)

    at = new_app().run()
    for n in range(1, 4):  # three wrong passwords: the address may get them wrong at once
        sign_in(at, "dr.a", WRONG)
        assert not at.exception
        assert [e.value for e in at.error] == [auth.SIGN_IN_REFUSED]
        assert len(checks) == n
    failed = [e for e in audit_trail(login_page) if e.action == "login_failed"]
    assert [(e.username, e.detail) for e in failed] == [
        ("dr.a", {"reason": f"wrong password ({n} in a row)", "address": ATTACKER})
        for n in range(1, 4)
    ]
    assert auth._ADDRESSES.wait_until(ATTACKER, T0) == T0 + dt.timedelta(seconds=2)

    # the right password at once: refused on the page before any password check
    trail = audit_trail(login_page)
    print_before = database_fingerprint(login_page)
    sign_in(at, "dr.a", RIGHT)
    assert not at.exception
    assert [e.value for e in at.error] == [auth.SIGN_IN_REFUSED]
    assert session._TOKEN not in at.session_state
    assert len(checks) == 3
    assert database_fingerprint(login_page) == print_before  # not counted against dr.a
    added = audit_trail(login_page)[len(trail) :]
    assert [(e.username, e.action, e.outcome, e.detail) for e in added] == [
        (
            "dr.a", "login_failed", "failed",
            {"reason": "this address waits until 09:00:02 UTC", "address": ATTACKER},
        )
    ]  # fmt: skip
    # the proxy itself and the client's own entry in the header never wait
    assert auth._ADDRESSES.wait_until(PROXY, T0) is None
    assert auth._ADDRESSES.wait_until("198.51.100.7", T0) is None
