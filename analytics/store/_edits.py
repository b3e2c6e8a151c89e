"""Single-record writes: save a diary day, a session or a patient; delete a diary day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from analytics.contract.schema import TABLES
from analytics.errors import ConflictError, DataValidationError, NotFoundError
from analytics.store import _models as models
from analytics.store._history import History
from analytics.store._queries import Queries
from analytics.store._results import SaveResult
from analytics.store._values import (
    Table,
    as_date,
    check_actor,
    check_patient_id,
    check_text,
    key_of,
    table_records,
)

__all__ = ["Edits"]


class Edits(Queries, History):
    """Single-record writes, each one transaction with its history rows."""

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
        from analytics.io import validate_records

        check_actor(actor, func)
        if not isinstance(record, Mapping):
            raise ValueError(
                f"The record parameter of {func} must be a dict. Got {type(record).__name__} instead."
            )
        spec = TABLES[table]
        new = table_records(spec, validate_records(table, [record]))[0]
        key = {k: new[k] for k in spec.key}
        t = models.DATA_TABLES[table]
        what = f"save the {table} record {'/'.join(key_of(v) for v in key.values())}"

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
                    f"{table} record {'/'.join(key_of(v) for v in key.values())} is already stored "
                    f"with different {', '.join(changed)}; nothing was written. Save with replace=True "
                    "to overwrite it (the old values are kept in the history)."
                )
                exc.existing = old
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
        check_actor(actor, func)
        check_patient_id(patient_id, func)
        check_text(reason, "reason", func)
        key = {"patient_id": patient_id, "date": as_date(date, "date", func)}
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
