"""The store tests' database fixtures (SQLite and a throw-away PostgreSQL), for the bulk-import tests."""

from __future__ import annotations

from tests.store.conftest import backend, clinic, clinic_dir, db_url, pg_server, store

__all__ = ["backend", "clinic", "clinic_dir", "db_url", "pg_server", "store"]
