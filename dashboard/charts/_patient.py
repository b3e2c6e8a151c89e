"""One patient's charts: the pain trajectory, well-being and medicines over time."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analytics.contract import is_flare
from analytics.presentation import MEDICATION_SERIES_LABELS, trailing_mean_label
from dashboard.charts._style import (
    DATE_TITLE,
    FONT,
    HALF_DAY,
    MODEBAR_REMOVE,
    PAIN_RANGE,
    PAIN_TITLE,
    SERIES_COLORS,
    all_missing,
    apply_layout,
    apply_period,
    axis_title,
    axis_top,
    empty_figure,
    fmt_number,
    gapped,
    int_ticks,
    label_text,
    pain_axis,
    resolve_period,
    session_hover,
    technique_color,
)
from dashboard.labels import (
    RESCUE_ANSWER_LABELS,
    technique_label,
)

__all__ = ["pain_trajectory", "wellbeing_small_multiples", "medication_chart"]


def _baseline_mean_trace(fig: go.Figure, x: list[pd.Timestamp], mean: float) -> None:
    """Draw the baseline mean as a dashed line over ``x``."""
    fig.add_trace(
        go.Scatter(
            x=x,
            y=[mean, mean],
            mode="lines",
            name=f"Baseline mean ({fmt_number(mean)})",
            line={"color": SERIES_COLORS["baseline_line"], "dash": "dash", "width": 2},
            hovertemplate="Baseline mean: %{y:.1f}<extra></extra>",
        )
    )


def _add_baseline(
    fig: go.Figure,
    baseline: tuple[pd.Timestamp, pd.Timestamp, float],
    lo: pd.Timestamp | None,
    hi: pd.Timestamp | None,
) -> str | None:
    """Shade the baseline window and draw its mean; return the note of a window outside."""
    b_start, b_end, mean = baseline
    b_start, b_end = pd.Timestamp(b_start), pd.Timestamp(b_end)
    if lo is not None and hi is not None and (b_end < lo or b_start > hi):
        if pd.isna(mean):
            return None
        _baseline_mean_trace(fig, [lo - HALF_DAY, hi + HALF_DAY], mean)
        # two short lines: one long line would run off a 390 px phone
        return (
            f"Dashed line: baseline mean ({b_start:%d %b}–{b_end:%d %b %Y}),<br>before this period"
        )
    x0 = b_start if lo is None else max(b_start, lo)
    x1 = b_end if hi is None else min(b_end, hi)
    fig.add_vrect(
        x0=x0 - HALF_DAY,
        x1=x1 + HALF_DAY,
        fillcolor=SERIES_COLORS["baseline"],
        line_width=0,
        layer="below",
    )
    if pd.notna(mean):
        _baseline_mean_trace(fig, [x0, x1], mean)
    return None


def _add_daily_pain(fig: go.Figure, diary: pd.DataFrame) -> None:
    """Draw each day's pain, and worst pain when any day holds it."""
    fig.add_trace(
        go.Scatter(
            x=diary["date"],
            y=diary["pain"],
            mode="markers",
            name="Daily pain",
            marker={"color": SERIES_COLORS["pain"], "size": 6, "opacity": 0.75},
            # a pain of 0 or 10 sits on the axis' edge: draw the whole marker
            cliponaxis=False,
            hovertemplate="%{x|%a %d %b %Y}<br>Pain: %{y:.0f}/10<extra></extra>",
        )
    )
    if "worst_pain" not in diary.columns or all_missing(diary["worst_pain"]):
        return
    logged = diary[diary["worst_pain"].notna()]
    fig.add_trace(
        go.Scatter(
            x=logged["date"],
            y=logged["worst_pain"].astype("float64"),
            mode="markers",
            name="Worst pain",
            marker={
                "color": SERIES_COLORS["worst_pain"],
                "size": 7,
                "symbol": "triangle-down-open",
                "line": {"width": 1.5},
            },
            hovertemplate="%{x|%a %d %b %Y}<br>Worst pain: %{y:.0f}/10<extra></extra>",
            cliponaxis=False,
        )
    )


