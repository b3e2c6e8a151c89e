"""The demo clinic as ``paindiary init-demo`` makes it, built once a session and copied.

Tests that need a demo clinic (its patients and its demo accounts) but do not test
init-demo start from a copy of :func:`demo_clinic_template`; the tests of init-demo
itself (``tests/store/test_store_cli.py``) run the command.
"""

from __future__ import annotations

import contextlib
import io
import shutil
import warnings
from pathlib import Path

import pytest

from analytics.errors import DataQualityWarning

__all__ = [
    "DEMO_SECRET_KEY",
    "copy_demo_clinic",
    "demo_clinic_kept_dates",
    "demo_clinic_template",
]

#: The secret key of the shared demo database: the demo passwords derive from it, so a
#: server started on a copy must sign with it too.
DEMO_SECRET_KEY = "demo-clinic-tests-" + "k" * 32


def _init_demo(tmp_path_factory: pytest.TempPathFactory, *options: str) -> Path:
    from analytics.cli import main

    folder = tmp_path_factory.mktemp("demo-clinic")
    path = folder / "demo.sqlite3"
    with pytest.MonkeyPatch.context() as mp, warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        mp.setenv("PAINDIARY_SECRET_KEY", DEMO_SECRET_KEY)
        mp.setenv("PAINDIARY_DATA_DIR", str(folder))
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
            code = main(["init-demo", "--db", f"sqlite:///{path}", *options])
    assert code == 0, printed.getvalue()
    return path


@pytest.fixture(scope="session")
def demo_clinic_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file made by ``paindiary init-demo`` (the demo clinic and its accounts).

    Built once a session, in this process; tests copy it (:func:`copy_demo_clinic`)
    rather than run init-demo each. The tests of init-demo itself run the command.
    """
    return _init_demo(tmp_path_factory)


@pytest.fixture(scope="session")
def demo_clinic_kept_dates(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """As :func:`demo_clinic_template`, with the dates of ``sample_data`` (``--keep-dates``)."""
    return _init_demo(tmp_path_factory, "--keep-dates")


def copy_demo_clinic(template: Path, folder: Path) -> str:
    """Copy the demo database ``template`` into ``folder``; return the copy's URL."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "demo.sqlite3"
    shutil.copy(template, path)
    return f"sqlite:///{path}"
