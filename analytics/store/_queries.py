"""Reading queries: canonical frames of the data tables, one patient or a set of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.contract import ENTRIES, empty_entries
from analytics.contract.schema import TABLES
from analytics.store import _models as models
from analytics.store._engine import StoreBase
from analytics.store._values import Table, as_date, canonical_frame, check_actor

__all__ = ["Queries", "ANSWER_COLUMNS", "select_entries", "entries_frame"]

#: Columns the entries read gives besides the contract's: who answered "Did it help?" and when.
ANSWER_COLUMNS = ["rescue_answered_by", "rescue_answered_at"]


class Queries(StoreBase):
    """Reads of the data tables."""

    @staticmethod
    def _select(table: Table, patient_id: str | None = None) -> sa.Select:
        t = models.DATA_TABLES[table]
        stmt = sa.select(*(t.c[c] for c in TABLES[table].column_names))
        if patient_id is not None:
            stmt = stmt.where(t.c.patient_id == patient_id)
        return stmt

    @staticmethod
    def _scoped(
        stmt: sa.Select,
        table: str,
        clinician_user_id: int | None,
        patient_ids: Sequence[str] | None,
    ) -> sa.Select:
        """``stmt`` restricted in SQL to a clinician's assigned patients and/or a list of ids."""
        t = models.DATA_TABLES[table]
        if clinician_user_id is not None:
            cp = models.clinician_patients
            assigned = sa.select(cp.c.patient_id).where(cp.c.user_id == clinician_user_id)
            stmt = stmt.where(t.c.patient_id.in_(assigned))
        if patient_ids is not None:
            stmt = stmt.where(t.c.patient_id.in_(list(patient_ids)))
        return stmt

    def _frame(self, conn: sa.Connection, table: Table, stmt: sa.Select) -> pd.DataFrame:
        return canonical_frame(TABLES[table], conn.execute(stmt).fetchall())

    # -- reads ------------------------------------------------------------------

    def patients(
        self,
        actor: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Patients as the canonical ``patients`` frame (see :mod:`analytics.contract.schema`).

        ``clinician_user_id`` restricts the query to that clinician's assigned
        patients, ``patient_ids`` to those ids (both in SQL); default everyone.
        """
        check_actor(actor, "Store.patients")
        stmt = self._scoped(self._select("patients"), "patients", clinician_user_id, patient_ids)
        with self._reading("read the patients") as conn:
            return self._frame(conn, "patients", stmt)

    def patient_ids(
        self,
        actor: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> list[str]:
        """Sorted patient identifiers (scoped as in :meth:`patients`)."""
        check_actor(actor, "Store.patient_ids")
        stmt = self._scoped(
            sa.select(models.patients.c.patient_id), "patients", clinician_user_id, patient_ids
        )
        with self._reading("read the patient list") as conn:
            ids = conn.execute(stmt).scalars().all()
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
        check_actor(actor, "Store.diary")
        stmt = self._select("diary", patient_id)
        if start is not None:
            stmt = stmt.where(models.diary.c.date >= as_date(start, "start", "Store.diary"))
        if end is not None:
            stmt = stmt.where(models.diary.c.date <= as_date(end, "end", "Store.diary"))
        with self._reading("read the diary") as conn:
            return self._frame(conn, "diary", stmt)

    def sessions(
        self,
        actor: str,
        patient_id: str | None = None,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Treatment sessions as the canonical ``sessions`` frame (one patient or all).

        ``clinician_user_id`` and ``patient_ids`` restrict the query as in
        :meth:`patients` (in SQL).
        """
        check_actor(actor, "Store.sessions")
        stmt = self._scoped(
            self._select("sessions", patient_id), "sessions", clinician_user_id, patient_ids
        )
        with self._reading("read the sessions") as conn:
            return self._frame(conn, "sessions", stmt)

    def _dataset(
        self,
        patient_id: str | None,
        what: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> Any:
        from analytics.contract import Dataset

        frames = {}
        with self._reading(what) as conn:
            for table in ("patients", "diary", "sessions"):
                stmt = self._scoped(
                    self._select(table, patient_id), table, clinician_user_id, patient_ids
                )
                frames[table] = self._frame(conn, table, stmt)
            found = conn.execute(
                select_entries(
                    patient_id=patient_id,
                    patient_ids=patient_ids,
                    clinician_user_id=clinician_user_id,
                )
            ).fetchall()
        frames["entries"] = entries_frame(found)[ENTRIES.column_names]
        return Dataset(**frames)

    def dataset(
        self,
        actor: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> Any:
        """Read the clinic as an :class:`analytics.contract.Dataset`, in one snapshot.

        Scoped in SQL as in :meth:`patients` (default: every patient); with the
        patients' entries during the day (``Dataset.entries``, the contract's columns).
        """
        check_actor(actor, "Store.dataset")
        return self._dataset(
            None, "read the dataset", clinician_user_id=clinician_user_id, patient_ids=patient_ids
        )

    def patient_dataset(
        self,
        actor: str,
        patient_id: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> Any:
        """Read one patient's rows as an :class:`analytics.contract.Dataset` (one snapshot).

        Its ``entries`` are the patient's entries during the day (the contract's columns).
        With a scope (as in :meth:`patients`) a patient outside it reads as empty.
        """
        check_actor(actor, "Store.patient_dataset")
        return self._dataset(
            patient_id,
            "read the patient's data",
            clinician_user_id=clinician_user_id,
            patient_ids=patient_ids,
        )

    def counts(self, actor: str) -> dict[str, int]:
        """Row counts: keys ``patients``, ``diary``, ``sessions``, ``history``."""
        check_actor(actor, "Store.counts")
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
        """Read the stored diary entry of one day as a record dict (see SaveResult), or None."""
        check_actor(actor, "Store.get_diary_entry")
        key = {"patient_id": patient_id, "date": as_date(date, "date", "Store.get_diary_entry")}
        with self._reading("read a diary entry") as conn:
            return self._get(conn, "diary", key, lock=False)


def select_entries(
    *,
    patient_id: str | None = None,
    patient_ids: Sequence[str] | None = None,
    clinician_user_id: int | None = None,
) -> sa.Select:
    """Select the stored entries (contract columns, then who answered), scoped in SQL.

    ``patient_id`` keeps one patient, ``patient_ids`` a list of them and
    ``clinician_user_id`` that clinician's assigned patients; sorted by patient, date
    and time. Read the rows with :func:`entries_frame`.
    """
    t = models.entries
    stmt = sa.select(*(t.c[c] for c in (*ENTRIES.column_names, *ANSWER_COLUMNS)))
    if patient_id is not None:
        stmt = stmt.where(t.c.patient_id == patient_id)
    if patient_ids is not None:
        stmt = stmt.where(t.c.patient_id.in_(list(patient_ids)))
    if clinician_user_id is not None:
        cp = models.clinician_patients
        stmt = stmt.where(
            t.c.patient_id.in_(sa.select(cp.c.patient_id).where(cp.c.user_id == clinician_user_id))
        )
    return stmt.order_by(*(t.c[c] for c in ENTRIES.key))


def entries_frame(rows: Sequence[Any]) -> pd.DataFrame:
    """Turn rows of :func:`select_entries` into the frame :meth:`analytics.store.Store.entries` gives."""
    names = [*ENTRIES.column_names, *ANSWER_COLUMNS]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=names)
    base = empty_entries()
    out = frame[ENTRIES.column_names].astype(base.dtypes.to_dict())
    out["date"] = pd.to_datetime(frame["date"]).astype(base["date"].dtype)
    out["rescue_answered_by"] = frame["rescue_answered_by"].astype("str")
    out["rescue_answered_at"] = pd.to_datetime(frame["rescue_answered_at"])
    return out
