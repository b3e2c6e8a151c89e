"""Progressive delays instead of a hard lock anyone can trigger.

An account's lock starts at 1 minute and doubles with each further lock in a day (at
most 15); an address that keeps failing waits 2 s, 4 s, 8 s … between attempts and
is refused before any password check meanwhile, without counting against the
account. Each refusal is one "login_failed" row and changes nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from analytics.access import _auth as auth
from analytics.access import source_address
from analytics.access._delays import address_delay, lock_minutes
from analytics.errors import AuthenticationError
from analytics.store import Store, open_store

from .conftest import fingerprint

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
def clinic(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    auth._ADDRESSES.clear()
    path = tmp_path / "clinic.sqlite3"
    with open_store(f"sqlite:///{path}") as s:
        s.save_patient("setup", {"patient_id": "P1", "condition": "neck pain"})
        s.add_user(
            "setup", username="pat", role="patient", patient_id="P1",
            password_hash=auth.hash_password(RIGHT),
        )  # fmt: skip
        yield s, path
    auth._ADDRESSES.clear()


def _try(store: Store, password: str, clock: Clock, source: str | None = None) -> str:
    try:
        auth.authenticate(store, "pat", password, face="test", clock=clock, source=source)
    except AuthenticationError as exc:
        assert str(exc) == auth.SIGN_IN_REFUSED
        return "refused"
    return "signed in"


def _last_reason(store: Store) -> str:
    return str(json.loads(store.audit_log("test").iloc[-1]["detail"])["reason"])


def test_the_delays_double_up_to_fifteen_minutes() -> None:
    assert [lock_minutes(n) for n in range(7)] == [1, 2, 4, 8, 15, 15, 15]
    seconds = [address_delay(n).total_seconds() for n in range(13)]
    assert seconds == [0, 0, 0, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]


def test_an_account_lock_starts_at_a_minute_and_grows_with_each_further_lock(
    clinic: tuple[Store, Path],
) -> None:
    store, _ = clinic
    clock = Clock()
    for expected in (1, 2, 4):
        for _ in range(auth.MAX_FAILURES):
            assert _try(store, WRONG, clock) == "refused"
        record = store.user_record("pat")
        assert record is not None
        assert record["locked_until"] == clock.now + dt.timedelta(minutes=expected)
        log = store.audit_log("test")
        assert json.loads(log[log["action"] == "lockout"].iloc[-1]["detail"])["minutes"] == expected
        clock.advance(minutes=expected, seconds=1)
    assert _try(store, RIGHT, clock) == "signed in"  # the lock has passed: the owner signs in


def test_an_address_that_keeps_failing_waits_and_is_refused_before_any_check(
    clinic: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, path = clinic
    clock = Clock()
    checks: list[str] = []
    real: Callable[[str, str], bool] = auth.verify_password
    monkeypatch.setattr(auth, "verify_password", lambda h, p: checks.append(p) or real(h, p))
    for _ in range(3):
        assert _try(store, WRONG, clock, ATTACKER) == "refused"
    assert len(checks) == 3
    before = fingerprint(path)
    # the fourth guess right away: refused before the password is checked, not counted
    assert _try(store, RIGHT, clock, ATTACKER) == "refused"
    assert len(checks) == 3
    assert _last_reason(store) == "this address waits until 09:00:02 UTC"
    after = fingerprint(path)
    assert {t for t in after if after[t] != before[t]} == {"audit_log"}
    assert after["audit_log"][0] == before["audit_log"][0] + 1
    record = store.user_record("pat")
    assert record is not None and record["failed_count"] == 3 and record["locked_until"] is None
    # the owner at their own device is not held up by the guesses
    assert _try(store, RIGHT, clock, "198.51.100.7") == "signed in"
    # the address waits 2 s, then 4 s after its next failure
    clock.advance(seconds=2)
    assert _try(store, WRONG, clock, ATTACKER) == "refused"
    clock.advance(seconds=3)
    assert _try(store, WRONG, clock, ATTACKER) == "refused"
    assert _last_reason(store) == "this address waits until 09:00:06 UTC"
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
    clinic: tuple[Store, Path],
) -> None:
    store, path = clinic
    store.add_user("setup", username="admin", role="admin", password_hash=auth.hash_password(RIGHT))
    before = fingerprint(path)
    with pytest.raises(AuthenticationError) as refused:
        auth.authenticate(store, "\u0430dmin", RIGHT, face="test", clock=Clock())
    assert str(refused.value) == (
        auth.SIGN_IN_REFUSED + " The username holds U+0430 CYRILLIC SMALL LETTER A (looks like "
        "'a'): usernames are written with the letters a to z, digits, dots, dashes and "
        "underscores."
    )
    after = fingerprint(path)
    assert {t for t in after if after[t] != before[t]} == {"audit_log"}
    row = store.audit_log("test").iloc[-1]
    assert row["username"] == "\\u0430dmin" and row["action"] == "login_failed"
    detail = json.loads(row["detail"])
    assert detail["reason"] == "unknown user"
    assert "U+0430 CYRILLIC SMALL LETTER A (looks like 'a')" in detail["look_alikes"]
