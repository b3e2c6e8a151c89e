"""Opening a database: locations, engines, migrations and the transaction plumbing.

Every write is one transaction. On SQLite a write transaction starts with
``BEGIN IMMEDIATE`` (the write lock is taken up front, so two writers never
deadlock on a lock upgrade), waits up to :data:`BUSY_TIMEOUT_S` for the lock,
and is retried a bounded number of times; on PostgreSQL the stored row is read
``FOR UPDATE`` and unique-key races / serialisation failures are retried.
"database is locked" never reaches a caller: after the retries it becomes a
:class:`~analytics.errors.StoreError` saying what failed. Database errors are
re-raised as :class:`~analytics.errors.StoreError` whose message names the
database (file path, or URL without password).
"""

from __future__ import annotations

import contextlib
import functools
import os
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self, TypeVar

import sqlalchemy as sa
from alembic.util import CommandError as AlembicCommandError

from analytics.errors import StoreError
from analytics.safe_text import mask_secrets

if TYPE_CHECKING:  # Alembic's configuration is built only when migrating
    from alembic.config import Config

__all__ = [
    "BUSY_TIMEOUT_S",
    "MAX_ATTEMPTS",
    "StoreBase",
    "data_dir",
    "alembic_config",
    "database_is_empty",
    "default_url",
    "new_revision",
    "schema_head",
    "open_engine",
    "project_root",
]

#: How long a SQLite connection waits for another writer's lock, in seconds.
BUSY_TIMEOUT_S = 30.0
#: How many times a write transaction is tried before its failure is reported.
MAX_ATTEMPTS = 8

_T = TypeVar("_T")


# --------------------------------------------------------------------------- locations


def project_root() -> Path:
    """Return the project root: the parent of the ``analytics`` package directory."""
    return Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """``$PAINDIARY_DATA_DIR`` or ``<project root>/.data`` (created when missing, mode 0700)."""
    env = os.environ.get("PAINDIARY_DATA_DIR")
    path = Path(env) if env else project_root() / ".data"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def default_url() -> str:
    """Return the database URL used when none is given.

    Returns
    -------
    str
        ``$PAINDIARY_DB`` when set, else ``sqlite:///<data_dir>/paindiary.sqlite3``
        (see :func:`data_dir`). It may hold a password: show it only through
        :func:`analytics.safe_text.mask_secrets` (as ``paindiary db url`` does).
    """
    env = os.environ.get("PAINDIARY_DB")
    if env:
        return env
    return f"sqlite:///{data_dir() / 'paindiary.sqlite3'}"


# --------------------------------------------------------------------------- errors


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None) or exc  # a raw driver error has no .orig
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _retryable(exc: BaseException) -> bool:
    code = _sqlstate(exc)
    if code in ("40001", "40P01", "55P03", "23505"):  # serialisation, deadlock, lock, unique race
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class StoreBase:
    """Connection plumbing shared by every part of :class:`~analytics.store.Store`."""

    def __init__(self, engine: sa.Engine, *, name: str) -> None:
        self._engine = engine
        self.name = name
        self.dialect = engine.dialect.name

    # -- plumbing ---------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Store({self.name!r})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    @property
    def engine(self) -> sa.Engine:
        """The SQLAlchemy engine (for migrations and tests; the analytics never need it)."""
        return self._engine

    @property
    def _driver_errors(self) -> tuple[type[BaseException], ...]:
        dbapi = self._engine.dialect.dbapi
        error = getattr(dbapi, "Error", None)
        if isinstance(error, type) and issubclass(error, BaseException):
            return (sa.exc.DBAPIError, error)
        return (sa.exc.DBAPIError,)

    def _fail(self, what: str, exc: BaseException) -> StoreError:
        return StoreError(f"Could not {what} in the database {self.name}: {_reason(exc)}")

    @contextmanager
    def _reading(self, what: str) -> Iterator[sa.Connection]:
        try:
            with self._engine.connect() as conn:
                if self.dialect == "postgresql":
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    yield conn
        except sa.exc.DBAPIError as exc:
            raise self._fail(what, exc) from None

    def _write(self, what: str, work: Callable[[sa.Connection], _T]) -> _T:
        """Run ``work(conn)`` in one write transaction, retrying lock and race failures."""
        attempt = 0
        while True:
            try:
                with self._engine.connect() as conn:
                    if self.dialect == "sqlite":
                        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                    with conn.begin():
                        return work(conn)
            except self._driver_errors as exc:
                # Raw driver errors come from COPY on PostgreSQL (it bypasses SQLAlchemy's
                # wrapping): a unique-key race of two imports of the same new patients is
                # retried like any other, and the retry finds the rows stored.
                if not _retryable(exc):
                    raise self._fail(what, exc) from None
                if attempt + 1 >= MAX_ATTEMPTS:
                    raise StoreError(
                        f"Could not {what} in the database {self.name}: it stayed busy after "
                        f"{MAX_ATTEMPTS} attempts ({_reason(exc)}). Nothing was written; try again."
                    ) from None
                time.sleep(min(0.05 * 2**attempt, 1.0) * random.uniform(0.5, 1.5))
                attempt += 1


