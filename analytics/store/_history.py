"""History of record changes and the audit log: append-only bookkeeping."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
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
AUDIT_COLUMNS = [
    "at",
    "username",
    "role",
    "face",
    "action",
    "patient_id",
    "outcome",
    "n_times",
    "last_at",
    "detail",
]
_TEXT_COLUMNS = ["username", "role", "face", "action", "outcome", "detail"]


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
        merge_within: dt.timedelta | None = None,
    ) -> None:
        """Append one row to the audit log (its own transaction), or count a repeat.

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
        merge_within : timedelta, optional
            Count a repeat instead of adding a row: when the newest row of the same
            username, action, patient, outcome and detail began less than this long
            ago, its ``n_times`` goes up by one and its ``last_at`` becomes now (a
            refused share link opened again and again is one row, not hundreds).
        """
        func = "Store.record_audit"
        check_actor(actor, func)
        check_text(action, "action", func)
        if outcome not in models.AUDIT_OUTCOMES:
            raise ValueError(
                f"The 'outcome' parameter of {func} must be a str among "
                f"{list(models.AUDIT_OUTCOMES)}. Got {outcome!r} instead."
            )

        def work(conn: sa.Connection) -> None:
            if merge_within is not None and self._count_repeat(
                conn, actor, action, detail or {}, patient_id, outcome, merge_within
            ):
                return
            self._audit(
                conn, actor, action, detail or {}, role=role, face=face,
                patient_id=patient_id, outcome=outcome,
            )  # fmt: skip

        self._write(f"record the {action}", work)

    def _count_repeat(
        self,
        conn: sa.Connection,
        actor: str,
        action: str,
        detail: Mapping[str, Any],
        patient_id: str | None,
        outcome: str,
        within: dt.timedelta,
    ) -> bool:
        """Count a repeat on the newest identical row begun within ``within``; tell if there was one.

        The audit row itself is never changed (the log is append-only): the count and
        the latest time live in ``audit_repeats``.
        """
        a, r = models.audit_log, models.audit_repeats
        now = utcnow()
        found = conn.execute(
            sa.select(a.c.id)
            .where(
                a.c.username == actor,
                a.c.action == action,
                a.c.outcome == outcome,
                a.c.at >= now - within,
                a.c.detail == json.dumps(dict(detail), ensure_ascii=False, default=str),
                a.c.patient_id.is_(None) if patient_id is None else a.c.patient_id == patient_id,
            )
            .order_by(a.c.id.desc())
            .limit(1)
        ).scalar_one_or_none()
        if found is None:
            return False
        counted = conn.execute(
            r.update().where(r.c.audit_id == found).values(n_times=r.c.n_times + 1, last_at=now)
        )
        if not counted.rowcount:
            conn.execute(r.insert(), {"audit_id": found, "n_times": 2, "last_at": now})
        return True

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
        action: str | None = None,
        outcomes: Sequence[str] | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> pd.DataFrame:
        """Audit rows, oldest first (or newest first), optionally filtered and paged.

        Every filter is a condition of the SQL query: only the rows asked for are read.

        Parameters
        ----------
        actor : str
        username, patient_id : str, optional
            Only the rows of this user / about this patient ("*" for cohort rows).
        action : str, optional
            Only the rows of this action ("view", "export", "share_use", ...).
        outcomes : sequence of {"ok", "denied", "failed"}, optional
            Only the rows with one of these outcomes.
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
            "denied", "failed"), ``n_times`` (int: how many times it happened, 1
            unless repeats were counted on the row), ``last_at`` (datetime64, UTC,
            the latest repeat; NaT for one) and ``detail`` (JSON object as text).
        """
        func = "Store.audit_log"
        check_actor(actor, func)
        a, r = models.audit_log, models.audit_repeats
        columns = {
            **{c: a.c[c] for c in AUDIT_COLUMNS if c in a.c},
            "n_times": sa.func.coalesce(r.c.n_times, 1),
            "last_at": r.c.last_at,
        }
        stmt = (
            sa.select(*(columns[c] for c in AUDIT_COLUMNS))
            .select_from(a.outerjoin(r, r.c.audit_id == a.c.id))
            .where(*_audit_conditions(username, patient_id, since, action, outcomes, func))
        )
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
        out = frame.astype({c: "str" for c in _TEXT_COLUMNS})
        out["patient_id"] = frame["patient_id"].astype("str")
        out["n_times"] = frame["n_times"].astype("int64")
        for c in ("at", "last_at"):
            out[c] = pd.to_datetime(frame[c]).astype(DATE_DTYPE)
        return out


def _audit_conditions(
    username: str | None,
    patient_id: str | None,
    since: dt.datetime | dt.date | str | None,
    action: str | None,
    outcomes: Sequence[str] | None,
    func: str,
) -> list[sa.ColumnElement[bool]]:
    """Return the SQL conditions of the audit log's filters; raise ValueError on a bad one."""
    a = models.audit_log
    where: list[sa.ColumnElement[bool]] = []
    if username is not None:
        where.append(a.c.username == username)
    if patient_id is not None:
        where.append(a.c.patient_id == patient_id)
    if since is not None:
        where.append(a.c.at >= _utc_start(since, func))
    if action is not None:
        where.append(a.c.action == action)
    if outcomes is not None:
        wrong = [o for o in outcomes if o not in models.AUDIT_OUTCOMES]
        if wrong or isinstance(outcomes, str):
            raise ValueError(
                f"The 'outcomes' parameter of {func} must be a sequence of "
                f"{list(models.AUDIT_OUTCOMES)}. Got {outcomes!r} instead."
            )
        where.append(a.c.outcome.in_(list(outcomes)))
    return where


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
