"""Pure plotly figure builders of the dashboard.

Every function takes frames produced by :mod:`analytics` (or canonical frames
from the store) and returns a :class:`plotly.graph_objects.Figure`. None of them
calls Streamlit, computes a statistic or mutates its arguments: the numbers on
the screen are the numbers ``analytics`` returned.

Rules every chart follows, so that it reads right on a 390 px phone as on a desk:

- **The x-range is the chosen period.** Date charts take ``x_range=(first day,
  last day)``; without it they span their own data. Anything outside the period
  (a baseline weeks before a "4 weeks" view) becomes a reference line and a
  note, never a stretched axis. :func:`same_x_range` gives charts meant to be
  read together one range.
- **Whole-number ticks** on counts and 0-10 scores (doses, days, session
  numbers, pain); **zeros level** on the two axes of a dual-axis chart; a fixed
  symmetric range for session response (:data:`SESSION_RESPONSE_RANGE`), so a
  0.17-point change looks small.
- **One sign convention**: changes are shown as improvements, positive = better,
  and the axis says so in words ("Pain reduction, points (positive = better)").
- **Gaps stay gaps**: a line never bridges a day without an entry.
- **No legend entry without a drawn trace**; no words that assume a mouse.
- **High contrast**: every line and marker colour has at least 3:1 contrast on
  white (WCAG 2.1, 1.4.11); adherence uses a neutral colour, not red or green.
- Pages pass :data:`CHART_CONFIG` to ``st.plotly_chart(fig, config=...)``: it
  keeps only plotly's "download as PNG" button, at the right edge, clear of the
  left-aligned title even on a phone (every layout removes the other buttons).

Colours are fixed per technique band (:data:`TECHNIQUE_COLORS`) and per response
category (:data:`CATEGORY_COLORS`) so that a colour means the same on every page.
Pain axes always span 0-10. Legends, axis ticks and tooltips name the codes
through :mod:`dashboard.labels`; text a person stored (ids, group names, points)
goes through one helper, ``_text``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

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
    "ADHERENCE_COLOR",
    "PAIN_RANGE",
    "SESSION_RESPONSE_RANGE",
    "CHART_CONFIG",
    "MODEBAR_REMOVE",
    "REDUCTION_POINTS_TITLE",
    "REDUCTION_PCT_TITLE",
    "technique_color",
    "category_color",
    "period",
    "same_x_range",
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

#: One colour per technique band (``analytics.stats._common.frequency_band`` labels).
#: Electro bands share a blue family, lighter (low Hz) to darker (high Hz); every
#: colour keeps at least 3:1 contrast on white.
TECHNIQUE_COLORS: dict[str, str] = {
    "manual": "#1B7837",
    "auricular": "#7B3294",
    "other": "#616161",
    "electro": "#0072B2",
    "electro_low": "#3E7CB1",
    "electro_medium": "#1D5A9E",
    "electro_high": "#08306B",
    "electro_mixed": "#00838F",
    "electro_unknown": "#4A6D8C",
}

#: One colour per IMMPACT response category (DOMAIN.md section 4); red = no
#: response, dark green = substantial, grey = not evaluable.
CATEGORY_COLORS: dict[str, str] = {
    "none": "#B2182B",
    "minimal": "#B35806",
    "moderate": "#4D9221",
    "substantial": "#1B5E20",
    "not_evaluable": "#757575",
}

#: Neutral colour of adherence (share of days logged): neither "good" green nor
#: "bad" red, since the value is a fact to read, not a verdict. Pages use it for
#: ``st.column_config.ProgressColumn(color=ADHERENCE_COLOR)``.
ADHERENCE_COLOR = "#4A6D8C"

#: Colours of series that are not techniques or categories. Fills (``rgba``) are
#: backgrounds; every other entry has at least 3:1 contrast on white.
SERIES_COLORS: dict[str, str] = {
    "pain": "#333333",
    "worst_pain": "#D55E00",
    "rolling": "#B2182B",
    "baseline": "rgba(0, 114, 178, 0.12)",
    "baseline_line": "#0072B2",
    "its_pre": "#8C510A",
    "its_post": "#C51B7D",
    "cohort": "#616161",
    "patient": "#B2182B",
    "before": "#B35806",
    "after": "#0072B2",
    "relief": "#00838F",
    "benchmark": "#B2182B",
    "sleep_quality": "#0072B2",
    "mood": "#1B7837",
    "stress": "#B2182B",
    "analgesic_doses": "#5E3C99",
    "opioid_mme": "#8C510A",
    "adherence": ADHERENCE_COLOR,
    "event_any": "#0072B2",
    "event": "#4A6D8C",
    "reference": "#333333",
}

#: Fixed range of every 0-10 pain or score axis.
PAIN_RANGE = (0, 10)

#: Half-width, in points, of the session-response axis: the axis spans
#: -3..+3 unless a change is larger (then the next whole point, at most 10).
SESSION_RESPONSE_RANGE = 3

#: The ``config`` of a ``st.plotly_chart`` call. Plotly's toolbar keeps one button,
#: "download as PNG": zoom, pan, select and the rest are gone (on a 390 px phone a
#: full toolbar covers the chart's title, and touch users cannot reach its tooltips;
#: double-tap still resets a zoom). Every figure's layout removes the same buttons
#: (:data:`MODEBAR_REMOVE`), so a page that passes no config shows the same toolbar;
#: the config adds the file name and a 2x PNG.
#: Usage: ``st.plotly_chart(fig, config=charts.CHART_CONFIG)``.
CHART_CONFIG: dict[str, Any] = {
    "displayModeBar": "hover",
    "modeBarButtons": [["toImage"]],
    "displaylogo": False,
    "scrollZoom": False,
    "responsive": True,
    "toImageButtonOptions": {"format": "png", "filename": "paindiary_chart", "scale": 2},
}

#: Plotly toolbar buttons every figure removes (``layout.modebar.remove``): all but
#: "download as PNG" (``toImage``).
MODEBAR_REMOVE: tuple[str, ...] = (
    "zoom",
    "pan",
    "select",
    "lasso",
    "zoomin",
    "zoomout",
    "autoscale",
    "resetscale",
    "resetviews",
    "togglespikelines",
    "togglehover",
    "hoverclosest",
    "hovercompare",
    "orbitrotation",
    "tablerotation",
    "zoomInGeo",
    "zoomOutGeo",
    "resetGeo",
    "hoverClosestGeo",
    "sendDataToCloud",
)

#: The axis title of a change in pain points, in the one sign convention.
REDUCTION_POINTS_TITLE = "Pain reduction, points (positive = better)"
#: The axis title of a change in pain as a percentage of the baseline.
REDUCTION_PCT_TITLE = "Pain reduction from baseline, % (positive = better)"

_PAIN_TITLE = "Pain (0-10 NRS)"
_DATE_TITLE = "Date"
_FONT = {"size": 13}
_DAY = pd.Timedelta(days=1)
_HALF_DAY = pd.Timedelta(hours=12)
_MIN_SPAN_DAYS = 7


def _text(value: object) -> str:
    """Stored text (ids, group names, points, frequencies) made safe for a chart.

    Plotly reads ``<b>``, ``<br>``, ``<a href=...>`` and ``&...;`` entities in
    every label: text a person typed must not turn into markup, so ``&``, ``<``
    and ``>`` become entities (plotly shows them as the characters). Every piece
    of stored text on a chart passes through here.
    """
    return shown(value, "chart")


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
        # the title sits in the top margin, left-aligned: clear of plotly's toolbar
        # (one "download as PNG" button, upright at the right edge)
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        font=_FONT,
        # legend under the x-axis title, wrapping on narrow screens
        legend={"orientation": "h", "yanchor": "top", "y": -0.28, "x": 0},
        hoverlabel={"font_size": 13},
        modebar={"orientation": "v", "remove": list(MODEBAR_REMOVE)},
        # a drag on a phone scrolls the page instead of zooming the chart
        dragmode=False,
    )
    fig.update_xaxes(title_text=_axis_title(x_title))
    fig.update_yaxes(title_text=_axis_title(y_title))


def _axis_title(text: str) -> str:
    """A long axis title on two lines, before its "(...)" part, to fit a phone's plot height."""
    head, sep, tail = text.partition(" (")
    return f"{head}<br>({tail}" if sep and len(text) > 28 else text


