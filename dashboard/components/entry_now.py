"""Add an entry now: pain as it happens, a flare or attack, a rescue medicine; and "Did it help?".

On Log today, below the daily form: a short form that takes seconds on a phone (the 0-10
buttons of the daily form, 44 px tall; "It is a flare or attack"; how long it lasted; the
medicine taken for it; the time, now unless changed). Two hours after a rescue medicine,
the next visit to Log today asks whether it helped (yes / a little / no, buttons 44 px
tall); the answer is stored with who gave it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from analytics.access import User
from analytics.contract import OPIOIDS
from analytics.errors import ConflictError, DataValidationError, NotFoundError, StoreError
from dashboard import data
from dashboard.components.entry_form import (
    OTHER_MEDICINES,
    PAIN_SCALE_CSS,
    TOUCH_PX,
    show_confirmation,
)
from dashboard.components.feedback import flash, show_error
from dashboard.labels import RESCUE_ANSWER_LABELS
from dashboard.text import shown

__all__ = ["entry_now", "rescue_question", "entry_record", "describe_entry_now"]

_KEY = "log.now"
_ERRORS = (ConflictError, DataValidationError, NotFoundError, StoreError)

#: Buttons and toggles of this part at least a fingertip tall.
_CSS = f"""
<style>
.st-key-log-now button, .st-key-log-now summary,
[class*="st-key-rescue-"] button {{ min-height: {TOUCH_PX}px; }}
.st-key-log-now [data-testid="stCheckbox"] label {{ min-height: {TOUCH_PX}px; align-items: center; }}
</style>
"""


def entry_record(
    *,
    day: dt.date,
    at: dt.time,
    pain: int | None,
    flare: bool,
    duration: float | None,
    unit: str,
    medicine: str | None,
) -> dict[str, Any]:
    """Return the entry a filled-in form stands for (``duration`` in ``unit``: minutes or hours).

    Examples
    --------
    >>> entry_record(day=dt.date(2026, 3, 1), at=dt.time(14, 30), pain=7, flare=True,
    ...              duration=1.5, unit="hours", medicine="ibuprofen")["duration_minutes"]
    90
    """
    minutes = None
    if duration is not None:
        minutes = round(float(duration) * (60 if unit == "hours" else 1))
    return {
        "date": day,
        "time": f"{at:%H:%M}",
        "pain": pain,
        "flare": "yes" if flare else "no",
        "duration_minutes": minutes,
        "rescue_medication": medicine or None,
    }


def describe_entry_now(record: dict[str, Any]) -> str:
    """Say what was saved, and when "Did it help?" will be asked."""
    words = f"pain {record['pain']}/10 at {record['time']}"
    if record["flare"] == "yes":
        minutes = record.get("duration_minutes")
        words += ", a flare" + (f" of {_duration(minutes)}" if minutes else "")
    medicine = record.get("rescue_medication")
    if medicine:
        ask = (dt.datetime.combine(record["date"], dt.time.fromisoformat(record["time"]))
               + dt.timedelta(hours=2))  # fmt: skip
        words += f", {shown(medicine)} taken — we will ask at {ask:%H:%M} whether it helped"
    return f"Saved: {words}."


def _duration(minutes: int) -> str:
    hours, rest = divmod(int(minutes), 60)
    if not hours:
        return f"{rest} minutes"
    return f"{hours} h" + (f" {rest} min" if rest else "")


def _rerun() -> None:
    ctx = get_script_run_ctx()
    if ctx is not None and ctx.fragment_ids_this_run:
        st.rerun(scope="fragment")
    st.rerun()


def rescue_question(user: User, patient_id: str, *, now: dt.datetime, purpose: str) -> None:
    """Ask "Did it help?" about each rescue medicine taken two hours ago or more, unanswered."""
    show_confirmation("log.rescue")
    due = data.rescue_questions(user, patient_id, now=now, purpose=purpose)
    if due.empty:
        return
    st.html(_CSS)
    for row in due.itertuples(index=False):
        day = pd.Timestamp(row.date).date()
        when = "today" if day == now.date() else f"on {day:%A %d %B}"
        key = f"rescue-{day.isoformat()}-{str(row.time).replace(':', '')}"
        with st.container(key=key, border=True):
            st.markdown(
                f"**Did {shown(row.rescue_medication)} help?** (taken {when} at {row.time})"
            )
            with st.container(horizontal=True):
                for code, label in RESCUE_ANSWER_LABELS.items():
                    if st.button(label, key=f"{key}-{code}", width="stretch"):
                        _answer(user, patient_id, day, str(row.time), code, purpose=purpose)


def _answer(
    user: User, patient_id: str, day: dt.date, time: str, code: str, *, purpose: str
) -> None:
    try:
        data.answer_rescue(user, patient_id, day, time, code, purpose=purpose)
    except _ERRORS as exc:
        show_error(exc)
        return
    flash("log.rescue", f"Thank you: noted “{RESCUE_ANSWER_LABELS[code].lower()}”.")
    _rerun()


def entry_now(user: User, patient_id: str, *, now: dt.datetime, purpose: str) -> None:
    """Draw "Add an entry now" and save what it is given (audited, kept in the history)."""
    show_confirmation(_KEY)
    st.html(PAIN_SCALE_CSS + _CSS)
    with (
        st.container(key="log-now"),
        st.expander("➕ Add an entry now (a flare, an attack, pain right now)"),
        st.form("log-now-form", border=False, enter_to_submit=False),
    ):
        with st.container(key="scale-row-log-now-pain"):
            pain = st.pills(
                "Pain right now (0 = no pain, 10 = worst imaginable)",
                list(range(11)),
                key=f"{_KEY}.pain",
            )
        flare = st.checkbox("It is a flare or attack", key=f"{_KEY}.flare")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            duration = st.number_input(
                "How long it lasted (optional)",
                min_value=0.0,
                max_value=10080.0,
                value=None,
                step=5.0,
                key=f"{_KEY}.duration",
            )
            unit = st.segmented_control(
                "Unit", ["minutes", "hours"], default="minutes", key=f"{_KEY}.unit"
            )
        medicine = st.selectbox(
            "Medicine taken for it (optional)",
            [*OTHER_MEDICINES, *OPIOIDS],
            index=None,
            accept_new_options=True,
            placeholder="Choose or type a medicine",
            key=f"{_KEY}.medicine",
        )
        at = st.time_input("Time", value=now.time(), step=300, key=f"{_KEY}.time")
        sent = st.form_submit_button("Save entry", type="primary", width="stretch")
    if sent:
        _save(user, patient_id, now=now, purpose=purpose, pain=pain, flare=flare,
              duration=duration, unit=unit, medicine=medicine, at=at)  # fmt: skip


def _save(user: User, patient_id: str, *, now: dt.datetime, purpose: str, **form: Any) -> None:
    if form["pain"] is None:
        st.error("Choose your pain right now (0–10).", icon="⚠️")
        return
    if form["duration"] and not form["flare"]:
        st.error(
            "A duration is kept for a flare or attack: tick it, or clear the duration.", icon="⚠️"
        )
        return
    if form["at"] > now.time():
        st.error("That time has not come yet today: choose the time it happened.", icon="⚠️")
        return
    record = entry_record(
        day=now.date(), at=form["at"], pain=int(form["pain"]), flare=bool(form["flare"]),
        duration=form["duration"] or None, unit=form["unit"] or "minutes", medicine=form["medicine"],
    )  # fmt: skip
    try:
        data.add_entry(user, patient_id, record, today=now.date(), purpose=purpose)
    except _ERRORS as exc:
        show_error(exc)
        return
    flash(_KEY, describe_entry_now(record))
    for field in ("pain", "flare", "duration", "medicine"):
        st.session_state.pop(f"{_KEY}.{field}", None)
    _rerun()
