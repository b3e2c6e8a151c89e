"""Pure plotly figure builders of the dashboard.

Every function takes frames produced by :mod:`analytics` (or canonical frames
from the store) and returns a :class:`plotly.graph_objects.Figure`. None of them
calls Streamlit, computes a statistic or mutates its arguments: the numbers on
the screen are the numbers ``analytics`` returned.

Colours are fixed per technique band (:data:`TECHNIQUE_COLORS`) and per response
category (:data:`CATEGORY_COLORS`) so that a colour means the same on every page.
Pain axes always span 0-10. Legends, axis ticks and hover text name the codes
through :mod:`dashboard.labels`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboard.labels import (
    adverse_event_label,
    category_label,
    group_label,
    technique_label,
)
from dashboard.text import shown

__all__ = [
    "TECHNIQUE_COLORS",
    "CATEGORY_COLORS",
    "SERIES_COLORS",
    "PAIN_RANGE",
    "technique_color",
    "category_color",
    "pain_trajectory",
    "wellbeing_small_multiples",
    "medication_chart",
    "session_before_after",
    "session_response_chart",
    "change_by_session",
    "waterfall",
    "responder_rates",
    "cpra_chart",
    "kaplan_meier_chart",
    "dose_response_chart",
    "technique_response_chart",
    "adverse_event_chart",
    "empty_figure",
]

#: One colour per technique band (``analytics._common.frequency_band`` labels).
#: Electro bands share a blue family, light (low Hz) to dark (high Hz).
TECHNIQUE_COLORS: dict[str, str] = {
    "manual": "#2ca02c",
    "auricular": "#9467bd",
    "other": "#7f7f7f",
    "electro": "#1f77b4",
    "electro_low": "#6baed6",
    "electro_medium": "#2171b5",
    "electro_high": "#08306b",
    "electro_mixed": "#17becf",
    "electro_unknown": "#9ecae1",
}

#: One colour per IMMPACT response category (DOMAIN.md section 4); red = no
#: response, green = substantial, grey = not evaluable.
CATEGORY_COLORS: dict[str, str] = {
    "none": "#d62728",
    "minimal": "#ff7f0e",
    "moderate": "#98df8a",
    "substantial": "#2ca02c",
    "not_evaluable": "#bdbdbd",
}

#: Colours of series that are not techniques or categories.
SERIES_COLORS: dict[str, str] = {
    "pain": "#444444",
    "rolling": "#d62728",
    "baseline": "rgba(31, 119, 180, 0.12)",
    "baseline_line": "#1f77b4",
    "its_pre": "#8c564b",
    "its_post": "#e377c2",
    "cohort": "#7f7f7f",
    "patient": "#d62728",
    "before": "#ff9896",
    "after": "#1f77b4",
    "relief": "#17becf",
    "benchmark": "#d62728",
    "sleep_quality": "#1f77b4",
    "mood": "#2ca02c",
    "stress": "#d62728",
    "analgesic_doses": "#9467bd",
    "opioid_mme": "#8c564b",
}

#: Fixed range of every 0-10 pain or score axis.
PAIN_RANGE = (0, 10)

_PAIN_TITLE = "Pain (0-10 NRS)"
_DATE_TITLE = "Date"
_FONT = {"size": 13}


def technique_color(band: str) -> str:
    """Colour of a technique band (grey for an unknown label)."""
    return TECHNIQUE_COLORS.get(str(band), TECHNIQUE_COLORS["other"])


def category_color(category: object) -> str:
    """Colour of a response category (grey when missing or unknown)."""
    if not isinstance(category, str):
        return CATEGORY_COLORS["not_evaluable"]
    return CATEGORY_COLORS.get(category, CATEGORY_COLORS["not_evaluable"])


def _layout(fig: go.Figure, *, title: str, x_title: str, y_title: str, height: int = 460) -> None:
    fig.update_layout(
        title={"text": title},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        font=_FONT,
        # legend under the x-axis title, wrapping on narrow screens
        legend={"orientation": "h", "yanchor": "top", "y": -0.28, "x": 0},
        hoverlabel={"font_size": 13},
    )
    fig.update_xaxes(title_text=x_title)
    fig.update_yaxes(title_text=y_title)


def _session_axis(fig: go.Figure) -> None:
    # session dates are category labels that plotly tilts on a narrow screen: tilt
    # them at a fixed angle and move the legend below them, clear of the axis title
    fig.update_xaxes(tickangle=-45, automargin=True)
    fig.update_layout(legend={"y": -0.55}, margin={"b": 60})


def _day_axis(fig: go.Figure, *dates: object) -> None:
    # a diary of a few days would get hourly ticks (00:00, 03:00, ...): show at least
    # a week, one tick a day
    days = pd.concat([pd.Series(pd.to_datetime(d)) for d in dates if d is not None]).dropna()
    if days.empty:
        return
    first, last = days.min().normalize(), days.max().normalize()
    if last - first < pd.Timedelta(days=7):
        half = pd.Timedelta(hours=12)
        fig.update_xaxes(
            range=[first - half, first + pd.Timedelta(days=7) + half],
            dtick=86_400_000,
            tickformat="%d %b",
        )


def _pain_axis(fig: go.Figure, **kw: object) -> None:
    fig.update_yaxes(range=list(PAIN_RANGE), dtick=1, **kw)


def empty_figure(message: str, *, title: str = "") -> go.Figure:
    """A figure with no data and a centred message (used for empty states)."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 15}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(title={"text": title}, height=260, font=_FONT)
    return fig


