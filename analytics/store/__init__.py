"""Persistence: SQLite by default, PostgreSQL for clinics (see docs/operations.md).

The store is the only code in paindiary that talks SQL. It reads and writes the
canonical frames of :mod:`analytics.schema`, so the analytics never know where
their data came from::

    from analytics.store import open_store

    with open_store() as store:  # $PAINDIARY_DB or .data/paindiary.sqlite3
        diary = store.diary("clinician:demo", "P001")

Faces (dashboard, CLI, reports) never call it: they go through
:class:`analytics.service.Service`, which checks the signed-in user's scope and
writes the audit log.
"""

from __future__ import annotations

from .core import (
    AUDIT_COLUMNS,
    BUSY_TIMEOUT_S,
    CONFLICT_COLUMNS,
    HISTORY_COLUMNS,
    MAX_ATTEMPTS,
    SHARE_LINK_COLUMNS,
    USER_COLUMNS,
    ImportReport,
    NotFoundError,
    SaveResult,
    Store,
    data_dir,
    default_url,
    open_store,
    project_root,
)

__all__ = [
    "Store",
    "SaveResult",
    "ImportReport",
    "NotFoundError",
    "open_store",
    "default_url",
    "data_dir",
    "project_root",
    "HISTORY_COLUMNS",
    "CONFLICT_COLUMNS",
    "AUDIT_COLUMNS",
    "BUSY_TIMEOUT_S",
    "MAX_ATTEMPTS",
    "USER_COLUMNS",
    "SHARE_LINK_COLUMNS",
]
