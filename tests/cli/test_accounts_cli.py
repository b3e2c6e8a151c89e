"""``paindiary user enable|disable|unlock|add|passwd|list``: the account operations of the
Admin page from the command line, and init-demo's accounts that sign in as they are."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from analytics import access
from analytics.cli import main
from analytics.errors import AuthenticationError
from analytics.store import open_store

PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def _own_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A data directory and key of this test's own (passwords hash cheaply: tests/conftest.py)."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    with open_store(url) as s:
        s.save_patient("setup", {"patient_id": "P1", "condition": "knee pain"})
        s.add_user(
            "setup", username="ann", role="clinician", password_hash=access.hash_password(PASSWORD)
        )
    return url


def _user_admin(url: str) -> list[dict]:
    with open_store(url) as s:
        log = s.audit_log("test")
    rows = log[log["action"] == "user_admin"]
    return [
        {**json.loads(r["detail"]), "face": r["face"], "outcome": r["outcome"]}
        for _, r in rows.iterrows()
    ]


def _lock(url: str, name: str) -> None:
    with open_store(url) as s:
        for _ in range(access.MAX_FAILURES):
            with pytest.raises(AuthenticationError):
                access.authenticate(s, name, "a wrong password!", face="test")


def test_user_unlock_keeps_the_password(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _lock(db, "ann")
    assert main(["user", "unlock", "ann", "--db", db]) == 0
    assert capsys.readouterr().out == (
        "Unlocked ann: the failed sign-ins are cleared and the password is kept.\n"
    )
    with open_store(db) as s:
        assert access.authenticate(s, "ann", PASSWORD, face="test").username == "ann"
    (row,) = _user_admin(db)
    assert (row["op"], row["username"], row["face"]) == ("unlock_user", "ann", "cli:user unlock")


def test_user_disable_then_enable(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["user", "disable", "ann", "--db", db]) == 0
    assert "Disabled ann: it can no longer sign in." in capsys.readouterr().out
    with open_store(db) as s, pytest.raises(AuthenticationError):
        access.authenticate(s, "ann", PASSWORD, face="test")
    assert main(["user", "enable", "ann", "--db", db]) == 0
    assert "Enabled ann: it can sign in again with its password." in capsys.readouterr().out
    with open_store(db) as s:
        assert access.authenticate(s, "ann", PASSWORD, face="test").role == "clinician"
    assert [r["op"] for r in _user_admin(db)] == ["disable_user", "enable_user"]


@pytest.mark.parametrize("action", ["enable", "disable", "unlock"])
def test_an_unknown_account_is_a_sentence(
    db: str, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", action, "nobody", "--db", db]) == 1
    err = capsys.readouterr().err
    assert "No account named nobody. Check the spelling." in err and "Traceback" not in err


@pytest.mark.parametrize("action", ["enable", "disable", "unlock"])
def test_a_clinician_may_not(
    db: str, action: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("getpass.getpass", lambda prompt="": PASSWORD)
    assert main(["user", action, "ann", "--db", db, "--as", "ann"]) == 1
    assert f"Access denied: {action}_user is for admin accounts" in capsys.readouterr().err


def test_user_add_asks_for_a_new_password_at_the_first_sign_in(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("given by the admin\n"))
    assert main(["user", "add", "pat", "--role", "patient", "--patient", "P1",
                 "--password-stdin", "--db", db]) == 0  # fmt: skip
    assert capsys.readouterr().out == (
        "Created the patient account pat for patient P1; pat chooses a new password at the "
        "first sign-in.\n"
    )
    # acting as the new account, only its own password may be changed
    replies = iter(["given by the admin"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(replies))
    assert main(["user", "list", "--db", db, "--as", "pat"]) == 1
    assert "pat must choose a new password before anything else" in capsys.readouterr().err

    monkeypatch.setattr("sys.stdin", io.StringIO("the patient's own words\n"))
    replies = iter(["given by the admin"])
    assert main(["user", "passwd", "pat", "--password-stdin", "--db", db, "--as", "pat"]) == 0
    assert capsys.readouterr().out == (
        "Changed the password of pat; its open sessions have ended.\n"
    )
    with open_store(db) as s:
        record = s.user_record("pat")
        assert record is not None and not record["must_change_password"]

    monkeypatch.setattr("sys.stdin", io.StringIO("reset by the admin\n"))
    assert main(["user", "passwd", "pat", "--password-stdin", "--db", db]) == 0
    assert "pat chooses a new one at the next sign-in" in capsys.readouterr().out


def test_user_add_says_which_field_is_wrong(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("a fine password\n"))
    assert main(["user", "add", "ann smith", "--role", "clinician", "--password-stdin",
                 "--db", db]) == 1  # fmt: skip
    err = capsys.readouterr().err
    assert "'ann smith' has a space" in err and "parameter" not in err


def test_user_list_names_the_columns_in_words(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    _lock(db, "ann")
    assert main(["user", "list", "--db", db]) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.split()[:4] == ["Username", "Name", "Role", "Patient"]
    assert "Failed sign-ins" in header and "Locked until (UTC)" in header
    assert "user_id" not in header and "failed_count" not in header
    assert row.split()[:2] == ["ann", "Clinician"]


def test_init_demo_accounts_sign_in_without_a_new_password(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    assert main(["init-demo", "--db", url]) == 0
    capsys.readouterr()
    with open_store(url) as s:
        users = s.users("test")
        assert len(users) > 3 and not users["must_change_password"].any()
        admin = access.authenticate(s, "admin", access.demo_password("admin"), face="test")
        assert not admin.must_change_password


def test_user_add_own_password_is_not_asked_again(
    db: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("the boss's own words\n"))
    assert main(["user", "add", "boss", "--role", "admin", "--password-stdin", "--own-password",
                 "--db", db]) == 0  # fmt: skip
    assert capsys.readouterr().out == "Created the admin account boss.\n"
    monkeypatch.setattr("getpass.getpass", lambda prompt="": "the boss's own words")
    assert main(["user", "unlock", "ann", "--db", db, "--as", "boss"]) == 0
    assert [r["must_change_password"] for r in _user_admin(db) if r["op"] == "add_user"] == [False]


def test_audit_shows_what_happened_and_filters(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    with open_store(db) as s, pytest.raises(AuthenticationError):
        access.authenticate(s, "ann", "a wrong password!", face="test")
    assert main(["audit", "--db", db, "--problems"]) == 0
    out = capsys.readouterr().out
    assert "Sign-in refused: wrong password (1 in a row)" in out
    assert "what" in out.splitlines()[0] and "detail" not in out.splitlines()[0]
    assert "save_patient" not in out and "user_admin" not in out
    assert main(["audit", "--db", db, "--action", "login_failed", "--detail"]) == 0
    out = capsys.readouterr().out
    assert '{"reason": "wrong password (1 in a row)"}' in out
    assert main(["audit", "--db", db, "--outcome", "ok", "--action", "login_failed"]) == 0
    assert "No audit rows match" in capsys.readouterr().out
    assert main(["audit", "--db", db, "--problems", "--outcome", "ok"]) == 1
    assert "Give --problems or --outcome, not both." in capsys.readouterr().err
