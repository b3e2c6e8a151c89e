"""My progress: the patient's pain over time, in plain language.

Status counts back from today (``as_of`` = today); the charts show exactly the
chosen period ending today, with worst pain when logged and gaps left as gaps;
factor effects say how pain differed on days with poor sleep, high stress, ...
as associations, not causes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import charts, clock, data, navigation
from dashboard.components import feedback, file_buttons, status_card

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
with st.container(border=True):
    if outcome is None or pd.isna(o.get("index_date")):
        st.markdown(
            "**Your treatment has not started.** Your chart shows your pain so far; "
            "after your first session we compare with these days."
        )
    elif pd.isna(o.get("baseline_pain")):
        st.markdown(
            "**Not enough diary days before your first session** to set a baseline "
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
            step = (
                f"Log on at least {cfg.min_entries} days within {cfg.followup_days} days "
                "to compare with before treatment."
            )
            st.markdown(f"**No comparison with before treatment for now.** {step}")
        else:
            st.markdown("**" + status_card.improvement_sentence(change, pct, category) + "**")
        c1, c2, c3 = st.columns(3)
        c1.metric("Before treatment (average)", f"{feedback.fmt(o['baseline_pain'])}/10")
        c2.metric(
            "Compared period (average)",
            f"{feedback.fmt(follow)}/10",
            delta=None if change is None or pd.isna(change) else f"{-change:+.1f} points",
            delta_color="inverse",
        )
        c3.metric("Sessions so far", int(o["n_sessions"]))
        base = (
            f"Before treatment: {pd.Timestamp(o['baseline_start']):%d %b}–"
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
        st.caption(f"{base}. About 30% less pain is a change most people notice (IMMPACT).")

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
    st.caption(
        "Dots: each day's pain; open triangles: worst pain. Red line: average of the last "
        f"{cfg.trend_window_days} days (it breaks where days are missing). Shaded or dashed: the days before "
        "treatment we compare with. Triangles at the bottom: your sessions (tap one for details)."
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

# ------------------------------------------------------------------ factor effects
st.subheader("What goes with more or less pain")
effects = summary.factor_effects
found = effects[(effects["reason"].fillna("") == "") & effects["difference"].notna()]
if found.empty:
    st.caption(
        f"When your diary holds at least {cfg.factor_min_days} days with and "
        f"{cfg.factor_min_days} days without poor sleep, high stress, low mood, pain medicine "
        "or a session the day before, this shows how your pain differed on those days."
    )
else:
    from analytics.stats import ASSOCIATION_NOTE, describe_factor_effect

    found = found.reindex(found["difference"].abs().sort_values(ascending=False).index)
    for row in found.head(6).to_dict("records"):
        st.markdown("- " + describe_factor_effect(row).replace(" " + ASSOCIATION_NOTE, ""))
    st.caption(ASSOCIATION_NOTE + " 95% CI: the range the difference plausibly lies in.")

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

file_buttons.patient_section(user, pid, settings=cfg, purpose=PAGE)
