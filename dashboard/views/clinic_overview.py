"""Clinic overview: one row per patient, filters, flags and click-through to the chart."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import data, labels, settings, state, widgets

PAGE = "Clinic overview"
user = state.require_role("clinician", "admin")
st.title("🏥 Clinic overview")

cfg = settings.current_settings()
table = data.overview_table(user, cfg, purpose=PAGE)
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
    c4, c5 = st.columns(2)

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
        list(labels.FLAG_LABELS),
        format_func=labels.FLAG_LABELS.__getitem__,
        key="overview.flag",
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
    # any of the chosen flags: choosing them all ("Select all") lists every flagged patient
    keep &= table[[f"flag_{flag}" for flag in flags]].fillna(False).astype(bool).any(axis=1)
shown = table[keep].reset_index(drop=True)

# ------------------------------------------------------------------ counts
evaluable = shown["responder"].notna()
n_resp = int(shown["responder"].fillna(False).astype(bool).sum())
c1, c2, c3, c4 = st.columns(4)
c1.metric("Patients", len(shown))
c2.metric("Evaluable", int(evaluable.sum()))
c3.metric(
    f"Responders (≥ {cfg.responder_threshold:g}%)",
    f"{n_resp}" + (f" ({100 * n_resp / evaluable.sum():.0f}%)" if evaluable.sum() else ""),
)
c4.metric("Flagged", int((shown["flags"] != "").sum()))
st.caption(settings.settings_caption())

# ------------------------------------------------------------------ the table
display = shown.assign(
    condition=labels.relabel(shown["condition"], labels.condition_label),
    technique=labels.relabel(shown["technique"], labels.technique_label),
    flags=labels.relabel(shown["flags"], labels.flags_text),
    response_category=labels.relabel(shown["response_category"], labels.category_label),
    why_missing=labels.relabel(shown["reason"], labels.reasons_text),
)
columns = {
    "patient_id": st.column_config.TextColumn("Patient"),
    "condition": st.column_config.TextColumn("Condition"),
    "group": st.column_config.TextColumn("Group"),
    "technique": st.column_config.TextColumn("Technique"),
    "clinician_id": st.column_config.TextColumn("Clinician"),
    "n_sessions": st.column_config.NumberColumn("Sessions", format="%d"),
    "baseline_pain": st.column_config.NumberColumn("Baseline", format="%.1f"),
    "latest_7day_mean": st.column_config.NumberColumn("Latest 7-day mean", format="%.1f"),
    "pct_change": st.column_config.NumberColumn(
        "Change %", format="%+.0f%%", help="(baseline − follow-up)/baseline; + = better"
    ),
    "response_category": st.column_config.TextColumn(
        "Response", help="IMMPACT category of the % change (Dworkin 2008)"
    ),
    "why_missing": st.column_config.TextColumn(
        "Why missing", help="Why a baseline, follow-up or % change is missing (— = complete)"
    ),
    "adherence_28d": st.column_config.ProgressColumn(
        "Adherence (28 d)", min_value=0.0, max_value=1.0, format="percent"
    ),
    "flags": st.column_config.TextColumn("Flags"),
}
if st.session_state.pop("overview.goto", False):
    st.switch_page("views/patient_chart.py")
st.session_state["overview.ids"] = shown["patient_id"].tolist()


def _open_selected() -> None:
    rows = st.session_state["overview.table"].selection.rows
    ids = st.session_state.get("overview.ids", [])
    if rows and rows[0] < len(ids):
        state.select_patient(ids[rows[0]])
        st.session_state["overview.goto"] = True


widgets.table(
    display[list(columns)],
    column_config=columns,
    on_select=_open_selected,
    selection_mode="single-row",
    key="overview.table",
)
st.caption(
    "Click a row (or pick a patient below) to open the patient's chart. Click a column "
    "header to sort."
)

c1, c2 = st.columns([3, 1])
ids = shown["patient_id"].tolist()


def _open_target() -> None:
    target = st.session_state.get("overview.target")
    if target:
        state.select_patient(target)
        st.session_state["overview.goto"] = True


c1.selectbox("Patient", ids, key="overview.target")
c2.button(
    "Open patient chart",
    type="primary",
    key="overview.open",
    on_click=_open_target,
    disabled=not ids,
)
