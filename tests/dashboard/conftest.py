"""Fixtures of the dashboard tests: a demo-clinic database with accounts, and AppTest runs.

The demo database is built once per session by importing ``sample_data/`` through the
real loader and store, plus accounts made through the service as the local operator:
an admin, two clinicians (``dr.a`` sees P001–P030, ``dr.b`` P031–P060) and a few
patients. Every test gets its own copy, so tests that write do not affect each other.
``PAINDIARY_DB`` points the app at the copy.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.access import LOCAL_OPERATOR, issue_token, user_from_record
from analytics.io import load_dataset
from analytics.service import Service
from analytics.store import open_store, project_root
from dashboard import session

APP = str(project_root() / "dashboard" / "app.py")
TIMEOUT = 30
PASSWORD = "correct horse battery 7"

PATIENT_PAGES = ["views/log_today.py", "views/my_progress.py"]
CLINICIAN_PAGES = [
    "views/clinic_overview.py",
    "views/patient_chart.py",
    "views/treatment_response.py",
    "views/data_manager.py",
]
ADMIN_PAGES = [*CLINICIAN_PAGES, "views/admin.py"]
ACCOUNT_PAGE = "views/account.py"
EVERY_PAGE = [*PATIENT_PAGES, *ADMIN_PAGES, ACCOUNT_PAGE]
#: The pages each role may open (the account page is everyone's).
ALLOWED = {
    "patient": [*PATIENT_PAGES, ACCOUNT_PAGE],
    "clinician": [*CLINICIAN_PAGES, ACCOUNT_PAGE],
    "admin": [*ADMIN_PAGES, ACCOUNT_PAGE],
}
#: A username of each role in the test database.
USERS = {"patient": "p003", "clinician": "dr.a", "admin": "admin"}
DEMO_PATIENTS = [f"P{i:03d}" for i in range(1, 61)]
DR_A = DEMO_PATIENTS[:30]
DR_B = DEMO_PATIENTS[30:]
PATIENT_ACCOUNTS = ("P001", "P002", "P003", "P004", "P007", "P040")


def patient_user(patient_id: str) -> str:
    """The username of a patient's account in the test database."""
    return patient_id.lower()


def add_accounts(url: str, patient_ids: tuple[str, ...] = PATIENT_ACCOUNTS) -> None:
    """Add the test accounts to the database at ``url`` (as the local operator)."""
    with open_store(url) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        # the test accounts sign in with PASSWORD as it is (no new password asked for)
        svc.add_user("admin", role="admin", password=PASSWORD, must_change_password=False)
        for name, ids in (("dr.a", DR_A), ("dr.b", DR_B)):
            svc.add_user(name, role="clinician", password=PASSWORD, must_change_password=False)
            svc.assign(name, ids)
        for pid in patient_ids:
            svc.add_user(
                patient_user(pid), role="patient", password=PASSWORD, patient_id=pid,
                must_change_password=False,
            )  # fmt: skip


@pytest.fixture(autouse=True)
def signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign session tokens with a test key, not the key file in the data directory."""
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "dashboard-tests-" + "k" * 32)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the demo clinic (sample_data/), its stored outcomes and the test accounts."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        store.import_dataset("test:setup", load_dataset(project_root() / "sample_data"))
    add_accounts(f"sqlite:///{path}")
    with open_store(f"sqlite:///{path}") as store:
        # as an import through the service leaves it: the outcomes stored, so a page
        # reads them rather than computing the clinic in every test
        Service(
            store, user_from_record(store.user_record("admin")), face="test:setup"
        ).refresh_outcomes()
    return path


@pytest.fixture
def demo_db(demo_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """URL of this test's own copy of the demo database, set as ``$PAINDIARY_DB``."""
    path = tmp_path / "demo.sqlite3"
    shutil.copy(demo_template, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PAINDIARY_DB", url)
    return url


@pytest.fixture
def empty_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """URL of a database without patients (accounts only), set as ``$PAINDIARY_DB``."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    with open_store(url) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        svc.add_user("admin", role="admin", password=PASSWORD, must_change_password=False)
        svc.add_user("dr.a", role="clinician", password=PASSWORD, must_change_password=False)
    monkeypatch.setenv("PAINDIARY_DB", url)
    return url


def new_app() -> AppTest:
    """The app, not run yet."""
    return AppTest.from_file(APP, default_timeout=TIMEOUT)


def sign_in(at: AppTest, username: str, password: str = PASSWORD) -> AppTest:
    """Fill the login form of ``at`` (already run) and submit it."""
    at.text_input(key="login.username").input(username)
    at.text_input(key="login.password").input(password)
    at.button(key="FormSubmitter:login.form-Sign in").click().run()
    return at


def signed_in_app(user: str) -> AppTest:
    """The app (not run yet) with ``user`` signed in, as the login form leaves a session.

    The token is issued by the library for the account in ``$PAINDIARY_DB`` and kept in
    the session state where a sign-in keeps it, so the first run is already the user's.
    Tests of signing in itself fill the form (:func:`sign_in`).
    """
    with open_store(os.environ["PAINDIARY_DB"]) as store:
        record = store.user_record(user)
        assert record is not None, f"no account {user!r} in the test database"
        token = issue_token(store, user_from_record(record), clock=session._clock)
    at = new_app()
    at.session_state[session._TOKEN] = token
    at.session_state[session._ISSUED] = session._now()
    at.session_state[session._COOKIE_STATE] = {"token": token}
    return at


def open_page(page: str, *, user: str) -> AppTest:
    """Open ``page`` as ``user``, signed in."""
    at = signed_in_app(user)
    at.switch_page(page)
    at.run()
    return at


@pytest.fixture
def page() -> Callable[..., AppTest]:
    return open_page