def _wrap_label(text: str) -> str:
    """A long category name on two lines, before its "(...)" part (axis room on a phone)."""
    head, sep, tail = text.partition(" (")
    return f"{head}<br>({tail}" if sep and len(text) > 16 else text


def _session_axis(fig: go.Figure) -> None:
    # session dates are category labels that plotly tilts on a narrow screen: tilt
    # them at a fixed angle and move the legend below them, clear of the axis title
    fig.update_xaxes(tickangle=-45, automargin=True)
    fig.update_layout(legend={"y": -0.55}, margin={"b": 60})


def _int_step(top: float, max_ticks: int = 6) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50, ... giving at most ``max_ticks`` steps to ``top``."""
    step = 1
    for magnitude in (10**k for k in range(0, 7)):
        for mult in (1, 2, 5):
            step = mult * magnitude
            if top / step <= max_ticks:
                return step
    return step


def _int_ticks(
    fig: go.Figure, top: float, *, axis: str = "y", max_ticks: int = 6, **kw: Any
) -> None:
    """Axis from 0 to ``top`` (at least 1) with whole-number ticks."""
    top = max(1.0, float(top))
    step = _int_step(top, max_ticks)
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(range=[0, top], tickmode="linear", tick0=0, dtick=step, **kw)


def _top(values: Any, *, pad: float = 1.05) -> float:
    """Upper end of a count axis: the largest value with a little room (1 when empty)."""
    arr = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
    peak = arr.max(skipna=True)
    return 1.0 if not np.isfinite(peak) or peak <= 0 else float(peak) * pad


def _all_missing(values: Any) -> bool:
    arr = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce")
    return bool(arr.isna().all())


def _dates(*series: object) -> pd.Series:
    parts = [pd.Series(pd.to_datetime(d)) for d in series if d is not None]
    if not parts:
        return pd.Series([], dtype="datetime64[ns]")
    return pd.concat(parts, ignore_index=True).dropna()


def period(end: object, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The ``days`` calendar days ending on ``end``: ``(first day, end)``.

    The ``x_range`` of a "4 weeks" view ending today is ``period(today, 28)``.

    >>> period("2026-03-28", 28)
    (Timestamp('2026-03-01 00:00:00'), Timestamp('2026-03-28 00:00:00'))
    """
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise ValueError(
            f"The 'days' parameter of period must be an int in [1, inf). Got {days!r} instead."
        )
    last = pd.Timestamp(end).normalize()
    return last - (int(days) - 1) * _DAY, last


