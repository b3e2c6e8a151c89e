"""Fixtures of the hostile-input suite: a small clinic, its database and a fingerprint.

Every test that feeds the CLI, the store or the loaders something hostile checks
that the database is exactly as before: :func:`fingerprint` reads every table of
the SQLite file (row counts and a SHA-256 of the sorted rows) without the store,
so a bug in the store cannot hide a change.
"""

from __future__ import annotations

import hashlib
import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.cli import main
from analytics.errors import DataQualityWarning
from tests.commands import run_paindiary

PATIENTS = (
    "patient_id,condition,group,start_date,sex,birth_year,clinician_id\n"
    "P1,neck_pain,acupuncture,2026-01-10,F,1980,C01\n"
    "P2,migraine,waitlist,,M,1975,C02\n"
)
DIARY = (
    "patient_id,date,pain,notes\nP1,2026-01-01,6,\nP1,2026-01-02,5,first note\nP2,2026-01-01,4,\n"
)
SESSIONS = "patient_id,date,technique,points\nP1,2026-01-10,manual,LI4;ST36\n"


def write_clinic(
    folder: Path, *, patients: str = PATIENTS, diary: str = DIARY, sessions: str = SESSIONS
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("patients", patients), ("diary", diary), ("sessions", sessions)):
        (folder / f"{name}.csv").write_text(text, encoding="utf-8", newline="")
    return folder


def fingerprint(db_file: Path) -> dict[str, tuple[int, str]]:
    """Row count and SHA-256 of the sorted rows of every table of a SQLite file."""
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        out = {}
        for t in tables:
            rows = sorted(repr(r) for r in con.execute(f'SELECT * FROM "{t}"'))
            out[t] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
        return out
    finally:
        con.close()


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    """A valid clinic folder (two patients, three diary days, one session)."""
    return write_clinic(tmp_path / "clinic")


@pytest.fixture
def db(tmp_path: Path, clinic: Path) -> Iterator[tuple[str, Path]]:
    """(URL, file) of a SQLite database holding the clinic."""
    path = tmp_path / "db" / "paindiary.sqlite3"
    path.parent.mkdir()
    url = f"sqlite:///{path}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        assert main(["import", str(clinic), "--db", url]) == 0
    yield url, path


def run_cli(*args: str) -> tuple[int, str, str]:
    """``paindiary ARGS`` in this process, data-quality warnings aside: (code, stdout, stderr)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        done = run_paindiary(*args, cwd=Path.cwd())
    return done.returncode, done.stdout, done.stderr