def _add_rolling(fig: go.Figure, dates: pd.Series, rolling: pd.Series, window_days: int) -> None:
    """Draw the trailing mean, broken wherever a day has no entry."""
    if all_missing(rolling):
        return
    xs, ys = gapped(dates, pd.Series(rolling).to_numpy())
    name = trailing_mean_label(window_days)
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            # markers too, so a trailing mean between two gaps still shows
            mode="lines+markers",
            name=name,
            line={"color": SERIES_COLORS["rolling"], "width": 3},
            marker={"size": 4},
            connectgaps=False,
            hovertemplate=f"%{{x|%d %b %Y}}<br>{name}: %{{y:.1f}}<extra></extra>",
        )
    )


def _add_its(fig: go.Figure, its_lines: pd.DataFrame, its_names: tuple[str, str]) -> None:
    """Draw the fitted interrupted time series, one dotted line per segment."""
    for segment, label in zip(("pre", "post"), its_names, strict=True):
        part = its_lines[its_lines["segment"] == segment]
        if len(part) and not all_missing(part["fitted"]):
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


def _add_sessions(fig: go.Figure, sessions: pd.DataFrame) -> None:
    """Draw the sessions as triangles above the x axis, one trace per technique band."""
    for band, part in sessions.groupby("technique_band", sort=True):
        fig.add_trace(
            go.Scatter(
                x=part["date"],
                y=np.full(len(part), 0.35),
                mode="markers",
                name=f"Session: {technique_label(band)}",
                marker={"symbol": "triangle-up", "size": 13, "color": technique_color(band)},
                text=session_hover(part),
                hovertemplate="%{text}<extra></extra>",
                cliponaxis=False,
            )
        )


def _flare_hover(flares: pd.DataFrame) -> list[str]:
    """Say each flare in words: its day and time, pain, duration and rescue medicine."""
    texts = []
    for row in flares.itertuples(index=False):
        text = f"Flare or attack, {pd.Timestamp(row.date):%a %d %b %Y} at {row.time}"
        text += f"<br>Pain: {fmt_number(row.pain)}/10"
        if pd.notna(row.duration_minutes):
            text += f"<br>Lasted {int(row.duration_minutes)} minutes"
        if pd.notna(row.rescue_medication):
            helped = RESCUE_ANSWER_LABELS.get(str(row.rescue_helped), "not answered yet")
            text += f"<br>Took {label_text(row.rescue_medication)}; helped: {helped.lower()}"
        texts.append(text)
    return texts


def _add_flares(fig: go.Figure, entries: pd.DataFrame) -> None:
    """Draw each flare or attack as a star on the pain line, at its time of day."""
    flares = entries[is_flare(entries).to_numpy()]
    if flares.empty:
        return
    when = flares["date"] + pd.to_timedelta(flares["time"].astype("str") + ":00")
    fig.add_trace(
        go.Scatter(
            x=when,
            y=flares["pain"].astype("float64"),
            mode="markers",
            name="Flare or attack",
            marker={"symbol": "star", "size": 12, "color": SERIES_COLORS["worst_pain"],
                    "line": {"width": 1, "color": "#1A1A1A"}},
            text=_flare_hover(flares),
            hovertemplate="%{text}<extra></extra>",
            cliponaxis=False,
        )
    )  # fmt: skip


def _add_note(fig: go.Figure, note: str) -> None:
    """Write ``note`` above the plot, at its left."""
    fig.add_annotation(
        text=note,
        showarrow=False,
        x=0,
        xref="paper",
        xanchor="left",
        y=1,
        yref="paper",
        yanchor="bottom",
        align="left",
        font={"size": 12, "color": SERIES_COLORS["baseline_line"]},
    )
    fig.update_layout(margin={"t": 100})


