"""The course of treatment on the patient chart: its state, and pause, end and restart.

A course is active, paused or ended (with its day and reason). An active course
with no session for ``AnalysisSettings.course_quiet_weeks`` weeks is shown as
"probably ended — confirm", with one button that ends it on the day of the last
session. Every change goes through the service (clinicians for their patients,
administrators for everyone) and is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from analytics.access import User
from analytics.contract.schema import COURSE_END_REASONS
from analytics.errors import AccessDeniedError, DataValidationError, NotFoundError
from analytics.presentation import COURSE_END_REASON_LABELS, PROBABLY_ENDED, course_text
from dashboard import clock, data
from dashboard.components import feedback, table_download

__all__ = ["show", "weeks_without_session"]

_PAGE = "course"
_ERRORS = (AccessDeniedError, DataValidationError, NotFoundError, ValueError)


def weeks_without_session(sessions: pd.DataFrame, today: dt.date) -> float | None:
    """Whole weeks from the last session to ``today``; None without a session."""
    if sessions.empty:
        return None
    last = pd.Timestamp(sessions["date"].max()).normalize()
    return float((pd.Timestamp(today) - last).days // 7)


def _change(user: User, pid: str, state: str, purpose: str, **kwargs: Any) -> None:
    """Set the course (a button's callback): a message after the rerun, or the error."""
    try:
        result = data.set_course_state(user, pid, state, purpose=purpose, **kwargs)
    except _ERRORS as exc:
        st.session_state[f"{_PAGE}.error"] = exc
        return
    words = course_text(result["state"], result["effective_date"], result["reason"] or "")
    feedback.flash(_PAGE, f"The course of {pid} is now {words}.")


def _end_form(user: User, pid: str, purpose: str) -> None:
    with st.form(f"course.end_form.{pid}", border=False):
        c1, c2 = st.columns(2)
        day = c1.date_input(
            "Last day of the course", value=clock.today(), max_value=clock.today(),
            key=f"course.end_date.{pid}", format="DD/MM/YYYY",
        )  # fmt: skip
        reason = c2.selectbox(
            "Reason",
            COURSE_END_REASONS,
            format_func=COURSE_END_REASON_LABELS.__getitem__,
            key=f"course.reason.{pid}",
        )
        if st.form_submit_button("End the course"):
            _change(user, pid, "ended", purpose, effective_date=day, reason=reason)
            st.rerun()


def show(user: User, pid: str, settings: Any, sessions: pd.DataFrame, *, purpose: str) -> None:
    """Show the patient's course with its controls (clinicians and admins).

    Parameters
    ----------
    user : analytics.access.User
    pid : str
        The patient.
    settings : analytics.settings.AnalysisSettings
        ``course_quiet_weeks`` decides "probably ended".
    sessions : pandas.DataFrame
        The patient's sessions (the last one dates "probably ended").
    purpose : str
        The page, recorded in the audit log.
    """
    history = data.course_history(user, pid, purpose=purpose)
    now = history.iloc[-1] if len(history) else None
    state = "active" if now is None else str(now["state"])
    since = None if now is None else now["effective_date"]
    reason = "" if now is None else str(now["reason"])
    with st.container(border=True, key="course.panel"):
        st.markdown(f"**Course of treatment:** {course_text(state, since, reason)}")
        feedback.show_flash(_PAGE)
        error = st.session_state.pop(f"{_PAGE}.error", None)
        if error is not None:
            feedback.show_error(error)
        weeks = weeks_without_session(sessions, clock.today())
        if state == "active" and weeks is not None and weeks >= settings.course_quiet_weeks:
            last = pd.Timestamp(sessions["date"].max()).date()
            st.warning(
                f"{PROBABLY_ENDED.capitalize()}: no session for {int(weeks)} weeks (the last "
                f"on {last:%d %b %Y}).",
                icon="⏹️",
            )
            st.button(
                f"Confirm: the course ended on {last:%d %b %Y}, completed",
                key="course.confirm",
                on_click=_change,
                args=(user, pid, "ended", purpose),
                kwargs={"effective_date": last, "reason": "completed"},
            )
        row = st.container(horizontal=True, gap="small")
        if state == "active":
            row.button("Pause the course", key="course.pause", on_click=_change,
                       args=(user, pid, "paused", purpose))  # fmt: skip
        else:
            row.button("Restart the course", key="course.restart", on_click=_change,
                       args=(user, pid, "active", purpose))  # fmt: skip
        if state != "ended":
            with st.expander("End the course"):
                _end_form(user, pid, purpose)
        if len(history):
            with st.expander("Changes of the course"):
                table_download.data_table(
                    pd.DataFrame(
                        {
                            "course": [
                                course_text(s, d, r)
                                for s, d, r in zip(
                                    history["state"],
                                    history["effective_date"],
                                    history["reason"],
                                    strict=True,
                                )
                            ],
                            "set_by": history["set_by"],
                            "set_at": history["set_at"],
                        }
                    ),
                    what=f"course changes of {pid}",
                    patient_id=pid,
                    key="course.history",
                    purpose=purpose,
                    column_config={
                        "course": st.column_config.TextColumn("Course"),
                        "set_by": st.column_config.TextColumn("Set by"),
                        "set_at": st.column_config.DatetimeColumn(
                            "When (UTC)", format="D MMM YYYY, HH:mm"
                        ),
                    },
                )
