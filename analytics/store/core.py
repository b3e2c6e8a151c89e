"""The Store: every SQL statement of paindiary goes through here.

A :class:`Store` wraps one SQLAlchemy engine (SQLite file by default, any
SQLAlchemy URL such as ``postgresql+psycopg://user@host/db`` for clinics) and
speaks canonical frames: reads return exactly what :mod:`analytics.loaders`
returns for the same data, writes accept what the loaders accept (they validate
with :func:`analytics.loaders.validate_records`).

Guarantees
----------
* Every public method takes the acting user (``actor``, e.g. ``"cli"``,
  ``"clinician:demo"``, ``"patient:P001"``) first and records it with every
  change; roles are not enforced yet.
* Nothing is lost by a write: an edit of a stored value keeps the old values in
  ``history``; a deletion is an explicit call with a reason, recorded there too.
* Writes are transactions. On SQLite a write transaction starts with
  ``BEGIN IMMEDIATE`` (the write lock is taken up front, so two writers never
  deadlock on a lock upgrade), waits up to :data:`BUSY_TIMEOUT_S` for the lock,
  and is retried a bounded number of times; on PostgreSQL the stored row is
  read ``FOR UPDATE`` and unique-key races / serialisation failures are retried.
  "database is locked" never reaches a caller: after the retries it becomes a
  :class:`~analytics.errors.StoreError` saying what failed.
* Database errors are re-raised as :class:`~analytics.errors.StoreError` whose
  message names the database (file path, or URL without password).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import numpy as np
import pandas as pd
import sqlalchemy as sa
from alembic.util import CommandError as AlembicCommandError

from .._common import empty_frame
from .._text import mask_secrets
from ..errors import ConflictError, DataValidationError, NotFoundError, StoreError
from ..schema import DATE_DTYPE, TABLES, TableSpec
from . import models

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
]

#: How long a SQLite connection waits for another writer's lock, in seconds.
BUSY_TIMEOUT_S = 30.0
#: How many times a write transaction is tried before its failure is reported.
MAX_ATTEMPTS = 8
#: Rows per INSERT batch during an import.
CHUNK_ROWS = 20_000
#: Columns of :meth:`Store.history`.
HISTORY_COLUMNS = [
    "changed_at",
    "actor",
    "action",
    "table",
    "patient_id",
    "key",
    "old",
    "new",
    "reason",
]
#: Columns of :attr:`ImportReport.conflicts`.
CONFLICT_COLUMNS = ["table", "patient_id", "key", "column", "stored", "incoming"]
#: Columns of :meth:`Store.audit_log`.
AUDIT_COLUMNS = ["at", "actor", "action", "detail"]

Table = Literal["patients", "diary", "sessions"]
_ORDER: tuple[Table, ...] = ("patients", "sessions", "diary")  # import order: parents first
_T = TypeVar("_T")


# --------------------------------------------------------------------------- locations


def project_root() -> Path:
    """The project root: the parent of the ``analytics`` package directory."""
    return Path(__file__).resolve().parents[2]


def data_dir() -> Path:
    """``$PAINDIARY_DATA_DIR`` or ``<project root>/.data`` (created when missing)."""
    env = os.environ.get("PAINDIARY_DATA_DIR")
    path = Path(env) if env else project_root() / ".data"
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_url() -> str:
    """The database URL used when none is given.

    Returns
    -------
    str
        ``$PAINDIARY_DB`` when set, else ``sqlite:///<data_dir>/paindiary.sqlite3``
        (see :func:`data_dir`).
    """
    env = os.environ.get("PAINDIARY_DB")
    if env:
        return env
    return f"sqlite:///{data_dir() / 'paindiary.sqlite3'}"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SaveResult:
    """Outcome of a single-record write.

    Attributes
    ----------
    action : {"created", "unchanged", "updated", "deleted"}
    previous : dict or None
        The stored record before the call (None when it was created).
    current : dict or None
        The stored record after the call (None after a deletion).

    Records are dicts of the canonical column names with Python values:
    ``datetime.date`` (diary date, start date), ``datetime.datetime`` (session
    date), ``float``, ``int``, ``str``, and ``None`` for missing values.
    """

    action: Literal["created", "unchanged", "updated", "deleted"]
    previous: dict[str, Any] | None = None
    current: dict[str, Any] | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per state: columns ``state`` ("previous"/"current") and the record's columns."""
        rows = [
            {"state": k, **v}
            for k, v in (("previous", self.previous), ("current", self.current))
            if v
        ]
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with ``dry_run`` or unresolved conflicts, would do).

    Attributes
    ----------
    applied : bool
        True when the rows were written (committed).
    dry_run, update : bool
        The options the import ran with.
    n_incoming, inserted, unchanged, updated, conflicting : dict of str to int
        Per table ("patients", "diary", "sessions"): rows offered; new rows
        (written, or to be written); rows equal to the stored ones; stored rows
        overwritten (only with ``update=True``); rows whose stored values differ.
        With ``update=True`` every conflicting row is updated.
    conflicts : pandas.DataFrame
        One row per differing cell: ``table``, ``patient_id``, ``key`` (ISO date
        or date-time; the patient id for patients), ``column``, ``stored`` and
        ``incoming`` (values as text, NaN when missing).
    """

    applied: bool
    dry_run: bool
    update: bool
    n_incoming: Mapping[str, int]
    inserted: Mapping[str, int]
    unchanged: Mapping[str, int]
    updated: Mapping[str, int]
    conflicting: Mapping[str, int]
    conflicts: pd.DataFrame = field(repr=False)

    @property
    def n_conflicts(self) -> int:
        """Number of rows (all tables) whose stored values differ."""
        return int(sum(self.conflicting.values()))

    def to_frame(self) -> pd.DataFrame:
        """Counts per table.

        Returns
        -------
        pandas.DataFrame
            One row per table with columns ``table``, ``n_incoming``, ``inserted``,
            ``unchanged``, ``updated``, ``conflicting`` (all int64).
        """
        names = ["n_incoming", "inserted", "unchanged", "updated", "conflicting"]
        rows = [[t] + [int(getattr(self, n).get(t, 0)) for n in names] for t in TABLES]
        return pd.DataFrame(rows, columns=["table", *names]).astype(dict.fromkeys(names, "int64"))


# --------------------------------------------------------------------------- value conversion


def _natives(spec: TableSpec, frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Column lists of Python values (None for missing) of a canonical frame."""
    out: dict[str, list[Any]] = {}
    for col in spec.columns:
        s = frame[col.name]
        if col.kind == "date":
            values = s.dt.date.astype(object)
        elif col.kind == "datetime":
            values = pd.Series(s.dt.to_pydatetime(), index=s.index, dtype=object)
        else:
            values = s.astype(object)
        out[col.name] = values.where(s.notna(), None).tolist()
    return out