def pain_trajectory(
    diary: pd.DataFrame,
    *,
    rolling: pd.Series | None = None,
    sessions: pd.DataFrame | None = None,
    baseline: tuple[pd.Timestamp, pd.Timestamp, float] | None = None,
    its_lines: pd.DataFrame | None = None,
    title: str = "Pain over time",
    x_range: tuple[object, object] | None = None,
    its_names: tuple[str, str] = ("Trend before treatment", "Trend after start"),
    window_days: int = 7,
    flares: pd.DataFrame | None = None,
) -> go.Figure:
    """Draw daily pain, worst pain, the trailing mean, baseline, session markers and ITS fit.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary rows of one patient (``date``, ``pain`` and optionally
        ``worst_pain``, drawn when any day holds it).
    rolling : pandas.Series, optional
        The trailing mean (``analytics.pipeline.PatientSummary.diary``'s
        ``pain_rolling_mean``) aligned with ``diary``'s rows. The line breaks
        wherever a day has no entry.
    sessions : pandas.DataFrame, optional
        Sessions of the patient with a ``technique_band`` column
        (``analytics.contract.frequency_band``). Drawn as triangles just above the
        x axis, one trace per band, with technique, frequency and points in the
        tooltip.
    baseline : (start, end, mean), optional
        Baseline window and baseline mean. The part of the window inside the
        period is shaded, with the mean as a dashed line over it. A window wholly
        outside the period becomes a dashed reference line across the period at
        the mean, with a note giving its dates.
    its_lines : pandas.DataFrame, optional
        Fitted interrupted-time-series values with columns ``date``, ``fitted`` and
        ``segment`` (``"pre"``/``"post"``), one line per segment.
    title : str
        Figure title.
    x_range : (first day, last day), optional
        The period shown (e.g. :func:`period`). Default: the diary's and the
        sessions' first to last day. Pass the chosen period so "4 weeks" shows
        four weeks even when fewer days were logged.
    its_names : (str, str)
        Legend names of the two ITS segments (e.g. "Trend after randomisation"
        for a comparison group).
    window_days : int, default 7
        Days of the trailing mean (``AnalysisSettings.trend_window_days``), named
        in the legend.
    flares : pandas.DataFrame, optional
        The patient's entries during the day (canonical ``entries``); those marked as
        a flare or attack are drawn as stars on the pain line at their time of day,
        with their duration and rescue medicine in the tooltip.

    Returns
    -------
    plotly.graph_objects.Figure
    """
    fig = go.Figure()
    session_dates = None if sessions is None else sessions["date"]
    span = resolve_period(x_range, diary["date"], session_dates)
    lo, hi = span if span is not None else (None, None)
    note = None if baseline is None else _add_baseline(fig, baseline, lo, hi)
    _add_daily_pain(fig, diary)
    if rolling is not None:
        _add_rolling(fig, diary["date"], rolling, window_days)
    if its_lines is not None and len(its_lines):
        _add_its(fig, its_lines, its_names)
    if sessions is not None and len(sessions):
        _add_sessions(fig, sessions)
    if flares is not None and len(flares):
        _add_flares(fig, flares)
    apply_layout(fig, title=title, x_title=DATE_TITLE, y_title=PAIN_TITLE)
    pain_axis(fig)
    if lo is not None and hi is not None:
        apply_period(fig, lo, hi)
    if note is not None:
        _add_note(fig, note)
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
    x_range: tuple[object, object] | None = None,
) -> go.Figure:
    """One small panel per 0-10 diary score, sharing the date axis.

    A score never logged gets no panel; lines break wherever a day has no
    value. ``x_range`` as in :func:`pain_trajectory`.
    """
    columns = [c for c in columns if c in diary.columns and not all_missing(diary[c])]
    if not columns:
        return empty_figure("No sleep, mood or stress scores logged.", title=title)
    fig = make_subplots(
        rows=len(columns),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=[_WELLBEING_LABELS.get(c, label_text(c)) for c in columns],
    )
    for i, col in enumerate(columns, start=1):
        label = _WELLBEING_LABELS.get(col, label_text(col))
        xs, ys = gapped(diary["date"], pd.to_numeric(diary[col]).astype("float64"))
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=label,
                line={"color": SERIES_COLORS.get(col, SERIES_COLORS["reference"]), "width": 1.5},
                marker={"size": 4},
                connectgaps=False,
                hovertemplate=f"%{{x|%d %b %Y}}<br>{label.split(' (')[0]}: %{{y:.0f}}/10<extra></extra>",
            ),
            row=i,
            col=1,
        )
        fig.update_yaxes(
            range=list(PAIN_RANGE),
            tickmode="linear",
            tick0=0,
            dtick=5,
            title_text="0-10",
            row=i,
            col=1,
        )
    fig.update_xaxes(title_text=DATE_TITLE, row=len(columns), col=1)
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        height=170 * len(columns) + 80,
        margin={"l": 60, "r": 20, "t": 70, "b": 40},
        font=FONT,
        showlegend=False,
        modebar={"orientation": "v", "remove": list(MODEBAR_REMOVE)},
        dragmode=False,
    )
    span = resolve_period(x_range, diary["date"])
    if span is not None:
        apply_period(fig, *span)
    return fig


