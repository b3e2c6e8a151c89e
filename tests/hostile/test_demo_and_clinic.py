"""A database is a demo or a clinic from its creation, and the two never mix.

``paindiary init`` makes a clinic's database with one admin account and no demo
account; the demo's printed passwords never open a database that is not the demo;
rows imported into the demo keep it the demo.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from analytics import access
from analytics.access import authenticate, demo_password
from analytics.errors import AuthenticationError
from analytics.service import Service
from analytics.store import open_store
from tests.commands import run_paindiary
from tests.demo_clinic import DEMO_SECRET_KEY, copy_demo_clinic

from .conftest import fingerprint

PASSWORD = "quiet river lantern 42"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_init_makes_a_clinic_with_one_admin_and_never_prints_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    _stdin(monkeypatch, PASSWORD + "\n")
    r = run_paindiary("init", "--db", url, "--admin", "head.nurse", "--password-stdin")
    assert r.returncode == 0, r.stderr
    assert PASSWORD not in r.stdout + r.stderr
    assert "Created the clinic database" in r.stdout and "head.nurse" in r.stdout
    with open_store(url) as store:
        assert store.get_setting("demo") == "false"
        assert list(store.users("test")["username"]) == ["head.nurse"]
        assert access.demo_accounts(store) is None  # the sign-in page lists nothing
        assert authenticate(store, "head.nurse", PASSWORD, face="test").role == "admin"


def test_init_leaves_a_database_that_holds_anything_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_clinic_template: Path
) -> None:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    url = copy_demo_clinic(demo_clinic_template, tmp_path)
    before = fingerprint(tmp_path / "demo.sqlite3")
    _stdin(monkeypatch, PASSWORD + "\n")
    r = run_paindiary("init", "--db", url, "--password-stdin")
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr.startswith("error: ") and "already holds data; nothing was changed." in r.stderr
    assert fingerprint(tmp_path / "demo.sqlite3") == before


def test_init_with_a_well_known_password_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clinic.sqlite3"
    _stdin(monkeypatch, "password123\n")
    r = run_paindiary("init", "--db", f"sqlite:///{path}", "--password-stdin")
    assert r.returncode == 1
    assert "one of the first that attackers try" in r.stderr and "password123" not in r.stderr
    assert not path.exists()


def test_demo_passwords_never_open_a_database_that_is_not_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_clinic_template: Path
) -> None:
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", DEMO_SECRET_KEY)
    url = copy_demo_clinic(demo_clinic_template, tmp_path)
    with open_store(url) as store:
        assert authenticate(store, "admin", demo_password("admin"), face="test").role == "admin"
        store.set_setting("test", "demo", "false")  # a demo made a clinic by an older version
        with pytest.raises(AuthenticationError) as err:
            authenticate(store, "admin", demo_password("admin"), face="test")
        assert str(err.value) == access.SIGN_IN_REFUSED
        log = store.audit_log("test")
        last = log[log["action"] == "login_failed"].iloc[0]
        assert "demo password" in str(last["detail"])
        # an admin's new password opens it again
        Service(store, access.LOCAL_OPERATOR, face="test").set_password("admin", PASSWORD)
        assert authenticate(store, "admin", PASSWORD, face="test").role == "admin"


def test_rows_imported_into_the_demo_keep_it_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_clinic_template: Path
) -> None:
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", DEMO_SECRET_KEY)
    url = copy_demo_clinic(demo_clinic_template, tmp_path)
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "patients.csv").write_text("patient_id,condition\nX900,knee pain\n")
    (extra / "diary.csv").write_text("patient_id,date,pain\nX900,2024-01-02,4\n")
    (extra / "sessions.csv").write_text("patient_id,date,technique\n")
    assert run_paindiary("import", str(extra), "--db", url).returncode == 0
    with open_store(url) as store:
        assert store.get_setting("demo") == "true"
        listed = access.demo_accounts(store)
        assert listed and "admin" in {a["username"] for a in listed}
    r = run_paindiary("init-demo", "--db", url)
    assert r.returncode == 0 and "refused" not in r.stderr
    with open_store(url) as store:
        assert "x900" not in set(store.users("test")["username"])  # no demo account for it