def _records(spec: TableSpec, frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = _natives(spec, frame)
    names = list(cols)
    return [dict(zip(names, vals, strict=True)) for vals in zip(*cols.values(), strict=True)]


def _canonical(spec: TableSpec, rows: Iterable[Iterable[Any]]) -> pd.DataFrame:
    """Canonical frame from database rows in contract column order."""
    records = [tuple(r) for r in rows]
    if not records:
        return empty_frame(spec.name)
    data = {}
    for col, values in zip(spec.columns, zip(*records, strict=True), strict=True):
        s = pd.Series(values, dtype=object)
        if col.kind in ("date", "datetime"):
            data[col.name] = pd.to_datetime(s).astype(DATE_DTYPE)
        else:
            data[col.name] = s.astype(col.dtype)
    frame = pd.DataFrame(data)
    return frame.sort_values(list(spec.key), kind="stable").reset_index(drop=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def _json(record: Mapping[str, Any] | None) -> str | None:
    if record is None:
        return None
    return json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False)


def _key_text(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds" if value.microsecond == 0 else "microseconds")
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    return str(value)


def _cell_text(s: pd.Series, kind: str) -> pd.Series:
    """Values as text for the conflicts table (NaN stays missing)."""
    if kind == "date":
        text = s.dt.strftime("%Y-%m-%d")
    elif kind == "datetime":
        text = s.dt.strftime("%Y-%m-%dT%H:%M:%S")
    elif kind == "number":
        text = s.map(lambda v: repr(float(v)), na_action="ignore")
    else:
        text = s.astype(object).map(str, na_action="ignore")
    return text.astype("str").where(s.notna())


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise exact equality with missing == missing."""
    eq = (a == b).astype(object).fillna(False).astype(bool).to_numpy()
    return eq | (a.isna().to_numpy() & b.isna().to_numpy())


def _as_date(value: Any, name: str, func: str) -> dt.date:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(
            f"The '{name}' parameter of {func} must be a date (datetime.date or 'YYYY-MM-DD'). "
            f"Got {value!r} instead."
        )
    return ts.date()


def _check_actor(actor: Any, func: str) -> str:
    if isinstance(actor, str) and actor.strip() and len(actor) <= 200:
        return actor
    raise ValueError(
        f"The 'actor' parameter of {func} must be a non-empty str of at most 200 characters "
        f"(e.g. 'cli', 'clinician:demo', 'patient:P001'). Got {actor!r} instead."
    )


def _check_text(value: Any, name: str, func: str) -> str:
    if isinstance(value, str) and value.strip():
        return value
    raise ValueError(
        f"The '{name}' parameter of {func} must be a non-empty str. Got {value!r} instead."
    )


def _check_patient_id(value: Any, func: str) -> str:
    if isinstance(value, str) and value:
        return value
    raise ValueError(
        f"The 'patient_id' parameter of {func} must be a non-empty str. Got {value!r} instead."
    )


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- errors


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    code = _sqlstate(exc)
    if code in ("40001", "40P01", "55P03", "23505"):  # serialisation, deadlock, lock, unique race
        return True
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database table is locked" in text or "busy" in text


def _reason(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# --------------------------------------------------------------------------- the store


class Store:
    """Access to one paindiary database. Create it with :func:`open_store`.

    Use as a context manager (``with open_store() as store: ...``) or call
    :meth:`close`. Safe to share between threads (each call takes its own
    pooled connection); each process opens its own Store.
    """

    def __init__(self, engine: sa.Engine, *, name: str) -> None:
        self._engine = engine
        self.name = name
        self.dialect = engine.dialect.name

    # -- plumbing ---------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Store({self.name!r})"

    def __enter__(self) -> Store:
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
        last: BaseException | None = None
        for attempt in range(MAX_ATTEMPTS):
            try:
                with self._engine.connect() as conn:
                    if self.dialect == "sqlite":
                        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
                    with conn.begin():
                        return work(conn)
            except sa.exc.DBAPIError as exc:
                if not _retryable(exc):
                    raise self._fail(what, exc) from None
                last = exc
                time.sleep(min(0.05 * 2**attempt, 1.0) * random.uniform(0.5, 1.5))
        assert last is not None
        raise StoreError(
            f"Could not {what} in the database {self.name}: it stayed busy after {MAX_ATTEMPTS} "
            f"attempts ({_reason(last)}). Nothing was written; try again."
        )

    def _audit(
        self, conn: sa.Connection, actor: str, action: str, detail: Mapping[str, Any]
    ) -> None:
        conn.execute(
            models.audit_log.insert(),
            {"at": _utcnow(), "actor": actor, "action": action, "detail": json.dumps(dict(detail))},
        )

    @staticmethod
    def _select(table: Table, patient_id: str | None = None) -> sa.Select:
        t = models.DATA_TABLES[table]
        stmt = sa.select(*(t.c[c] for c in TABLES[table].column_names))
        if patient_id is not None:
            stmt = stmt.where(t.c.patient_id == patient_id)
        return stmt

    def _frame(self, conn: sa.Connection, table: Table, stmt: sa.Select) -> pd.DataFrame:
        return _canonical(TABLES[table], conn.execute(stmt).fetchall())

    # -- reads ------------------------------------------------------------------

    def patients(self, actor: str) -> pd.DataFrame:
        """All patients as the canonical ``patients`` frame (see :mod:`analytics.schema`)."""
        _check_actor(actor, "Store.patients")
        with self._reading("read the patients") as conn:
            return self._frame(conn, "patients", self._select("patients"))

    def patient_ids(self, actor: str) -> list[str]:
        """Sorted patient identifiers."""
        _check_actor(actor, "Store.patient_ids")
        with self._reading("read the patient list") as conn:
            ids = conn.execute(sa.select(models.patients.c.patient_id)).scalars().all()
        return sorted(ids)

    def diary(
        self,
        actor: str,
        patient_id: str | None = None,
        *,
        start: dt.date | str | None = None,
        end: dt.date | str | None = None,
    ) -> pd.DataFrame:
        """Diary days as the canonical ``diary`` frame.

        Parameters
        ----------
        actor : str
        patient_id : str, optional
            One patient (read through the primary-key index), else everyone.
        start, end : date or "YYYY-MM-DD", optional
            Inclusive date range.
        """
        _check_actor(actor, "Store.diary")
        stmt = self._select("diary", patient_id)
        if start is not None:
            stmt = stmt.where(models.diary.c.date >= _as_date(start, "start", "Store.diary"))
        if end is not None:
            stmt = stmt.where(models.diary.c.date <= _as_date(end, "end", "Store.diary"))
        with self._reading("read the diary") as conn:
            return self._frame(conn, "diary", stmt)

    def sessions(self, actor: str, patient_id: str | None = None) -> pd.DataFrame:
        """Treatment sessions as the canonical ``sessions`` frame (one patient or all)."""
        _check_actor(actor, "Store.sessions")
        with self._reading("read the sessions") as conn:
            return self._frame(conn, "sessions", self._select("sessions", patient_id))

    def _dataset(self, patient_id: str | None, what: str) -> Any:
        from ..loaders import Dataset

        with self._reading(what) as conn:
            return Dataset(
                patients=self._frame(
                    conn,
                    "patients",
                    self._select("patients").where(models.patients.c.patient_id == patient_id)
                    if patient_id is not None
                    else self._select("patients"),
                ),
                diary=self._frame(conn, "diary", self._select("diary", patient_id)),
                sessions=self._frame(conn, "sessions", self._select("sessions", patient_id)),
            )

    def dataset(self, actor: str) -> Any:
        """The whole clinic as an :class:`analytics.loaders.Dataset`, read in one snapshot."""
        _check_actor(actor, "Store.dataset")
        return self._dataset(None, "read the dataset")

    def counts(self, actor: str) -> dict[str, int]:
        """Row counts: keys ``patients``, ``diary``, ``sessions``, ``history``."""
        _check_actor(actor, "Store.counts")
        tables = {**models.DATA_TABLES, "history": models.history}
        with self._reading("count the rows") as conn:
            return {
                name: int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one())
                for name, t in tables.items()
            }

    def _get(
        self, conn: sa.Connection, table: Table, key: Mapping[str, Any], lock: bool
    ) -> dict | None:
        t = models.DATA_TABLES[table]
        stmt = self._select(table).where(*(t.c[k] == v for k, v in key.items()))
        if lock and self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).mappings().first()
        return dict(row) if row is not None else None

    def get_diary_entry(self, actor: str, patient_id: str, date: dt.date | str) -> dict | None:
        """The stored diary entry of one day as a record dict (see SaveResult), or None."""
        _check_actor(actor, "Store.get_diary_entry")
        key = {"patient_id": patient_id, "date": _as_date(date, "date", "Store.get_diary_entry")}
        with self._reading("read a diary entry") as conn:
            return self._get(conn, "diary", key, lock=False)

    def history(self, actor: str, patient_id: str | None = None) -> pd.DataFrame:
        """Recorded changes, oldest first.

        Returns
        -------
        pandas.DataFrame
            ``changed_at`` (datetime64[ns], UTC), ``actor``, ``action``
            ("create"/"update"/"delete"), ``table``, ``patient_id``, ``key`` (ISO
            date, date-time or patient id), ``old`` and ``new`` (JSON objects of
            the record, NaN when none), ``reason`` (of a deletion, else NaN).
        """
        _check_actor(actor, "Store.history")
        h = models.history
        stmt = sa.select(
            h.c.changed_at, h.c.actor, h.c.action, h.c.table_name, h.c.patient_id,
            h.c.key, h.c.old, h.c.new, h.c.reason,
        ).order_by(h.c.id)  # fmt: skip
        if patient_id is not None:
            stmt = stmt.where(h.c.patient_id == patient_id)
        with self._reading("read the history") as conn:
            rows = conn.execute(stmt).all()
        frame = pd.DataFrame.from_records(rows, columns=HISTORY_COLUMNS)
        out = frame.astype({c: "str" for c in HISTORY_COLUMNS[1:]})
        out["changed_at"] = pd.to_datetime(frame["changed_at"]).astype(DATE_DTYPE)
        return out

    def audit_log(self, actor: str) -> pd.DataFrame:
        """Bulk operations, oldest first: ``at`` (datetime64[ns], UTC), ``actor``,
        ``action`` ("import", "export"), ``detail`` (JSON object with the counts)."""
        _check_actor(actor, "Store.audit_log")
        a = models.audit_log
        with self._reading("read the audit log") as conn:
            rows = conn.execute(
                sa.select(a.c.at, a.c.actor, a.c.action, a.c.detail).order_by(a.c.id)
            ).all()
        frame = pd.DataFrame.from_records(rows, columns=AUDIT_COLUMNS)
        out = frame.astype({c: "str" for c in AUDIT_COLUMNS[1:]})
        out["at"] = pd.to_datetime(frame["at"]).astype(DATE_DTYPE)
        return out

    # -- single-record writes ------------------------------------------------------

    def _history(
        self,
        conn: sa.Connection,
        actor: str,
        action: str,
        table: str,
        rows: list[tuple[dict | None, dict | None]],
        reason: str | None = None,
    ) -> None:
        key_col = TABLES[table].key[-1]
        now = _utcnow()
        conn.execute(
            models.history.insert(),
            [
                {
                    "changed_at": now,
                    "actor": actor,
                    "action": action,
                    "table_name": table,
                    "patient_id": (new or old or {})["patient_id"],
                    "key": _key_text((new or old or {})[key_col]),
                    "old": _json(old),
                    "new": _json(new),
                    "reason": reason,
                }
                for old, new in rows
            ],
        )

    def _require_patient(self, conn: sa.Connection, patient_id: str) -> None:
        found = conn.execute(
            sa.select(models.patients.c.patient_id).where(
                models.patients.c.patient_id == patient_id
            )
        ).first()
        if found is None:
            raise DataValidationError(
                f"Unknown patient {patient_id!r}: save the patient before their diary entries and sessions."
            )

    def _save(
        self, actor: str, table: Table, record: Mapping[str, Any], replace: bool, func: str
    ) -> SaveResult:
        from ..loaders import validate_records

        _check_actor(actor, func)
        if not isinstance(record, Mapping):
            raise ValueError(
                f"The record parameter of {func} must be a dict. Got {type(record).__name__} instead."
            )
        spec = TABLES[table]
        new = _records(spec, validate_records(table, [record]))[0]
        key = {k: new[k] for k in spec.key}
        t = models.DATA_TABLES[table]
        what = f"save the {table} record {'/'.join(_key_text(v) for v in key.values())}"

        def work(conn: sa.Connection) -> SaveResult:
            if table != "patients":
                self._require_patient(conn, new["patient_id"])
            old = self._get(conn, table, key, lock=True)
            if old is None:
                conn.execute(t.insert(), new)
                self._history(conn, actor, "create", table, [(None, new)])
                return SaveResult("created", None, new)
            if old == new:
                return SaveResult("unchanged", old, old)
            if not replace:
                changed = [c for c in spec.column_names if old[c] != new[c]]
                exc = ConflictError(
                    f"{table} record {'/'.join(_key_text(v) for v in key.values())} is already stored "
                    f"with different {', '.join(changed)}; nothing was written. Save with replace=True "
                    "to overwrite it (the old values are kept in the history)."
                )
                exc.existing = old  # type: ignore[attr-defined]
                raise exc
            conn.execute(t.update().where(*(t.c[k] == v for k, v in key.items())).values(new))
            self._history(conn, actor, "update", table, [(old, new)])
            return SaveResult("updated", old, new)

        return self._write(what, work)

    def save_diary_entry(
        self, actor: str, entry: Mapping[str, Any], *, replace: bool = False
    ) -> SaveResult:
        """Store one diary day (an upsert on ``(patient_id, date)``).

        Parameters
        ----------
        actor : str
            Who is writing (recorded in the history).
        entry : dict
            Diary fields by canonical column name; values as Python objects or
            text, validated with exactly the CSV rules.
        replace : bool, default False
            Overwrite a different stored entry of that day (the old values go
            to the history). Without it such an entry raises ConflictError.

        Returns
        -------
        SaveResult
            ``created``, ``unchanged`` (the same values were stored) or ``updated``.

        Raises
        ------
        DataValidationError
            The entry breaks the data contract, or the patient is unknown.
        ConflictError
            A different entry is stored for that day and ``replace`` is False; its
            ``existing`` attribute holds the stored record. Nothing was written.
        StoreError
            The database failed (the message names it); nothing was written.

        Examples
        --------
        >>> store.save_diary_entry("patient:P001", {"patient_id": "P001", "date": "2024-03-01", "pain": 4})
        ...     # doctest: +SKIP
        SaveResult(action='created', ...)
        """
        return self._save(actor, "diary", entry, replace, "Store.save_diary_entry")

    def save_session(
        self, actor: str, session: Mapping[str, Any], *, replace: bool = False
    ) -> SaveResult:
        """Store one treatment session (natural key ``(patient_id, date)``, date-time).

        Same contract as :meth:`save_diary_entry`.
        """
        return self._save(actor, "sessions", session, replace, "Store.save_session")

    def save_patient(
        self, actor: str, patient: Mapping[str, Any], *, replace: bool = False
    ) -> SaveResult:
        """Store one patient (key ``patient_id``). Same contract as :meth:`save_diary_entry`."""
        return self._save(actor, "patients", patient, replace, "Store.save_patient")

    def delete_diary_entry(
        self, actor: str, patient_id: str, date: dt.date | str, *, reason: str
    ) -> SaveResult:
        """Delete one diary day, keeping it in the history with ``reason``.

        Returns
        -------
        SaveResult
            ``action="deleted"``, ``previous`` = the deleted record.

        Raises
        ------
        NotFoundError
            No entry is stored for that day (nothing was written).
        """
        func = "Store.delete_diary_entry"
        _check_actor(actor, func)
        _check_patient_id(patient_id, func)
        _check_text(reason, "reason", func)
        key = {"patient_id": patient_id, "date": _as_date(date, "date", func)}
        t = models.diary

        def work(conn: sa.Connection) -> SaveResult:
            old = self._get(conn, "diary", key, lock=True)
            if old is None:
                raise NotFoundError(
                    f"No diary entry of patient {patient_id} on {key['date']} is stored."
                )
            conn.execute(t.delete().where(t.c.patient_id == patient_id, t.c.date == key["date"]))
            self._history(conn, actor, "delete", "diary", [(old, None)], reason=reason)
            return SaveResult("deleted", old, None)

        return self._write(f"delete the diary entry {patient_id}/{key['date']}", work)

    # -- bulk -----------------------------------------------------------------------

    def _stored_for(
        self, conn: sa.Connection, table: Table, patient_ids: np.ndarray
    ) -> pd.DataFrame:
        """Stored rows of the given patients (the whole table when they are many)."""
        if len(patient_ids) > 2000:
            return self._frame(conn, table, self._select(table))
        t = models.DATA_TABLES[table]
        parts = [
            self._frame(
                conn,
                table,
                self._select(table).where(t.c.patient_id.in_(patient_ids[i : i + 500].tolist())),
            )
            for i in range(0, len(patient_ids), 500)
        ]
        return pd.concat(parts, ignore_index=True) if parts else empty_frame(table)

    def _insert(self, conn: sa.Connection, table: Table, frame: pd.DataFrame) -> None:
        """Set-based insert: COPY on PostgreSQL, batched executemany elsewhere."""
        spec = TABLES[table]
        for start in range(0, len(frame), CHUNK_ROWS):
            chunk = frame.iloc[start : start + CHUNK_ROWS]
            if self.dialect == "postgresql":
                cols = _natives(spec, chunk)
                names = ", ".join(f'"{c}"' for c in cols)
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in zip(*cols.values(), strict=True):
                        copy.write_row(row)
            else:
                conn.execute(models.DATA_TABLES[table].insert(), _records(spec, chunk))

    def _compare(self, conn: sa.Connection, table: Table, incoming: pd.DataFrame) -> dict[str, Any]:
        spec = TABLES[table]
        key = list(spec.key)
        stored = self._stored_for(conn, table, incoming["patient_id"].unique())
        merged = incoming.merge(
            stored, on=key, how="left", suffixes=("", "__stored"), indicator=True
        )
        is_new = (merged["_merge"] == "left_only").to_numpy()
        both = merged[~is_new].reset_index(drop=True)
        others = [c for c in spec.column_names if c not in key]
        diff = pd.DataFrame(
            {c: ~_same(both[c], both[c + "__stored"]) for c in others}, index=both.index
        )
        changed = diff.any(axis=1).to_numpy() if others else np.zeros(len(both), bool)
        key_col = key[-1]
        kind = spec.column(key_col).kind
        key_text = (
            _cell_text(both[key_col], kind) if kind in ("date", "datetime") else both[key_col]
        )
        parts = []  # one block per differing column: vectorised, no loop per cell
        for c in others:
            rows = np.flatnonzero(diff[c].to_numpy())
            if len(rows):
                col_kind = spec.column(c).kind
                parts.append(
                    pd.DataFrame(
                        {
                            "table": table,
                            "patient_id": both["patient_id"].to_numpy()[rows],
                            "key": key_text.to_numpy()[rows],
                            "column": c,
                            "stored": _cell_text(
                                both[c + "__stored"].iloc[rows], col_kind
                            ).to_numpy(),
                            "incoming": _cell_text(both[c].iloc[rows], col_kind).to_numpy(),
                            "_row": rows,
                        }
                    )
                )
        conflicts = pd.DataFrame(columns=CONFLICT_COLUMNS).astype("str")
        if parts:
            conflicts = (
                pd.concat(parts, ignore_index=True)
                .sort_values("_row", kind="stable")[CONFLICT_COLUMNS]
                .reset_index(drop=True)
                .astype("str")
            )
        return {
            "new": merged.loc[is_new, spec.column_names],
            "changed_new": both.loc[changed, spec.column_names],
            "changed_old": both.loc[changed, key + [c + "__stored" for c in others]].rename(
                columns={c + "__stored": c for c in others}
            )[spec.column_names],
            "n_unchanged": int((~changed).sum()),
            "conflicts": conflicts,
        }

    def import_dataset(
        self, actor: str, dataset: Any, *, update: bool = False, dry_run: bool = False
    ) -> ImportReport:
        """Write a loaded dataset in one transaction: all or nothing.

        Parameters
        ----------
        actor : str
        dataset : analytics.loaders.Dataset
            Canonical frames (already validated by the loader).
        update : bool, default False
            Overwrite stored rows whose values differ (old values go to the
            history). Without it such rows are conflicts.
        dry_run : bool, default False
            Compute the report, write nothing (the dashboard's preview).

        Returns
        -------
        ImportReport
            ``applied=True`` when written; with ``dry_run`` ``applied=False``.

        Raises
        ------
        ConflictError
            Conflicts were found, ``update`` is False and ``dry_run`` is False:
            nothing was written; the exception's ``report`` attribute is the
            ImportReport (``applied=False``) listing them.
        DataValidationError
            Diary rows or sessions name patients that are neither in the dataset
            nor stored.
        StoreError
            The database failed; nothing was written.

        Notes
        -----
        Re-importing the same data changes nothing (every row is "unchanged").
        Inserts are set-based (COPY on PostgreSQL, batched executemany on
        SQLite); each updated row gets a history entry; the import itself is
        recorded in the audit log with its counts. Rows stored but absent from
        the dataset are left alone (an import never deletes).
        """
        func = "Store.import_dataset"
        _check_actor(actor, func)
        frames: dict[str, pd.DataFrame] = {t: getattr(dataset, t) for t in TABLES}
        for t, f in frames.items():
            if list(f.columns) != TABLES[t].column_names:
                raise ValueError(
                    f"The 'dataset' parameter of {func} must hold canonical frames; {t} has columns "
                    f"{list(f.columns)} instead of {TABLES[t].column_names}."
                )

        def work(conn: sa.Connection) -> ImportReport:
            self._check_references(conn, frames)
            found: dict[str, dict[str, Any]] = {
                t: self._compare(conn, t, frames[t]) for t in _ORDER
            }
            n_conf = {t: len(found[t]["changed_new"]) for t in TABLES}
            conflicts = pd.concat(
                [found[t]["conflicts"] for t in TABLES if len(found[t]["conflicts"])]
                or [pd.DataFrame(columns=CONFLICT_COLUMNS).astype("str")],
                ignore_index=True,
            )
            apply = not dry_run and (update or not sum(n_conf.values()))
            report = ImportReport(
                applied=apply,
                dry_run=dry_run,
                update=update,
                n_incoming={t: len(frames[t]) for t in TABLES},
                inserted={t: len(found[t]["new"]) for t in TABLES},
                unchanged={t: found[t]["n_unchanged"] for t in TABLES},
                updated={t: n_conf[t] if update else 0 for t in TABLES},
                conflicting=n_conf,
                conflicts=conflicts,
            )
            if not apply:
                conn.rollback()
                return report
            for t in _ORDER:
                self._insert(conn, t, found[t]["new"])
                if update and n_conf[t]:
                    self._update_rows(
                        conn, actor, t, found[t]["changed_old"], found[t]["changed_new"]
                    )
            self._audit(
                conn, actor, "import", report.to_frame().set_index("table").to_dict("index")
            )
            return report

        report = self._write("import the dataset", work)
        if report.n_conflicts and not update and not dry_run:
            exc = ConflictError(
                f"{report.n_conflicts} incoming row(s) differ from the stored values "
                f"({len(report.conflicts)} cell(s)); nothing was imported. Review the conflicts and "
                "import with update=True (--update) to overwrite them; the old values are kept in "
                "the history."
            )
            exc.report = report  # type: ignore[attr-defined]
            raise exc
        return report

    def _check_references(self, conn: sa.Connection, frames: Mapping[str, pd.DataFrame]) -> None:
        referenced = pd.Index(frames["diary"]["patient_id"]).union(
            pd.Index(frames["sessions"]["patient_id"])
        )
        missing = referenced.difference(pd.Index(frames["patients"]["patient_id"])).unique()
        if not len(missing):
            return
        t = models.patients
        stored: set[str] = set()
        ids = missing.tolist()
        for i in range(0, len(ids), 500):
            stored.update(
                conn.execute(
                    sa.select(t.c.patient_id).where(t.c.patient_id.in_(ids[i : i + 500]))
                ).scalars()
            )
        unknown = sorted(set(ids) - stored)
        if unknown:
            shown = ", ".join(unknown[:10]) + (" ..." if len(unknown) > 10 else "")
            raise DataValidationError(
                f"{len(unknown)} patient(s) named by diary rows or sessions are neither in patients.csv "
                f"nor stored: {shown}. Add them to patients.csv; nothing was imported."
            )

    def _update_rows(
        self, conn: sa.Connection, actor: str, table: Table, old: pd.DataFrame, new: pd.DataFrame
    ) -> None:
        spec = TABLES[table]
        t = models.DATA_TABLES[table]
        new_rows = _records(spec, new)
        old_rows = _records(spec, old)
        stmt = (
            t.update()
            .where(*(t.c[k] == sa.bindparam(f"k_{k}") for k in spec.key))
            .values({c: sa.bindparam(c) for c in spec.column_names if c not in spec.key})
        )
        conn.execute(stmt, [{**r, **{f"k_{k}": r[k] for k in spec.key}} for r in new_rows])
        self._history(conn, actor, "update", table, list(zip(old_rows, new_rows, strict=True)))

    def export_dataset(self, actor: str, patient_id: str | None = None) -> Any:
        """The stored data (one patient or all) as a Dataset, recorded in the audit log.

        Write it to CSV with :func:`analytics.exports.write_dataset`.
        """
        _check_actor(actor, "Store.export_dataset")
        ds = self._dataset(patient_id, "export the dataset")
        detail = {"patient_id": patient_id, **{t: len(getattr(ds, t)) for t in TABLES}}
        self._write("record the export", lambda conn: self._audit(conn, actor, "export", detail))
        return ds


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


def _alembic_config() -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return cfg


def _migrate(engine: sa.Engine, *, upgrade: bool) -> None:
    """Upgrade to the newest schema (``upgrade``) or check the schema is the newest."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = _alembic_config()
    scripts = ScriptDirectory.from_config(cfg)
    head = scripts.get_current_head()
    known = {rev.revision for rev in scripts.walk_revisions()}
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
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")


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
            path = parsed.database
            if not path or path == ":memory:" or "mode=memory" in path:
                raise StoreError(
                    f"{raw!r} is an in-memory SQLite database: every entry would be lost when it is "
                    "closed, and each thread would see a different one. Give a file, e.g. "
                    "sqlite:///path/to/paindiary.sqlite3 (four slashes for an absolute path)."
                )
            if not path.startswith("file:"):
                p = Path(path).absolute()
                name = str(p)  # messages name the file the user can find, not a relative path
                if p.is_dir():
                    raise StoreError(
                        f"Cannot open the database {name}: it is a directory, not a file."
                    )
                if not p.exists():
                    if not create:
                        raise StoreError(
                            f"No database at {name}. Create it with 'paindiary init-demo --db {raw}'."
                        )
                    if not p.parent.is_dir():
                        # Only the default data directory is created (by data_dir()); a missing
                        # folder in an explicit URL is usually a typo (e.g. sqlite:///tmp/x with
                        # three slashes is relative to the current directory).
                        raise StoreError(
                            f"Cannot create the database {name}: the folder {p.parent} does not "
                            "exist. Check the URL (sqlite:///relative/path, sqlite:////absolute/"
                            "path) or create the folder first."
                        )
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
        hint = ""
        text = _reason(exc).lower()
        if "not a database" in text or "malformed" in text or "corrupt" in text:
            hint = " The file is corrupt or not a SQLite database; restore it from a backup (docs/operations.md)."
        elif "unable to open" in text:
            hint = " Check that the file and its folder exist and are readable and writable."
        raise StoreError(f"Cannot open the database {name}: {_reason(exc)}.{hint}") from None
    return Store(engine, name=name)
