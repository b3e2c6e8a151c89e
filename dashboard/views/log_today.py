"""Log today: the patient's daily diary form (phone-friendly).

The form, its confirmation and the status below it are one fragment: a Save reruns
that part only. The day is chosen with "Today" / "Yesterday" or the date field, its weekday
written beside it. The chosen day's stored entry opens prefilled, so re-logging one item keeps
the others; items added to a logged day are saved at once, and saving over a stored value first
says which items change (old → new). Right below it, "Add an entry now" logs pain as it
happens (a flare or attack, its duration, a rescue medicine); two hours after a rescue
medicine the top of the page asks whether it helped. Further below: the pain just before and
after a recent session that has none (optional), where the patient stands today, and a daily
reminder for their calendar.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from dashboard import clock, data, navigation, session
from dashboard.components import (
    entry_form,
    entry_now,
    feedback,
    questionnaire_due,
    session_pain,
    status_card,
)
from dashboard.text import shown

PAGE = "Log today"
user = navigation.require_role("patient")
st.title("📝 Log today")

# the patient id comes from the account, never from the page, the URL or the session
pid = str(user.patient_id)
today = clock.today()


def _fragment_rerun() -> bool:
    ctx = get_script_run_ctx()
    return bool(ctx is not None and ctx.fragment_ids_this_run)


def _set_day(day: dt.date) -> None:
    st.session_state["log.date"] = day


def _day_field() -> dt.date:
    """Draw the day: "Today" / "Yesterday", the date field and its weekday; return the day."""
    first = today - dt.timedelta(days=data.BACKFILL_DAYS)
    chosen = st.session_state.get("log.date")
    if not isinstance(chosen, dt.date) or not first <= chosen <= today:
        st.session_state["log.date"] = today  # a new visit, or a visit that outlived midnight
    yesterday = today - dt.timedelta(days=1)
    with st.container(horizontal=True, vertical_alignment="bottom", key="log-day-row"):
        day: dt.date = st.date_input(
            "Day",
            min_value=first,
            max_value=today,
            format="YYYY-MM-DD",
            help=f"Today, or one of the last {data.BACKFILL_DAYS} days. Older days: see History.",
            key="log.date",
            width=150,
        )
        for label, value in (("Today", today), ("Yesterday", yesterday)):
            st.button(
                label,
                key=f"log.day.{label.lower()}",
                type="primary" if day == value else "secondary",
                on_click=_set_day,
                args=(value,),
            )
    st.markdown(f"**{day:%A} {day.day} {day:%B %Y}**")
    return day


@st.fragment
def diary_day() -> None:
    """Draw the diary of the day: who, the form and its confirmation, the status as of today.

    A fragment: choosing a day, a Save and its confirmation rerun this part only, never
    the page around it. After a save it reads the patient's rows again (the save forgot
    them) and the status below counts the new day.
    """
    if _fragment_rerun():
        # the router checked the session before the page's full run, not before this
        # part's own reruns: a signed-out, expired or disabled session goes back to it
        current = session.signed_in()
        if current is None or current.user_id != user.user_id:
            st.rerun()
    # ------------------------------------------------------------------ whose diary, streak
    # one compact line, so that on a phone the pain buttons are visible without scrolling
    view = data.patient_view(user, pid, purpose=PAGE)
    st.caption(
        f"Diary of patient **{shown(pid)}** · "
        f"{status_card.adherence_summary(view.diary, today=today)}",
        help="Not you? Sign out in the side panel (» at the top left).",
    )

    # ------------------------------------------------------------------ did it help?
    # asked at the top once two hours have passed since a rescue medicine
    now = clock.now()
    entry_now.rescue_question(user, pid, now=now, purpose=PAGE)

    # ------------------------------------------------------------------ the day and its entry
    # outside the form, so that choosing another day opens that day's stored entry
    day = _day_field()
    rows = view.diary[view.diary["date"] == pd.Timestamp(day)]
    stored = feedback.as_record(rows) if len(rows) else None
    if stored:
        st.caption(
            f"This day is logged: {status_card.describe_entry(stored)}. "
            "Change what you need; everything else stays."
        )

    entry_form.entry_editor(user, pid, day, stored, prefix="log", purpose=PAGE)

    # ------------------------------------------------------------------ an entry now
    # a flare, an attack or pain right now, with its time: right below the daily form
    entry_now.entry_now(user, pid, now=now, purpose=PAGE)

    # ------------------------------------------------------------------ recent sessions
    # from the rows already read for this visit: no query of its own
    session_pain.session_pain_question(user, view.sessions, today, purpose=PAGE)

    # ------------------------------------------------------------------ status as of today
    # drawn after the form: a save's confirmation shows before the status is worked out,
    # and the status of unchanged rows comes from the cache (keyed on their version)
    cfg = data.status_settings(data.clinic_settings(user), today)
    if not view.diary.empty:
        summary = data.patient_summary(user, pid, cfg, purpose=PAGE)
        status_card.status_card(
            data.outcome_row(summary), view.diary["date"], today=today, settings=cfg
        )


diary_day()
questionnaire_due.questionnaire_due(user, pid, today=today, purpose=PAGE)

# ------------------------------------------------------------------ reminder
with st.expander("⏰ Daily reminder in your calendar"):
    from analytics.io import ICS_FILE_NAME, ICS_MEDIA_TYPE, reminder_calendar

    at = st.time_input("Remind me every day at", value=dt.time(20, 0), key="log.reminder_time")
    url = st.context.url or "http://localhost:8501"
    # the link opens this page; a query string (e.g. a share token) is never copied
    link = url.split("?")[0].rstrip("/")
    st.download_button(
        "Download the reminder (.ics)",
        reminder_calendar(time=at, url=link, uid_seed=pid, start=today).encode("utf-8"),
        file_name=ICS_FILE_NAME,
        mime=ICS_MEDIA_TYPE,
        key="log.reminder",
        icon="📅",
        width="stretch",
    )
    st.caption(
        "Open the file on your phone or computer: your calendar then reminds you every day "
        f"at {at:%H:%M}, with a link to {shown(link)}. Nothing is sent anywhere."
    )
