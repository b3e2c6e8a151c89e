"""The migrated schema, the database location and the SQLite connection settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from analytics.errors import StoreError
from analytics.store import Store, alembic_config, default_url, open_store, project_root
from analytics.store._models import metadata


def test_migrations_build_exactly_the_models(store: Store) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with store.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []
        head = ScriptDirectory.from_config(alembic_config()).get_current_head()
        assert ctx.get_current_revision() == head
        checks = {c["name"] for c in sa.inspect(conn).get_check_constraints("diary")}
    assert {"ck_diary_pain_range", "ck_diary_notes_len", "ck_diary_analgesic_doses_range"} <= checks


def test_reopening_is_a_no_op_and_downgrade_works(db_url: str) -> None:
    from alembic import command

    with open_store(db_url) as s:
        s.save_patient("cli", {"patient_id": "P1", "condition": "x"})
    with open_store(db_url, create=False) as s:  # already at head
        assert s.patient_ids("cli") == ["P1"]
        cfg = alembic_config()
        with s.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "base")
        assert "diary" not in sa.inspect(s.engine).get_table_names()
    with pytest.raises(StoreError, match="not a paindiary database"):
        open_store(db_url, create=False)


def test_default_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PAINDIARY_DB", raising=False)
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    assert default_url() == f"sqlite:///{tmp_path / 'data' / 'paindiary.sqlite3'}"
    assert (tmp_path / "data").is_dir()
    monkeypatch.delenv("PAINDIARY_DATA_DIR")
    assert default_url() == f"sqlite:///{project_root() / '.data' / 'paindiary.sqlite3'}"
    monkeypatch.setenv("PAINDIARY_DB", "postgresql+psycopg://u@h/db")
    assert default_url() == "postgresql+psycopg://u@h/db"
    assert (project_root() / "analytics").is_dir()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}") as s, s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000


def test_migration_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from analytics.cli import main

    url = f"sqlite:///{tmp_path / 'm.sqlite3'}"
    assert main(["db", "current", "--db", url]) == 1
    assert "No database at" in capsys.readouterr().err
    assert main(["db", "upgrade", "--db", url]) == 0
    assert "newest" in capsys.readouterr().out
    assert main(["db", "current", "--db", url]) == 0


def test_a_new_sqlite_file_is_private(tmp_path: Path) -> None:
    import stat

    path = tmp_path / "private.sqlite3"
    with open_store(f"sqlite:///{path}") as s:
        s.save_patient("admin", {"patient_id": "P1", "condition": "x"})
        modes = {f.name: stat.S_IMODE(f.stat().st_mode) for f in tmp_path.glob("private.sqlite3*")}
    assert modes["private.sqlite3"] == 0o600
    assert all(m == 0o600 for m in modes.values()), modes
