"""Patient chart: one patient's full trajectory and response to each session."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.errors import AccessDeniedError, NotFoundError
from analytics.presentation import (
    NO_CHANGE_PCT,
    baseline_words,
    change_words,
    headache_line,
    its_caption,
    medicine_notes,
    medicine_rule,
    medicine_texts,
    percent_text,
    quality_notes,
    shown_difference,
)
from analytics.stats import MIN_MME_RISE
from dashboard import charts, clock, data, frames, labels, navigation, session
from dashboard.components import (
    course_panel,
    feedback,
    file_buttons,
    flare_panel,
    questionnaire_panel,
    region_panel,
    settings_panel,
    table_download,
)
from dashboard.text import shown

PAGE = "Patient chart"
user = navigation.require_role("clinician", "admin")
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
        session.select_patient(other)
        st.rerun()
    st.stop()
if st.query_params.get("patient") != pid:
    st.query_params["patient"] = pid

if pid not in ids:
    ids = sorted([*ids, pid])  # the service let it through: scope changed since the list
choice = st.selectbox("Patient", ids, index=ids.index(pid), key=f"chart.pick.{pid}")
if choice != pid:
    session.select_patient(choice)
    st.query_params["patient"] = choice
    st.rerun()

cfg = settings_panel.current_settings(as_of_today=True)
result = data.analysis(user, cfg, purpose=PAGE)  # the cohort the patient is compared with
summary = data.patient_summary(user, pid, cfg, purpose=PAGE)
outcome = data.outcome_row(summary)
is_control = outcome is not None and bool(outcome["control"])
start_word = "the comparison date" if is_control else "the start of treatment"

info = view.patient
if info is not None:
    st.markdown(
        f"**{shown(pid)}** · {shown(labels.condition_label(info['condition']))}"
        + (f" · group {shown(info['group'])}" if pd.notna(info["group"]) else "")
        + (f" · clinician {shown(info['clinician_id'])}" if pd.notna(info["clinician_id"]) else "")
        + (" · comparison group: change without treatment" if is_control else "")
    )
course_panel.show(user, pid, cfg, view.sessions, purpose=PAGE)
if st.button(
    "Record a session",
    key="chart.record_session",
    icon="➕",
    help="Open the session form of the Data page with this patient chosen.",
):
    session.select_patient(pid)
    st.switch_page("views/data_manager.py")

if view.diary.empty:
    st.info(f"{shown(pid)} has no diary days yet.")
    st.stop()


last = view.diary.sort_values("date").iloc[-1]
st.caption(
    f"Last diary entry: {last['date']:%d %B %Y} · pain {feedback.fmt(last['pain'], 'g')}/10 · "
    f"{len(view.diary)} diary days"
)


def _day(value: object, spec: str = "%d %b %Y") -> str:
    return labels.MISSING if pd.isna(value) else f"{pd.Timestamp(value):{spec}}"


# ------------------------------------------------------------------ status as of today
if outcome is not None:
    with st.container(border=True):
        st.markdown(f"**Status as of today, {clock.today():%d %b %Y}**")
        # wrapping boxes, not st.columns: two a row on a phone instead of one a screen
        row = st.container(horizontal=True, gap="small")
        c1, c2, c3, c4 = (row.container(width=150, gap=None) for _ in range(4))
        mean_value = (
            outcome["current_mean"]
            if pd.notna(outcome["current_mean"])
            else outcome["last_valid_mean"]
        )
        window = cfg.trend_window_days
        c1.metric(
            f"{window}-day mean (0–10)",
            feedback.fmt(mean_value),
            help=f"Mean pain of the latest {window} days with at least "
            f"{cfg.rolling_min_entries} entries.",
        )
        if pd.notna(outcome["current_mean"]):
            c1.caption(f"{window} days to {_day(outcome['status_date'])}")
        elif pd.notna(outcome["last_valid_mean"]):
            c1.caption(f"{window} days to {_day(outcome['last_valid_mean_date'])}")
        else:
            c1.caption(f"no {window} days with enough entries")
        since = outcome["days_since_last_entry"]
        c2.metric(
            "Days since last entry",
            labels.MISSING if pd.isna(since) else str(int(since)),
        )
        c2.caption(f"last entry {_day(outcome['last_entry_date'])}")
        c3.metric(
            "Adherence, 28 days",
            labels.MISSING
            if pd.isna(outcome["adherence_28d"])
            else percent_text(outcome["adherence_28d"]),
            help="Share of the 28 days ending today with a diary entry.",
        )
        c3.caption("of the days had an entry")
        c4.metric("Adverse events", int(outcome["n_recent_adverse_events"]))
        c4.caption("in the last 28 days")
        if bool(outcome["not_logging"]):
            st.warning(
                f"{shown(pid)} is {frames.not_logging_text(since)} "
                f"(the flag is raised after {cfg.not_logging_days} days).",
                icon="💤",
            )

# ------------------------------------------------------------------ response
if outcome is not None:
    followup = frames.followup_status(pd.DataFrame([outcome])).iloc[0]
    st.subheader("Response to treatment" if not is_control else "Change since the comparison date")
    row = st.container(horizontal=True, gap="small")
    c1, c2, c3, c4 = (row.container(width=140, gap=None) for _ in range(4))
    # the category's whole name: the box takes its width (and wraps to a new line if needed)
    c5 = row.container(width="content", gap=None)
    c1.metric(
        "Before treatment" if not is_control else "Before",
        feedback.fmt(outcome["baseline_pain"]),
        help="Mean pain (0–10) of the baseline window.",
    )
    c2.metric(
        "At follow-up",
        feedback.fmt(followup["shown_followup_pain"]),
        help="Mean pain (0–10) of the follow-up window.",
    )
    # the difference of the two means as shown beside it, so the three boxes add up
    reduction = shown_difference(outcome["baseline_pain"], followup["shown_followup_pain"])
    c3.metric(
        "Reduction, points",
        labels.number_text(reduction, "+.1f"),
        help="Pain reduction, points (positive = better): before minus follow-up.",
    )
    c4.metric(
        "Reduction, %",
        labels.number_text(followup["shown_pct_change"], "+.0f"),
        help="Pain reduction, % of the pain before (positive = better).",
    )
    category = labels.category_label(followup["shown_response_category"] or None)
    c5.metric(
        "Response",
        change_words(followup["shown_pct_change"]),
        help=f"Change in pain (+ = more pain); under {NO_CHANGE_PCT:g}% either way reads "
        f"“No change”. IMMPACT category of the % reduction (Dworkin 2008): {category}.",
    )
    lines = [
        "Pain reduction: positive = better. "
        f"{'Before the comparison date' if is_control else 'Before treatment'}: {_day(outcome['baseline_start'], '%d %b')}–"
        f"{_day(outcome['baseline_end'])} ({int(outcome['baseline_n'])} entries)."
        if pd.notna(outcome["baseline_start"])
        else "No baseline window (no start of treatment yet)."
    ]
    if followup["followup_source"] == "strict":
        lines.append(
            f"Follow-up: {_day(followup['shown_followup_start'], '%d %b')}–"
            f"{_day(followup['shown_followup_end'])} ({int(outcome['followup_n'])} entries)."
        )
    elif followup["followup_source"] == "recent":
        lines.append(
            f"Follow-up: {_day(followup['shown_followup_start'], '%d %b')}–"
            f"{_day(followup['shown_followup_end'])} ({int(outcome['recent_followup_n'])} "
            f"entries), the most recent valid follow-up: the last {cfg.followup_days} diary "
            "days hold too few entries."
        )
    elif outcome["reason"]:
        lines.append(f"No response: {labels.reasons_text(outcome['reason'])}.")
    st.caption(" ".join(lines))
    if headache := headache_line(outcome):
        st.markdown(headache)
    st.caption(settings_panel.settings_caption(as_of_today=True))

# ------------------------------------------------------------------ outcome questionnaires
questionnaire_panel.clinician_panel(
    user, pid, summary, view.sessions, today=clock.today(), purpose=PAGE
)

# ------------------------------------------------------------------ trajectory
trend = summary.diary
baseline = None
if (
    outcome is not None
    and pd.notna(outcome["baseline_start"])
    and pd.notna(outcome["baseline_pain"])
):
    baseline = (
        pd.Timestamp(outcome["baseline_start"]),
        pd.Timestamp(outcome["baseline_end"]),
        outcome["baseline_pain"],
    )
its = summary.its_lines
its_names = (
    ("Trend before the comparison date", "Trend after the comparison date")
    if is_control
    else ("Trend before treatment", "Trend after start")
)


def _date_charts(
    title: str,
    trend: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    entries: pd.DataFrame,
    its: pd.DataFrame | None,
    baseline: tuple[pd.Timestamp, pd.Timestamp, float] | None,
    its_names: tuple[str, str],
    window_days: int,
    last_day: pd.Timestamp,
) -> tuple[object, object, object]:
    """Build the pain trajectory, the sleep/mood/stress and the medication charts."""
    diary = diary.reset_index(drop=True)
    sessions = sessions.reset_index(drop=True)
    trajectory = charts.pain_trajectory(
        trend,
        rolling=trend["pain_rolling_mean"],
        sessions=sessions,
        baseline=baseline,
        its_lines=its,
        title=title,
        its_names=its_names,
        window_days=window_days,
        flares=entries,
    )
    wellbeing = charts.wellbeing_small_multiples(diary)
    medication = charts.medication_chart(diary)
    # the three date charts are read together: one x-range, from the first day to today,
    # so the days since a patient stopped logging show as an empty stretch up to now
    charts.same_x_range(trajectory, wellbeing, medication, x_range=(diary["date"].min(), last_day))
    return trajectory, wellbeing, medication


def _session_charts(sessions: pd.DataFrame, response: pd.DataFrame) -> tuple[object, object]:
    """Build the pain before/after each session and the response to each session charts."""
    return (
        charts.session_before_after(sessions.reset_index(drop=True)),
        charts.session_response_chart(response),
    )


# a rerun of the visit (a widget changed further down) shows the charts the first run built
trajectory, wellbeing, medication = data.per_visit(
    _date_charts,
    f"Pain over time, {pid}",
    trend,
    view.data.diary,  # the visit's rows themselves: the same objects from run to run
    view.data.sessions,
    view.data.entries,
    its,
    baseline,
    its_names,
    cfg.trend_window_days,
    max(pd.Timestamp(clock.today()), pd.Timestamp(view.diary["date"].max())),
)
st.plotly_chart(trajectory, key="chart.trajectory", config=charts.CHART_CONFIG)
flare_panel.clinician_caption(summary)


if its is None or outcome is None or pd.isna(outcome["its_level_change"]):
    reason = "" if outcome is None else str(outcome["its_reason"])
    st.caption(
        "No before/after trend lines: "
        + (
            "every diary day has the same pain, so there is no trend to fit."
            if "no_variation" in reason
            else f"they need at least {cfg.its_min_entries} diary days before and after "
            f"{start_word}."
        )
    )
else:
    st.caption(
        "Trend lines (interrupted time series, Newey–West). "
        + its_caption(outcome, start_word=start_word)
        + (
            " This patient is in a comparison group: the lines show change without treatment."
            if is_control
            else ""
        )
    )

# ------------------------------------------------------------------ secondary outcomes
st.subheader("Sleep, mood, stress and medication")
c1, c2 = st.columns(2)
with c1:
    st.plotly_chart(wellbeing, key="chart.wellbeing", config=charts.CHART_CONFIG)
with c2:
    st.plotly_chart(medication, key="chart.medication", config=charts.CHART_CONFIG)
secondary = frames.secondary_table(outcome)
if secondary is not None and len(secondary):
    table_download.data_table(
        secondary,
        what=f"other outcomes of {pid}",
        patient_id=pid,
        purpose=PAGE,
        column_config={
            "measure": st.column_config.TextColumn("Measure"),
            "baseline": st.column_config.NumberColumn("Before treatment", format="%.1f"),
            "follow-up": st.column_config.NumberColumn("At follow-up", format="%.1f"),
            "change": st.column_config.TextColumn("Change"),
        },
        key="chart.secondary",
    )
    st.caption(
        "Same windows as pain. “Better” means: less pain, PEG, stress or medication, or "
        "more sleep quality or a better mood."
    )

# ------------------------------------------------------------------ medicines
st.subheader("Medicines in this period")
medicines = summary.medicines
change = summary.opioid_change
if medicines.empty:
    st.caption("No medicine named in the diary yet.")
else:
    texts = medicine_texts(medicines)
    table_download.data_table(
        what=f"medicines of {pid}",
        patient_id=pid,
        purpose=PAGE,
        frame=pd.DataFrame(
            {
                "medicine": texts["medicine"].map(lambda v: shown(v, "table")),
                "days": medicines["n_days"],
                "dose": texts["dose"],
                "mme": texts["mme"],
                "first_day": medicines["first_day"],
                "last_day": medicines["last_day"],
            }
        ),
        column_config={
            "medicine": st.column_config.TextColumn("Medicine"),
            "days": st.column_config.NumberColumn("Days taken"),
            "dose": st.column_config.TextColumn("Dose per day"),
            "mme": st.column_config.TextColumn("MME per day"),
            "first_day": st.column_config.DateColumn("First day", format="D MMM YYYY"),
            "last_day": st.column_config.DateColumn("Last day", format="D MMM YYYY"),
        },
        key="chart.medicines",
    )
for note in medicine_notes(medicines, None if change.empty else change.iloc[0].to_dict()):
    st.warning(shown(note), icon="💊")
if not medicines.empty:
    st.caption(medicine_rule(summary.settings.trend_window_days, MIN_MME_RISE))

# ------------------------------------------------------------------ body regions
st.subheader("Where it hurts")
region_panel.region_panel(
    summary,
    key="chart.regions",
    before=baseline_words(
        None if outcome is None else outcome.get("group"), treated=not view.sessions.empty
    ),
)

# ------------------------------------------------------------------ sessions
st.subheader("Sessions")
if view.sessions.empty:
    st.info("No sessions recorded yet for this patient.")
else:
    before_after, by_session = data.per_visit(
        _session_charts, view.data.sessions, summary.session_response
    )
    c1, c2 = st.columns(2)
    with c1:
        st.plotly_chart(before_after, key="chart.before_after", config=charts.CHART_CONFIG)
    with c2:
        st.plotly_chart(by_session, key="chart.session_response", config=charts.CHART_CONFIG)
    st.caption(
        f"Bars: pain reduction, points (positive = better) — mean pain on the "
        f"{cfg.session_window_days} days before a session minus the {cfg.session_window_days} "
        f"days after. Diamonds: days of relief (at least {cfg.relief_points:g} point below the "
        "level before); open diamonds were cut short by the next session or the end of the diary."
    )
    patient_dose, cohort_dose, emax_curve = frames.dose_views(result, pid)
    if patient_dose is not None and len(patient_dose):
        st.plotly_chart(
            charts.change_by_session(patient_dose, cohort=cohort_dose, emax=emax_curve),
            key="chart.by_session",
            config=charts.CHART_CONFIG,
        )
    else:
        st.info(
            "Change by session number needs a baseline (not enough diary days before the "
            "first session)."
        )
    with st.expander("Session details"):
        details = view.sessions.drop(columns=["patient_id", "technique"]).assign(
            technique_band=labels.relabel(view.sessions["technique_band"], labels.technique_label),
            adverse_events=view.sessions["adverse_events"].map(
                lambda v: (
                    ", ".join(labels.adverse_event_label(e) for e in str(v).split(";") if e)
                    if pd.notna(v)
                    else ""
                )
            ),
        )
        names = labels.column_labels(details.columns)
        table_download.data_table(
            details,
            what=f"sessions of {pid}",
            patient_id=pid,
            purpose=PAGE,
            key="chart.sessions",
            column_config={
                **{c: st.column_config.Column(n) for c, n in names.items()},
                "date": st.column_config.DatetimeColumn("date", format="YYYY-MM-DD HH:mm"),
            },
        )

# ------------------------------------------------------------------ factor effects and N-of-1
st.subheader("What goes with more pain, and how clear is the change")
effects = frames.factor_effects_of(summary, pid)
if effects.empty:
    st.caption(
        f"No factor effects: each factor needs at least {cfg.factor_min_days} diary days with "
        "and without it."
    )
else:
    from analytics.stats import ASSOCIATION_NOTE, FACTORS

    factor_table = pd.DataFrame(
        {
            "factor": [
                FACTORS.get(f, f).replace("an analgesic", "analgesic taken").capitalize()
                + (" (pain the next day)" if lag else "")
                for f, lag in zip(effects["factor"], effects["lag"], strict=True)
            ],
            "days": [
                f"{a} with / {b} without"
                for a, b in zip(effects["n_with"], effects["n_without"], strict=True)
            ],
            "difference": labels.drop_negative_zero(effects["difference"], 1),
            "ci_low": labels.drop_negative_zero(effects["ci_low"], 1),
            "ci_high": labels.drop_negative_zero(effects["ci_high"], 1),
        }
    )
    table_download.data_table(
        factor_table,
        what=f"factors of {pid}",
        patient_id=pid,
        purpose=PAGE,
        key="chart.factors",
        column_config={
            "factor": st.column_config.TextColumn("Factor"),
            "days": st.column_config.TextColumn("Diary days"),
            "difference": st.column_config.NumberColumn(
                "More pain with it, points", format="%+.1f"
            ),
            "ci_low": st.column_config.NumberColumn("95% CI low", format="%+.1f"),
            "ci_high": st.column_config.NumberColumn("95% CI high", format="%+.1f"),
        },
    )
    st.caption(
        "Mean pain on days with the factor minus days without (positive = more pain with it; "
        "Welch 95% CI; days treated as independent, so the interval is optimistic). "
        + ASSOCIATION_NOTE.replace("your diary", "the diary")
    )
nof1 = frames.nof1_of(summary, pid)
if nof1 is not None and not nof1["reason"]:
    effect = pd.DataFrame(
        {
            "measure": ["NAP (non-overlap of all pairs)", "Tau-U (baseline trend corrected)"],
            "value": [nof1["nap"], nof1["tau_u"]],
            # a normal-approximation interval can run past the scale (Tau-U above 1):
            # shown cut at the scale's ends, which the caption says
            "ci_low": [max(nof1["nap_ci_low"], 0.0), max(nof1["tau_u_ci_low"], -1.0)],
            "ci_high": [min(nof1["nap_ci_high"], 1.0), min(nof1["tau_u_ci_high"], 1.0)],
        }
    )
    table_download.data_table(
        effect,
        what=f"single-patient effect sizes of {pid}",
        patient_id=pid,
        purpose=PAGE,
        key="chart.nof1",
        column_config={
            "measure": st.column_config.TextColumn("Single-patient effect size"),
            "value": st.column_config.NumberColumn("Value", format="%.2f"),
            "ci_low": st.column_config.NumberColumn("95% CI low", format="%.2f"),
            "ci_high": st.column_config.NumberColumn("95% CI high", format="%.2f"),
        },
    )
    st.caption(
        f"Diary days before ({int(nof1['n_baseline'])}) compared with days after "
        f"{start_word} ({int(nof1['n_treatment'])}). NAP: the share of before/after pairs "
        "where the later day has less pain (0.5 = no difference, 1 = every later day lower). "
        "Tau-U: the same on a −1 to 1 scale, corrected for a trend already present before "
        "(positive = less pain after); intervals are cut at the ends of each scale."
    )
elif nof1 is not None:
    st.caption(f"No single-patient effect size: {str(nof1['reason']).replace('_', ' ')}.")

# ------------------------------------------------------------------ safety and data quality
st.subheader("Adverse events")
events = summary.adverse_events
if events.empty:
    st.caption("No adverse events recorded.")
else:
    table_download.data_table(
        what=f"adverse events of {pid}",
        patient_id=pid,
        purpose=PAGE,
        key="chart.events",
        frame=events.drop(columns=["patient_id"]).assign(
            event=labels.relabel(events["event"], labels.adverse_event_label)
        ),
        column_config={
            "date": st.column_config.DatetimeColumn("Date", format="YYYY-MM-DD HH:mm"),
            "session_date": None,
            **{
                c: st.column_config.Column(n)
                for c, n in labels.column_labels(events.columns).items()
                if c not in ("date", "session_date", "patient_id")
            },
        },
    )

st.subheader("Data quality")
notes = quality_notes(outcome, recent_days=cfg.recent_days)
if not notes:
    st.caption("No data-quality notes.")
for note in notes:
    st.warning(note, icon="🔎")

file_buttons.patient_section(user, pid, settings=cfg, purpose=PAGE)
