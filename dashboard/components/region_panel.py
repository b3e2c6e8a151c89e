"""Where it hurt: the sections of the chart and of My progress on the body regions marked.

A heat map of how often each region was marked week by week over a chosen
period, the widespread pain index of the period, and how the painful area
changed since baseline — every number from the patient's summary
(:func:`analytics.pipeline.summarize_patient`).
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from analytics.presentation import WPI_LABEL, region_change_lines, region_words
from dashboard.charts import CHART_CONFIG, body_map_figure, region_heatmap

__all__ = ["REGION_PERIODS", "my_regions", "region_panel"]

#: The periods the heat map offers, in days (None = the whole diary).
REGION_PERIODS: dict[str, int | None] = {
    "Last 4 weeks": 28,
    "Last 12 weeks": 84,
    "Whole diary": None,
}


def region_panel(summary: Any, *, key: str, before: str = "before treatment") -> None:
    """Show where a patient's pain was over a chosen period, and its change since baseline.

    Parameters
    ----------
    summary : analytics.pipeline.PatientSummary
        The patient's summary (``region_days``, ``region_weeks``, ``region_change``).
    key : str
        Prefix of the widgets' keys.
    before : str, default "before treatment"
        The baseline window in words (:func:`analytics.presentation.baseline_words`).
    """
    days: pd.DataFrame = summary.region_days
    if days.empty:
        st.caption("No body regions marked yet: the patient has not filled in the body map.")
        return
    choice = st.segmented_control(
        "Period", list(REGION_PERIODS), default="Last 12 weeks", key=f"{key}.period"
    )
    span = REGION_PERIODS[choice or "Last 12 weeks"]
    weeks: pd.DataFrame = summary.region_weeks
    if span is not None:
        first = days["date"].max() - pd.Timedelta(days=span - 1)
        weeks = weeks[weeks["period_end"] >= first]
        days = days[days["date"] >= first]
    st.plotly_chart(region_heatmap(weeks), key=f"{key}.heatmap", config=CHART_CONFIG)
    if not days.empty:
        last = days.iloc[-1]
        st.caption(
            f"{WPI_LABEL}: {days['wpi'].mean():.1f} a day on average over "
            f"{len(days)} days with the body map filled in; on {last['date']:%d %b %Y}, "
            f"{int(last['wpi'])} ({region_words(last['regions'])})."
        )
    change = summary.region_change
    row = None if change.empty else change.iloc[0].to_dict()
    for line in region_change_lines(row, recent_days=summary.settings.followup_days, before=before):
        st.markdown("- " + line)


def my_regions(summary: Any, *, start: pd.Timestamp, before: str) -> None:
    """Show a patient where it hurt since ``start``, and the change since baseline.

    Parameters
    ----------
    summary : analytics.pipeline.PatientSummary
        The patient's own summary.
    start : pandas.Timestamp
        First day of the period the page shows.
    before : str
        The baseline window in words ("before treatment").
    """
    days: pd.DataFrame = summary.region_days
    days = days[days["date"] >= start]
    st.subheader("Where it hurt")
    if days.empty:
        st.caption(
            "No body regions marked in this period. Mark them under "
            "“Where does it hurt today?” when you log a day."
        )
        return
    marks = days["regions"].str.split(";").explode().value_counts()
    shares = (marks / len(days)).to_dict()
    st.plotly_chart(
        body_map_figure(shares=shares, height=260),
        key="progress.body_map",
        config={**CHART_CONFIG, "staticPlot": True},
    )
    top = ", ".join(
        f"{region_words(code)} ({int(n)} of {len(days)} days)" for code, n in marks.head(3).items()
    )
    st.caption(
        f"Bigger, darker dots: parts that hurt on more of your {len(days)} days with the body "
        f"map filled in. Most often: {top}."
    )
    change = summary.region_change
    row = None if change.empty else change.iloc[0].to_dict()
    for line in region_change_lines(row, recent_days=summary.settings.followup_days, before=before):
        st.markdown("- " + line)
