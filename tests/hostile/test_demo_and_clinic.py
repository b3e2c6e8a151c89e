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
from dashboard.labels import DEMO_BANNER
from dashboard.navigation import PAGES
from tests.commands import run_paindiary
from tests.dashboard.conftest import new_app, open_page
from tests.demo_clinic import DEMO_SECRET_KEY, copy_demo_clinic

from .conftest import audit_trail, fingerprint, run_cli, write_clinic

PASSWORD = "quiet river lantern 42"

#: A clinic whose patients are called like the demo's (P001, P002): the ids prove nothing.
CLINIC_PATIENTS = "patient_id,condition\nP001,knee pain\nP002,neck pain\n"
CLINIC_DIARY = "patient_id,date,pain\nP001,2024-01-02,4\nP002,2024-01-02,6\n"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def test_init_makes_a_clinic_with_one_admin_and_never_prints_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    _stdin(monkeypatch, PASSWORD + "\n")
    r = run_paindiary("init", "--db", url, "--admin", "head.nurse", "--password-stdin")
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout == (
        f"Created the clinic database {tmp_path / 'clinic.sqlite3'} with the admin account "
        "head.nurse. Start the app with PAINDIARY_DB set to it and sign in as head.nurse; add "
        "accounts on the Admin page or with 'paindiary user add'.\n"
    )  # the password is never printed
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
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"error: {tmp_path / 'demo.sqlite3'} already holds data; nothing was changed. "
        "'paindiary init' creates a new clinic database: choose a new file "
        "(--db sqlite:///path/clinic.sqlite3) or an empty PostgreSQL database.\n"
    )
    assert fingerprint(tmp_path / "demo.sqlite3") == before


def test_init_with_a_well_known_password_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "clinic.sqlite3"
    _stdin(monkeypatch, "password123\n")
    r = run_paindiary("init", "--db", f"sqlite:///{path}", "--password-stdin")
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        "error: This password is one of the first that attackers try (a well-known password, "
        "one character repeated or a run like 12345678). Choose another: a few unrelated words "
        "make a good one.\n"
    )
    assert not path.exists()  # nothing to fingerprint: no database was created


def test_demo_passwords_never_open_a_database_that_is_not_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, demo_clinic_template: Path
) -> None:
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", DEMO_SECRET_KEY)
    url = copy_demo_clinic(demo_clinic_template, tmp_path)
    with open_store(url) as store:
        assert authenticate(store, "admin", demo_password("admin"), face="test").role == "admin"
        store.set_setting("test", "demo", "false")  # a demo made a clinic by an older version
    before, trail = fingerprint(tmp_path / "demo.sqlite3"), audit_trail(url)
    with open_store(url) as store:
        with pytest.raises(AuthenticationError) as err:
            authenticate(store, "admin", demo_password("admin"), face="test")
        assert str(err.value) == access.SIGN_IN_REFUSED
    after = fingerprint(tmp_path / "demo.sqlite3")
    # the refusal is recorded and changes nothing else (the password was right: no failure counted)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    added = audit_trail(url)[len(trail) :]
    assert [(a.username, a.action, a.outcome, a.reason) for a in added] == [
        ("admin", "login_failed", "failed", "a demo account's demo password outside the demo")
    ]
    with open_store(url) as store:
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
    assert (r.returncode, r.stderr) == (0, "")
    assert r.stdout.startswith(f"{tmp_path / 'demo.sqlite3'} already holds 61 patient(s);")
    with open_store(url) as store:
        assert "x900" not in set(store.users("test")["username"])  # no demo account for it
    # in the app: the sign-in page still lists the demo's accounts, and every page of each
    # role still says it is the demo
    monkeypatch.setenv("PAINDIARY_DB", url)
    at = new_app().run()
    assert not at.exception
    listed_on_page = set(at.dataframe[0].value["username"])
    assert {"admin", "clinician-a", "p001"} <= listed_on_page
    for spec in PAGES:
        user = {"patient": "p001", "clinician": "clinician-a", "admin": "admin"}[spec.roles[0]]
        page = open_page(spec.script, user=user)
        assert not page.exception, (spec.script, page.exception)
        assert [i.value for i in page.info if i.value == DEMO_BANNER] == [DEMO_BANNER], spec


@pytest.mark.parametrize("patients", ["P001 and P002", "none"])
def test_init_demo_leaves_a_clinic_made_by_init_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, patients: str
) -> None:
    """The audit's case: init, real patients called like the demo's, then init-demo.

    Before the fix init-demo made it the demo: accounts ``admin``, ``p001``... with
    printed passwords that opened the clinic (``p001`` on the real P001), and on an
    empty clinic it imported the demo's 60 patients.
    """
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", DEMO_SECRET_KEY)
    path = tmp_path / "clinic.sqlite3"
    url = f"sqlite:///{path}"
    _stdin(monkeypatch, PASSWORD + "\n")
    assert run_cli("init", "--db", url, "--password-stdin")[0] == 0  # its admin is "admin"
    if patients != "none":
        folder = write_clinic(
            tmp_path / "real", patients=CLINIC_PATIENTS, diary=CLINIC_DIARY,
            sessions="patient_id,date,technique\n",
        )  # fmt: skip
        assert run_cli("import", str(folder), "--db", url)[0] == 0
    before = fingerprint(path)

    code, out, err = run_cli("init-demo", "--db", url)

    # exit 0 like init-demo's other refusals, so `PAINDIARY_DB=<clinic> make run` (and
    # make serve-clinic, whose `demo` prerequisite runs init-demo) still serves the clinic
    assert (code, out) == (0, "")
    assert err == (
        f"init-demo refused: {path} is a clinic's database (made by 'paindiary init'), so "
        "nothing was imported and no demo account was made; the demo needs a database of its "
        "own: 'paindiary init-demo --db URL' with a new file or an empty database, or unset "
        "PAINDIARY_DB for the default one.\n"
    )
    assert fingerprint(path) == before  # no account, patient, marker or audit row written
    with open_store(url) as store:
        assert store.get_setting("demo") == "false"
        assert access.demo_accounts(store) is None
        for name in ("admin", "p001"):
            with pytest.raises(AuthenticationError) as refused:
                authenticate(store, name, demo_password(name), face="test")
            assert str(refused.value) == access.SIGN_IN_REFUSED
        assert authenticate(store, "admin", PASSWORD, face="test").role == "admin"
