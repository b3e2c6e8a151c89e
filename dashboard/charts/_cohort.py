"""Cohort charts: waterfall, responder rates, CPRA, Kaplan–Meier, dose–response, techniques, adverse events."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.presentation import SUSTAINED_RESPONSE, interval_text, share_text
from dashboard.charts._style import (
    CATEGORY_COLORS,
    KM_BAND,
    REDUCTION_PCT_TITLE,
    REDUCTION_POINTS_TITLE,
    SERIES_COLORS,
    TECHNIQUE_COLORS,
    apply_layout,
    axis_top,
    category_color,
    int_ticks,
    label_text,
    session_number_axis,
    technique_color,
    wrap_label,
)
from dashboard.labels import (
    adverse_event_label,
    category_label,
    group_label,
    technique_label,
)

__all__ = [
    "waterfall",
    "responder_rates",
    "cpra_chart",
    "kaplan_meier_chart",
    "dose_response_chart",
    "technique_response_chart",
    "adverse_event_chart",
]


def waterfall(
    outcomes: pd.DataFrame,
    *,
    threshold: float | None = None,
    title: str = "Change in pain per patient",
) -> go.Figure:
    """Waterfall of % change per patient, best first, coloured by response category.

    ``outcomes`` is ``analytics.stats.patient_outcomes``: ``patient_id``,
    ``pct_change`` (%, positive = better) and ``response_category``; patients
    without a % change are left out. One trace per category so the legend names
    the colours.
    """
    data = outcomes.dropna(subset=["pct_change"]).assign(
        category=lambda d: d["response_category"].astype("str")
    )
    data = data.sort_values(["pct_change", "patient_id"], ascending=[False, True])
    fig = go.Figure()
    order = [label_text(p) for p in data["patient_id"]]
    for cat in [c for c in CATEGORY_COLORS if c in set(data["category"].dropna())] + (
        ["not_evaluable"] if data["category"].isna().any() else []
    ):
        part = (
            data[data["category"] == cat]
            if cat != "not_evaluable"
            else data[data["category"].isna()]
        )
        fig.add_trace(
            go.Bar(
                x=[label_text(p) for p in part["patient_id"]],
                y=part["pct_change"],
                name=category_label(cat),
                marker_color=category_color(cat),
                hovertemplate="Patient %{x}<br>Change: %{y:.0f}%<br>"
                + category_label(cat)
                + "<extra></extra>",
            )
        )
    if threshold is not None:
        fig.add_hline(
            y=threshold,
            line_dash="dash",
            line_color=SERIES_COLORS["reference"],
            annotation_text=f"Responder threshold {threshold:g}%",
            annotation_position="top right",
        )
    apply_layout(
        fig,
        title=title,
        x_title="Patient (sorted by pain reduction)",
        y_title=REDUCTION_PCT_TITLE,
    )
    fig.update_xaxes(categoryorder="array", categoryarray=order, showticklabels=len(order) <= 40)
    return fig


def responder_rates(
    rates: pd.DataFrame,
    *,
    by: str,
    grouping: str = "group",
    title: str | None = None,
) -> go.Figure:
    """Responder rate with Wilson 95% CI per subgroup (horizontal bars).

    ``rates`` is a slice of ``analytics.stats.group_summary``: the label column
    ``by``, ``n_responders``, ``n_evaluable``, ``responder_rate``,
    ``responder_ci_low`` and ``responder_ci_high`` (fractions 0-1, drawn as %).
    ``grouping`` (``group``, ``condition`` or ``technique``, the summary's
    ``group_by``) chooses how the labels are written
    (:func:`dashboard.labels.group_label`).
    """
    data = rates.dropna(subset=["responder_rate"])
    rate = data["responder_rate"].to_numpy(dtype=float) * 100
    low = data["responder_ci_low"].to_numpy(dtype=float) * 100
    high = data["responder_ci_high"].to_numpy(dtype=float) * 100
    colors = [
        technique_color(v) if str(v) in TECHNIQUE_COLORS else SERIES_COLORS["event_any"]
        for v in data[by]
    ]
    fig = go.Figure(
        go.Bar(
            y=[wrap_label(label_text(group_label(grouping, v))) for v in data[by]],
            x=rate,
            orientation="h",
            marker_color=colors,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": high - rate,
                "arrayminus": rate - low,
            },
            customdata=[
                [
                    share_text(k, n),
                    # a Wilson interval is missing only when it was withheld for the size
                    "too few patients to compare"
                    if np.isnan(lo) or np.isnan(hi)
                    else interval_text(lo / 100, hi / 100, percent=True),
                ]
                for k, n, lo, hi in zip(
                    data["n_responders"], data["n_evaluable"], low, high, strict=True
                )
            ],
            name="Responders",
            hovertemplate="%{y}<br>Responders: %{customdata[0]}<br>95% CI: %{customdata[1]}"
            "<extra></extra>",
        )
    )
    apply_layout(
        fig,
        title=title or f"Responders by {label_text(by.replace('_', ' '))}",
        x_title="Responders (% of patients, Wilson 95% CI)",
        y_title="",
        height=max(240, 60 + 45 * len(data)),
    )
    fig.update_xaxes(range=[0, 100])
    fig.update_layout(showlegend=False)
    return fig


def cpra_chart(
    cpra: pd.DataFrame,
    *,
    by: str | None = None,
    threshold: float | None = None,
    title: str = "Cumulative proportion of responders",
) -> go.Figure:
    """CPRA curve (Farrar 2006): share of patients reaching every % cut-off.

    ``cpra`` is ``analytics.stats.cpra_curve``'s frame: ``cutoff_pct`` (%)
    and ``share_responding`` (0-1), optionally split by the column ``by``.
    """
    fig = go.Figure()
    groups = [(None, cpra)] if by is None else list(cpra.groupby(by, sort=True))
    for name, part in groups:
        fig.add_trace(
            go.Scatter(
                x=part["cutoff_pct"],
                y=part["share_responding"] * 100,
                mode="lines",
                line_shape="hv",
                name="All patients" if name is None else label_text(name),
                hovertemplate="≥ %{x:.0f}% improvement<br>%{y:.0f}% of patients<extra></extra>",
            )
        )
    if threshold is not None:
        fig.add_vline(
            x=threshold,
            line_dash="dash",
            line_color=SERIES_COLORS["reference"],
            annotation_text=f"{threshold:g}%",
            annotation_position="top",
        )
    apply_layout(
        fig, title=title, x_title="Improvement from baseline at least (%)", y_title="Patients (%)"
    )
    fig.update_xaxes(range=[0, 100])
    fig.update_yaxes(range=[0, 100])
    return fig


def kaplan_meier_chart(
    table: pd.DataFrame,
    *,
    title: str = f"Time to a {SUSTAINED_RESPONSE} (Kaplan–Meier)",
) -> go.Figure:
    """Share of patients not yet responding over time, with its 95% CI.

    ``table`` is ``analytics.stats.kaplan_meier(...).table``: ``time`` (days
    since the index date), ``survival``, ``ci_low``, ``ci_high`` (0-1).
    """
    fig = go.Figure()
    t = table["time"].to_numpy(dtype=float)
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([t, t[::-1]]),
            y=np.concatenate(
                [table["ci_high"].to_numpy(float), table["ci_low"].to_numpy(float)[::-1]]
            )
            * 100,
            fill="toself",
            fillcolor=KM_BAND,
            line={"width": 0, "shape": "hv"},
            name="95% CI",
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=t,
            y=table["survival"].to_numpy(float) * 100,
            mode="lines",
            line={"shape": "hv", "color": SERIES_COLORS["after"], "width": 3},
            name=f"No {SUSTAINED_RESPONSE} yet",
            hovertemplate="Day %{x:.0f}<br>%{y:.0f}% without a "
            + SUSTAINED_RESPONSE
            + " yet<extra></extra>",
        )
    )
    apply_layout(
        fig,
        title=title,
        x_title="Days since start of treatment",
        y_title=f"Patients without a {SUSTAINED_RESPONSE} yet (%)",
    )
    fig.update_yaxes(range=[0, 100])
    # whole days (a short follow-up would otherwise get ticks at 0.5 days)
    int_ticks(fig, axis_top(t, pad=1.0), axis="x", max_ticks=8)
    return fig


def dose_response_chart(
    points: pd.DataFrame,
    *,
    emax: tuple[np.ndarray, np.ndarray] | None = None,
    emax_label: str = "Emax fit",
    title: str = "Change from baseline by number of sessions",
) -> go.Figure:
    """Cohort mean change by cumulative session number with the Emax curve.

    ``points`` holds ``session_number`` and ``mean_change`` (points) and
    optionally ``n`` (patients) and ``ci_low``/``ci_high``.
    """
    fig = go.Figure()
    err = None
    if {"ci_low", "ci_high"} <= set(points.columns):
        err = {
            "type": "data",
            "symmetric": False,
            "array": (points["ci_high"] - points["mean_change"]).to_numpy(float),
            "arrayminus": (points["mean_change"] - points["ci_low"]).to_numpy(float),
            "color": SERIES_COLORS["cohort"],
        }
    custom = points["n"].astype(float) if "n" in points.columns else None
    fig.add_trace(
        go.Scatter(
            x=points["session_number"],
            y=points["mean_change"],
            mode="markers",
            marker={"size": 9, "color": SERIES_COLORS["after"]},
            error_y=err,
            customdata=custom,
            name="Mean pain reduction (95% CI)",
            hovertemplate="After session %{x}<br>Mean pain reduction: %{y:.1f} points"
            + ("<br>n = %{customdata:.0f}" if custom is not None else "")
            + "<extra></extra>",
        )
    )
    if emax is not None:
        k, pred = emax
        fig.add_trace(
            go.Scatter(
                x=k,
                y=pred,
                mode="lines",
                name=emax_label,
                line={"color": SERIES_COLORS["patient"], "width": 2},
                hovertemplate="Session %{x:.0f}<br>Emax fit: %{y:.2f} points<extra></extra>",
            )
        )
    apply_layout(
        fig,
        title=title,
        x_title="Cumulative session number",
        y_title="Pain reduction from baseline, points (positive = better)",
    )
    session_number_axis(fig, points["session_number"])
    fig.add_hline(y=0, line_color=SERIES_COLORS["reference"], line_width=1)
    return fig


def technique_response_chart(
    summary: pd.DataFrame,
    *,
    value: str = "mean_immediate_change",
    value_label: str = REDUCTION_POINTS_TITLE,
    title: str = "Pain reduction during the session",
) -> go.Figure:
    """Horizontal bars of a per-technique-band summary (``technique_band`` and ``value``).

    Horizontal, so that names such as "EA high (≥ 50 Hz, e.g. 100 Hz)" read on a
    phone without tilting; the first band of ``summary`` is at the top.
    """
    names = [wrap_label(technique_label(b)) for b in summary["technique_band"]]
    fig = go.Figure(
        go.Bar(
            y=names,
            x=summary[value],
            orientation="h",
            marker_color=[technique_color(b) for b in summary["technique_band"]],
            customdata=summary["n_sessions"].astype(float) if "n_sessions" in summary else None,
            name=value_label,
            hovertemplate="%{y}<br>"
            + value_label
            + ": %{x:.2f}"
            + ("<br>sessions: %{customdata:.0f}" if "n_sessions" in summary else "")
            + "<extra></extra>",
        )
    )
    apply_layout(
        fig,
        title=title,
        x_title=value_label,
        y_title="",
        height=max(260, 120 + 50 * len(summary)),
    )
    fig.update_yaxes(categoryorder="array", categoryarray=names[::-1], automargin=True)
    fig.update_layout(showlegend=False)
    fig.add_vline(x=0, line_color=SERIES_COLORS["reference"], line_width=1)
    return fig


def adverse_event_chart(
    rates: pd.DataFrame,
    *,
    title: str = "Adverse events per 100 treatments",
) -> go.Figure:
    """Events per 100 sessions per event type, ``any`` against the published benchmark.

    ``rates`` is ``analytics.stats.adverse_event_rates``: ``event``,
    ``events_per_100_sessions``, ``n_events``, ``n_sessions`` and
    ``benchmark_per_100`` (set on the ``any`` row: 9.4 per 100, Bäumler 2021).
    """
    data = rates.dropna(subset=["events_per_100_sessions"])
    is_any = (data["event"] == "any").to_numpy()
    fig = go.Figure(
        go.Bar(
            x=[adverse_event_label(e) for e in data["event"]],
            y=data["events_per_100_sessions"],
            marker_color=np.where(is_any, SERIES_COLORS["event_any"], SERIES_COLORS["event"]),
            customdata=np.column_stack(
                [data["n_events"].astype(float), data["n_sessions"].astype(float)]
            ),
            name="This clinic",
            hovertemplate="%{x}<br>%{y:.1f} per 100 treatments"
            "<br>%{customdata[0]:.0f} events in %{customdata[1]:.0f} sessions<extra></extra>",
        )
    )
    bench = data.loc[is_any, "benchmark_per_100"].dropna()
    if len(bench):
        value = float(bench.iloc[0])
        fig.add_trace(
            go.Scatter(
                x=[adverse_event_label("any")],
                y=[value],
                mode="markers",
                marker={
                    "symbol": "line-ew-open",
                    "size": 40,
                    "line": {"width": 3},
                    "color": SERIES_COLORS["benchmark"],
                },
                name=f"Published benchmark: {value:g} per 100 (Bäumler 2021)",
                hovertemplate="Published benchmark: %{y:.1f} per 100 treatments<extra></extra>",
            )
        )
    apply_layout(fig, title=title, x_title="Adverse event", y_title="Events per 100 treatments")
    fig.update_yaxes(rangemode="tozero")
    return fig