# --------------------------------------------------------------------------- opening


def _display(url: sa.URL) -> str:
    if url.get_backend_name() == "sqlite":
        return url.database or ":memory:"
    return mask_secrets(url.render_as_string(hide_password=True))  # ?password= too


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @sa.event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, record: Any) -> None:
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (see _begin)
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cur.execute("PRAGMA foreign_keys = ON")
        if url.database and url.database != ":memory:":
            cur.execute("PRAGMA journal_mode = WAL")
            cur.execute("PRAGMA synchronous = NORMAL")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(conn: sa.Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def alembic_config() -> Config:
    """Configure Alembic for the migrations in ``analytics/store/migrations``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return cfg


def _migrate(engine: sa.Engine, *, upgrade: bool) -> None:
    """Upgrade to the newest schema (``upgrade``) or check the schema is the newest."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    head, known = _revisions()
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            conn = conn.execution_options(sqlite_begin="IMMEDIATE" if upgrade else "DEFERRED")
        with conn.begin():
            if engine.dialect.name == "postgresql" and upgrade:
                conn.execute(
                    sa.text("SELECT pg_advisory_xact_lock(7246342)")
                )  # one migrator at a time
            current = MigrationContext.configure(conn).get_current_revision()
            if current == head:
                return
            if current is not None and current not in known:
                # Written by a newer paindiary: migrating would fail inside Alembic and
                # opening it would misread tables this version does not know.
                raise StoreError(
                    f"the database was created or migrated by a newer version of paindiary "
                    f"(schema revision {current}; this version knows up to {head}). Nothing was "
                    "changed. Run the newer paindiary, or restore a backup made with this "
                    "version (docs/operations.md)"
                )
            if not upgrade:
                raise StoreError(
                    f"the schema is at revision {current or '(none: not a paindiary database)'}, "
                    f"the code needs {head}; run 'paindiary init-demo --db URL' or open it with "
                    "create=True to migrate (back it up first, see docs/operations.md)"
                )
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


@functools.cache
def _revisions() -> tuple[str, frozenset[str]]:
    """Return the newest schema revision and every known one, read from the files once."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    return str(scripts.get_current_head()), frozenset(r.revision for r in scripts.walk_revisions())


def schema_head() -> str:
    """Return the newest schema revision this version of paindiary knows."""
    return _revisions()[0]


def new_revision(message: str) -> None:
    """Write a new migration file (for developers).

    Autogenerated from ``models.py`` against a scratch database migrated to the newest
    revision.
    """
    import tempfile

    from alembic import command

    cfg = alembic_config()
    with tempfile.TemporaryDirectory() as tmp:
        engine = sa.create_engine(f"sqlite:///{Path(tmp) / 'scratch.sqlite3'}")
        try:
            _migrate(engine, upgrade=True)
            with engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.revision(cfg, message=message, autogenerate=True)
        finally:
            engine.dispose()


def open_engine(url: str | None = None, *, create: bool = True) -> tuple[sa.Engine, str]:
    """Open a database's engine and display name, created and migrated as :func:`open_store` says.

    Returns
    -------
    engine : sqlalchemy.Engine
    name : str
        The file path or the URL without password, for messages.
    """
    raw = url if url is not None else default_url()
    try:
        parsed = sa.make_url(raw)
    except sa.exc.ArgumentError:
        raise StoreError(
            f"{raw!r} is not a database URL (e.g. sqlite:///path/to/file.sqlite3)"
        ) from None
    name = _display(parsed)
    engine: sa.Engine | None = None
    try:
        if parsed.get_backend_name() == "sqlite":
            path = _sqlite_file(parsed, raw)
            if path is not None:
                name = str(path)  # messages name the file the user can find, not a relative path
                _prepare_sqlite_file(path, raw, create=create)
            engine = _sqlite_engine(parsed)
        else:
            args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
            engine = sa.create_engine(parsed, pool_pre_ping=True, connect_args=args)
        _migrate(engine, upgrade=create)
    except StoreError as exc:
        if engine is not None:
            engine.dispose()
        msg = str(exc)
        raise StoreError(
            msg if name in msg else f"Cannot open the database {name}: {msg}"
        ) from None
    except (sa.exc.SQLAlchemyError, OSError, ImportError, AlembicCommandError) as exc:
        if engine is not None:
            engine.dispose()
        raise _cannot_open(name, exc) from None
    return engine, name


def _sqlite_file(parsed: sa.URL, raw: str) -> Path | None:
    """Find the file of a SQLite URL (None for a ``file:`` URI); refuse an in-memory database."""
    path = parsed.database
    if not path or path == ":memory:" or "mode=memory" in path:
        raise StoreError(
            f"{raw!r} is an in-memory SQLite database: every entry would be lost when it is "
            "closed, and each thread would see a different one. Give a file, e.g. "
            "sqlite:///path/to/paindiary.sqlite3 (four slashes for an absolute path)."
        )
    return None if path.startswith("file:") else Path(path).absolute()


def _prepare_sqlite_file(p: Path, raw: str, *, create: bool) -> None:
    """Check the file of a SQLite database, and create it empty when it is missing and ``create``."""
    name = str(p)
    if p.is_dir():
        raise StoreError(f"Cannot open the database {name}: it is a directory, not a file.")
    if p.exists():
        return
    if not create:
        raise StoreError(f"No database at {name}. Create it with 'paindiary init-demo --db {raw}'.")
    if not p.parent.is_dir():
        # Only the default data directory is created (by data_dir()); a missing folder in
        # an explicit URL is usually a typo (e.g. sqlite:///tmp/x with three slashes is
        # relative to the current directory).
        raise StoreError(
            f"Cannot create the database {name}: the folder {p.parent} does not "
            "exist. Check the URL (sqlite:///relative/path, sqlite:////absolute/"
            "path) or create the folder first."
        )
    # Health data: a new database file is readable by its owner only (SQLite gives its
    # -wal and -shm files the same permissions).
    with contextlib.suppress(FileExistsError):  # another process was first
        os.close(os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _cannot_open(name: str, exc: BaseException) -> StoreError:
    """Word a driver's failure to open a database, with a hint for the usual causes."""
    hint = ""
    text = _reason(exc).lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        hint = (
            " The file is corrupt or not a SQLite database; restore it from a backup "
            "(docs/operations.md)."
        )
    elif "unable to open" in text:
        hint = " Check that the file and its folder exist and are readable and writable."
    return StoreError(f"Cannot open the database {name}: {_reason(exc)}.{hint}")


def database_is_empty(url: str | None = None) -> bool:
    """Tell whether the database does not exist yet or holds no tables at all.

    A SQLite file that is missing or empty; any other database that can be
    reached and has no tables. False when it cannot be reached (opening it will
    say why).
    """
    raw = url if url is not None else default_url()
    try:
        parsed = sa.make_url(raw)
    except sa.exc.ArgumentError:
        return False
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if not path or path.startswith("file:") or path == ":memory:":
            return False
        p = Path(path)
        return not p.exists() or (p.is_file() and p.stat().st_size == 0)
    args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
    engine = sa.create_engine(parsed, connect_args=args)
    try:
        return not sa.inspect(engine).get_table_names()
    except (sa.exc.SQLAlchemyError, OSError):
        return False
    finally:
        engine.dispose()
