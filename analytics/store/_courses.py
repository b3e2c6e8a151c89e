"""Each patient's course of treatment: active, paused or ended, with its history.

One ``course_states`` row per change (who, when, the day it took effect and, for an
ended course, why); the latest row is the current state, and a patient without a
row is on an active course. The day and reason of an ended course are also kept in
``patients.course_end`` / ``course_end_reason``, the columns of the CSV contract, so
an export carries them and an import can end courses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa

from analytics.contract.schema import COURSE_END_REASONS, DATE_DTYPE
from analytics.errors import DataValidationError, NotFoundError
from analytics.store import _models as models
from analytics.store._queries import Queries
from analytics.store._values import check_actor, utcnow

__all__ = [
    "COURSE_COLUMNS",
    "COURSE_HISTORY_COLUMNS",
    "Courses",
    "check_course_change",
    "record_imported_course_ends",
]

#: Columns of :meth:`Courses.course_states`.
COURSE_COLUMNS = (
    "patient_id",
    "course_state",
    "course_since",
    "course_end_reason",
    "course_set_by",
    "course_set_at",
    "last_session",
)
#: Columns of :meth:`Courses.course_history`.
COURSE_HISTORY_COLUMNS = ("patient_id", "state", "effective_date", "reason", "set_by", "set_at")


def check_course_change(
    state: Any, effective_date: Any, reason: Any, *, today: dt.date
) -> tuple[str, dt.date, str | None]:
    """Check a change of course and return it as (state, day, reason).

    Parameters
    ----------
    state : {"active", "paused", "ended"}
    effective_date : date-like or None
        The day the state began; default ``today``. Never after ``today``.
    reason : {"completed", "discharged", "dropped_out", "moved"} or None
        Why an ended course ended (default "completed"); must be empty otherwise.
    today : datetime.date

    Returns
    -------
    tuple
        ``(state, effective_date as datetime.date, reason or None)``.

    Raises
    ------
    DataValidationError
        A value is not allowed; the message says which and how to fix it.
    """
    if state not in models.COURSE_STATES:
        raise DataValidationError(
            f"{state!r} is not a state of a course; choose one of "
            f"{', '.join(models.COURSE_STATES)}."
        )
    if effective_date is None or (isinstance(effective_date, str) and not effective_date.strip()):
        day = today
    else:
        day = _as_day(effective_date, today)
    if day > today:
        raise DataValidationError(
            f"{day:%Y-%m-%d} is after today ({today:%Y-%m-%d}); a course cannot change state in "
            "the future."
        )
    if state == "ended":
        reason = "completed" if reason is None or reason == "" else reason
        if reason not in COURSE_END_REASONS:
            raise DataValidationError(
                f"{reason!r} is not a reason a course ends; choose one of "
                f"{', '.join(COURSE_END_REASONS)}."
            )
    elif reason not in (None, ""):
        raise DataValidationError(
            f"A reason is given only when a course ends; a course that is {state} has none "
            f"(got {reason!r})."
        )
    else:
        reason = None
    return str(state), day, reason


def _as_day(value: Any, today: dt.date) -> dt.date:
    """Read a day: a date, a timestamp, or text written YYYY-MM-DD (never 01/03/2026)."""
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    elif isinstance(value, dt.date | pd.Timestamp) and not pd.isna(value):
        return pd.Timestamp(value).date()
    raise DataValidationError(
        f"{value!r} is not a date; write it as YYYY-MM-DD (e.g. {today:%Y-%m-%d})."
    )


def _latest_rows() -> sa.Select:
    """Select the latest ``course_states`` row of each patient."""
    c = models.course_states
    latest = sa.select(sa.func.max(c.c.id)).group_by(c.c.patient_id)
    return sa.select(c).where(c.c.id.in_(latest))


def _current(conn: sa.Connection, patient_ids: Sequence[str]) -> dict[str, Any]:
    """Return the latest course row of each of ``patient_ids`` that has one."""
    c = models.course_states
    stmt = _latest_rows().where(c.c.patient_id.in_(list(patient_ids)))
    return {row.patient_id: row for row in conn.execute(stmt)}


def _write_state(
    conn: sa.Connection,
    actor: str,
    rows: Sequence[tuple[str, str, dt.date, str | None]],
) -> None:
    """Insert course rows ``(patient_id, state, day, reason)``; mirror the end into patients."""
    if not rows:
        return
    now = utcnow()
    conn.execute(
        models.course_states.insert(),
        [
            {
                "patient_id": pid,
                "state": state,
                "effective_date": day,
                "reason": reason,
                "set_at": now,
                "set_by": actor,
            }
            for pid, state, day, reason in rows
        ],
    )
    p = models.patients
    stmt = (
        p.update()
        .where(p.c.patient_id == sa.bindparam("k_patient_id"))
        .values(course_end=sa.bindparam("end"), course_end_reason=sa.bindparam("why"))
    )
    conn.execute(
        stmt,
        [
            {
                "k_patient_id": pid,
                "end": day if state == "ended" else None,
                "why": reason if state == "ended" else None,
            }
            for pid, state, day, reason in rows
        ],
    )


def record_imported_course_ends(conn: sa.Connection, actor: str, patients: pd.DataFrame) -> int:
    """Record the course ends an import brings, in the import's transaction.

    A written patient row with a ``course_end`` ends the patient's course on that
    day (reason ``course_end_reason``, else "completed") unless it is already
    ended on that day for that reason; a row whose ``course_end`` is empty
    re-opens a course an earlier import or a clinician ended (an import with
    ``--update`` changed it). Returns the number of courses changed.
    """
    if not len(patients):
        return 0
    ids = patients["patient_id"].astype("str").tolist()
    # every current course (one row per patient who ever had a change): no list of
    # ids in the query, which a clinic-sized import would push past SQLite's limits
    current = {row.patient_id: row for row in conn.execute(_latest_rows())}
    ends = patients["course_end"]
    reasons = patients["course_end_reason"]
    rows: list[tuple[str, str, dt.date, str | None]] = []
    for pid, end, why in zip(ids, ends, reasons, strict=True):
        now = current.get(pid)
        if pd.isna(end):
            if now is not None and now.state == "ended":
                rows.append((pid, "active", dt.date.today(), None))
            continue
        day = pd.Timestamp(end).date()
        reason = "completed" if pd.isna(why) or why == "" else str(why)
        if now is None or (now.state, now.effective_date, now.reason) != ("ended", day, reason):
            rows.append((pid, "ended", day, reason))
    _write_state(conn, actor, rows)
    return len(rows)


class Courses(Queries):
    """Courses of treatment: set one patient's, read the current ones and a history."""

    def set_course_state(
        self,
        actor: str,
        patient_id: str,
        state: str,
        *,
        effective_date: Any = None,
        reason: str | None = None,
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """Start, pause or end a patient's course (one ``course_states`` row).

        Parameters
        ----------
        actor : str
        patient_id : str
        state : {"active", "paused", "ended"}
        effective_date : date-like, optional
            The day it took effect; default today; never after today.
        reason : {"completed", "discharged", "dropped_out", "moved"}, optional
            Why an ended course ended (default "completed"); only with "ended".
        today : datetime.date, optional
            The clinic's today (default the machine's date).

        Returns
        -------
        dict
            ``patient_id``, ``state``, ``effective_date`` (datetime.date),
            ``reason`` (str or None), ``previous`` (the state before) and
            ``changed`` (False when the course was already in that state, from
            that day, for that reason: nothing is written).

        Raises
        ------
        DataValidationError
            A value is not allowed (nothing is written).
        NotFoundError
            No such patient.
        """
        func = "Store.set_course_state"
        check_actor(actor, func)
        today = today or dt.date.today()
        state, day, reason = check_course_change(state, effective_date, reason, today=today)

        def work(conn: sa.Connection) -> dict[str, Any]:
            p = models.patients
            found = conn.execute(sa.select(p.c.patient_id).where(p.c.patient_id == patient_id))
            if found.first() is None:
                raise NotFoundError(f"No patient {patient_id!r}.")
            now = _current(conn, [patient_id]).get(patient_id)
            previous = "active" if now is None else str(now.state)
            same = now is not None and (now.state, now.effective_date, now.reason) == (
                state,
                day,
                reason,
            )
            if not same and not (now is None and state == "active"):
                _write_state(conn, actor, [(patient_id, state, day, reason)])
            changed = not same and not (now is None and state == "active")
            return {
                "patient_id": patient_id,
                "state": state,
                "effective_date": day,
                "reason": reason,
                "previous": previous,
                "changed": changed,
            }

        return self._write(f"set the course of patient {patient_id!r}", work)

    def course_states(
        self,
        actor: str,
        *,
        clinician_user_id: int | None = None,
        patient_ids: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """Return the current course of every patient in the scope (restricted in SQL).

        Returns
        -------
        pandas.DataFrame
            One row per patient, sorted by ``patient_id``:

            - ``course_state`` (str): "active", "paused" or "ended" (a patient
              whose course was never set is active);
            - ``course_since`` (datetime64): the day the state began (NaT when never set);
            - ``course_end_reason`` (str): why an ended course ended, "" otherwise;
            - ``course_set_by`` (str) and ``course_set_at`` (datetime64, UTC): who
              set it and when ("" / NaT when never set);
            - ``last_session`` (datetime64): the patient's latest session (NaT without one).
        """
        check_actor(actor, "Store.course_states")
        ids = self._scoped(
            sa.select(models.patients.c.patient_id), "patients", clinician_user_id, patient_ids
        )
        latest = _latest_rows().subquery()
        s = models.sessions
        last = (
            sa.select(s.c.patient_id, sa.func.max(s.c.date).label("last_session"))
            .group_by(s.c.patient_id)
            .subquery()
        )
        stmt = ids.subquery()
        joined = sa.select(
            stmt.c.patient_id,
            latest.c.state,
            latest.c.effective_date,
            latest.c.reason,
            latest.c.set_by,
            latest.c.set_at,
            last.c.last_session,
        ).select_from(
            stmt.outerjoin(latest, latest.c.patient_id == stmt.c.patient_id).outerjoin(
                last, last.c.patient_id == stmt.c.patient_id
            )
        )
        with self._reading("read the courses of treatment") as conn:
            rows = conn.execute(joined.order_by(stmt.c.patient_id)).fetchall()
        frame = pd.DataFrame(rows, columns=list(COURSE_COLUMNS))
        frame["patient_id"] = frame["patient_id"].astype("str")
        frame["course_state"] = frame["course_state"].fillna("active").astype("str")
        frame["course_since"] = pd.to_datetime(frame["course_since"]).astype(DATE_DTYPE)
        frame["course_end_reason"] = frame["course_end_reason"].fillna("").astype("str")
        frame["course_set_by"] = frame["course_set_by"].fillna("").astype("str")
        frame["course_set_at"] = pd.to_datetime(frame["course_set_at"]).astype(DATE_DTYPE)
        frame["last_session"] = pd.to_datetime(frame["last_session"]).astype(DATE_DTYPE)
        return frame.sort_values("patient_id", kind="stable").reset_index(drop=True)

    def course_history(self, actor: str, patient_id: str) -> pd.DataFrame:
        """Return every change of one patient's course, oldest first.

        Returns
        -------
        pandas.DataFrame
            Columns :data:`COURSE_HISTORY_COLUMNS`: ``state`` (str),
            ``effective_date`` (datetime64), ``reason`` ("" unless ended),
            ``set_by`` (str), ``set_at`` (datetime64, UTC).
        """
        check_actor(actor, "Store.course_history")
        c = models.course_states
        stmt = (
            sa.select(*(c.c[name] for name in COURSE_HISTORY_COLUMNS))
            .where(c.c.patient_id == patient_id)
            .order_by(c.c.id)
        )
        with self._reading("read the history of a course") as conn:
            rows = conn.execute(stmt).fetchall()
        frame = pd.DataFrame(rows, columns=list(COURSE_HISTORY_COLUMNS))
        frame["patient_id"] = frame["patient_id"].astype("str")
        frame["state"] = frame["state"].astype("str")
        frame["effective_date"] = pd.to_datetime(frame["effective_date"]).astype(DATE_DTYPE)
        frame["reason"] = frame["reason"].fillna("").astype("str")
        frame["set_by"] = frame["set_by"].astype("str")
        frame["set_at"] = pd.to_datetime(frame["set_at"]).astype(DATE_DTYPE)
        return frame
