"""Equal work for known and unknown usernames: a refusal's cost never tells them apart.

Every refused sign-in that reaches the password check runs one argon2id verification
with the production parameters (RFC 9106's low-memory profile): against the account's
hash when the account exists (also when it is locked or disabled), against a dummy
hash made with the same hasher when it does not. The refusal's text is the same
sentence. argon2 is counted where the product calls it, ``argon2.PasswordHasher``;
no test here measures a time (that would depend on the machine).

``tests/access/test_auth.py`` checks the account still waiting for its first password
against the dummy hash; here every kind of refusal is compared with every other.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import argon2
import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY

from analytics.access import _auth as auth
from analytics.errors import AuthenticationError
from analytics.store import NO_PASSWORD_YET, Store, open_store

RIGHT = "correct horse battery"

#: Each refused sign-in that reaches the password check: (username, why it is refused).
REFUSALS = {
    "unknown username": "nobody",
    "wrong password": "pat",
    "locked account": "locked",
    "disabled account": "off",
    "no password yet": "invited",
}


@pytest.fixture
def store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> Iterator[Store]:
    """One account of each kind :data:`REFUSALS` names (``nobody`` has none); no dummy
    hash made yet in this process.

    Hashed at the product's costs, or at the suite's cheap ones when the test asks for
    ``"cheap"`` (indirect parametrisation): the same algorithm, a thousandth of the time.
    """
    if getattr(request, "param", "production") == "production":
        request.getfixturevalue("production_password_hashes")
    monkeypatch.setattr(auth, "_DUMMY_HASH", None)  # the suite's is made by a cheap hasher
    with open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}") as s:
        password_hash = auth.hash_password(RIGHT)
        for name in ("pat", "locked", "off"):
            s.add_user("setup", username=name, role="clinician", password_hash=password_hash)
        s.add_user("setup", username="invited", role="clinician", password_hash=NO_PASSWORD_YET)
        s.set_disabled("setup", "off")
        locked = s.user_record("locked")
        assert locked is not None
        s.record_login_failure(
            int(locked["id"]), now=_utcnow(), max_failures=1, lock_for=dt.timedelta(minutes=15)
        )
        yield s


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Argon2Calls:
    """Count the hashes made and the hashes verified through ``argon2.PasswordHasher``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.hashed = 0
        self.verified: list[str] = []
        real_hash, real_verify = argon2.PasswordHasher.hash, argon2.PasswordHasher.verify

        def hash_(hasher: argon2.PasswordHasher, password: Any, **kw: Any) -> str:
            self.hashed += 1
            return real_hash(hasher, password, **kw)

        def verify(hasher: argon2.PasswordHasher, hash: Any, password: Any) -> bool:
            self.verified.append(str(hash))
            return real_verify(hasher, hash, password)

        monkeypatch.setattr(argon2.PasswordHasher, "hash", hash_)
        monkeypatch.setattr(argon2.PasswordHasher, "verify", verify)

    def argon2_runs(self) -> list[argon2.Parameters]:
        """The parameters of every verification argon2 ran (a hash that is not argon2's
        is refused by the library before any work, so it is not one)."""
        return [argon2.extract_parameters(h) for h in self.verified if h.startswith("$argon2")]

    def reset(self) -> None:
        self.hashed = 0
        self.verified.clear()


def _refusal(store: Store, username: str, password: str) -> str:
    with pytest.raises(AuthenticationError) as refused:
        auth.authenticate(store, username, password, face="test")
    return str(refused.value)


def test_the_dummy_hash_has_the_production_parameters(store: Store) -> None:
    record = store.user_record("pat")
    assert record is not None
    production = auth._hasher()
    assert argon2.extract_parameters(record["password_hash"]) == RFC_9106_LOW_MEMORY
    assert argon2.extract_parameters(auth._dummy_hash()) == RFC_9106_LOW_MEMORY
    assert (production.type, production.time_cost, production.memory_cost) == (
        RFC_9106_LOW_MEMORY.type,
        RFC_9106_LOW_MEMORY.time_cost,
        RFC_9106_LOW_MEMORY.memory_cost,
    )
    assert (production.parallelism, production.hash_len, production.salt_len) == (
        RFC_9106_LOW_MEMORY.parallelism,
        RFC_9106_LOW_MEMORY.hash_len,
        RFC_9106_LOW_MEMORY.salt_len,
    )


@pytest.mark.parametrize(
    ("store", "password", "runs"),
    [
        pytest.param("production", "wrong horse battery", 1, id="nfkc"),
        # not in NFKC form: checked as normalised and as typed (an older hash), on every
        # path alike; at the suite's cheap costs, since here only the count is new
        pytest.param("cheap", unicodedata.normalize("NFD", "wrông hörse"), 2, id="decomposed"),
    ],
    indirect=["store"],
)
def test_every_refusal_runs_the_same_argon2_work_and_says_the_same(
    store: Store, monkeypatch: pytest.MonkeyPatch, password: str, runs: int
) -> None:
    record = store.user_record("pat")
    assert record is not None
    costs = argon2.extract_parameters(record["password_hash"])
    auth._dummy_hash()  # made by an earlier sign-in (the first sign-in is the next test's)
    calls = Argon2Calls(monkeypatch)
    work: dict[str, list[argon2.Parameters]] = {}
    texts: dict[str, str] = {}
    for case, username in REFUSALS.items():
        calls.reset()
        texts[case] = _refusal(store, username, password)
        assert calls.hashed == 0, case
        work[case] = calls.argon2_runs()
        if case in ("unknown username", "no password yet"):
            assert calls.verified[-runs:] == [auth._dummy_hash()] * runs
        else:
            account = store.user_record(username)
            assert account is not None
            assert calls.verified == [account["password_hash"]] * runs
    assert work == {case: [costs] * runs for case in REFUSALS}
    assert texts == {case: auth.SIGN_IN_REFUSED for case in REFUSALS}
    if runs == 1:
        assert costs == RFC_9106_LOW_MEMORY


@pytest.mark.parametrize("store", ["cheap"], indirect=True)  # counts, not costs
@pytest.mark.parametrize("first", ["unknown username", "wrong password"])
def test_the_first_sign_in_of_a_process_costs_the_same_whoever_it_names(
    store: Store, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """The dummy hash is made once per process: making it is part of the first sign-in,
    known username or not, so that one is not slower only for an unknown name."""
    assert auth._DUMMY_HASH is None  # a server process that just started
    calls = Argon2Calls(monkeypatch)
    assert _refusal(store, REFUSALS[first], "wrong horse battery") == auth.SIGN_IN_REFUSED
    assert calls.hashed == 1
    assert len(calls.argon2_runs()) == 1
    calls.reset()
    other = "wrong password" if first == "unknown username" else "unknown username"
    assert _refusal(store, REFUSALS[other], "wrong horse battery") == auth.SIGN_IN_REFUSED
    assert calls.hashed == 0
    assert len(calls.argon2_runs()) == 1
