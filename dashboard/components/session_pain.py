"""The patient's pain just before and after their recent sessions: a short optional question."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from analytics.access import User
from analytics.errors import ConflictError, DataValidationError, NotFoundError, StoreError
from dashboard import data
from dashboard.components.entry_form import PAIN_SCALE_CSS, show_confirmation
from dashboard.components.feedback import flash, show_error

__all__ = ["ASK_DAYS", "open_sessions", "session_pain_question"]

#: Sessions of the last this many days are asked about (recall fades after a week).
ASK_DAYS = 7

_ITEMS = (
    ("pain_before", "Pain just before the session"),
    ("pain_after", "Pain just after the session"),
)


def open_sessions(sessions: pd.DataFrame, today: dt.date, *, days: int = ASK_DAYS) -> pd.DataFrame:
    """Return the sessions of the ``days`` days ending ``today`` that miss a pain score.

    Parameters
    ----------
    sessions : pandas.DataFrame
        One patient's canonical ``sessions`` frame (``date`` a date-time,
        ``pain_before``, ``pain_after``).
    today : datetime.date
    days : int, default 7
        Sessions dated from ``today - days`` to ``today`` are asked about.

    Returns
    -------
    pandas.DataFrame
        Those rows of ``sessions`` with ``pain_before`` or ``pain_after`` missing,
        oldest first; the input is untouched.
    """
    if sessions.empty:
        return sessions.iloc[0:0]
    day = pd.to_datetime(sessions["date"]).dt.normalize()
    first = pd.Timestamp(today) - pd.Timedelta(days=days)
    recent = (day >= first) & (day <= pd.Timestamp(today))
    missing = sessions["pain_before"].isna() | sessions["pain_after"].isna()
    return sessions[recent & missing].sort_values("date")


def _when(value: Any) -> str:
    t = pd.Timestamp(value)
    return f"{t:%A} {t.day} {t:%B} at {t:%H:%M}"


def session_pain_question(
    user: User, sessions: pd.DataFrame, today: dt.date, *, purpose: str
) -> None:
    """Ask for the missing pain just before and after each recent session (optional).

    One small form per session, with only the items it misses; its answer is saved
    through the service as the patient's (audited, kept in the history) and
    confirmed below its button. Nothing is drawn when no session misses a score.
    """
    show_confirmation("log.session")
    asked = open_sessions(sessions, today)
    if asked.empty:
        return
    st.html(PAIN_SCALE_CSS)
    for row in asked.itertuples(index=False):
        when = pd.Timestamp(row.date)
        key = f"log.session.{when:%Y%m%dT%H%M}"
        missing = [(f, text) for f, text in _ITEMS if pd.isna(getattr(row, f))]
        with st.form(key, border=True, enter_to_submit=False):
            st.markdown(f"**Your session on {_when(when)}** (optional)")
            answers = {}
            for field, text in missing:
                with st.container(key=f"scale-row-{key.replace('.', '-')}-{field}"):
                    answers[field] = st.pills(
                        f"{text} (0 = no pain, 10 = worst imaginable)",
                        list(range(11)),
                        key=f"{key}.{field}",
                    )
            sent = st.form_submit_button("Save session pain", width="stretch")
        if sent:
            _save(user, when, answers, purpose=purpose)


def _save(user: User, when: pd.Timestamp, answers: dict[str, Any], *, purpose: str) -> None:
    given = {k: int(v) for k, v in answers.items() if v is not None}
    if not given:
        st.error("Choose a number (0–10), or leave this question for later.", icon="⚠️")
        return
    try:
        data.answer_session_pain(user, when, purpose=purpose, **given)
    except (ConflictError, NotFoundError, StoreError, DataValidationError) as exc:
        show_error(exc)
        return
    words = {"pain_before": "before", "pain_after": "after"}
    saved = ", ".join(f"{words[k]} {v}/10" for k, v in given.items())
    flash("log.session", f"Saved your pain for the session on {_when(when)}: {saved}.")
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope="fragment")  # the question is drawn in Log today's fragment
    st.rerun()
