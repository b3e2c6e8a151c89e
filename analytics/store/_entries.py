"""Entries during the day: add one as it happens, answer "Did it help?", read them back, import.

An entry is one row of the contract's ``entries.csv`` (patient, day, time, pain, flare,
duration, rescue medicine and its answer, notes); the store also keeps who answered
"Did it help?" and when. Every change writes a :data:`~analytics.store._models.history`
row in the same transaction.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.contract import ENTRIES, RESCUE_ANSWERS
from analytics.errors import DataValidationError, NotFoundError
from analytics.store import _models as models
from analytics.store._edits import Edits
from analytics.store._queries import entries_frame, select_entries
from analytics.store._values import (
    as_date,
    check_actor,
    check_patient_id,
    table_records,
    to_json,
    utcnow,
)

__all__ = ["Entries", "import_entries", "check_entry"]


def check_entry(record: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """Check one entry with exactly the rules of ``entries.csv``; return it as stored values.

    Raises
    ------
    DataValidationError
        A field breaks the contract; the message says which and how to fix it.
    """
    from analytics.io import load_entries

    unknown = sorted(set(record) - set(ENTRIES.column_names))
    if unknown:
        raise DataValidationError(f"Unknown entry field(s) {', '.join(unknown)}.")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(ENTRIES.column_names)
    writer.writerow(["" if record.get(c) is None else record[c] for c in ENTRIES.column_names])
    buf.seek(0)
    frame = load_entries(buf, today=today, name="the entry")
    return table_records(ENTRIES, frame)[0]


def _key(record: dict[str, Any]) -> str:
    return f"{record['date'].isoformat()}/{record['time']}"


class Entries(Edits):
    """Entries during the day: one write a transaction, each with its history row."""

    def add_entry(
        self,
        actor: str,
        record: dict[str, Any],
        *,
        today: dt.date | None = None,
    ) -> str:
        """Store one entry; an entry at the same minute of the same day is replaced.

        Parameters
        ----------
        actor : str
            Who is writing (recorded in the history).
        record : dict
            Fields of :data:`analytics.contract.ENTRIES` (``patient_id``, ``date``,
            ``time`` as HH:MM, ``pain`` required); values as Python objects or text.
        today : date, optional
            Default: today's date; the entry's day may not be after it.

        Returns
        -------
        str
            ``"created"``, ``"updated"`` or ``"unchanged"``.

        Raises
        ------
        DataValidationError
            The entry breaks the contract (see docs/data-format.md) or the patient is
            unknown.
        """
        check_actor(actor, "Store.add_entry")
        new = check_entry(record, today or dt.date.today())
        t = models.entries

        def work(conn: sa.Connection) -> str:
            self._require_patient(conn, new["patient_id"])
            mine = (
                (t.c.patient_id == new["patient_id"])
                & (t.c.date == new["date"])
                & (t.c.time == new["time"])
            )
            row = conn.execute(sa.select(*(t.c[c] for c in ENTRIES.column_names)).where(mine))
            found = row.first()
            old = dict(zip(ENTRIES.column_names, found, strict=True)) if found else None
            if old == new:
                return "unchanged"
            if old is not None:
                conn.execute(t.delete().where(mine))
            conn.execute(t.insert(), new)
            self._entry_history(conn, actor, "update" if old else "create", old, new)
            return "updated" if old else "created"

        return self._write(f"save the entry of {new['patient_id']} at {_key(new)}", work)

    def answer_rescue(
        self, actor: str, patient_id: str, date: dt.date | str, time: str, helped: str
    ) -> None:
        """Store the answer to "Did it help?" about an entry's rescue medicine, with who gave it.

        Raises
        ------
        DataValidationError
            ``helped`` is not one of :data:`analytics.contract.RESCUE_ANSWERS`, or the
            entry names no rescue medicine.
        NotFoundError
            No such entry.
        """
        func = "Store.answer_rescue"
        check_actor(actor, func)
        check_patient_id(patient_id, func)
        day = as_date(date, "date", func)
        if helped not in RESCUE_ANSWERS:
            raise DataValidationError(
                f"The answer {helped!r} was not saved; answer one of {', '.join(RESCUE_ANSWERS)}."
            )
        t = models.entries
        mine = (t.c.patient_id == patient_id) & (t.c.date == day) & (t.c.time == str(time))

        def work(conn: sa.Connection) -> None:
            cols = ENTRIES.column_names
            found = conn.execute(sa.select(*(t.c[c] for c in cols)).where(mine)).first()
            if found is None:
                raise NotFoundError(f"No entry of {patient_id} on {day.isoformat()} at {time}.")
            old = dict(zip(cols, found, strict=True))
            if old["rescue_medication"] is None:
                raise DataValidationError(
                    "This entry names no rescue medicine; there is nothing to answer."
                )
            new = {**old, "rescue_helped": helped}
            conn.execute(
                t.update()
                .where(mine)
                .values(rescue_helped=helped, rescue_answered_by=actor, rescue_answered_at=utcnow())
            )
            self._entry_history(conn, actor, "update", old, new)

        self._write(f"answer the rescue question of {patient_id} at {day}/{time}", work)

    def _entry_history(
        self,
        conn: sa.Connection,
        actor: str,
        action: str,
        old: dict[str, Any] | None,
        new: dict[str, Any],
        reason: str | None = None,
    ) -> None:
        conn.execute(
            models.history.insert(),
            {
                "changed_at": utcnow(),
                "actor": actor,
                "action": action,
                "table_name": ENTRIES.name,
                "patient_id": new["patient_id"],
                "key": _key(new),
                "old": to_json(old) if old else None,
                "new": to_json(new),
                "reason": reason,
            },
        )

    def entries(
        self,
        actor: str,
        *,
        patient_ids: Sequence[str] | None = None,
        clinician_user_id: int | None = None,
    ) -> pd.DataFrame:
        """Read the entries as the canonical ``entries`` frame, with who answered.

        ``patient_ids`` restricts the query to those patients and ``clinician_user_id``
        to that clinician's assigned patients (both in SQL); default everyone.

        Returns
        -------
        pandas.DataFrame
            The columns of :data:`analytics.contract.ENTRIES`, then
            ``rescue_answered_by`` (str) and ``rescue_answered_at`` (UTC datetime) of
            the "Did it help?" answer, sorted by patient, date and time.
        """
        check_actor(actor, "Store.entries")
        stmt = select_entries(patient_ids=patient_ids, clinician_user_id=clinician_user_id)
        with self._reading("read the entries") as conn:
            return entries_frame(conn.execute(stmt).fetchall())


def import_entries(conn: sa.Connection, actor: str, entries: pd.DataFrame, *, update: bool) -> int:
    """Store the entries of an import, in its transaction; return the rows written.

    Entries not stored yet are added; a stored entry that differs is replaced only
    with ``update`` (the old values go to the history), else kept. One history row per
    entry written.
    """
    if entries is None or not len(entries):
        return 0
    t = models.entries
    cols = ENTRIES.column_names
    ids = sorted(set(entries["patient_id"].astype("str")))
    stored = {
        (row.patient_id, row.date, row.time): dict(zip(cols, row, strict=True))
        for row in conn.execute(sa.select(*(t.c[c] for c in cols)).where(t.c.patient_id.in_(ids)))
    }
    rows = []
    for new in table_records(ENTRIES, entries):
        old = stored.get((new["patient_id"], new["date"], new["time"]))
        if old is None or (update and old != new):
            rows.append((old, new))
    if not rows:
        return 0
    replaced = [(o["patient_id"], o["date"], o["time"]) for o, _ in rows if o is not None]
    if replaced:
        conn.execute(t.delete().where(sa.tuple_(t.c.patient_id, t.c.date, t.c.time).in_(replaced)))
    conn.execute(t.insert(), [new for _, new in rows])
    conn.execute(
        models.history.insert(),
        [
            {
                "changed_at": utcnow(), "actor": actor, "action": "update" if old else "create",
                "table_name": ENTRIES.name, "patient_id": new["patient_id"], "key": _key(new),
                "old": to_json(old) if old else None, "new": to_json(new), "reason": "import",
            }
            for old, new in rows
        ],
    )  # fmt: skip
    return len(rows)