def _resolve_period(
    x_range: tuple[object, object] | None, *dates: object
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    if x_range is not None:
        lo, hi = (pd.Timestamp(x).normalize() for x in x_range)
        if hi < lo:
            raise ValueError(
                "The 'x_range' parameter must be (first day, last day) with the first day "
                f"not after the last. Got ({lo:%Y-%m-%d}, {hi:%Y-%m-%d}) instead."
            )
        return lo, hi
    days = _dates(*dates)
    if days.empty:
        return None
    return days.min().normalize(), days.max().normalize()


def _apply_period(fig: go.Figure, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    """Every x axis of ``fig`` spans the days ``lo``..``hi`` (half a day of room each side).

    A period shorter than a week is shown as a week with one tick a day (a diary
    of a few days would otherwise get hourly ticks: 00:00, 03:00, ...). The
    period is kept in ``layout.meta`` for :func:`same_x_range`.
    """
    shown_hi = max(hi, lo + _MIN_SPAN_DAYS * _DAY)
    fig.update_xaxes(range=[lo - _HALF_DAY, shown_hi + _HALF_DAY])
    if hi - lo < _MIN_SPAN_DAYS * _DAY:
        fig.update_xaxes(dtick=86_400_000, tickformat="%d %b")
    else:
        fig.update_xaxes(dtick=None, tickformat=None)
    meta = dict(fig.layout.meta) if isinstance(fig.layout.meta, Mapping) else {}
    meta["period"] = [lo.strftime("%Y-%m-%d"), hi.strftime("%Y-%m-%d")]
    fig.update_layout(meta=meta)


def same_x_range(
    *figures: go.Figure, x_range: tuple[object, object] | None = None
) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Give date charts meant to be read together one x-range, in place.

    Parameters
    ----------
    *figures : plotly.graph_objects.Figure
        Date charts of this module (pain trajectory, sleep/mood/stress,
        medication). An empty state (:func:`empty_figure`) is passed over.
    x_range : (first day, last day), optional
        The common period; default: from the earliest to the latest period of
        the figures.

    Returns
    -------
    (first day, last day)
        The period now shown by every figure.

    Raises
    ------
    ValueError
        When a figure has no date period (not a date chart of this module).
    """
    periods = []
    for i, fig in enumerate(figures):
        meta = fig.layout.meta if isinstance(fig.layout.meta, Mapping) else {}
        if meta.get("empty"):
            continue
        if "period" not in meta:
            raise ValueError(
                f"The figure at position {i} of same_x_range has no date period: pass "
                "date charts built by dashboard.charts (pain, sleep/mood/stress, medication)."
            )
        periods.append(tuple(pd.Timestamp(x) for x in meta["period"]))
    if x_range is not None:
        resolved = _resolve_period(x_range)
        assert resolved is not None
        lo, hi = resolved
    elif periods:
        lo, hi = min(p[0] for p in periods), max(p[1] for p in periods)
    else:
        raise ValueError("same_x_range needs at least one figure or an x_range.")
    for fig in figures:
        meta = fig.layout.meta if isinstance(fig.layout.meta, Mapping) else {}
        if not meta.get("empty"):
            _apply_period(fig, lo, hi)
    return lo, hi


def _gapped(dates: Any, values: Any) -> tuple[list[Any], list[Any]]:
    """Dates and values with a break (None) wherever a day has no entry.

    Plotly joins consecutive points of a line even across weeks; a ``None``
    value between two dates more than a day apart (with ``connectgaps=False``)
    breaks the line there. Missing values become ``None`` too.
    """
    frame = pd.DataFrame(
        {
            "x": pd.to_datetime(pd.Series(dates)).to_numpy(),
            "y": pd.to_numeric(pd.Series(values).to_numpy(), errors="coerce"),
        }
    )
    frame = frame.dropna(subset=["x"]).sort_values("x", kind="stable").reset_index(drop=True)
    day = frame["x"].dt.normalize()
    before_gap = (day.shift(-1) - day) > _DAY
    breaks = pd.DataFrame({"x": frame.loc[before_gap, "x"] + _DAY, "y": np.nan})
    # each break goes right after the last day before its gap
    merged = pd.concat(
        [frame.assign(order=2 * frame.index), breaks.assign(order=2 * breaks.index + 1)]
    ).sort_values("order", kind="stable")
    ys = [None if pd.isna(v) else float(v) for v in merged["y"]]
    return list(merged["x"]), ys


def _pain_axis(fig: go.Figure, **kw: object) -> None:
    fig.update_yaxes(range=list(PAIN_RANGE), tickmode="linear", tick0=0, dtick=1, **kw)


def empty_figure(message: str, *, title: str = "") -> go.Figure:
    """A figure with no data and a centred message (used for empty states)."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 15}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=260,
        font=_FONT,
        # marks an empty state, which same_x_range passes over
        meta={"empty": True},
    )
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
            parts.append(f"Frequency: {_text(freq)} Hz")
        points = getattr(row, "points", None)
        if isinstance(points, str) and points:
            parts.append(f"Points: {_text(points.replace(';', ', '))}")
        before, after = getattr(row, "pain_before", np.nan), getattr(row, "pain_after", np.nan)
        if pd.notna(before) or pd.notna(after):
            parts.append(f"Pain before → after: {_fmt(before)} → {_fmt(after)}")
        ae = getattr(row, "adverse_events", None)
        if isinstance(ae, str) and ae:
            events = ", ".join(adverse_event_label(e) for e in ae.split(";") if e)
            parts.append(f"Adverse events: {_text(events)}")
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
    x_range: tuple[object, object] | None = None,
    its_names: tuple[str, str] = ("Trend before treatment", "Trend after start"),
) -> go.Figure:
    """Daily pain, worst pain, 7-day mean, baseline, session markers and ITS fit.

    Parameters
    ----------
    diary : pandas.DataFrame
        Canonical diary rows of one patient (``date``, ``pain`` and optionally
        ``worst_pain``, drawn when any day holds it).
    rolling : pandas.Series, optional
        The 7-day mean (``analytics.stats.rolling_mean``'s ``pain_rolling_mean``)
        aligned with ``diary``'s rows. The line breaks wherever a day has no entry.
    sessions : pandas.DataFrame, optional
        Sessions of the patient with a ``technique_band`` column
        (``analytics.stats._common.frequency_band``). Drawn as triangles just above the
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
    """
    fig = go.Figure()
    session_dates = None if sessions is None else sessions["date"]
    span = _resolve_period(x_range, diary["date"], session_dates)
    lo, hi = span if span is not None else (None, None)
    note = None
    if baseline is not None:
        b_start, b_end, mean = baseline
        b_start, b_end = pd.Timestamp(b_start), pd.Timestamp(b_end)
        outside = lo is not None and hi is not None and (b_end < lo or b_start > hi)
        if outside and lo is not None and hi is not None:
            if pd.notna(mean):
                fig.add_trace(
                    go.Scatter(
                        x=[lo - _HALF_DAY, hi + _HALF_DAY],
                        y=[mean, mean],
                        mode="lines",
                        name=f"Baseline mean ({_fmt(mean)})",
                        line={"color": SERIES_COLORS["baseline_line"], "dash": "dash", "width": 2},
                        hovertemplate="Baseline mean: %{y:.1f}<extra></extra>",
                    )
                )
                # two short lines: one long line would run off a 390 px phone
                note = (
                    f"Dashed line: baseline mean ({b_start:%d %b}–{b_end:%d %b %Y}),"
                    "<br>before this period"
                )
        else:
            x0 = b_start if lo is None else max(b_start, lo)
            x1 = b_end if hi is None else min(b_end, hi)
            fig.add_vrect(
                x0=x0 - _HALF_DAY,
                x1=x1 + _HALF_DAY,
                fillcolor=SERIES_COLORS["baseline"],
                line_width=0,
                layer="below",
            )
            if pd.notna(mean):
                fig.add_trace(
                    go.Scatter(
                        x=[x0, x1],
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
            marker={"color": SERIES_COLORS["pain"], "size": 6, "opacity": 0.75},
            # a pain of 0 or 10 sits on the axis' edge: draw the whole marker
            cliponaxis=False,
            hovertemplate="%{x|%a %d %b %Y}<br>Pain: %{y:.0f}/10<extra></extra>",
        )
    )
    if "worst_pain" in diary.columns and not _all_missing(diary["worst_pain"]):
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
    if rolling is not None and not _all_missing(rolling):
        xs, ys = _gapped(diary["date"], pd.Series(rolling).to_numpy())
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                # markers too, so a 7-day mean between two gaps still shows
                mode="lines+markers",
                name="7-day mean",
                line={"color": SERIES_COLORS["rolling"], "width": 3},
                marker={"size": 4},
                connectgaps=False,
                hovertemplate="%{x|%d %b %Y}<br>7-day mean: %{y:.1f}<extra></extra>",
            )
        )
    if its_lines is not None and len(its_lines):
        for segment, label in zip(("pre", "post"), its_names, strict=True):
            part = its_lines[its_lines["segment"] == segment]
            if len(part) and not _all_missing(part["fitted"]):
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
    if lo is not None and hi is not None:
        _apply_period(fig, lo, hi)
    if note is not None:
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
    columns = [c for c in columns if c in diary.columns and not _all_missing(diary[c])]
    if not columns:
        return empty_figure("No sleep, mood or stress scores logged.", title=title)
    fig = make_subplots(
        rows=len(columns),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.08,
        subplot_titles=[_WELLBEING_LABELS.get(c, _text(c)) for c in columns],
    )
    for i, col in enumerate(columns, start=1):
        label = _WELLBEING_LABELS.get(col, _text(col))
        xs, ys = _gapped(diary["date"], pd.to_numeric(diary[col]).astype("float64"))
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
    fig.update_xaxes(title_text=_DATE_TITLE, row=len(columns), col=1)
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        height=170 * len(columns) + 80,
        margin={"l": 60, "r": 20, "t": 70, "b": 40},
        font=_FONT,
        showlegend=False,
        modebar={"orientation": "v", "remove": list(MODEBAR_REMOVE)},
        dragmode=False,
    )
    span = _resolve_period(x_range, diary["date"])
    if span is not None:
        _apply_period(fig, *span)
    return fig