def medication_chart(
    diary: pd.DataFrame,
    *,
    title: str = "Medication use",
    x_range: tuple[object, object] | None = None,
) -> go.Figure:
    """Analgesic doses per day (bars) and opioid MME per day (line, right axis).

    Both axes have round ticks (whole doses; MME in steps of 1, 2, 5, 10, ... as
    0 / 5 / 10 / 15 / 20) and start at 0, so their zeros are level. Every day with an
    opioid (MME above 0) carries a large diamond in the opioid colour, named
    "Opioid day" in the legend. A series never logged gets neither a trace nor an axis;
    the MME line breaks wherever a day has no entry. ``x_range`` as in
    :func:`pain_trajectory`.
    """
    words = MEDICATION_SERIES_LABELS
    doses = pd.to_numeric(diary["analgesic_doses"]).astype("float64")
    mme = pd.to_numeric(diary["opioid_mme"]).astype("float64")
    has_doses = not all_missing(doses)
    has_mme = bool((mme.fillna(0) > 0).any())
    if not has_doses and not has_mme:
        return empty_figure("No medication logged.", title=title)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if has_doses:
        fig.add_trace(
            go.Bar(
                x=diary["date"],
                y=doses,
                name=words["analgesic_doses"],
                marker_color=SERIES_COLORS["analgesic_doses"],
                hovertemplate="%{x|%d %b %Y}<br>Doses: %{y:.0f}<extra></extra>",
            ),
            secondary_y=False,
        )
    if has_mme:
        color = SERIES_COLORS["opioid_mme"]
        xs, ys = gapped(diary["date"], mme)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                name=words["opioid_mme"],
                line={"color": color, "width": 2},
                connectgaps=False,
                hoverinfo="skip",
            ),
            secondary_y=True,
        )
        on = (mme > 0).to_numpy()
        fig.add_trace(
            go.Scatter(
                x=diary["date"][on],
                y=mme[on],
                mode="markers",
                name=words["opioid_day"],
                marker={
                    "symbol": "diamond",
                    "size": 11,
                    "color": color,
                    "line": {"color": "#ffffff", "width": 1},
                },
                hovertemplate="%{x|%d %b %Y}<br>Opioid: %{y:.1f} morphine-equivalent mg<extra></extra>",
            ),
            secondary_y=True,
        )
    apply_layout(fig, title=title, x_title=DATE_TITLE, y_title="")
    fig.update_layout(showlegend=True)
    if has_doses:
        int_ticks(fig, axis_top(doses), title_text="Doses per day", secondary_y=False)
    if has_mme:
        # both axes run from 0, so the zeros are level; round steps, never 6.67
        int_ticks(
            fig,
            axis_top(mme),
            max_ticks=5,
            title_text=axis_title("Opioid (morphine mg equivalents per day)"),
            showgrid=not has_doses,
            secondary_y=True,
        )
        if not has_doses:
            fig.update_yaxes(visible=False, secondary_y=False)
    span = resolve_period(x_range, diary["date"])
    if span is not None:
        apply_period(fig, *span)
    return fig
