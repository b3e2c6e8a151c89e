"""Sign-in: argon2id hashes, wrong passwords, lockout, disabled accounts, session tokens
(idle expiry, sign-out, password change) with a fake clock, the secret key file."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import argon2
import pytest

from analytics.access import _auth as auth
from analytics.errors import AuthenticationError, StoreError
from analytics.store import Store, open_store


class FakeClock:
    """A UTC clock that only moves when told to."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 6, 1, 9, 0, 0)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **kw: float) -> None:
        self.now += dt.timedelta(**kw)


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)
    with open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}") as s:
        s.save_patient("admin", {"patient_id": "P001", "condition": "low back pain"})
        s.add_user(
            "admin",
            username="pat",
            role="patient",
            patient_id="P001",
            password_hash=auth.hash_password("correct horse"),
        )
        yield s


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def _log(store: Store) -> list[tuple[str, str, str]]:
    log = store.audit_log("test")
    return list(zip(log["username"], log["action"], log["outcome"], strict=True))


def test_passwords_are_argon2id_hashes_and_never_stored_in_clear(store: Store) -> None:
    record = store.user_record("pat")
    assert record is not None
    assert record["password_hash"].startswith("$argon2id$v=19$")
    assert "correct horse" not in record["password_hash"]
    h1, h2 = auth.hash_password("same password"), auth.hash_password("same password")
    assert h1 != h2  # salted
    assert auth.verify_password(h1, "same password") and not auth.verify_password(
        h1, "Same password"
    )
    assert not auth.verify_password("not a hash", "same password")
    with pytest.raises(ValueError, match="8 to 1024 characters") as exc:
        auth.hash_password("short")
    assert "short" not in str(exc.value)


def test_the_product_hashes_with_the_rfc_9106_low_memory_costs(
    store: Store, production_password_hashes: None
) -> None:
    """The costs are pinned: weakening them must fail here (the other tests hash cheaply).

    ``store`` comes first, so its account is hashed cheaply before the product's costs apply.
    """
    h = auth.hash_password("same password")
    assert argon2.extract_parameters(h) == argon2.Parameters(
        type=argon2.Type.ID,
        version=19,
        salt_len=16,
        hash_len=32,
        time_cost=3,
        memory_cost=65536,  # KiB: 64 MiB
        parallelism=4,
    )
    assert auth.verify_password(h, "same password")
    # an account hashed at other costs is brought to these at its next sign-in
    assert argon2.extract_parameters(store.user_record("pat")["password_hash"]).time_cost == 1
    auth.authenticate(store, "pat", "correct horse", face="test")
    rehashed = store.user_record("pat")["password_hash"]
    assert argon2.extract_parameters(rehashed) == argon2.extract_parameters(h)
    assert auth.verify_password(rehashed, "correct horse")


def test_right_and_wrong_passwords(store: Store, clock: FakeClock) -> None:
    user = auth.authenticate(store, "pat", "correct horse", face="test", clock=clock)
    assert user == auth.User(user.user_id, "pat", "patient", "P001", "")
    with pytest.raises(AuthenticationError) as wrong:
        auth.authenticate(store, "pat", "wrong horse", face="test", clock=clock)
    with pytest.raises(AuthenticationError) as unknown:
        auth.authenticate(store, "nobody", "correct horse", face="test", clock=clock)
    # the same words whether the account exists or not
    assert str(wrong.value) == str(unknown.value) == auth.SIGN_IN_REFUSED
    assert "correct horse" not in str(store.audit_log("test").to_dict())
    assert _log(store) == [
        ("pat", "login", "ok"),
        ("pat", "login_failed", "failed"),
        ("nobody", "login_failed", "failed"),
    ]


