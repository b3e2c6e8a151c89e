"""Patient chart: one patient's full trajectory and response to each session."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.errors import AccessDeniedError, NotFoundError
from dashboard import charts, data, downloads, labels, settings, state, widgets
from dashboard.text import shown

PAGE = "Patient chart"
user = state.require_role("clinician", "admin")
st.title("🩺 Patient chart")

ids = data.patient_ids(user)
# the patient asked for: chosen on this page or the overview, else named in the link
# (?patient=P003, so a reload or a bookmark stays on the same patient). Whatever the
# source, the service decides: an id outside the user's scope is refused (and logged).
pid = st.session_state.get("chart.patient") or st.query_params.get("patient")
if not pid:
    if not ids:
        st.info(
            "No patients are assigned to you yet. An administrator assigns patients on the "
            "**Admin** page."
            if user.role == "clinician"
            else "No patients in the database yet. Import the clinic's CSV files on the "
            "**Data** page."
        )
        st.stop()
    pid = ids[0]
pid = str(pid)
try:
    view = data.patient_view(user, pid, purpose=PAGE)
except (AccessDeniedError, NotFoundError):
    st.session_state.pop("chart.patient", None)
    st.query_params.pop("patient", None)
    st.error(
        "This patient is not one of your patients (or does not exist). Choose one of "
        "your patients below.",
        icon="⛔",
    )
    other = st.selectbox("Patient", ids, index=None, key="chart.pick.refused")
    if other:
        state.select_patient(other)
        st.rerun()
    st.stop()
if st.query_params.get("patient") != pid:
    st.query_params["patient"] = pid

if pid not in ids:
    ids = sorted([*ids, pid])  # the service let it through: scope changed since the list
choice = st.selectbox("Patient", ids, index=ids.index(pid), key=f"chart.pick.{pid}")
if choice != pid:
    state.select_patient(choice)
    st.query_params["patient"] = choice
    st.rerun()

cfg = settings.current_settings()
result = data.analysis(user, cfg, purpose=PAGE)
outcome = data.outcome_row(result, pid)

info = view.patient
if info is not None:
    st.markdown(
        f"**{shown(pid)}** · {shown(labels.condition_label(info['condition']))}"
        + (f" · group {shown(info['group'])}" if pd.notna(info["group"]) else "")
        + (f" · clinician {shown(info['clinician_id'])}" if pd.notna(info["clinician_id"]) else "")
    )

if view.diary.empty:
    st.info(f"{shown(pid)} has no diary days yet.")
    st.stop()
last = view.diary.sort_values("date").iloc[-1]
st.caption(
    f"Last diary entry: {last['date']:%d %B %Y} · pain {widgets.fmt(last['pain'], 'g')}/10 · "
    f"{len(view.diary)} diary days"
)

# ------------------------------------------------------------------ headline numbers
if outcome is not None:
    # the response column is wider and shows the category's name only (its range is in
    # the help), so "No improvement" is not cut to "No imp…" at 1280 px or on a phone
    c1, c2, c3, c4, c5 = st.columns([1, 1, 1, 1, 2])
    c1.metric("Baseline pain", widgets.fmt(outcome["baseline_pain"]))
    c2.metric("Follow-up pain", widgets.fmt(outcome["followup_pain"]))
    c3.metric("Change (points)", widgets.fmt(outcome["change"], "+.1f"))
    c4.metric("Change (%)", widgets.fmt(outcome["pct_change"], "+.0f"))
    category = labels.category_label(outcome["response_category"])
    c5.metric(
        "Response",
        category.split(" (")[0],
        help=f"IMMPACT category of the % change (Dworkin 2008): {category}.",
    )
    if outcome["reason"]:
        st.caption(f"Outcome incomplete: {labels.reasons_text(outcome['reason'])}.")
    st.caption(settings.settings_caption())

# ------------------------------------------------------------------ trajectory
trend = data.patient_trends(user, pid, purpose=PAGE, min_entries=cfg.min_entries)
baseline = None
if outcome is not None and pd.notna(outcome["index_date"]):
    idx = pd.Timestamp(outcome["index_date"])
    baseline = (
        idx - pd.Timedelta(days=cfg.baseline_days),
        idx - pd.Timedelta(days=1),
        outcome["baseline_pain"],
    )
its = data.its_lines(user, pid, purpose=PAGE)
st.plotly_chart(
    charts.pain_trajectory(
        trend,
        rolling=trend["pain_rolling_mean"],
        sessions=view.sessions,
        baseline=baseline,
        its_lines=its,
        title=f"Pain trajectory of {pid}",
    ),
    key="chart.trajectory",
)
its_row = outcome
if its is None:
    st.caption(
        "Interrupted time series not shown: it needs at least 7 diary days before and "
        "after the start of treatment."
    )
elif its_row is not None:
    st.caption(
        f"Interrupted time series (Newey–West): level change at the start "
        f"{widgets.fmt(its_row['its_level_change'], '+.2f')} points "
        f"(95% CI {widgets.fmt(its_row['its_level_ci_low'], '.2f')} to "
        f"{widgets.fmt(its_row['its_level_ci_high'], '.2f')}); slope change "
        f"{widgets.fmt(its_row['its_slope_change'], '+.2f')} points/week "
        f"(95% CI {widgets.fmt(its_row['its_slope_ci_low'], '.2f')} to "
        f"{widgets.fmt(its_row['its_slope_ci_high'], '.2f')}). Negative = less pain."
    )

# ------------------------------------------------------------------ sessions
st.subheader("Sessions")
if view.sessions.empty:
    st.info("No sessions recorded yet for this patient.")
else:
    response = result.session_response
    response = response[response["patient_id"] == pid]
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(charts.session_before_after(view.sessions), key="chart.before_after")
    with c2:
        st.plotly_chart(charts.session_response_chart(response), key="chart.session_response")
    st.caption(
        "Short-term change: mean pain on the 3 days before the session minus the 3 days after "
        "(+ = better). Relief: consecutive days at least 1 point below the pre-session mean; "
        "open diamonds were cut off by the next session or the end of the diary."
    )
    patient_dose, cohort_dose, emax_curve = data.dose_views(result, pid)
    if patient_dose is not None and len(patient_dose):
        st.plotly_chart(
            charts.change_by_session(patient_dose, cohort=cohort_dose, emax=emax_curve),
            key="chart.by_session",
        )
    else:
        st.info(
            "Change by session number needs a baseline (not enough diary days before the "
            "first session)."
        )
    with st.expander("Session details"):
        details = view.sessions.drop(columns=["patient_id"]).assign(
            technique_band=labels.relabel(view.sessions["technique_band"], labels.technique_label)
        )
        widgets.table(
            details,
            column_config={
                "date": st.column_config.DatetimeColumn("date", format="YYYY-MM-DD HH:mm"),
                "technique_band": st.column_config.TextColumn("technique (band)"),
            },
        )

# ------------------------------------------------------------------ secondary outcomes
st.subheader("Sleep, mood, stress and medication")
c1, c2 = st.columns(2)
with c1:
    if view.diary[["sleep_quality", "mood", "stress"]].notna().any().any():
        st.plotly_chart(charts.wellbeing_small_multiples(view.diary), key="chart.wellbeing")
    else:
        st.info("No sleep, mood or stress scores logged.")
with c2:
    if view.diary[["analgesic_doses", "opioid_mme"]].notna().any().any():
        st.plotly_chart(charts.medication_chart(view.diary), key="chart.medication")
    else:
        st.info("No medication logged.")
secondary = data.secondary_table(outcome)
if secondary is not None and len(secondary):
    st.caption(
        "Secondary outcomes over the same baseline and follow-up windows as pain "
        "(change: + = the value went down)."
    )
    widgets.table(secondary, column_config=widgets.number_columns(secondary))

# ------------------------------------------------------------------ safety and data quality
st.subheader("Adverse events")
events = data.patient_adverse_events(view)
if events.empty:
    st.caption("No adverse events recorded.")
else:
    widgets.table(
        events.drop(columns=["patient_id"]).assign(
            event=labels.relabel(events["event"], labels.adverse_event_label)
        ),
        column_config={
            "date": st.column_config.DatetimeColumn("date", format="YYYY-MM-DD HH:mm"),
            "session_date": None,
        },
    )

st.subheader("Data quality")
notes = data.quality_notes(outcome)
if not notes:
    st.caption("No data-quality notes.")
for note in notes:
    st.warning(note, icon="🔎")

downloads.patient_section(user, pid, settings=cfg, purpose=PAGE)