def _fmt(value: object, spec: str = ".1f") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "—"
    try:
        return format(value, spec)
    except (TypeError, ValueError):
        return str(value)


def _session_hover(sessions: pd.DataFrame) -> list[str]:
    out = []
    for row in sessions.itertuples(index=False):
        parts = [
            f"<b>Session {pd.Timestamp(row.date):%d %b %Y}</b>",
            f"Technique: {technique_label(row.technique_band)}",
        ]
        freq = getattr(row, "frequency_hz", None)
        if isinstance(freq, str) and freq:
            parts.append(f"Frequency: {freq} Hz")
        points = getattr(row, "points", None)
        if isinstance(points, str) and points:
            parts.append(f"Points: {points.replace(';', ', ')}")
        before, after = getattr(row, "pain_before", np.nan), getattr(row, "pain_after", np.nan)
        if pd.notna(before) or pd.notna(after):
            parts.append(f"Pain before → after: {_fmt(before)} → {_fmt(after)}")
        ae = getattr(row, "adverse_events", None)
        if isinstance(ae, str) and ae:
            parts.append(f"Adverse events: {ae.replace(';', ', ')}")
        out.append("<br>".join(parts))
    return out


def pain_trajectory(
    diary: pd.DataFrame,
    *,
    rolling: pd.Series | None = None,
    sessions: pd.DataFrame | None = None,
    baseline: tuple[pd.Timestamp, pd.Timestamp, float] | None = None,
    its_lines: pd.DataFrame | None = None,
    title: str = "Pain over time",
) -> go.Figure:
    """Daily pain, 7-day mean, baseline band, session markers and ITS fit.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary rows of one patient (``date``, ``pain``).
    rolling : pandas.Series, optional
        The 7-day mean (``analytics.trends.rolling_mean``'s ``pain_rolling_mean``)
        aligned with ``diary``'s rows.
    sessions : pandas.DataFrame, optional
        Sessions of the patient with a ``technique_band`` column
        (``analytics._common.frequency_band``). Drawn as triangles just above the
        x axis, one trace per band, with technique, frequency and points on hover.
    baseline : (start, end, mean), optional
        Baseline window (shaded) and baseline mean (dashed line over the window).
    its_lines : pandas.DataFrame, optional
        Fitted interrupted-time-series values with columns ``date``, ``fitted`` and
        ``segment`` (``"pre"``/``"post"``), one line per segment.
    """
    fig = go.Figure()
    if baseline is not None:
        start, end, mean = baseline
        fig.add_vrect(
            x0=start, x1=end, fillcolor=SERIES_COLORS["baseline"], line_width=0, layer="below"
        )
        if pd.notna(mean):
            fig.add_trace(
                go.Scatter(
                    x=[start, end],
                    y=[mean, mean],
                    mode="lines",
                    name=f"Baseline mean ({_fmt(mean)})",
                    line={"color": SERIES_COLORS["baseline_line"], "dash": "dash", "width": 2},
                    hovertemplate="Baseline mean: %{y:.1f}<extra></extra>",
                )
            )
    fig.add_trace(
        go.Scatter(
            x=diary["date"],
            y=diary["pain"],
            mode="markers",
            name="Daily pain",
            marker={"color": SERIES_COLORS["pain"], "size": 6, "opacity": 0.65},
            hovertemplate="%{x|%a %d %b %Y}<br>Pain: %{y:.0f}/10<extra></extra>",
        )
    )
    if rolling is not None:
        fig.add_trace(
            go.Scatter(
                x=diary["date"],
                y=rolling,
                mode="lines",
                name="7-day mean",
                line={"color": SERIES_COLORS["rolling"], "width": 3},
                connectgaps=False,
                hovertemplate="%{x|%d %b %Y}<br>7-day mean: %{y:.1f}<extra></extra>",
            )
        )
    if its_lines is not None and len(its_lines):
        for segment, label in (("pre", "Trend before treatment"), ("post", "Trend after start")):
            part = its_lines[its_lines["segment"] == segment]
            if len(part):
                fig.add_trace(
                    go.Scatter(
                        x=part["date"],
                        y=part["fitted"],
                        mode="lines",
                        name=label,
                        line={"color": SERIES_COLORS[f"its_{segment}"], "width": 2, "dash": "dot"},
                        hovertemplate=f"{label}: %{{y:.1f}}<extra></extra>",
                    )
                )
    if sessions is not None and len(sessions):
        for band, part in sessions.groupby("technique_band", sort=True):
            fig.add_trace(
                go.Scatter(
                    x=part["date"],
                    y=np.full(len(part), 0.35),
                    mode="markers",
                    name=f"Session: {technique_label(band)}",
                    marker={"symbol": "triangle-up", "size": 13, "color": technique_color(band)},
                    text=_session_hover(part),
                    hovertemplate="%{text}<extra></extra>",
                    cliponaxis=False,
                )
            )
    _layout(fig, title=title, x_title=_DATE_TITLE, y_title=_PAIN_TITLE)
    _pain_axis(fig)
    _day_axis(fig, diary["date"], None if sessions is None else sessions["date"])
    return fig


