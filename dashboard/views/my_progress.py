"""My progress: the patient's pain over time, in plain language.

Status counts back from today (``as_of`` = today); the charts show exactly the
chosen period ending today, with worst pain when logged and gaps left as gaps;
factor effects say how pain differed on days with poor sleep, high stress, ...
as associations, not causes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics import presentation
from analytics.stats import ASSOCIATION_NOTE
from dashboard import charts, clock, data, labels, navigation
from dashboard.components import (
    feedback,
    file_buttons,
    flare_panel,
    questionnaire_panel,
    region_panel,
    status_card,
)

PAGE = "My progress"
user = navigation.require_role("patient")
st.title("📈 My progress")

pid = str(user.patient_id)  # from the account
today = clock.today()
view = data.patient_view(user, pid, purpose=PAGE)
if view.diary.empty:
    st.info("No diary days so far. Log your first day on **Log today** and your chart starts here.")
    st.stop()

# patients see the clinic's settings (only admins change them), with status as of today
cfg = data.status_settings(data.clinic_settings(user), today)
summary = data.patient_summary(user, pid, cfg, purpose=PAGE)
trend = summary.diary
outcome = data.outcome_row(summary)
o = outcome or {}

# ------------------------------------------------------------------ where you stand today
status_card.status_card(outcome, view.diary["date"], today=today, settings=cfg)

# ------------------------------------------------------------------ compared with before treatment
# a patient with a start date and no session (a waiting list, another control group) is
# compared with the days before that date, with no verdict about a treatment never given
untreated = outcome is not None and pd.notna(o.get("index_date")) and not o.get("n_sessions")
event = presentation.start_event(o.get("group"))
before = f"Before {event}" if untreated else "Before treatment"
with st.container(border=True):
    if outcome is None or pd.isna(o.get("index_date")):
        st.markdown(
            "**Your treatment has not started.** Your chart shows your pain so far; "
            "after your first session we compare with these days."
        )
    elif pd.isna(o.get("baseline_pain")):
        first = f"{event}" if untreated else "your first session"
        st.markdown(
            f"**Not enough diary days before {first}** to set a starting level "
            f"(at least {cfg.min_entries} of the {cfg.baseline_days} days before it are needed), "
            "so a before-and-after comparison is not possible. Your chart and your recent "
            "averages below still show how your pain goes."
        )
    else:
        strict = pd.notna(o.get("followup_pain"))
        recent = pd.notna(o.get("recent_followup_pain"))
        if strict:
            follow, start, end = o["followup_pain"], o["followup_start"], o["followup_end"]
            change, pct = o["change"], o["pct_change"]
            category = o["response_category"]
        elif recent:
            # the strict window (the last diary days) is too thin: the most recent valid one
            follow = o["recent_followup_pain"]
            start, end = o["recent_followup_start"], o["recent_followup_end"]
            change = o["baseline_pain"] - follow
            pct = 100 * change / o["baseline_pain"] if o["baseline_pain"] else float("nan")
            category = None
        else:
            follow = start = end = change = pct = category = None
        if follow is None:
            since = f"the days before {event}" if untreated else "before treatment"
            step = (
                f"Log on at least {cfg.min_entries} days within {cfg.followup_days} days "
                f"to compare with {since}."
            )
            st.markdown(f"**No comparison with {since} for now.** {step}")
        elif untreated:
            st.markdown(
                "**" + presentation.untreated_change_sentence(change, pct, o["group"]) + "**"
            )
        else:
            st.markdown("**" + status_card.improvement_sentence(change, pct, category) + "**")
        c1, c2, c3 = st.columns(3)
        c1.metric(f"{before} (average)", f"{feedback.fmt(o['baseline_pain'])}/10")
        c2.metric(
            "Compared period (average)",
            f"{feedback.fmt(follow)}/10",
            delta=None if change is None or pd.isna(change) else f"{-change:+.1f} points",
            delta_color="inverse",
        )
        c3.metric("Sessions so far", int(o["n_sessions"]))
        base = (
            f"{before}: {pd.Timestamp(o['baseline_start']):%d %b}–"
            f"{pd.Timestamp(o['baseline_end']):%d %b %Y}"
        )
        if follow is not None:
            words = (
                "your last diary days" if strict else "your most recent period with enough entries"
            )
            base += (
                f"; compared period: {pd.Timestamp(start):%d %b}–{pd.Timestamp(end):%d %b %Y} "
                f"({words})"
            )
        if not untreated:
            base += ". About 30% less pain is a change most people notice"
        st.caption(f"{base}.")

# ------------------------------------------------------------------ questionnaires
questionnaire_panel.patient_panel(summary, view.sessions)

# ------------------------------------------------------------------ headache days
headache = presentation.headache_sentence(o, before=event if untreated else "treatment")
if headache:
    st.markdown(f"**{headache}**")

# ------------------------------------------------------------------ flares and rescue medicine
flare_panel.patient_lines(summary, before=event if untreated else "treatment")

# ------------------------------------------------------------------ charts of the chosen period
ranges = {"4 weeks": 28, "3 months": 91, "6 months": 182, "All": None}
choice = st.segmented_control("Show", list(ranges), default="3 months", key="progress.range")
days = ranges.get(choice or "All")
first_day = min(view.diary["date"].min(), pd.Timestamp(today))
x_range = (first_day, pd.Timestamp(today)) if days is None else charts.period(today, days)
start = pd.Timestamp(x_range[0])
diary_in = trend[trend["date"] >= start]
sessions_in = view.sessions[view.sessions["date"] >= start]

baseline = None
if outcome is not None and pd.notna(o.get("baseline_start")):
    baseline = (o["baseline_start"], o["baseline_end"], o["baseline_pain"])

if diary_in.empty:
    st.info(
        f"No diary days between {start:%d %b} and {today:%d %b %Y}. "
        "Choose a longer period, or log today."
    )
else:
    st.plotly_chart(
        charts.pain_trajectory(
            diary_in,
            rolling=diary_in["pain_rolling_mean"],
            sessions=sessions_in,
            baseline=baseline,
            title=f"Your daily pain and {cfg.trend_window_days}-day average",
            x_range=x_range,
            window_days=cfg.trend_window_days,
        ),
        key="progress.pain",
        config=charts.CHART_CONFIG,
    )
    sessions_note = (
        "" if untreated else " Triangles at the bottom: your sessions (tap one for details)."
    )
    st.caption(
        "Dots: each day's pain; open triangles: worst pain. Red line: average of the last "
        f"{cfg.trend_window_days} days (it breaks where days are missing). Shaded or dashed: "
        f"the days {before.lower()} that we compare with.{sessions_note}"
    )

    c1, c2 = st.columns(2)
    with c1:
        if diary_in[["sleep_quality", "mood", "stress"]].notna().any().any():
            st.plotly_chart(
                charts.wellbeing_small_multiples(diary_in, x_range=x_range),
                key="progress.wellbeing",
                config=charts.CHART_CONFIG,
            )
        else:
            st.info(
                "No sleep, mood or stress in this period — add them under *More about this day*."
            )
    with c2:
        if diary_in[["analgesic_doses", "opioid_mme"]].notna().any().any():
            st.plotly_chart(
                charts.medication_chart(diary_in, x_range=x_range),
                key="progress.medication",
                config=charts.CHART_CONFIG,
            )
        else:
            st.info("No medication logged in this period.")

region_panel.my_regions(summary, start=start, before=before.lower())

# ------------------------------------------------------------------ factor effects
st.subheader("What goes with more or less pain")
links = presentation.factor_findings(summary.factor_effects)
if not links.findings and not links.unclear:
    st.caption(
        f"When your diary holds at least {cfg.factor_min_days} days with and "
        f"{cfg.factor_min_days} days without poor sleep, high stress, low mood, pain medicine "
        "or a session the day before, this shows how your pain differed on those days."
    )
else:
    for sentence in links.findings:
        st.markdown("- " + sentence)
    if links.rest_text:
        st.markdown(links.rest_text)
    st.caption(labels.FINDINGS_RULE + " " + ASSOCIATION_NOTE)

st.caption(f"Last diary day: {view.diary['date'].max():%d %B %Y}. Today: {today:%d %B %Y}.")

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

file_buttons.patient_section(
    user,
    pid,
    settings=cfg,
    purpose=PAGE,
    labels=labels.PATIENT_FILE_LABELS,
    note=labels.HEALTH_RECORD_NOTE,
    # the report after 12 sessions only for someone who has sessions
    kinds=("visit", "visit12", "fhir") if len(view.sessions) else ("visit", "fhir"),
)
