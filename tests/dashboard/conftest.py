"""Fixtures of the dashboard tests: a demo-clinic database, an empty one, and AppTest runs.

The demo database is built once per session by importing ``sample_data/`` through the
real loader and store; every test gets its own copy, so tests that write do not
affect each other. ``PAINDIARY_DB`` points the app at the copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.loaders import load_dataset
from analytics.store import open_store, project_root

APP = str(project_root() / "dashboard" / "app.py")
TIMEOUT = 30

PATIENT_PAGES = ["views/log_today.py", "views/my_progress.py"]
CLINICIAN_PAGES = [
    "views/clinic_overview.py",
    "views/patient_chart.py",
    "views/treatment_response.py",
    "views/data_manager.py",
]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file holding the demo clinic (sample_data/), built once."""
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        store.import_dataset("test:setup", load_dataset(project_root() / "sample_data"))
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
    """URL of a new, empty database, set as ``$PAINDIARY_DB``."""
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    monkeypatch.setenv("PAINDIARY_DB", url)
    return url


def open_page(page: str, *, role: str, patient_id: str | None = None) -> AppTest:
    """Run the app as ``role`` (and ``patient_id``) and switch to ``page``."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.session_state["role"] = role
    if patient_id is not None:
        at.session_state["patient_id"] = patient_id
    at.run()
    at.switch_page(page)
    at.run()
    return at


@pytest.fixture
def page() -> Callable[..., AppTest]:
    return open_page