_WELLBEING_LABELS = {
    "sleep_quality": "Sleep quality (0-10, 10 = best)",
    "mood": "Mood (0-10, 10 = best)",
    "stress": "Stress (0-10, 10 = worst)",
}


def wellbeing_small_multiples(
    diary: pd.DataFrame,
    *,
    columns: Sequence[str] = ("sleep_quality", "mood", "stress"),
    title: str = "Sleep, mood and stress",
) -> go.Figure:
    """One small panel per 0-10 diary score, sharing the date axis."""
    columns = list(columns)
    fig = make_subplots(
        rows=len(columns),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=[_WELLBEING_LABELS.get(c, c) for c in columns],
    )
    for i, col in enumerate(columns, start=1):
        label = _WELLBEING_LABELS.get(col, col)
        fig.add_trace(
            go.Scatter(
                x=diary["date"],
                y=diary[col],
                mode="lines+markers",
                name=label,
                line={"color": SERIES_COLORS.get(col, "#444"), "width": 1.5},
                marker={"size": 4},
                connectgaps=False,
                hovertemplate=f"%{{x|%d %b %Y}}<br>{label.split(' (')[0]}: %{{y:.0f}}/10<extra></extra>",
            ),
            row=i,
            col=1,
        )
        fig.update_yaxes(range=list(PAIN_RANGE), dtick=5, title_text="0-10", row=i, col=1)
    fig.update_xaxes(title_text=_DATE_TITLE, row=len(columns), col=1)
    fig.update_layout(
        title={"text": title},
        height=170 * len(columns) + 80,
        margin={"l": 60, "r": 20, "t": 70, "b": 40},
        font=_FONT,
        showlegend=False,
    )
    return fig


