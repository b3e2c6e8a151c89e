"""Colours, axes, periods and layout every chart of the dashboard shares."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

# the palette is the library's, so screen and PDF draw in the same colours
from analytics.presentation import (
    ADHERENCE_COLOR,
    CATEGORY_COLORS,
    KM_BAND,
    PAIN_RANGE,
    SERIES_COLORS,
    TECHNIQUE_COLORS,
    category_color,
    format_shown,
    technique_color,
)
from dashboard.labels import (
    adverse_event_label,
    technique_label,
)
from dashboard.text import shown

__all__ = [
    "TECHNIQUE_COLORS",
    "CATEGORY_COLORS",
    "ADHERENCE_COLOR",
    "SERIES_COLORS",
    "PAIN_RANGE",
    "KM_BAND",
    "SESSION_RESPONSE_RANGE",
    "CHART_CONFIG",
    "MODEBAR_REMOVE",
    "REDUCTION_POINTS_TITLE",
    "REDUCTION_PCT_TITLE",
    "PAIN_TITLE",
    "DATE_TITLE",
    "FONT",
    "ONE_DAY",
    "HALF_DAY",
    "MIN_SPAN_DAYS",
    "label_text",
    "technique_color",
    "category_color",
    "apply_layout",
    "axis_title",
    "wrap_label",
    "session_axis",
    "int_step",
    "int_ticks",
    "axis_top",
    "all_missing",
    "as_dates",
    "period",
    "resolve_period",
    "apply_period",
    "same_x_range",
    "gapped",
    "pain_axis",
    "empty_figure",
    "fmt_number",
    "session_hover",
    "session_number_axis",
]


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


PAIN_TITLE = "Pain (0-10 NRS)"


DATE_TITLE = "Date"


FONT = {"size": 13}


ONE_DAY = pd.Timedelta(days=1)


HALF_DAY = pd.Timedelta(hours=12)


MIN_SPAN_DAYS = 7


def label_text(value: object) -> str:
    """Make stored text (ids, group names, points, frequencies) made safe for a chart.

    Plotly reads ``<b>``, ``<br>``, ``<a href=...>`` and ``&...;`` entities in
    every label: text a person typed must not turn into markup, so ``&``, ``<``
    and ``>`` become entities (plotly shows them as the characters). Every piece
    of stored text on a chart passes through here.
    """
    return shown(value, "chart")


def apply_layout(
    fig: go.Figure, *, title: str, x_title: str, y_title: str, height: int = 460
) -> None:
    fig.update_layout(
        # the title sits in the top margin, left-aligned: clear of plotly's toolbar
        # (one "download as PNG" button, upright at the right edge)
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
        font=FONT,
        # legend under the x-axis title, wrapping on narrow screens
        legend={"orientation": "h", "yanchor": "top", "y": -0.28, "x": 0},
        hoverlabel={"font_size": 13},
        modebar={"orientation": "v", "remove": list(MODEBAR_REMOVE)},
        # a drag on a phone scrolls the page instead of zooming the chart
        dragmode=False,
    )
    fig.update_xaxes(title_text=axis_title(x_title))
    fig.update_yaxes(title_text=axis_title(y_title))


def axis_title(text: str) -> str:
    """Put a long axis title on two lines, before its "(...)" part, to fit a phone's plot."""
    head, sep, tail = text.partition(" (")
    return f"{head}<br>({tail}" if sep and len(text) > 28 else text


def wrap_label(text: str) -> str:
    """Put a long category name on two lines, before its "(...)" part (axis room on a phone)."""
    head, sep, tail = text.partition(" (")
    return f"{head}<br>({tail}" if sep and len(text) > 16 else text


def session_axis(fig: go.Figure) -> None:
    # session dates are category labels that plotly tilts on a narrow screen: tilt
    # them at a fixed angle and move the legend below them, clear of the axis title
    fig.update_xaxes(tickangle=-45, automargin=True)
    fig.update_layout(legend={"y": -0.55}, margin={"b": 60})


def int_step(top: float, max_ticks: int = 6) -> int:
    """Return the smallest of 1, 2, 5, 10, 20, 50, ... giving at most ``max_ticks`` steps to ``top``."""
    step = 1
    for magnitude in (10**k for k in range(0, 7)):
        for mult in (1, 2, 5):
            step = mult * magnitude
            if top / step <= max_ticks:
                return step
    return step


def int_ticks(
    fig: go.Figure, top: float, *, axis: str = "y", max_ticks: int = 6, **kw: Any
) -> None:
    """Axis from 0 to ``top`` (at least 1) with whole-number ticks."""
    top = max(1.0, float(top))
    step = int_step(top, max_ticks)
    update = fig.update_yaxes if axis == "y" else fig.update_xaxes
    update(range=[0, top], tickmode="linear", tick0=0, dtick=step, **kw)


def axis_top(values: Any, *, pad: float = 1.05) -> float:
    """Upper end of a count axis: the largest value with a little room (1 when empty)."""
    arr = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce").astype("float64")
    peak = arr.max(skipna=True)
    return 1.0 if not np.isfinite(peak) or peak <= 0 else float(peak) * pad


def all_missing(values: Any) -> bool:
    arr = pd.to_numeric(pd.Series(values, dtype="object"), errors="coerce")
    return bool(arr.isna().all())