def test_five_failures_lock_the_account_for_a_first_minute(store: Store, clock: FakeClock) -> None:
    for _ in range(auth.MAX_FAILURES):
        with pytest.raises(AuthenticationError):
            auth.authenticate(store, "pat", "wrong password", clock=clock)
    actions = [a for _, a, _ in _log(store)]
    assert actions == ["login_failed"] * 5 + ["lockout"]
    # locked: even the right password is refused, with the same message
    clock.advance(seconds=59)  # the first lock of the day lasts a minute (then 2, 4, 8, 15)
    with pytest.raises(AuthenticationError, match="Sign-in refused"):
        auth.authenticate(store, "pat", "correct horse", clock=clock)
    assert "locked until" in store.audit_log("test")["detail"].iat[-1]
    clock.advance(seconds=2)
    assert auth.authenticate(store, "pat", "correct horse", clock=clock).username == "pat"
    record = store.user_record("pat")
    assert record is not None and record["failed_count"] == 0


def test_a_success_resets_the_failure_count(store: Store, clock: FakeClock) -> None:
    for _ in range(auth.MAX_FAILURES - 1):
        with pytest.raises(AuthenticationError):
            auth.authenticate(store, "pat", "wrong password", clock=clock)
    auth.authenticate(store, "pat", "correct horse", clock=clock)
    with pytest.raises(AuthenticationError):
        auth.authenticate(store, "pat", "wrong password", clock=clock)
    assert "lockout" not in [a for _, a, _ in _log(store)]


def test_a_disabled_user_cannot_sign_in_or_use_a_token(store: Store, clock: FakeClock) -> None:
    user = auth.authenticate(store, "pat", "correct horse", clock=clock)
    token = auth.issue_token(store, user, clock=clock)
    store.set_disabled("admin", "pat")
    with pytest.raises(AuthenticationError, match="Sign-in refused"):
        auth.authenticate(store, "pat", "correct horse", clock=clock)
    with pytest.raises(AuthenticationError, match="session has ended"):
        auth.read_token(store, token, clock=clock)
    with pytest.raises(AuthenticationError):
        auth.user_for_sso(store, "pat", clock=clock)
    assert '"disabled"' in store.audit_log("test")["detail"].iat[-2]


def test_tokens_survive_a_reload_and_expire_when_idle(store: Store, clock: FakeClock) -> None:
    user = auth.authenticate(store, "pat", "correct horse", clock=clock)
    token = auth.issue_token(store, user, clock=clock)
    assert auth.read_token(store, token, clock=clock) == user
    clock.advance(minutes=29)
    token = auth.renew_token(store, token, clock=clock)  # activity restarts the idle clock
    clock.advance(minutes=29)
    assert auth.read_token(store, token, clock=clock) == user
    clock.advance(minutes=1, seconds=1)
    with pytest.raises(AuthenticationError, match="30 minutes without activity"):
        auth.read_token(store, token, clock=clock)
    with pytest.raises(AuthenticationError):
        auth.renew_token(store, token, clock=clock)
    assert auth.read_token(store, token, max_idle_minutes=45, clock=clock) == user


def test_a_session_ends_after_its_maximum_age(store: Store, clock: FakeClock) -> None:
    user = auth.authenticate(store, "pat", "correct horse", clock=clock)
    token = auth.issue_token(store, user, clock=clock)
    for _ in range(auth.SESSION_MAX_HOURS * 3):
        clock.advance(minutes=20)
        token = auth.renew_token(store, token, clock=clock)
    clock.advance(minutes=1)
    with pytest.raises(AuthenticationError):
        auth.renew_token(store, token, clock=clock)


def test_a_token_from_before_a_password_change_is_refused(store: Store, clock: FakeClock) -> None:
    user = auth.authenticate(store, "pat", "correct horse", clock=clock)
    old = auth.issue_token(store, user, clock=clock)
    store.set_password_hash("pat", "pat", auth.hash_password("battery staple"))
    with pytest.raises(AuthenticationError, match="password"):
        auth.read_token(store, old, clock=clock)
    with pytest.raises(AuthenticationError):
        auth.authenticate(store, "pat", "correct horse", clock=clock)
    fresh = auth.issue_token(store, auth.authenticate(store, "pat", "battery staple", clock=clock))
    assert auth.read_token(store, fresh).username == "pat"


