"""History: the patient's diary as a month calendar, the day opened from it, and every day as a list.

The calendar marks each logged day in the colour of its pain and shows the days without
an entry, so gaps are visible; a tap opens a day under it. A day of the back-fill period
(today and the last ``data.BACKFILL_DAYS`` days) opens in the same form as Log today,
prefilled — a day there without an entry can be logged —; older days are the clinic's
record and are shown read-only. The list of every logged day, newest first, is below.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import clock, data, navigation
from dashboard.components import calendar, entry_form, feedback, status_card, table_download
from dashboard.labels import MISSING
from dashboard.text import shown

PAGE = "History"
CHANGED = "✏️"
user = navigation.require_role("patient")
st.title("🗓️ History")

pid = str(user.patient_id)  # from the account
today = clock.today()
view = data.patient_view(user, pid, purpose=PAGE)
if view.diary.empty:
    feedback.show_flash("history")
    st.info("No diary days so far. Log your first day on **Log today**; it shows here.")
    st.stop()

history = data.diary_history(user, pid, purpose=PAGE)
changed = set(history.loc[history["action"] != "create", "key"])
diary = view.diary.sort_values("date", ascending=False).reset_index(drop=True)
earliest = today - dt.timedelta(days=data.BACKFILL_DAYS)

# ------------------------------------------------------------------ the month
day = calendar.month_calendar(
    diary,
    today=today,
    changed=changed,
    default=diary["date"].iat[0].date(),
    key="history-cal",
    flares=data.flare_days(user, pid, purpose=PAGE),
)

# ------------------------------------------------------------------ the day opened
row = diary[diary["date"] == pd.Timestamp(day)]
stored = feedback.as_record(row) if len(row) else {}
mark = f" {CHANGED}" if day.isoformat() in changed else ""
st.subheader(f"{day:%A %d %B %Y}{mark}", anchor=False)
feedback.show_flash("history")  # a save's confirmation shows where the form is

if earliest <= day <= today:
    until = f"{day + dt.timedelta(days=data.BACKFILL_DAYS):%A %d %B}"
    st.caption(
        f"You can change this day until {until}. Everything you do not touch stays as stored."
        if stored
        else f"No entry for this day yet: you can log it here until {until}."
    )
    entry_form.entry_editor(user, pid, day, stored or None, prefix="history", purpose=PAGE)
else:
    with st.container(border=True):
        st.markdown(
            f"**{day:%A %d %B %Y}:** "
            + (f"{status_card.describe_entry(stored)}." if stored else "no entry.")
        )
        st.caption(
            f"Days more than {data.BACKFILL_DAYS} days ago are part of your clinic's record: "
            "ask your clinic to correct one."
        )

lines = entry_form.history_changes(history, day)
if stored or lines:
    st.markdown("**Kept history of this day**")
    if lines:
        st.markdown("\n".join(lines))
    else:
        st.caption("No change recorded: this day is stored as it was imported.")

# ------------------------------------------------------------------ the list
st.subheader("Every logged day", anchor=False)
table = pd.DataFrame(
    {
        # first and pinned, so a phone never cuts the mark off
        "changed": diary["date"]
        .dt.strftime("%Y-%m-%d")
        .isin(changed)
        .map({True: CHANGED, False: ""}),
        "day": diary["date"].dt.strftime("%a %d %b %Y"),
        "pain": diary["pain"],
        "worst": diary["worst_pain"],
        "sleep": diary["sleep_quality"],
        "mood": diary["mood"],
        "stress": diary["stress"],
        "note": diary["notes"].fillna("").map(lambda t: shown(t, "table") if t else MISSING),
    }
)
table_download.data_table(
    table,
    what=f"diary history of {pid}",
    patient_id=pid,
    purpose=PAGE,
    key="history.table",
    height=280,
    column_config={
        "changed": st.column_config.TextColumn(
            CHANGED, help="✏️: changed after it was first logged", width=36, pinned=True
        ),
        "day": st.column_config.TextColumn("Day", pinned=True),
        "pain": st.column_config.NumberColumn("Pain", format="%g"),
        "worst": st.column_config.NumberColumn("Worst", format="%g"),
        "sleep": st.column_config.NumberColumn("Sleep", format="%g"),
        "mood": st.column_config.NumberColumn("Mood", format="%g"),
        "stress": st.column_config.NumberColumn("Stress", format="%g"),
        "note": st.column_config.TextColumn("Note"),
    },
)
st.caption(f"{len(diary)} days logged · ✏️ = changed after it was first logged.")
