"""My progress: the patient's pain over time, in plain language."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from dashboard import charts, data, downloads, state, widgets

PAGE = "My progress"
user = state.require_role("patient")
st.title("📈 My progress")

pid = str(user.patient_id)  # from the account
view = data.patient_view(user, pid, purpose=PAGE)
if view.diary.empty:
    st.info("No diary days yet. Log your first day on **Log today** and your chart starts here.")
    st.stop()

# patients see the clinic's settings; only clinicians and admins can change them
cfg = data.clinic_settings(user)
result = data.analysis(user, cfg, purpose=PAGE, patient_id=pid)
trend = data.patient_trends(user, pid, purpose=PAGE, min_entries=cfg.min_entries)
outcome = data.outcome_row(result, pid)

# ------------------------------------------------------------------ summary card
with st.container(border=True):
    if outcome is None or pd.isna(outcome.get("index_date")):
        st.markdown(
            "**Your treatment has not started yet.** Your chart shows your pain so far; "
            "after your first session we compare with these days."
        )
    elif pd.isna(outcome.get("baseline_pain")):
        st.markdown(
            "**Not enough diary days before your first session** to set a baseline "
            f"(at least {cfg.min_entries} of the {cfg.baseline_days} days before it are needed)."
        )
    else:
        st.markdown(
            "**"
            + widgets.improvement_sentence(
                outcome["change"], outcome["pct_change"], outcome["response_category"]
            )
            + "**"
        )
        c1, c2, c3 = st.columns(3)
        c1.metric("Before treatment (average)", f"{widgets.fmt(outcome['baseline_pain'])}/10")
        c2.metric(
            "Recently (average)",
            f"{widgets.fmt(outcome['followup_pain'])}/10",
            delta=None if pd.isna(outcome["change"]) else f"{-outcome['change']:+.1f} points",
            delta_color="inverse",
        )
        c3.metric("Sessions so far", int(outcome["n_sessions"]))
        st.caption(
            "About 30% less pain is a change most people notice (IMMPACT). "
            f"Before treatment: the {cfg.baseline_days} days before your first session; "
            f"recently: your last {cfg.followup_days} diary days."
        )

# ------------------------------------------------------------------ date range
ranges = {"4 weeks": 28, "3 months": 91, "6 months": 182, "All": None}
choice = st.segmented_control("Show", list(ranges), default="3 months", key="progress.range")
last = view.diary["date"].max()
days = ranges.get(choice or "All")
start = view.diary["date"].min() if days is None else last - pd.Timedelta(days=days - 1)
in_range = trend["date"] >= start
diary_in = trend[in_range]
sessions_in = view.sessions[view.sessions["date"] >= start]

baseline = None
if outcome is not None and pd.notna(outcome.get("index_date")):
    idx = pd.Timestamp(outcome["index_date"])
    baseline = (
        idx - pd.Timedelta(days=cfg.baseline_days),
        idx - pd.Timedelta(days=1),
        outcome["baseline_pain"],
    )

st.plotly_chart(
    charts.pain_trajectory(
        diary_in,
        rolling=diary_in["pain_rolling_mean"],
        sessions=sessions_in,
        baseline=baseline,
        title="Your daily pain and 7-day average",
    ),
    key="progress.pain",
)
st.caption(
    "Dots: each day's pain. Red line: average of the last 7 days. Shaded: the days before "
    "treatment we compare with. Triangles: your sessions (hover for details)."
)

c1, c2 = st.columns(2)
with c1:
    if diary_in[["sleep_quality", "mood", "stress"]].notna().any().any():
        st.plotly_chart(charts.wellbeing_small_multiples(diary_in), key="progress.wellbeing")
    else:
        st.info(
            "You have not logged sleep, mood or stress yet — add them under *More about today*."
        )
with c2:
    if diary_in[["analgesic_doses", "opioid_mme"]].notna().any().any():
        st.plotly_chart(charts.medication_chart(diary_in), key="progress.medication")
    else:
        st.info("No medication logged in this period.")

st.caption(f"Last diary day: {last:%d %B %Y}. Today: {dt.date.today():%d %B %Y}.")

# the patient's own diary, as a file: produced from the rows already on this page, and
# recorded in the audit log when it is downloaded (not when the page shows the button)
st.download_button(
    "Download my diary (CSV)",
    data.csv_bytes(view.diary, "diary"),
    file_name=f"my_diary_{pid}.csv",
    mime="text/csv",
    key="progress.download",
    icon="⬇️",
    on_click=data.record_export,
    args=(user, "my diary (CSV)", pid),
)

downloads.patient_section(user, pid, settings=cfg, purpose=PAGE)
