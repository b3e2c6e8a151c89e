"""Reading queries: canonical frames of the data tables, one patient or a set of them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..schema import TABLES
from . import models
from ._values import Table, _as_date, _canonical, _check_actor
from .engine import StoreBase

__all__ = ["Queries"]


class Queries(StoreBase):
    """Reads of the data tables."""

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