def as_dates(*series: object) -> pd.Series:
    parts = [pd.Series(pd.to_datetime(d)) for d in series if d is not None]
    if not parts:
        return pd.Series([], dtype="datetime64[ns]")
    return pd.concat(parts, ignore_index=True).dropna()


def period(end: object, days: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return the ``days`` calendar days ending on ``end``: ``(first day, end)``.

    The ``x_range`` of a "4 weeks" view ending today is ``period(today, 28)``.

    >>> period("2026-03-28", 28)
    (Timestamp('2026-03-01 00:00:00'), Timestamp('2026-03-28 00:00:00'))
    """
    if isinstance(days, bool) or not isinstance(days, int | np.integer) or days < 1:
        raise ValueError(
            f"The 'days' parameter of period must be an int in [1, inf). Got {days!r} instead."
        )
    last = pd.Timestamp(end).normalize()
    return last - (int(days) - 1) * ONE_DAY, last


def resolve_period(
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
    days = as_dates(*dates)
    if days.empty:
        return None
    return days.min().normalize(), days.max().normalize()


def apply_period(fig: go.Figure, lo: pd.Timestamp, hi: pd.Timestamp) -> None:
    """Every x axis of ``fig`` spans the days ``lo``..``hi`` (half a day of room each side).

    A period shorter than a week is shown as a week with one tick a day (a diary
    of a few days would otherwise get hourly ticks: 00:00, 03:00, ...). The
    period is kept in ``layout.meta`` for :func:`same_x_range`.
    """
    shown_hi = max(hi, lo + MIN_SPAN_DAYS * ONE_DAY)
    fig.update_xaxes(range=[lo - HALF_DAY, shown_hi + HALF_DAY])
    if hi - lo < MIN_SPAN_DAYS * ONE_DAY:
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
        resolved = resolve_period(x_range)
        if resolved is None:  # a given x_range always resolves; say so if it did not
            raise ValueError(f"same_x_range could not read the x_range {x_range!r}.")
        lo, hi = resolved
    elif periods:
        lo, hi = min(p[0] for p in periods), max(p[1] for p in periods)
    else:
        raise ValueError("same_x_range needs at least one figure or an x_range.")
    for fig in figures:
        meta = fig.layout.meta if isinstance(fig.layout.meta, Mapping) else {}
        if not meta.get("empty"):
            apply_period(fig, lo, hi)
    return lo, hi


def gapped(dates: Any, values: Any) -> tuple[list[Any], list[Any]]:
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
    before_gap = (day.shift(-1) - day) > ONE_DAY
    breaks = pd.DataFrame({"x": frame.loc[before_gap, "x"] + ONE_DAY, "y": np.nan})
    # each break goes right after the last day before its gap
    merged = pd.concat(
        [frame.assign(order=2 * frame.index), breaks.assign(order=2 * breaks.index + 1)]
    ).sort_values("order", kind="stable")
    ys = [None if pd.isna(v) else float(v) for v in merged["y"]]
    return list(merged["x"]), ys


def pain_axis(fig: go.Figure, **kw: object) -> None:
    fig.update_yaxes(range=list(PAIN_RANGE), tickmode="linear", tick0=0, dtick=1, **kw)


def empty_figure(message: str, *, title: str = "") -> go.Figure:
    """Build a figure with no data and a centred message (used for empty states)."""
    fig = go.Figure()
    fig.add_annotation(
        text=message, showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper", font={"size": 15}
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left"},
        height=260,
        font=FONT,
        # marks an empty state, which same_x_range passes over
        meta={"empty": True},
    )
    return fig


def fmt_number(value: object, spec: str = ".1f") -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "—"
    try:
        return format_shown(value, spec)
    except (TypeError, ValueError):
        return str(value)


def session_hover(sessions: pd.DataFrame) -> list[str]:
    out = []
    for row in sessions.itertuples(index=False):
        parts = [
            f"<b>Session {pd.Timestamp(row.date):%d %b %Y}</b>",
            f"Technique: {technique_label(row.technique_band)}",
        ]
        freq = getattr(row, "frequency_hz", None)
        if isinstance(freq, str) and freq:
            parts.append(f"Frequency: {label_text(freq)} Hz")
        points = getattr(row, "points", None)
        if isinstance(points, str) and points:
            parts.append(f"Points: {label_text(points.replace(';', ', '))}")
        before, after = getattr(row, "pain_before", np.nan), getattr(row, "pain_after", np.nan)
        if pd.notna(before) or pd.notna(after):
            parts.append(f"Pain before → after: {fmt_number(before)} → {fmt_number(after)}")
        ae = getattr(row, "adverse_events", None)
        if isinstance(ae, str) and ae:
            events = ", ".join(adverse_event_label(e) for e in ae.split(";") if e)
            parts.append(f"Adverse events: {label_text(events)}")
        out.append("<br>".join(parts))
    return out


def session_number_axis(fig: go.Figure, numbers: pd.Series) -> None:
    """Whole-number ticks on a session-number axis (no "session 2.5")."""
    top = pd.to_numeric(numbers).max(skipna=True)
    top = 1.0 if not np.isfinite(top) else float(top)
    fig.update_xaxes(
        range=[0.5, top + 0.5], tickmode="linear", tick0=0, dtick=int_step(top, max_ticks=10)
    )
