"""Session charts: pain before and after each session, response per session, change by session number."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.charts._style import (
    PAIN_TITLE,
    REDUCTION_POINTS_TITLE,
    SERIES_COLORS,
    SESSION_RESPONSE_RANGE,
    all_missing,
    apply_layout,
    axis_title,
    int_step,
    pain_axis,
    session_axis,
    session_number_axis,
    technique_color,
)
from dashboard.labels import (
    technique_label,
)

__all__ = ["session_before_after", "session_response_chart", "change_by_session"]


def session_before_after(
    sessions: pd.DataFrame, *, title: str = "Pain just before and after each session"
) -> go.Figure:
    """Draw grouped bars of ``pain_before`` and ``pain_after`` per session (x = session date)."""
    labels = sessions["date"].dt.strftime("%d %b %Y")
    fig = go.Figure()
    for col, name in (("pain_before", "Before session"), ("pain_after", "After session")):
        fig.add_trace(
            go.Bar(
                x=labels,
                y=sessions[col],
                name=name,
                marker_color=SERIES_COLORS["before" if col == "pain_before" else "after"],
                hovertemplate=f"%{{x}}<br>{name}: %{{y:.0f}}/10<extra></extra>",
            )
        )
    apply_layout(fig, title=title, x_title="Session date", y_title=PAIN_TITLE)
    session_axis(fig)
    fig.update_layout(barmode="group")
    pain_axis(fig)
    return fig


def session_response_chart(
    response: pd.DataFrame, *, title: str = "Response to each session"
) -> go.Figure:
    """Short-term pain reduction (bars, left axis) and relief duration (diamonds, right axis).

    ``response`` is ``analytics.stats.session_response`` for one
    patient: ``session_date``, ``technique_band``, ``short_term_change`` (points,
    positive = better), ``relief_days`` and ``relief_censored``.

    The left axis is fixed at ±:data:`SESSION_RESPONSE_RANGE` points (wider, to
    the next whole point, only when a change is larger), so a 0.17-point change
    looks as small as it is. The right axis is symmetric too, so both zeros sit
    at mid-height; it labels only its whole, non-negative days.
    """
    labels = response["session_date"].dt.strftime("%d %b %Y")
    change = pd.to_numeric(response["short_term_change"]).astype("float64")
    relief = pd.to_numeric(response["relief_days"]).astype("float64")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=labels,
            y=change,
            name="Pain reduction (points)",
            marker_color=[technique_color(b) for b in response["technique_band"]],
            customdata=[technique_label(b) for b in response["technique_band"]],
            hovertemplate="%{x} (%{customdata})<br>Pain reduction, 3 days before → after: "
            "%{y:.1f} points<extra></extra>",
        ),
        secondary_y=False,
    )
    has_relief = not all_missing(relief)
    if has_relief:
        censored = response["relief_censored"].fillna(False).astype(bool).to_numpy()
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=relief,
                mode="markers",
                name="Relief (days; open ◇ = cut off)",
                marker={
                    "symbol": np.where(censored, "diamond-open", "diamond"),
                    "size": 11,
                    "color": SERIES_COLORS["relief"],
                    "line": {"width": 2},
                },
                hovertemplate="%{x}<br>Relief: %{y:.0f} days<extra></extra>",
                cliponaxis=False,
            ),
            secondary_y=True,
        )
    apply_layout(fig, title=title, x_title="Session date", y_title="")
    session_axis(fig)
    peak = change.abs().max(skipna=True)
    half = SESSION_RESPONSE_RANGE
    if np.isfinite(peak) and peak > half:
        half = min(10, math.ceil(peak))
    fig.update_yaxes(
        title_text=axis_title(REDUCTION_POINTS_TITLE),
        range=[-half, half],
        tickmode="linear",
        tick0=0,
        dtick=1 if half <= 5 else 2,
        zeroline=True,
        zerolinecolor=SERIES_COLORS["reference"],
        zerolinewidth=1,
        secondary_y=False,
    )
    if has_relief:
        top = max(7.0, float(math.ceil(relief.max(skipna=True))))
        step = int_step(top, max_ticks=4)
        fig.update_yaxes(
            title_text="Relief, days",
            # symmetric, so its zero is level with the left axis' zero; the
            # negative half carries no ticks (there are no negative days)
            range=[-top, top],
            tickmode="array",
            tickvals=list(range(0, int(top) + 1, step)),
            showgrid=False,
            zeroline=False,
            secondary_y=True,
        )
    return fig


def change_by_session(
    patient: pd.DataFrame,
    *,
    cohort: pd.DataFrame | None = None,
    emax: tuple[np.ndarray, np.ndarray] | None = None,
    title: str = "Change from baseline by session number",
) -> go.Figure:
    """Patient's change from baseline by cumulative session number, with the cohort.

    Parameters
    ----------
    patient : pandas.DataFrame
        ``analytics.stats.dose_response`` rows of one patient: ``session_number``
        and ``change_from_baseline`` (points, positive = better).
    cohort : pandas.DataFrame, optional
        ``session_number``, ``mean_change`` and optionally ``ci_low``/``ci_high``
        (the cohort summary from ``analytics.stats``).
    emax : (k, predicted), optional
        The cohort Emax curve evaluated at session numbers ``k``.
    """
    fig = go.Figure()
    if cohort is not None and len(cohort):
        if {"ci_low", "ci_high"} <= set(cohort.columns):
            fig.add_trace(
                go.Scatter(
                    x=np.concatenate([cohort["session_number"], cohort["session_number"][::-1]]),
                    y=np.concatenate([cohort["ci_high"], cohort["ci_low"][::-1]]),
                    fill="toself",
                    fillcolor="rgba(97,97,97,0.15)",
                    line={"width": 0},
                    name="Cohort 95% CI",
                    hoverinfo="skip",
                )
            )
        fig.add_trace(
            go.Scatter(
                x=cohort["session_number"],
                y=cohort["mean_change"],
                mode="lines+markers",
                name="Cohort mean",
                line={"color": SERIES_COLORS["cohort"], "width": 2},
                hovertemplate="Session %{x}<br>Cohort mean change: %{y:.1f} points<extra></extra>",
            )
        )
    if emax is not None:
        k, pred = emax
        fig.add_trace(
            go.Scatter(
                x=k,
                y=pred,
                mode="lines",
                name="Cohort Emax fit",
                line={"color": SERIES_COLORS["cohort"], "dash": "dash"},
                hovertemplate="Session %{x}<br>Emax fit: %{y:.1f} points<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=patient["session_number"],
            y=patient["change_from_baseline"],
            mode="lines+markers",
            name="This patient",
            line={"color": SERIES_COLORS["patient"], "width": 3},
            hovertemplate="Session %{x}<br>Change: %{y:.1f} points<extra></extra>",
        )
    )
    apply_layout(
        fig,
        title=title,
        x_title="Session number",
        y_title="Pain reduction from baseline, points (positive = better)",
    )
    numbers = [patient["session_number"]]
    if cohort is not None and len(cohort):
        numbers.append(cohort["session_number"])
    session_number_axis(fig, pd.concat(numbers, ignore_index=True))
    fig.add_hline(y=0, line_color=SERIES_COLORS["reference"], line_width=1)
    return fig
