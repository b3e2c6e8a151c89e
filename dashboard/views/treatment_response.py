"""Treatment response: cohort outcomes, responder rates, time to response, dose, safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from analytics.presentation import (
    FOLLOWUP_RESPONDER,
    FOLLOWUP_RESPONDERS,
    SUSTAINED_RESPONSE,
    adjusted_for_text,
    emax_text,
    group_comparison_cells,
    group_summary_cells,
    holm_label,
    small_pairs_text,
    trailing_mean_label,
)
from dashboard import charts, data, frames, labels, navigation
from dashboard.components import file_buttons, settings_panel, table_download

PAGE = "Treatment response"
user = navigation.require_role("clinician", "admin")
st.title("📊 Treatment response")

cfg = settings_panel.current_settings(as_of_today=True)
result = data.analysis(user, cfg, purpose=PAGE)
outcomes = result.patient_outcomes
st.caption(settings_panel.settings_caption())
if user.role == "clinician":
    st.caption("Every number on this page covers the patients assigned to you.")

if outcomes.empty:
    st.info("No patients yet. Import the clinic's CSV files on the **Data** page.")
    st.stop()

evaluable = outcomes["pct_change"].notna()
if not evaluable.any():
    st.info(
        "No patient has both a baseline and a follow-up yet, so there is no response to show. "
        "Baselines need diary days before the first session."
    )
    st.stop()

n_controls = int(outcomes["control"].astype(bool).sum())
control_groups = sorted(outcomes.loc[outcomes["control"].astype(bool), "group"].dropna().unique())

# ------------------------------------------------------------------ waterfall
# charts of the visit's result are built once per visit (a rerun after a widget change
# further down draws what the first run built)
st.plotly_chart(
    data.per_visit(charts.waterfall, outcomes, threshold=cfg.responder_threshold),
    key="response.waterfall",
    config=charts.CHART_CONFIG,
)
st.caption(
    f"Each bar is one patient: pain reduction from before treatment to follow-up, % (positive = "
    f"better). {int(evaluable.sum())} of {len(outcomes)} patients have a baseline and a "
    f"follow-up of at least {cfg.min_entries} entries in their last {cfg.followup_days} diary "
    f"days (the trial-style rule); a bar past the {cfg.responder_threshold:g}% line is a "
    f"{FOLLOWUP_RESPONDER}. The **Clinic overview** also uses a patient's most recent "
    "valid follow-up when the last days are too few, so it can count more patients and more "
    "responders than this page."
)

# ------------------------------------------------------------------ responder rates
st.subheader("Responder rates and group comparison")
if n_controls:
    st.caption(
        f"{n_controls} patient{'s are' if n_controls != 1 else ' is'} in a comparison group "
        f"({', '.join(map(str, control_groups)) or 'no sessions'}) or had no session: they are "
        "left out of the condition and technique rates and appear only under Group."
    )
names = labels.GROUPING_LABELS
summaries = frames.group_summaries(result)
comparisons = frames.group_comparisons(result)


def _summary_view(by: str, summary: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, object]]:
    cells = group_summary_cells(summary, by, min_group_size=cfg.min_group_size)
    frame = cells[
        ["group", "n_patients", "responders", "responder_ci", "mean_change", "mean_change_ci"]
    ]
    config: dict[str, object] = {
        "group": st.column_config.TextColumn(labels.GROUPING_LABELS[by]),
        "n_patients": st.column_config.TextColumn("Patients"),
        "responders": st.column_config.TextColumn(
            "Responders",
            help="Responders of the patients with a baseline and a follow-up (a % change).",
        ),
        "responder_ci": st.column_config.TextColumn(
            "95% CI of the rate", help="Wilson score interval of the responder rate."
        ),
        "mean_change": st.column_config.TextColumn(
            "Pain reduction, points", help="Mean pain reduction, points (positive = better)."
        ),
        "mean_change_ci": st.column_config.TextColumn(
            "95% CI of the reduction",
            help="t-interval of the mean pain reduction, points; never past the 0–10 scale.",
        ),
    }
    return frame, config


def _comparison_view(by: str, comparison: pd.DataFrame) -> tuple[pd.DataFrame, dict[str, object]]:
    frame = group_comparison_cells(comparison, by, min_group_size=cfg.min_group_size)
    config: dict[str, object] = {
        "group_a": st.column_config.TextColumn("A"),
        "group_b": st.column_config.TextColumn("B"),
        "patients": st.column_config.TextColumn("Patients A / B"),
        "adjusted_difference": st.column_config.TextColumn(
            "Pain A − B, points",
            help="Follow-up pain of A minus B at equal baseline (ANCOVA); negative = less pain in A.",
        ),
        "ci": st.column_config.TextColumn(
            "95% CI (unadjusted)",
            help="Interval of the pain difference; it excludes 0 exactly when the unadjusted "
            "p is below 0.05.",
        ),
        "p_value": st.column_config.TextColumn(
            "p (unadjusted)", help="p-value of the pain difference, for this pair alone."
        ),
        "p_value_holm": st.column_config.TextColumn(
            holm_label(comparison),
            help="The same p-value adjusted for all the pairs compared in this table (Holm 1979).",
        ),
        "responder_rates": st.column_config.TextColumn("Responders A / B"),
        "risk_difference": st.column_config.TextColumn(
            "Responders A − B, percentage points",
            help="Responder rate of A minus B, in whole percentage points.",
        ),
        "rd_ci": st.column_config.TextColumn(
            "95% CI of the difference",
            help="Newcombe's hybrid score interval of the difference in responder rates.",
        ),
    }
    return frame, config


tabs = st.tabs([names[k] for k in summaries])
for tab, (by, summary) in zip(tabs, summaries.items(), strict=True):
    with tab:
        st.plotly_chart(
            charts.responder_rates(
                summary, by="group", grouping=by, title=f"Responders by {names[by].lower()}"
            ),
            key=f"response.rates.{by}",
            config=charts.CHART_CONFIG,
        )
        frame, config = _summary_view(by, summary)
        table_download.data_table(
            frame, what=f"treatment response by {by}", patient_id=None, purpose=PAGE,
            column_config=config, key=f"response.summary.{by}",
        )  # fmt: skip
        st.caption(
            f"Responder: at least {cfg.responder_threshold:g}% less pain at follow-up than before "
            "treatment, counted among the patients with a % change."
        )
        comparison = comparisons.get(by)
        if comparison is None or comparison.empty:
            st.caption("Only one label: nothing to compare.")
        else:
            n_pairs = len(comparison)
            st.markdown(
                f"**{names[by]}: pairwise comparison ({n_pairs} pair{'s' if n_pairs != 1 else ''})**"
            )
            frame, config = _comparison_view(by, comparison)
            table_download.data_table(
                frame, what=f"pairwise comparison by {by}", patient_id=None, purpose=PAGE,
                column_config=config, key=f"response.comparison.{by}",
            )  # fmt: skip
            small = small_pairs_text(comparison, min_group_size=cfg.min_group_size)
            st.caption(
                f"Pain A − B: follow-up pain of A minus B {adjusted_for_text(comparison)}, "
                "negative = less pain in A (ANCOVA). Responders A − B: responder rate of A minus B. The 95% CI and "
                "the unadjusted p belong together; the Holm-adjusted p says whether a "
                "difference survives the number of pairs compared, so a chance finding among "
                "many comparisons is not shown as significant." + (f" {small}" if small else "")
            )

# ------------------------------------------------------------------ CPRA and time to response
c1, c2 = st.columns(2)
with c1:
    st.plotly_chart(
        data.per_visit(charts.cpra_chart, result.cpra, threshold=cfg.responder_threshold),
        key="response.cpra",
        config=charts.CHART_CONFIG,
    )
    st.caption(
        "For each % improvement on the bottom axis, the share of patients who improved at "
        "least that much (read the 30% and 50% lines for the usual responder rates)."
    )
with c2:
    km = frames.kaplan_meier_table(result)
    if km is None or km.empty:
        st.info("Time to response needs patients with a baseline and diary days after the start.")
    else:
        st.plotly_chart(
            charts.kaplan_meier_chart(km), key="response.km", config=charts.CHART_CONFIG
        )
        median = frames.kaplan_meier_median(result)
        st.caption(
            f"Time to a {SUSTAINED_RESPONSE}: the share of patients without one, day by day "
            f"after the start; a {SUSTAINED_RESPONSE} is the "
            f"{trailing_mean_label(cfg.trend_window_days)} staying at or below "
            f"{100 * cfg.response_fraction:.0f}% "
            f"of baseline for {cfg.response_hold_days} days — a different rule from the "
            f"{FOLLOWUP_RESPONDERS} above, so the two counts differ. "
            + (
                f"Half of the patients had reached a {SUSTAINED_RESPONSE} by day {median:.0f}."
                if median is not None and np.isfinite(median)
                else f"Fewer than half of the patients reached a {SUSTAINED_RESPONSE}, so there "
                "is no median."
            )
        )

# ------------------------------------------------------------------ dose response
st.subheader("Dose–response")
summary, fit = frames.dose_summary(result)
if summary is None or summary.empty:
    st.info("Not enough patients per session number for a dose–response curve.")
else:
    curve = frames.emax_points(fit, float(summary["session_number"].max()))
    headline = emax_text(fit, float(summary["session_number"].max()))[0]
    label = f"Emax fit: {headline}" if curve is not None else "Emax fit"
    st.plotly_chart(
        charts.dose_response_chart(
            summary.rename(columns={"n_patients": "n"}), emax=curve, emax_label=label
        ),
        key="response.dose",
        config=charts.CHART_CONFIG,
    )
    st.caption(
        "Mean pain reduction from baseline (positive = better) after each number of sessions. "
        + (
            emax_text(fit, float(summary["session_number"].max()))[1]
            if curve is not None
            else "Too few session numbers for an Emax curve."
        )
    )

# ------------------------------------------------------------------ session response and safety
c1, c2 = st.columns(2)
with c1:
    by_tech = frames.session_response_by_technique(result)
    if by_tech is None or by_tech.empty:
        st.info("No sessions yet.")
    else:
        st.plotly_chart(
            charts.technique_response_chart(by_tech),
            key="response.technique",
            config=charts.CHART_CONFIG,
        )
with c2:
    rates = result.adverse_events
    if rates is None or pd.isna(rates["events_per_100_sessions"]).all():
        st.info("No sessions yet: no adverse-event rate.")
    else:
        st.plotly_chart(
            data.per_visit(charts.adverse_event_chart, rates),
            key="response.safety",
            config=charts.CHART_CONFIG,
        )

file_buttons.cohort_section(user, settings=cfg, purpose=PAGE)
