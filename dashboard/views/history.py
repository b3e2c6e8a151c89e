"""History: every diary day of the patient, newest first, with the kept changes of a day.

A day of the back-fill period (today and the last ``data.BACKFILL_DAYS`` days) opens
in the same form as Log today, prefilled; older days are the clinic's record and
are shown read-only.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import clock, data, navigation
from dashboard.components import entry_form, feedback, status_card, table_download
from dashboard.labels import MISSING
from dashboard.text import shown

PAGE = "History"
user = navigation.require_role("patient")
st.title("🗓️ History")

pid = str(user.patient_id)  # from the account
today = clock.today()
view = data.patient_view(user, pid, purpose=PAGE)
feedback.show_flash("history")
if view.diary.empty:
    st.info("No diary days so far. Log your first day on **Log today**; it shows here.")
    st.stop()

history = data.diary_history(user, pid, purpose=PAGE)
changed = set(history.loc[history["action"] != "create", "key"])
diary = view.diary.sort_values("date", ascending=False).reset_index(drop=True)
earliest = today - dt.timedelta(days=data.BACKFILL_DAYS)

# ------------------------------------------------------------------ the list
table = pd.DataFrame(
    {
        "day": diary["date"].dt.strftime("%a %d %b %Y"),
        "pain": diary["pain"],
        "worst": diary["worst_pain"],
        "sleep": diary["sleep_quality"],
        "mood": diary["mood"],
        "stress": diary["stress"],
        "note": diary["notes"].fillna("").map(lambda t: shown(t, "table") if t else MISSING),
        "changed": diary["date"].dt.strftime("%Y-%m-%d").isin(changed).map({True: "✏️", False: ""}),
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
        "day": st.column_config.TextColumn("Day"),
        "pain": st.column_config.NumberColumn("Pain", format="%g"),
        "worst": st.column_config.NumberColumn("Worst", format="%g"),
        "sleep": st.column_config.NumberColumn("Sleep", format="%g"),
        "mood": st.column_config.NumberColumn("Mood", format="%g"),
        "stress": st.column_config.NumberColumn("Stress", format="%g"),
        "note": st.column_config.TextColumn("Note"),
        "changed": st.column_config.TextColumn(
            "Changed", help="✏️: changed after it was first logged"
        ),
    },
)
st.caption(f"{len(diary)} days logged · ✏️ = changed after it was first logged.")

# ------------------------------------------------------------------ one day
days = [d.date() for d in diary["date"]]
day = st.selectbox(
    "Open a day",
    days,
    format_func=lambda d: f"{d:%A %d %B %Y}" + (" · can be changed" if d >= earliest else ""),
    key="history.day",
)
row = diary[diary["date"] == pd.Timestamp(day)]
stored = feedback.as_record(row)

if day >= earliest:
    st.caption(
        f"You can change this day until {day + dt.timedelta(days=data.BACKFILL_DAYS):%A %d %B}. "
        "Everything you do not touch stays as stored."
    )
    entry_form.entry_editor(user, pid, day, stored, prefix="history", purpose=PAGE)
else:
    with st.container(border=True):
        st.markdown(f"**{day:%A %d %B %Y}:** {status_card.describe_entry(stored)}.")
        st.caption(
            f"Days more than {data.BACKFILL_DAYS} days ago are part of your clinic's record: "
            "ask your clinic to correct one."
        )

lines = entry_form.history_changes(history, day)
st.markdown("**Kept history of this day**")
if lines:
    st.markdown("\n".join(lines))
else:
    st.caption("No change recorded: this day is stored as it was imported.")
