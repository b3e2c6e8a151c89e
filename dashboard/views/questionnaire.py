"""Questionnaires: the patient answers the outcome questionnaires that are due, one short page each.

Phone-first: one questionnaire at a time, each item a column of large answer buttons,
one Save. The answers go through the service (checked against the instrument's
definition, audited); the next due questionnaire follows.
"""

from __future__ import annotations

import streamlit as st

from analytics.contract import INSTRUMENTS, Instrument
from analytics.errors import DataValidationError
from dashboard import clock, data, navigation
from dashboard.components import feedback

PAGE = "Questionnaires"
user = navigation.require_role("patient")
st.title("📋 Questionnaires")

# the patient id comes from the account, never from the page
pid = str(user.patient_id)
today = clock.today()


def ask(instrument: Instrument, time_point: str) -> None:
    """Draw one questionnaire as a form; save it when every item is answered."""
    st.subheader(instrument.name)
    st.caption(
        f"Asked at {time_point} · {len(instrument.items)} question{'s' if len(instrument.items) != 1 else ''}"
    )
    st.markdown(instrument.intro)
    with st.form(f"questionnaire.{instrument.id}", border=False):
        chosen = {}
        for item in instrument.items:
            if item.count:  # a number of days: typed, not picked from 29 buttons
                chosen[item.id] = st.number_input(
                    item.text,
                    min_value=min(item.values),
                    max_value=max(item.values),
                    value=None,
                    step=1,
                    key=f"questionnaire.{instrument.id}.{item.id}",
                )
                continue
            labels = {option.label: option.value for option in item.options}
            choice = st.radio(
                item.text,
                list(labels),
                index=None,
                horizontal=len(labels) > 7,
                key=f"questionnaire.{instrument.id}.{item.id}",
            )
            chosen[item.id] = None if choice is None else labels[choice]
        sent = st.form_submit_button("Save my answers", type="primary", width="stretch")
    if not sent:
        return
    missing = [item.text for item in instrument.items if chosen[item.id] is None]
    if missing:
        st.warning("Please answer every question: " + "; ".join(missing) + ".", icon="✍️")
        return
    try:
        data.save_questionnaire(
            user, pid, today, instrument.id, {k: int(v) for k, v in chosen.items() if v is not None},
            today=today, purpose=PAGE,
        )  # fmt: skip
    except DataValidationError as exc:
        feedback.show_error(exc)
        return
    feedback.flash("questionnaire", f"Thank you: your {instrument.short_name} answers are saved.")
    st.rerun()


feedback.show_flash("questionnaire")
due = data.questionnaires_due(user, pid, today=today, purpose=PAGE)
if due.empty:
    st.success(
        "No questionnaire is due today. Your clinic asks again after some sessions.", icon="👍"
    )
    st.page_link("views/log_today.py", label="Back to Log today", icon="📝", width="stretch")
else:
    if len(due) > 1:
        st.caption(f"{len(due)} questionnaires are due; one at a time.")
    first = due.iloc[0]
    ask(INSTRUMENTS[str(first["instrument"])], str(first["time_point"]))