def medication_chart(diary: pd.DataFrame, *, title: str = "Medication use") -> go.Figure:
    """Analgesic doses per day (bars) and opioid MME per day (line, right axis)."""
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=diary["date"],
            y=diary["analgesic_doses"].astype("float64"),
            name="Analgesic doses",
            marker_color=SERIES_COLORS["analgesic_doses"],
            hovertemplate="%{x|%d %b %Y}<br>Doses: %{y:.0f}<extra></extra>",
        ),
        secondary_y=False,
    )
    if not (diary["opioid_mme"].fillna(0) > 0).any():
        # no opioid use at all: a flat line at 0 on a second axis only adds noise
        _layout(fig, title=title, x_title=_DATE_TITLE, y_title="Doses per day")
        fig.update_yaxes(rangemode="tozero")
        return fig
    fig.add_trace(
        go.Scatter(
            x=diary["date"],
            y=diary["opioid_mme"],
            mode="lines+markers",
            name="Opioid (MME/day)",
            line={"color": SERIES_COLORS["opioid_mme"]},
            marker={"size": 4},
            hovertemplate="%{x|%d %b %Y}<br>Opioid: %{y:.1f} MME<extra></extra>",
        ),
        secondary_y=True,
    )
    _layout(fig, title=title, x_title=_DATE_TITLE, y_title="")
    fig.update_yaxes(title_text="Doses per day", rangemode="tozero", secondary_y=False)
    fig.update_yaxes(
        title_text="Morphine mg equivalents per day", rangemode="tozero", secondary_y=True
    )
    return fig


def session_before_after(
    sessions: pd.DataFrame, *, title: str = "Pain just before and after each session"
) -> go.Figure:
    """Grouped bars of ``pain_before`` and ``pain_after`` per session (x = session date)."""
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
    _layout(fig, title=title, x_title="Session date", y_title=_PAIN_TITLE)
    _session_axis(fig)
    fig.update_layout(barmode="group")
    _pain_axis(fig)
    return fig


