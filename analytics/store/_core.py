"""The Store: every SQL statement of paindiary goes through the ``analytics.store`` package.

A :class:`Store` wraps one SQLAlchemy engine (SQLite file by default, any
SQLAlchemy URL such as ``postgresql+psycopg://user@host/db`` for clinics) and
speaks canonical frames: reads return exactly what :mod:`analytics.io`
returns for the same data, writes accept what the loaders accept (they validate
with :func:`analytics.io.validate_records`).

The class is assembled from one module per room:

* :mod:`.engine` — opening, migrations, transactions and retries;
* :mod:`.queries` — reading queries;
* :mod:`.edits` — single-record writes;
* :mod:`.importing` — bulk import and export;
* :mod:`.history` — the history of changes and the audit log;
* :mod:`.access` — accounts, clinician assignments, sign-in sessions, share links;
* :mod:`.onboarding` — clinician codes mapped to accounts, first sign-in links;
* :mod:`.questionnaires` — the answers to the outcome questionnaires;
* :mod:`.entries` — entries during the day: flares, rescue medicines and their answers;
* :mod:`.outcomes` — the stored per-patient analysis tables;
* :mod:`.snapshots` — the same tables kept together per scope, patched per patient.

Guarantees
----------
* Every public method that reads or changes patient data takes the acting
  username (``actor``) first and records it with every change. The store does
  not decide who may do what: :class:`analytics.service.Service` does, and is
  the only caller that passes an identity (faces never call the store).
* Nothing is lost by a write: an edit of a stored value keeps the old values in
  ``history``; a deletion is an explicit call with a reason, recorded there too.
* Writes are transactions, retried on lock and race failures (see :mod:`.engine`).
* Database errors are re-raised as :class:`~analytics.errors.StoreError` whose
  message names the database (file path, or URL without password).
"""

from __future__ import annotations

from analytics.errors import NotFoundError
from analytics.store._access import SHARE_LINK_COLUMNS, USER_COLUMNS, Access
from analytics.store._courses import Courses
from analytics.store._engine import (
    BUSY_TIMEOUT_S,
    MAX_ATTEMPTS,
    alembic_config,
    data_dir,
    database_is_empty,
    default_url,
    new_revision,
    open_engine,
    project_root,
    schema_head,
)
from analytics.store._entries import Entries
from analytics.store._history import AUDIT_COLUMNS, HISTORY_COLUMNS
from analytics.store._importing import Import
from analytics.store._onboarding import (
    CLINICIAN_CODE_COLUMNS,
    NO_PASSWORD_YET,
    ONBOARDING_COLUMNS,
    Onboarding,
)
from analytics.store._questionnaires import Questionnaires
from analytics.store._results import CONFLICT_COLUMNS, ImportReport, SaveResult
from analytics.store._snapshots import Snapshots

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
    "CLINICIAN_CODE_COLUMNS",
    "ONBOARDING_COLUMNS",
    "NO_PASSWORD_YET",
    "alembic_config",
    "database_is_empty",
    "new_revision",
    "schema_head",
]


class Store(Import, Courses, Access, Snapshots, Onboarding, Questionnaires, Entries):
    """Access to one paindiary database. Create it with :func:`open_store`.

    Use as a context manager (``with open_store() as store: ...``) or call
    :meth:`close`. Safe to share between threads (each call takes its own
    pooled connection); each process opens its own Store.
    """


def open_store(url: str | None = None, *, create: bool = True) -> Store:
    """Open (and by default create and migrate) a paindiary database.

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; default :func:`default_url` (``$PAINDIARY_DB`` or the
        SQLite file in the data directory). SQLite files get WAL mode, foreign
        keys and a busy timeout.
    create : bool, default True
        Create a missing database file and run the Alembic migrations to the
        newest revision. With False the database must exist at the newest
        revision.

    Returns
    -------
    Store

    Raises
    ------
    StoreError
        The URL is malformed, the file is missing (create=False), corrupt, not a
        database or unreadable, the server is unreachable, or the schema is
        outdated (create=False). The message names the file or URL (never the
        password).
    """
    engine, name = open_engine(url, create=create)
    return Store(engine, name=name)