def medication_chart(
    diary: pd.DataFrame,
    *,
    title: str = "Medication use",
    x_range: tuple[object, object] | None = None,
) -> go.Figure:
    """Analgesic doses per day (bars) and opioid MME per day (line, right axis).

    Doses get whole-number ticks; both axes start at 0, so their zeros are level.
    A series never logged gets neither a trace nor an axis; the MME line breaks
    wherever a day has no entry. ``x_range`` as in :func:`pain_trajectory`.
    """
    doses = pd.to_numeric(diary["analgesic_doses"]).astype("float64")
    mme = pd.to_numeric(diary["opioid_mme"]).astype("float64")
    has_doses = not _all_missing(doses)
    has_mme = bool((mme.fillna(0) > 0).any())
    if not has_doses and not has_mme:
        return empty_figure("No medication logged.", title=title)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    if has_doses:
        fig.add_trace(
            go.Bar(
                x=diary["date"],
                y=doses,
                name="Analgesic doses",
                marker_color=SERIES_COLORS["analgesic_doses"],
                hovertemplate="%{x|%d %b %Y}<br>Doses: %{y:.0f}<extra></extra>",
            ),
            secondary_y=False,
        )
    if has_mme:
        xs, ys = _gapped(diary["date"], mme)
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name="Opioid (MME/day)",
                line={"color": SERIES_COLORS["opioid_mme"]},
                marker={"size": 4},
                connectgaps=False,
                hovertemplate="%{x|%d %b %Y}<br>Opioid: %{y:.1f} MME<extra></extra>",
            ),
            secondary_y=True,
        )
    _layout(fig, title=title, x_title=_DATE_TITLE, y_title="")
    if has_doses:
        _int_ticks(fig, _top(doses), title_text="Doses per day", secondary_y=False)
    if has_mme:
        # both axes run from 0, so the zeros are level
        fig.update_yaxes(
            range=[0, _top(mme)],
            title_text=_axis_title("Opioid (morphine mg equivalents per day)"),
            showgrid=not has_doses,
            secondary_y=True,
        )
        if not has_doses:
            fig.update_yaxes(visible=False, secondary_y=False)
    span = _resolve_period(x_range, diary["date"])
    if span is not None:
        _apply_period(fig, *span)
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
    has_relief = not _all_missing(relief)
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
    _layout(fig, title=title, x_title="Session date", y_title="")
    _session_axis(fig)
    peak = change.abs().max(skipna=True)
    half = SESSION_RESPONSE_RANGE
    if np.isfinite(peak) and peak > half:
        half = min(10, math.ceil(peak))
    fig.update_yaxes(
        title_text=_axis_title(REDUCTION_POINTS_TITLE),
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
        step = _int_step(top, max_ticks=4)
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
    _layout(
        fig,
        title=title,
        x_title="Session number",
        y_title="Pain reduction from baseline, points (positive = better)",
    )
    numbers = [patient["session_number"]]
    if cohort is not None and len(cohort):
        numbers.append(cohort["session_number"])
    _session_number_axis(fig, pd.concat(numbers, ignore_index=True))
    fig.add_hline(y=0, line_color=SERIES_COLORS["reference"], line_width=1)
    return fig


def _session_number_axis(fig: go.Figure, numbers: pd.Series) -> None:
    """Whole-number ticks on a session-number axis (no "session 2.5")."""
    top = pd.to_numeric(numbers).max(skipna=True)
    top = 1.0 if not np.isfinite(top) else float(top)
    fig.update_xaxes(
        range=[0.5, top + 0.5], tickmode="linear", tick0=0, dtick=_int_step(top, max_ticks=10)
    )


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
    order = [_text(p) for p in data["patient_id"]]
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
                x=[_text(p) for p in part["patient_id"]],
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
    _layout(
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
            y=[_wrap_label(_text(group_label(grouping, v))) for v in data[by]],
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
        title=title or f"Responders by {_text(by.replace('_', ' '))}",
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
                name="All patients" if name is None else _text(name),
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
            fillcolor="rgba(0,114,178,0.15)",
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
    # whole days (a short follow-up would otherwise get ticks at 0.5 days)
    _int_ticks(fig, _top(t, pad=1.0), axis="x", max_ticks=8)
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
    _layout(
        fig,
        title=title,
        x_title="Cumulative session number",
        y_title="Pain reduction from baseline, points (positive = better)",
    )
    _session_number_axis(fig, points["session_number"])
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
    names = [_wrap_label(technique_label(b)) for b in summary["technique_band"]]
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
    _layout(
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
    _layout(fig, title=title, x_title="Adverse event", y_title="Events per 100 treatments")
    fig.update_yaxes(rangemode="tozero")
    return fig