def session_response_chart(
    response: pd.DataFrame, *, title: str = "Response to each session"
) -> go.Figure:
    """Short-term change (bars, left axis) and relief duration (diamonds, right axis).

    ``response`` is ``analytics.session_response.session_response`` for one
    patient: ``session_date``, ``technique_band``, ``short_term_change`` (points,
    positive = better), ``relief_days`` and ``relief_censored``.
    """
    labels = response["session_date"].dt.strftime("%d %b %Y")
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=labels,
            y=response["short_term_change"],
            name="Short-term change (points, + = better)",
            marker_color=[technique_color(b) for b in response["technique_band"]],
            customdata=[technique_label(b) for b in response["technique_band"]],
            hovertemplate="%{x} (%{customdata})<br>3-day mean before − after: %{y:.1f} points"
            "<extra></extra>",
        ),
        secondary_y=False,
    )
    censored = response["relief_censored"].fillna(False).astype(bool).to_numpy()
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=response["relief_days"],
            mode="markers",
            name="Relief (days; open ◇ = cut off)",
            marker={
                "symbol": np.where(censored, "diamond-open", "diamond"),
                "size": 11,
                "color": SERIES_COLORS["relief"],
            },
            hovertemplate="%{x}<br>Relief: %{y:.0f} days<extra></extra>",
            cliponaxis=False,
        ),
        secondary_y=True,
    )
    _layout(fig, title=title, x_title="Session date", y_title="")
    _session_axis(fig)
    fig.update_yaxes(title_text="Change in pain (points)", secondary_y=False)
    # whole days on their own ticks (plotly would otherwise sync them to the left axis)
    fig.update_yaxes(
        title_text="Relief duration (days)",
        rangemode="tozero",
        tickmode="auto",
        tickformat="d",
        showgrid=False,
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
        ``analytics.dose.dose_response`` rows of one patient: ``session_number``
        and ``change_from_baseline`` (points, positive = better).
    cohort : pandas.DataFrame, optional
        ``session_number``, ``mean_change`` and optionally ``ci_low``/``ci_high``
        (the cohort summary from ``analytics.dose``).
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
                    fillcolor="rgba(127,127,127,0.15)",
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
    _layout(
        fig,
        title=title,
        x_title="Session number",
        y_title="Change from baseline (points, + = better)",
    )
    fig.add_hline(y=0, line_color="#999", line_width=1)
    return fig


def waterfall(
    outcomes: pd.DataFrame,
    *,
    threshold: float | None = None,
    title: str = "Change in pain per patient",
) -> go.Figure:
    """Waterfall of % change per patient, best first, coloured by response category.

    ``outcomes`` is ``analytics.outcomes.patient_outcomes``: ``patient_id``,
    ``pct_change`` (%, positive = better) and ``response_category``; patients
    without a % change are left out. One trace per category so the legend names
    the colours.
    """
    data = outcomes.dropna(subset=["pct_change"]).assign(
        category=lambda d: d["response_category"].astype("str")
    )
    data = data.sort_values(["pct_change", "patient_id"], ascending=[False, True])
    fig = go.Figure()
    order = list(data["patient_id"])
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
                x=part["patient_id"],
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
            line_color="#333",
            annotation_text=f"Responder threshold {threshold:g}%",
            annotation_position="top right",
        )
    _layout(
        fig,
        title=title,
        x_title="Patient (sorted by change)",
        y_title="Change from baseline (%, + = better)",
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

    ``rates`` is a slice of ``analytics.groups.group_summary``: the label column
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
    colors = [technique_color(v) if str(v) in TECHNIQUE_COLORS else "#1f77b4" for v in data[by]]
    fig = go.Figure(
        go.Bar(
            # technique labels are the app's own text; group and condition are stored text
            y=[
                group_label(grouping, v)
                if grouping == "technique"
                else shown(group_label(grouping, v), "chart")
                for v in data[by]
            ],
            x=rate,
            orientation="h",
            marker_color=colors,
            error_x={
                "type": "data",
                "symmetric": False,
                "array": high - rate,
                "arrayminus": rate - low,
            },
            customdata=np.column_stack(
                [
                    data["n_responders"].astype(float),
                    data["n_evaluable"].astype(float),
                    low,
                    high,
                ]
            ),
            name="Responders",
            hovertemplate="%{y}<br>Responders: %{x:.0f}% (%{customdata[0]:.0f} of "
            "%{customdata[1]:.0f})<br>95% CI %{customdata[2]:.0f}–%{customdata[3]:.0f}%"
            "<extra></extra>",
        )
    )
    _layout(
        fig,
        title=title or f"Responders by {by.replace('_', ' ')}",
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

    ``cpra`` is ``analytics.outcomes.cpra_curve``'s frame: ``cutoff_pct`` (%)
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
                name="All patients" if name is None else shown(name, "chart"),
                hovertemplate="≥ %{x:.0f}% improvement<br>%{y:.0f}% of patients<extra></extra>",
            )
        )
    if threshold is not None:
        fig.add_vline(
            x=threshold,
            line_dash="dash",
            line_color="#333",
            annotation_text=f"{threshold:g}%",
            annotation_position="top",
        )
    _layout(
        fig, title=title, x_title="Improvement from baseline at least (%)", y_title="Patients (%)"
    )
    fig.update_xaxes(range=[0, 100])
    fig.update_yaxes(range=[0, 100])
    return fig