def test_sign_out_revokes_the_session(store: Store, clock: FakeClock) -> None:
    user = auth.authenticate(store, "pat", "correct horse", clock=clock)
    token = auth.issue_token(store, user, clock=clock)
    other = auth.issue_token(store, user, clock=clock)  # a second device
    auth.revoke_token(store, token, face="test", clock=clock)
    with pytest.raises(AuthenticationError):
        auth.read_token(store, token, clock=clock)
    assert auth.read_token(store, other, clock=clock) == user
    assert _log(store)[-1] == ("pat", "logout", "ok")
    auth.revoke_token(store, token, clock=clock)  # twice: nothing more to record
    assert [a for _, a, _ in _log(store)].count("logout") == 1


@pytest.mark.parametrize("token", ["", "x" * 40, "eyJ1IjoxfQ.forged.signature", None, 12])
def test_forged_or_damaged_tokens_are_refused(store: Store, token: object) -> None:
    with pytest.raises(AuthenticationError):
        auth.read_token(store, token)  # type: ignore[arg-type]


def test_a_token_signed_with_another_key_is_refused(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = auth.authenticate(store, "pat", "correct horse")
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "k" * 40)
    token = auth.issue_token(store, user)
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "j" * 40)
    with pytest.raises(AuthenticationError):
        auth.read_token(store, token)


def test_the_secret_key_file_is_created_private_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)
    key = auth.secret_key()
    path = tmp_path / "secret_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32 and auth.secret_key() == key
    os.chmod(path, 0o644)
    with pytest.raises(StoreError, match="chmod 600"):
        auth.secret_key()
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "too short")
    with pytest.raises(StoreError, match="at least 32"):
        auth.secret_key()


def test_demo_passwords_are_derived_not_stored(store: Store) -> None:
    assert auth.demo_accounts(store) is None  # not the demo
    pw = auth.demo_password("clin-a")
    assert pw == auth.demo_password("clin-a") != auth.demo_password("clin-b")
    assert len(pw) == 14 and pw.count("-") == 2
    store.add_user(
        "admin", username="clin-a", role="clinician", password_hash=auth.hash_password(pw)
    )
    store.set_setting("admin", "demo", "true")
    store.set_setting("admin", "demo_accounts", '["clin-a", "pat"]')
    store.set_setting("admin", "demo_key_id", "0" * 16)
    assert auth.demo_accounts(store) == []  # made with another key: the passwords would be wrong
    store.set_setting("admin", "demo_key_id", auth.demo_key_id())
    store.add_user("admin", username="later", role="admin", password_hash=auth.hash_password(pw))
    listed = auth.demo_accounts(store)
    assert listed is not None
    assert [a["username"] for a in listed] == ["clin-a", "pat"]
    store.set_password_hash("admin", "pat", auth.hash_password("changed password"))
    listed = auth.demo_accounts(store)
    assert listed is not None
    assert [a["username"] for a in listed] == ["clin-a"]  # pat's demo password is gone
    assert auth.authenticate(store, "clin-a", listed[0]["password"]).role == "clinician"


def test_an_account_without_a_password_costs_a_real_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """A refusal of an account waiting for its first sign-in does the work of a real check."""
    from analytics.store import NO_PASSWORD_YET

    checked: list[str] = []
    real_verify = argon2.PasswordHasher.verify

    def counting_verify(self: argon2.PasswordHasher, hash: str, password: str) -> bool:
        checked.append(hash)
        return real_verify(self, hash, password)

    monkeypatch.setattr(argon2.PasswordHasher, "verify", counting_verify)
    assert auth.verify_password(NO_PASSWORD_YET, "anything at all") is False
    assert checked[0] == NO_PASSWORD_YET
    assert checked[1:] == [auth._dummy_hash()]  # one argon2 verification, as for a real hash
