"""Treatment response: cohort outcomes, responder rates, time to response, dose, safety."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from dashboard import charts, data, downloads, labels, settings, state, widgets

PAGE = "Treatment response"
user = state.require_role("clinician", "admin")
st.title("📊 Treatment response")

cfg = settings.current_settings()
result = data.analysis(user, cfg, purpose=PAGE)
outcomes = result.patient_outcomes
st.caption(settings.settings_caption())
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

# ------------------------------------------------------------------ waterfall
st.plotly_chart(
    charts.waterfall(outcomes, threshold=cfg.responder_threshold), key="response.waterfall"
)
st.caption(
    f"{int(evaluable.sum())} of {len(outcomes)} patients have a baseline and a follow-up. "
    "IMMPACT categories: < 10% none, 10–30% minimal, 30–50% moderate, ≥ 50% substantial."
)

# ------------------------------------------------------------------ responder rates
st.subheader("Responder rates and group comparison")
names = labels.GROUPING_LABELS
summaries = data.group_summaries(result)
comparisons = data.group_comparisons(result)
tabs = st.tabs([names[k] for k in summaries])
for tab, (by, summary) in zip(tabs, summaries.items(), strict=True):
    with tab:
        st.plotly_chart(
            charts.responder_rates(
                summary, by="group", grouping=by, title=f"Responders by {names[by].lower()}"
            ),
            key=f"response.rates.{by}",
        )
        widgets.table(
            summary.drop(columns=["group_by"]).assign(
                group=[labels.group_label(by, v) for v in summary["group"]]
            ),
            column_config=widgets.number_columns(
                summary,
                percent=[
                    "responder_rate",
                    "responder_ci_low",
                    "responder_ci_high",
                    "responder_rate_30",
                    "responder_rate_50",
                ],
            ),
        )
        comparison = comparisons.get(by)
        if comparison is None or comparison.empty:
            st.caption("Only one label: nothing to compare.")
        else:
            st.markdown(f"**{names[by]}: pairwise comparison**")
            widgets.table(
                comparison.drop(columns=["group_by"]).assign(
                    group_a=[labels.group_label(by, v) for v in comparison["group_a"]],
                    group_b=[labels.group_label(by, v) for v in comparison["group_b"]],
                ),
                column_config={
                    **widgets.number_columns(
                        comparison,
                        percent=[
                            "responder_rate_a",
                            "responder_rate_b",
                            "risk_difference",
                            "rd_ci_low",
                            "rd_ci_high",
                        ],
                    ),
                    "adjusted_difference": st.column_config.NumberColumn(
                        "adjusted difference (points)",
                        format="%.2f",
                        help="ANCOVA: follow-up pain of group A minus B at equal baseline; "
                        "negative = less pain in A",
                    ),
                    "p_value": st.column_config.NumberColumn("p", format="%.3f"),
                    "nnt": st.column_config.NumberColumn(
                        "NNT", format="%.1f", help="1 / risk difference; negative = harm"
                    ),
                },
            )

# ------------------------------------------------------------------ CPRA and time to response
c1, c2 = st.columns(2)
with c1:
    st.plotly_chart(
        charts.cpra_chart(result.cpra, threshold=cfg.responder_threshold), key="response.cpra"
    )
with c2:
    km = data.kaplan_meier_table(result)
    if km is None or km.empty:
        st.info("Time to response needs patients with a baseline and diary days after the start.")
    else:
        st.plotly_chart(charts.kaplan_meier_chart(km), key="response.km")
        median = data.kaplan_meier_median(result)
        st.caption(
            "Response = the 7-day mean stays at or below 70% of baseline for 7 days. "
            + (
                f"Median time to response: {median:.0f} days."
                if median is not None and np.isfinite(median)
                else "Fewer than half of the patients responded: no median."
            )
        )

# ------------------------------------------------------------------ dose response
st.subheader("Dose–response")
summary, fit = data.dose_summary(result)
if summary is None or summary.empty:
    st.info("Not enough patients per session number for a dose–response curve.")
else:
    curve = data.emax_points(fit, float(summary["session_number"].max()))
    label = (
        f"Emax fit: Emax {fit.emax:.2f} points, k50 {fit.k50:.1f} sessions"
        if curve is not None
        else "Emax fit"
    )
    st.plotly_chart(
        charts.dose_response_chart(
            summary.rename(columns={"n_patients": "n"}), emax=curve, emax_label=label
        ),
        key="response.dose",
    )

# ------------------------------------------------------------------ session response and safety
c1, c2 = st.columns(2)
with c1:
    by_tech = data.session_response_by_technique(result)
    if by_tech is None or by_tech.empty:
        st.info("No sessions yet.")
    else:
        st.plotly_chart(charts.technique_response_chart(by_tech), key="response.technique")
with c2:
    rates = result.adverse_events
    if rates is None or pd.isna(rates["events_per_100_sessions"]).all():
        st.info("No sessions yet: no adverse-event rate.")
    else:
        st.plotly_chart(charts.adverse_event_chart(rates), key="response.safety")

downloads.cohort_section(user, settings=cfg, purpose=PAGE)
