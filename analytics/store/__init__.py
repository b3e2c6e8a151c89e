"""Persistence: SQLite by default, PostgreSQL for clinics (see docs/operations.md).

The store is the only code in paindiary that talks SQL. It reads and writes the
canonical frames of :mod:`analytics.contract.schema`, so the analytics never know where
their data came from::

    from analytics.store import open_store

    with open_store() as store:  # $PAINDIARY_DB or .data/paindiary.sqlite3
        diary = store.diary("clinician:demo", "P001")

Faces (dashboard, CLI, reports) never call it: they go through
:class:`analytics.service.Service`, which checks the signed-in user's scope and
writes the audit log.
"""

from __future__ import annotations

from analytics.store._core import (
    AUDIT_COLUMNS,
    BUSY_TIMEOUT_S,
    CLINICIAN_CODE_COLUMNS,
    CONFLICT_COLUMNS,
    HISTORY_COLUMNS,
    MAX_ATTEMPTS,
    NO_PASSWORD_YET,
    ONBOARDING_COLUMNS,
    SHARE_LINK_COLUMNS,
    USER_COLUMNS,
    ImportReport,
    NotFoundError,
    SaveResult,
    Store,
    alembic_config,
    data_dir,
    database_is_empty,
    default_url,
    new_revision,
    open_store,
    project_root,
    schema_head,
)
from analytics.store._snapshots import CLINIC_SCOPE, clinician_scope

__all__ = [
    "CLINIC_SCOPE",
    "clinician_scope",
    "alembic_config",
    "database_is_empty",
    "new_revision",
    "schema_head",
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
    "CLINICIAN_CODE_COLUMNS",
    "ONBOARDING_COLUMNS",
    "NO_PASSWORD_YET",
]
