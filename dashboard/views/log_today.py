"""Log today: the patient's daily diary form (phone-friendly)."""

from __future__ import annotations

import datetime as dt

import streamlit as st

from analytics.errors import ConflictError, DataValidationError, StoreError
from dashboard import data, state, widgets

PAGE = "Log today"
user = state.require_role("patient")
st.title("📝 Log today")

# the patient id comes from the account, never from the page, the URL or the session
pid = str(user.patient_id)
today = dt.date.today()
SCALE = list(range(11))

# ------------------------------------------------------------------ whose diary, streak, adherence
# one compact line, so that on a phone the pain buttons are visible without scrolling
view = data.patient_view(user, pid, purpose=PAGE)
st.caption(
    f"Diary of patient **{widgets.escape_md(pid)}** · "
    f"{widgets.adherence_summary(view.diary, today=today)}",
    help="Not you? Sign out in the menu (☰ at the top left on a phone).",
)

widgets.show_flash("log")

# ------------------------------------------------------------------ pending replace question
pending = st.session_state.get("log.pending")
if pending is not None:
    entry, existing = pending
    st.warning(
        f"You already logged **{entry['date']:%A %d %B}**: "
        f"{widgets.describe_entry(existing)}. Replace it with "
        f"{widgets.describe_entry(entry)}? The old values are kept in the history."
    )
    c1, c2 = st.columns(2)
    if c1.button("Replace", type="primary", key="log.replace"):
        try:
            data.save_diary_entry(user, entry, replace=True, purpose=PAGE)
        except (StoreError, DataValidationError) as exc:
            widgets.show_error(exc)
        else:
            st.session_state.pop("log.pending", None)
            widgets.flash("log", f"Replaced your entry for {entry['date']:%A %d %B}.")
            st.rerun()
    if c2.button("Keep the stored entry", key="log.keep"):
        st.session_state.pop("log.pending", None)
        st.rerun()

# ------------------------------------------------------------------ the form
with st.form("log.form", clear_on_submit=True, border=True):
    day = st.date_input(
        "Day",
        value=today,
        min_value=today - dt.timedelta(days=7),
        max_value=today,
        format="YYYY-MM-DD",
        help="Today, or one of the last 7 days.",
        key="log.date",
    )
    pain = st.pills(
        "Average pain over the past 24 hours (0 = no pain, 10 = worst imaginable)",
        SCALE,
        key="log.pain",
    )
    with st.expander("More about today (optional)"):
        worst = st.pills("Worst pain in the past 24 hours", SCALE, key="log.worst_pain")
        enjoy = st.pills(
            "How much did pain interfere with your enjoyment of life? (0 = not at all)",
            SCALE,
            key="log.enjoyment_interference",
        )
        activity = st.pills(
            "How much did pain interfere with your general activity? (0 = not at all)",
            SCALE,
            key="log.activity_interference",
        )
        sleep = st.pills(
            "Sleep quality (0 = very poor, 10 = excellent)", SCALE, key="log.sleep_quality"
        )
        mood = st.pills("Mood (0 = very low, 10 = excellent)", SCALE, key="log.mood")
        stress = st.pills("Stress (0 = none, 10 = extreme)", SCALE, key="log.stress")
        doses = st.number_input(
            "Pain-medication doses taken",
            min_value=0,
            max_value=50,
            value=None,
            step=1,
            key="log.analgesic_doses",
        )
        mme = st.number_input(
            "Opioid dose (morphine mg equivalents)",
            min_value=0.0,
            max_value=1000.0,
            value=None,
            step=5.0,
            key="log.opioid_mme",
        )
        notes = st.text_area("Notes", max_chars=2000, key="log.notes")
    submitted = st.form_submit_button("Save", type="primary", width="stretch")

if submitted:
    if pain is None:
        st.error("Choose your average pain (0–10) before saving.")
    elif day > today:
        st.error("You cannot log a day in the future.")
    else:
        entry = {
            "patient_id": pid,
            "date": day,
            "pain": pain,
            "worst_pain": worst,
            "enjoyment_interference": enjoy,
            "activity_interference": activity,
            "sleep_quality": sleep,
            "mood": mood,
            "stress": stress,
            "analgesic_doses": doses,
            "opioid_mme": mme,
            "notes": notes or None,
        }
        try:
            result = data.save_diary_entry(user, entry, purpose=PAGE)
        except ConflictError as exc:
            st.session_state["log.pending"] = (entry, widgets.as_record(exc.existing))
            st.rerun()
        except (StoreError, DataValidationError) as exc:
            widgets.show_error(exc)
        else:
            action = getattr(result, "action", "saved")
            if action == "unchanged":
                msg = f"Nothing to change: {day:%A %d %B} was already logged with these values."
            else:
                msg = f"Saved: pain {pain}/10 on {day:%A %d %B}. Thank you!"
            widgets.flash("log", msg)
            st.rerun()
