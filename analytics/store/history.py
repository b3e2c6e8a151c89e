"""History of record changes and the audit log: append-only bookkeeping."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from ..schema import DATE_DTYPE, TABLES
from . import models
from ._values import _check_actor, _json, _key_text, _utcnow
from .engine import StoreBase

__all__ = ["History", "HISTORY_COLUMNS", "AUDIT_COLUMNS"]

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
#: Columns of :meth:`Store.audit_log`.
AUDIT_COLUMNS = ["at", "actor", "action", "detail"]


class History(StoreBase):
    """Writes and reads of ``history`` and ``audit_log``."""

    def _audit(
        self, conn: sa.Connection, actor: str, action: str, detail: Mapping[str, Any]
    ) -> None:
        conn.execute(
            models.audit_log.insert(),
            {"at": _utcnow(), "actor": actor, "action": action, "detail": json.dumps(dict(detail))},
        )

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
