"""History of record changes and the audit log: append-only bookkeeping."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.contract.schema import DATE_DTYPE, TABLES
from analytics.store import _models as models
from analytics.store._engine import StoreBase
from analytics.store._values import check_actor, check_text, key_of, to_json, utcnow

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
#: Columns of :meth:`Store.audit_log`.
AUDIT_COLUMNS = ["at", "username", "role", "face", "action", "patient_id", "outcome", "detail"]


class History(StoreBase):
    """Writes and reads of ``history`` and ``audit_log``."""

    def _audit(
        self,
        conn: sa.Connection,
        actor: str,
        action: str,
        detail: Mapping[str, Any],
        *,
        role: str = "",
        face: str = "",
        patient_id: str | None = None,
        outcome: str = "ok",
    ) -> None:
        conn.execute(
            models.audit_log.insert(),
            {
                "at": utcnow(),
                "username": actor,
                "role": role,
                "face": face,
                "action": action,
                "patient_id": patient_id,
                "outcome": outcome,
                "detail": json.dumps(dict(detail), ensure_ascii=False, default=str),
            },
        )

    def record_audit(
        self,
        actor: str,
        action: str,
        *,
        role: str = "",
        face: str = "",
        patient_id: str | None = None,
        outcome: str = "ok",
        detail: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one row to the audit log (its own transaction).

        Parameters
        ----------
        actor : str
            The username (``audit_log.username``).
        action : str
            "view", "edit", "import", "export", "report", "login", "login_failed",
            "lockout", "logout", "user_admin", "share_create", "share_use", ...
        role, face : str
            The user's role and where the request came from.
        patient_id : str, optional
            The patient concerned, "*" for the cohort, None when no patient is.
        outcome : {"ok", "denied", "failed"}
        detail : dict, optional
            Anything else worth keeping (stored as a JSON object). Never a password.
        """
        func = "Store.record_audit"
        check_actor(actor, func)
        check_text(action, "action", func)
        if outcome not in models.AUDIT_OUTCOMES:
            raise ValueError(
                f"The 'outcome' parameter of {func} must be a str among "
                f"{list(models.AUDIT_OUTCOMES)}. Got {outcome!r} instead."
            )
        self._write(
            f"record the {action}",
            lambda conn: self._audit(
                conn, actor, action, detail or {}, role=role, face=face,
                patient_id=patient_id, outcome=outcome,
            ),
        )  # fmt: skip

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
        now = utcnow()
        conn.execute(
            models.history.insert(),
            [
                {
                    "changed_at": now,
                    "actor": actor,
                    "action": action,
                    "table_name": table,
                    "patient_id": (new or old or {})["patient_id"],
                    "key": key_of((new or old or {})[key_col]),
                    "old": to_json(old),
                    "new": to_json(new),
                    "reason": reason,
                }
                for old, new in rows
            ],
        )

    def history(self, actor: str, patient_id: str | None = None) -> pd.DataFrame:
        """Read the recorded changes, oldest first.

        Returns
        -------
        pandas.DataFrame
            ``changed_at`` (datetime64[ns], UTC), ``actor``, ``action``
            ("create"/"update"/"delete"), ``table``, ``patient_id``, ``key`` (ISO
            date, date-time or patient id), ``old`` and ``new`` (JSON objects of
            the record, NaN when none), ``reason`` (of a deletion, else NaN).
        """
        check_actor(actor, "Store.history")
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

    def audit_log(
        self,
        actor: str,
        *,
        username: str | None = None,
        patient_id: str | None = None,
        since: dt.datetime | dt.date | str | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> pd.DataFrame:
        """Audit rows, oldest first (or newest first), optionally filtered and paged.

        Parameters
        ----------
        actor : str
        username, patient_id : str, optional
            Only the rows of this user / about this patient ("*" for cohort rows).
        since : datetime, date or ISO text, optional
            Only rows at or after this UTC time.
        limit : int, optional
            At most this many rows (after ``offset`` rows are skipped).
        offset : int, default 0
        newest_first : bool, default False

        Returns
        -------
        pandas.DataFrame
            ``at`` (datetime64, UTC), ``username``, ``role``, ``face``, ``action``,
            ``patient_id`` (NaN when no patient is concerned), ``outcome`` ("ok",
            "denied", "failed") and ``detail`` (JSON object as text).
        """
        func = "Store.audit_log"
        check_actor(actor, func)
        a = models.audit_log
        stmt = sa.select(*(a.c[c] for c in AUDIT_COLUMNS))
        if username is not None:
            stmt = stmt.where(a.c.username == username)
        if patient_id is not None:
            stmt = stmt.where(a.c.patient_id == patient_id)
        if since is not None:
            stmt = stmt.where(a.c.at >= _utc_start(since, func))
        for name, value, low in (("limit", limit, 1), ("offset", offset, 0)):
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < low
            ):
                raise ValueError(
                    f"The '{name}' parameter of {func} must be an int >= {low}. "
                    f"Got {value!r} instead."
                )
        stmt = stmt.order_by(a.c.id.desc() if newest_first else a.c.id)
        if limit is not None:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        with self._reading("read the audit log") as conn:
            rows = conn.execute(stmt).all()
        frame = pd.DataFrame.from_records(rows, columns=AUDIT_COLUMNS)
        out = frame.astype({c: "str" for c in AUDIT_COLUMNS[1:] if c != "patient_id"})
        out["patient_id"] = frame["patient_id"].astype("str")
        out["at"] = pd.to_datetime(frame["at"]).astype(DATE_DTYPE)
        return out


def _utc_start(since: dt.datetime | dt.date | str, func: str) -> dt.datetime:
    """Read the ``since`` parameter of ``func`` as a naive UTC time; raise ValueError."""
    try:
        start = pd.Timestamp(since)
    except (TypeError, ValueError):
        start = pd.NaT
    if start is pd.NaT or pd.isna(start):
        raise ValueError(
            f"The 'since' parameter of {func} must be a date or date-time "
            f"('YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM'). Got {since!r} instead."
        )
    if start.tzinfo is not None:
        start = start.tz_convert("UTC").tz_localize(None)
    return start.to_pydatetime()