def kaplan_meier_chart(
    table: pd.DataFrame,
    *,
    title: str = "Time to response (Kaplan–Meier)",
) -> go.Figure:
    """Share of patients not yet responding over time, with its 95% CI.

    ``table`` is ``analytics.survival.kaplan_meier(...).table``: ``time`` (days
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
            fillcolor="rgba(31,119,180,0.15)",
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
            line={"shape": "hv", "color": "#1f77b4", "width": 3},
            name="Not yet responding",
            hovertemplate="Day %{x:.0f}<br>%{y:.0f}% not yet responding<extra></extra>",
        )
    )
    _layout(
        fig,
        title=title,
        x_title="Days since start of treatment",
        y_title="Patients not yet responding (%)",
    )
    fig.update_yaxes(range=[0, 100])
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
            "color": "#999",
        }
    custom = points["n"].astype(float) if "n" in points.columns else None
    fig.add_trace(
        go.Scatter(
            x=points["session_number"],
            y=points["mean_change"],
            mode="markers",
            marker={"size": 9, "color": "#1f77b4"},
            error_y=err,
            customdata=custom,
            name="Mean change (95% CI)",
            hovertemplate="After session %{x}<br>Mean change: %{y:.1f} points"
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
                line={"color": "#d62728", "width": 2},
                hovertemplate="Session %{x:.0f}<br>Emax fit: %{y:.2f} points<extra></extra>",
            )
        )
    _layout(
        fig,
        title=title,
        x_title="Cumulative session number",
        y_title="Change from baseline (points, + = better)",
    )
    return fig


def technique_response_chart(
    summary: pd.DataFrame,
    *,
    value: str = "mean_immediate_change",
    value_label: str = "Mean immediate change (points)",
    title: str = "Session response by technique",
) -> go.Figure:
    """Bars of a per-technique-band summary (``technique_band`` and ``value``)."""
    fig = go.Figure(
        go.Bar(
            x=[technique_label(b) for b in summary["technique_band"]],
            y=summary[value],
            marker_color=[technique_color(b) for b in summary["technique_band"]],
            customdata=summary["n_sessions"].astype(float) if "n_sessions" in summary else None,
            name=value_label,
            hovertemplate="%{x}<br>"
            + value_label
            + ": %{y:.2f}"
            + ("<br>sessions: %{customdata:.0f}" if "n_sessions" in summary else "")
            + "<extra></extra>",
        )
    )
    _layout(fig, title=title, x_title="Technique (frequency band)", y_title=value_label)
    fig.update_layout(showlegend=False)
    return fig


def adverse_event_chart(
    rates: pd.DataFrame,
    *,
    title: str = "Adverse events per 100 treatments",
) -> go.Figure:
    """Events per 100 sessions per event type, ``any`` against the published benchmark.

    ``rates`` is ``analytics.safety.adverse_event_rates``: ``event``,
    ``events_per_100_sessions``, ``n_events``, ``n_sessions`` and
    ``benchmark_per_100`` (set on the ``any`` row: 9.4 per 100, Bäumler 2021).
    """
    data = rates.dropna(subset=["events_per_100_sessions"])
    is_any = (data["event"] == "any").to_numpy()
    fig = go.Figure(
        go.Bar(
            x=[adverse_event_label(e) for e in data["event"]],
            y=data["events_per_100_sessions"],
            marker_color=np.where(is_any, "#1f77b4", "#9ecae1"),
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
    _layout(fig, title=title, x_title="Adverse event", y_title="Events per 100 treatments")
    fig.update_yaxes(rangemode="tozero")
    return fig
