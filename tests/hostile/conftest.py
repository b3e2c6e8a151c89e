"""Fixtures of the hostile-input suite: a small clinic, its database and a fingerprint.

Every test that feeds the CLI, the store or the loaders something hostile checks
that the database is exactly as before: :func:`fingerprint` reads every table of
the SQLite file (row counts and a SHA-256 of the sorted rows) without the store,
so a bug in the store cannot hide a change. :func:`database_fingerprint` does the
same on any backend (SQLite or PostgreSQL) through a SQLAlchemy engine of its own,
and :func:`audit_trail` reads the audit rows the same way, so a test can say
exactly which rows a refusal added while everything else stayed as it was.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import warnings
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
import sqlalchemy as sa

from analytics.cli import main
from analytics.errors import DataQualityWarning
from analytics.store import Store
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


def _engine_of(source: str | Store) -> sa.Engine:
    """A new engine of the database ``source`` names (a URL, or the URL of a store's engine)."""
    url = (
        source.engine.url.render_as_string(hide_password=False)
        if isinstance(source, Store)
        else source
    )
    return sa.create_engine(url, poolclass=sa.pool.NullPool)


def database_fingerprint(
    source: str | Store, *, leave_out: Collection[str] = ("audit_log",)
) -> dict[str, tuple[int, str]]:
    """Row count and SHA-256 of the sorted rows of every table, on SQLite or PostgreSQL.

    Parameters
    ----------
    source : str or Store
        The database URL, or a store whose database is read (through a new engine of
        its URL: no method of the store is used, so a bug in the store cannot hide a
        change).
    leave_out : collection of str, default ("audit_log",)
        Tables not fingerprinted: a refusal adds audit rows, which a test checks one
        by one with :func:`audit_trail`.

    Returns
    -------
    dict
        Table name -> (number of rows, SHA-256 hex digest of the rows' ``repr`` sorted).
    """
    engine = _engine_of(source)
    try:
        with engine.connect() as conn:
            quote = engine.dialect.identifier_preparer.quote
            out = {}
            for table in sorted(sa.inspect(conn).get_table_names()):
                if table in leave_out:
                    continue
                rows = sorted(
                    repr(tuple(r)) for r in conn.execute(sa.text(f"SELECT * FROM {quote(table)}"))
                )
                out[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
            return out
    finally:
        engine.dispose()


class AuditEntry(NamedTuple):
    """One row of ``audit_log`` as :func:`audit_trail` reads it."""

    id: int
    username: str
    action: str
    outcome: str
    detail: dict[str, Any]

    @property
    def reason(self) -> str | None:
        """The ``reason`` of the detail (why a sign-in was refused), None when it has none."""
        value = self.detail.get("reason")
        return None if value is None else str(value)


def audit_trail(source: str | Store) -> list[AuditEntry]:
    """Every audit row, oldest first, read like :func:`database_fingerprint` (not by the store)."""
    engine = _engine_of(source)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT id, username, action, outcome, detail FROM audit_log ORDER BY id")
            ).all()
    finally:
        engine.dispose()
    return [
        AuditEntry(
            int(r.id), str(r.username), str(r.action), str(r.outcome), json.loads(r.detail or "{}")
        )
        for r in rows
    ]


def changed_tables(
    before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
) -> set[str]:
    """Name the tables whose fingerprint differs (or that only one of the two has)."""
    return {t for t in before.keys() | after.keys() if before.get(t) != after.get(t)}


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
