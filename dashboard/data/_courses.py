"""Courses of treatment: read the clinic's current ones, change one patient's, through the service."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from analytics.access import User
from analytics.stats import course_triage
from dashboard import clock
from dashboard.data._access import forget_rows, service, user_key, visit_rows

__all__ = ["course_states", "course_history", "set_course_state", "triage_overview"]


def course_states(user: User, *, purpose: str) -> pd.DataFrame:
    """Return the current course of every patient in reach; one audited read per visit."""
    rows = visit_rows()
    key = ("courses", user_key(user), purpose)
    if key not in rows:
        rows[key] = service(user, purpose).course_states(purpose=purpose)
    frame: pd.DataFrame = rows[key]
    return frame.copy()


def course_history(user: User, patient_id: str, *, purpose: str) -> pd.DataFrame:
    """Return every change of one patient's course, oldest first; one audited read per visit."""
    rows = visit_rows()
    key = ("course history", user_key(user), patient_id)
    if key not in rows:
        rows[key] = service(user, purpose).course_history(patient_id)
    frame: pd.DataFrame = rows[key]
    return frame.copy()


def set_course_state(
    user: User,
    patient_id: str,
    state: str,
    *,
    effective_date: dt.date | None = None,
    reason: str | None = None,
    purpose: str,
) -> dict[str, Any]:
    """Start, pause or end a course (audited); the next read of the page sees it."""
    try:
        return service(user, purpose).set_course_state(
            patient_id, state, effective_date=effective_date, reason=reason, today=clock.today()
        )
    finally:
        forget_rows()


def triage_overview(
    user: User, table: pd.DataFrame, settings: Any, *, purpose: str
) -> pd.DataFrame:
    """Add each patient's course and triage signals to the overview table, in triage order.

    ``table`` is :func:`dashboard.data.overview_table`; the columns of
    :func:`analytics.stats.course_triage` are added (``not_logging`` replaced by
    the triage's, which leaves out a probably ended course), with
    ``course_since`` and ``course_end_reason``. The change from baseline the
    triage reads is the one the page shows (strict follow-up, else the most recent
    valid one).
    """
    if table.empty:
        return table
    courses = course_states(user, purpose=purpose)
    shown = table.assign(change=table["baseline_pain"] - table["shown_followup_pain"])
    triage = course_triage(
        shown, courses, as_of=clock.today(), quiet_weeks=settings.course_quiet_weeks
    )
    extra = courses.set_index("patient_id")[["course_since", "course_end_reason"]]
    merged = triage.merge(
        table.drop(columns=["not_logging"]), on="patient_id", how="left", validate="one_to_one"
    )
    return merged.join(extra, on="patient_id")
