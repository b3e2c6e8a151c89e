"""Clinic overview for triage: who needs a look first, status as of today, click-through."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.presentation import (
    SIGNAL_LABELS,
    course_text,
    due_names,
    signals_text,
    trailing_mean_label,
)
from dashboard import charts, clock, data, frames, labels, navigation, session
from dashboard.components import settings_panel, table_download

PAGE = "Clinic overview"
user = navigation.require_role("clinician", "admin")
st.title("🏥 Clinic overview")

cfg = settings_panel.current_settings(as_of_today=True)
table = data.overview_table(user, cfg, purpose=PAGE)
# each patient's course and signals: active courses with a clinical signal first
table = data.triage_overview(user, table, cfg, purpose=PAGE)
MEAN_NOW = trailing_mean_label(cfg.trend_window_days)
if table.empty:
    if user.role == "admin":
        st.info(
            "No patients yet. Import the clinic's CSV files on the **Data** page, or run "
            "`paindiary init-demo` for the demo clinic."
        )
    else:
        st.info(
            "No patients are assigned to you yet. An administrator assigns patients to "
            "clinicians on the **Admin** page."
        )
    st.stop()
if user.role == "clinician":
    st.caption("Your patients: the counts and rates below cover the patients assigned to you.")

# ------------------------------------------------------------------ filters
with st.expander("Filter", expanded=False):
    c1, c2, c3 = st.columns(3)
    c4, c5, c6 = st.columns(3)

    def _options(col: str) -> list[str]:
        return sorted(table[col].dropna().astype(str).unique())

    conditions = c1.multiselect(
        "Condition",
        _options("condition"),
        format_func=labels.condition_label,
        key="overview.condition",
    )
    groups = c2.multiselect("Group", _options("group"), key="overview.group")
    techniques = c3.multiselect(
        "Technique",
        _options("technique"),
        format_func=labels.technique_label,
        key="overview.technique",
    )
    clinicians = c4.multiselect("Clinician", _options("clinician_id"), key="overview.clinician")
    flags = c5.multiselect(
        "Flag",
        list(SIGNAL_LABELS),
        format_func=SIGNAL_LABELS.__getitem__,
        key="overview.flag",
        help="Active courses with any of the chosen signals.",
    )
    show_ended = c6.toggle(
        "Show ended courses",
        key="overview.ended",
        help="Ended courses are left out of the list; they always count in the responders "
        "and in every cohort table.",
    )

keep = pd.Series(True, index=table.index)
for col, chosen in (
    ("condition", conditions),
    ("group", groups),
    ("technique", techniques),
    ("clinician_id", clinicians),
):
    if chosen:
        keep &= table[col].astype(str).isin(chosen)
if flags:
    # any of the chosen flags: choosing them all lists every flagged patient
    keep &= table["needs_attention"] & table[flags].astype(bool).any(axis=1)
shown = table[keep].reset_index(drop=True)
# the list: ended courses only on request; the counts below keep them
listed = shown if show_ended else shown[shown["course_state"] != "ended"].reset_index(drop=True)
n_ended = int((shown["course_state"] == "ended").sum())

# ------------------------------------------------------------------ counts
responders = shown["shown_pct_change"] >= cfg.responder_threshold
evaluable = shown["shown_pct_change"].notna()
n_eval = int(evaluable.sum())
# a wrapping row, not st.columns: on a phone the four counts take two lines, not a screen
counts = st.container(horizontal=True, gap="medium")
c1 = c2 = c3 = c4 = counts
c1.metric(
    "Patients",
    len(shown),
    help=f"{n_ended} of them with an ended course." if n_ended else None,
    width="content",
)
c2.metric(
    "Need attention",
    int(shown["needs_attention"].sum()),
    help="Active courses with at least one signal: worse than baseline, pain rising, a "
    "recent adverse event, a large opioid rise, then logging gaps.",
    width="content",
)
c3.metric(
    f"Not logging ≥ {cfg.not_logging_days} days",
    int((shown["not_logging"] & (shown["course_state"] == "active")).sum()),
    help="Active courses with no diary entry in the last days, counted back from today "
    f"(a course with no session for {cfg.course_quiet_weeks} weeks is counted as probably "
    "ended instead).",
    width="content",
)
c4.metric(
    f"Responders (≥ {cfg.responder_threshold:g}%)",
    f"{int(responders.sum())} of {n_eval}",
    help="Of the patients with a baseline and a follow-up.",
    width="content",
)
n_recent = int((shown["followup_source"] == "recent").sum())
st.caption(
    f"Status as of today, {clock.today():%d %b %Y}: {MEAN_NOW}, adherence and flags count "
    "back from today. "
    + (
        f"For {n_recent} patient{'s' if n_recent != 1 else ''} the last "
        f"{cfg.followup_days} diary days hold too few entries, so the response uses the most "
        "recent valid follow-up (its dates are in “Why missing / note”); "
        "**Treatment response** counts only the strict follow-up, so its responder count can "
        "be lower."
        if n_recent
        else ""
    )
)

# ------------------------------------------------------------------ the triage table


def _day(value: object) -> str:
    return "" if pd.isna(value) else f"{pd.Timestamp(value):%d %b}"


def _attention(row: pd.Series) -> str:
    if row["course_state"] != "active":
        return ""  # a paused or ended course needs no look
    return signals_text(
        row["signals"],
        not_logging=frames.not_logging_text(row["days_since_last_entry"]),
        weeks_since_session=row["weeks_since_session"],
    )


def _course(row: pd.Series) -> str:
    return course_text(row["course_state"], row["course_since"], row["course_end_reason"])


def _response(row: pd.Series) -> str:
    if not row["shown_response_category"]:
        return labels.MISSING
    name = labels.category_label(row["shown_response_category"]).split(" (")[0]
    return f"{labels.number_text(row['shown_pct_change'], '+.0f')}% · {name}"


def _note(row: pd.Series) -> str:
    if row["followup_source"] == "recent":
        # the last diary days hold too few entries: the most recent valid follow-up
        return f"follow-up {_day(row['shown_followup_start'])}–{_day(row['shown_followup_end'])}"
    return labels.reasons_text(row["reason"])


def _mean_now(row: pd.Series) -> str:
    if pd.isna(row["last_valid_mean"]):
        return labels.MISSING
    return f"{row['last_valid_mean']:.1f} ({_day(row['last_valid_mean_date'])})"


# the questionnaires due today, by the rule Log today uses, for every patient at once
due = due_names(data.cohort_questionnaires_due(user, today=clock.today(), purpose=PAGE))
display = pd.DataFrame(
    {
        "patient_id": listed["patient_id"],
        "attention": listed.apply(_attention, axis=1) if len(listed) else [],
        "due": listed["patient_id"]
        .map(due)
        .map(lambda t: f"{t} due" if isinstance(t, str) else ""),
        "course": listed.apply(_course, axis=1) if len(listed) else [],
        "response": listed.apply(_response, axis=1) if len(listed) else [],
        "note": listed.apply(_note, axis=1) if len(listed) else [],
        # in % (0–100), so the cell reads "57%" rather than "57.14%"
        "adherence_28d": 100 * listed["adherence_28d"],
        "mean_now": listed.apply(_mean_now, axis=1) if len(listed) else [],
    }
)
columns = {
    # pinned: on a phone the table swipes sideways and the patient stays in view
    "patient_id": st.column_config.TextColumn("Patient", width=54, pinned=True),
    "attention": st.column_config.TextColumn(
        "Needs attention",
        width=276,
        help="Active courses only. Clinical signals first — worse than baseline (any rise of "
        "pain), pain rising over the treatment, an adverse event in the last 28 days, a large "
        "opioid rise — then gaps: probably ended (no session for weeks), not logging, low "
        "adherence, not enough baseline.",
    ),
    "due": st.column_config.TextColumn(
        "Questionnaires",
        width=150,
        help="Outcome questionnaires due today (at baseline, then after the session numbers of "
        "the clinic's settings), until the patient answers them on Log today.",
    ),
    "course": st.column_config.TextColumn(
        "Course",
        width=120,
        help="Active, paused or ended (with the day and the reason). Change it on the "
        "patient's chart.",
    ),
    "response": st.column_config.TextColumn(
        "Response",
        width=152,
        help="Pain reduction from baseline, % (positive = better), and its IMMPACT category "
        "(Dworkin 2008).",
    ),
    "note": st.column_config.TextColumn(
        "Why missing / note",
        width=132,
        help="Why there is no response; or, when the last diary days hold too few entries, "
        "the dates of the most recent valid follow-up the response comes from.",
    ),
    "adherence_28d": st.column_config.ProgressColumn(
        "Adherence",
        min_value=0.0,
        max_value=100.0,
        format="%.0f%%",
        color=charts.ADHERENCE_COLOR,
        width=84,
        help="Share of the 28 days ending today with a diary entry (neutral colour: a fact, "
        "not a verdict).",
    ),
    "mean_now": st.column_config.TextColumn(
        MEAN_NOW.capitalize(),
        width=88,
        help=f"Latest {MEAN_NOW} of pain (0–10) with enough entries, and the day it ends.",
    ),
}
if st.session_state.pop("overview.goto", False):
    st.switch_page("views/patient_chart.py")
st.session_state["overview.ids"] = listed["patient_id"].tolist()


def _open_selected() -> None:
    rows = st.session_state["overview.table"].selection.rows
    ids = st.session_state.get("overview.ids", [])
    if rows and rows[0] < len(ids):
        session.select_patient(ids[rows[0]])
        st.session_state["overview.goto"] = True


st.caption(
    (
        ""
        if show_ended
        else f"{n_ended} ended course{'s are' if n_ended != 1 else ' is'} not "
        "listed (“Show ended courses” in Filter); they count in the responders. "
        if n_ended
        else ""
    )
    + "Patients who need attention come first. Click a row (or pick any patient below, ended "
    "courses too) to open "
    "the patient's chart."
)
table_download.data_table(
    display,
    what="clinic overview",
    patient_id=None,
    purpose=PAGE,
    column_config=columns,
    on_select=_open_selected,
    selection_mode="single-row",
    key="overview.table",
    height="content",
)

c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
ids = shown["patient_id"].tolist()  # every patient of the filters, ended courses too


def _open_target() -> None:
    target = st.session_state.get("overview.target")
    if target:
        session.select_patient(target)
        st.session_state["overview.goto"] = True


c1.selectbox("Patient", ids, key="overview.target")
c2.button(
    "Open patient chart",
    type="primary",
    key="overview.open",
    on_click=_open_target,
    disabled=not ids,
)

# ------------------------------------------------------------------ every column
with st.expander("More columns: condition, group, technique, baseline, follow-up"):
    details = pd.DataFrame(
        {
            "patient_id": shown["patient_id"],
            "condition": labels.relabel(shown["condition"], labels.condition_label),
            "group": shown["group"],
            "technique": labels.relabel(shown["technique"], labels.technique_label),
            "clinician_id": shown["clinician_id"],
            "n_sessions": shown["n_sessions"],
            "baseline_pain": shown["baseline_pain"],
            "followup_pain": shown["shown_followup_pain"],
            "change": labels.drop_negative_zero(
                shown["baseline_pain"] - shown["shown_followup_pain"], 1
            ),
            "last_entry": shown["last_entry_date"],
            "days_since_last_entry": shown["days_since_last_entry"],
        }
    )
    table_download.data_table(
        details,
        what="clinic overview, more columns",
        patient_id=None,
        purpose=PAGE,
        key="overview.details",
        column_config={
            "patient_id": st.column_config.TextColumn("Patient", pinned=True),
            "condition": st.column_config.TextColumn("Condition"),
            "group": st.column_config.TextColumn("Group"),
            "technique": st.column_config.TextColumn("Technique"),
            "clinician_id": st.column_config.TextColumn("Clinician"),
            "n_sessions": st.column_config.NumberColumn("Sessions", format="%d"),
            "baseline_pain": st.column_config.NumberColumn(
                "Pain before treatment (0–10)", format="%.1f"
            ),
            "followup_pain": st.column_config.NumberColumn(
                "Pain at follow-up (0–10)", format="%.1f"
            ),
            "change": st.column_config.NumberColumn(
                "Pain reduction, points (positive = better)", format="%+.1f"
            ),
            "last_entry": st.column_config.DateColumn("Last diary entry", format="D MMM YYYY"),
            "days_since_last_entry": st.column_config.NumberColumn(
                "Days since last entry", format="%d"
            ),
        },
    )
    st.caption(settings_panel.settings_caption(as_of_today=True))
