"""Matplotlib drawings of the report charts, returned as PNG bytes.

Each ``*_figure`` function mirrors a builder of ``dashboard.charts`` (same data, colours,
axis titles and 0-10 pain axes) so that a chart on paper reads like the one on
screen. Figures are made with :class:`matplotlib.figure.Figure` on the Agg
canvas (``*_png`` renders one to PNG bytes): no pyplot state, no display, no browser. Text in the data (patient ids,
group names) is drawn literally: mathtext is switched off, so a ``$`` in a label
is just a dollar sign.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, DateFormatter, DayLocator
from matplotlib.figure import Figure

from analytics.presentation import (
    SUSTAINED_RESPONSE,
    adverse_event_label,
    category_label,
    group_label,
    number_text,
    technique_label,
    trailing_mean_label,
)
from analytics.reports._style import (
    CATEGORY_COLORS,
    FOLLOWUP_BAND,
    KM_BAND,
    PAIN_RANGE,
    SERIES_COLORS,
    TECHNIQUE_COLORS,
    category_color,
    font_path,
    mpl_color,
    technique_color,
)

__all__ = [
    "DPI",
    "pain_trajectory_figure",
    "waterfall_figure",
    "responder_rates_figure",
    "dose_response_figure",
    "kaplan_meier_figure",
    "adverse_events_figure",
    "pain_trajectory_png",
    "waterfall_png",
    "responder_rates_png",
    "dose_response_png",
    "kaplan_meier_png",
    "adverse_events_png",
]

#: Resolution of the PNG images, dots per inch.
DPI = 170

_PAIN_TITLE = "Pain (0-10 NRS)"
_REDUCTION_POINTS = "Pain reduction from baseline,\npoints (positive = better)"
_REDUCTION_PCT = "Pain reduction from baseline,\n% (positive = better)"
_RC: dict[str, Any] = {
    "text.parse_math": False,
    "font.family": "DejaVu Sans",
    "font.size": 8.5,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e5e5e5",
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "legend.fontsize": 7.5,
    "svg.fonttype": "none",
}


@contextmanager
def _style() -> Iterator[None]:
    path = font_path("")
    if str(path) not in {f.fname for f in font_manager.fontManager.ttflist}:
        font_manager.fontManager.addfont(str(path))
    with matplotlib.rc_context(_RC):  # type: ignore[arg-type]
        yield


def _png(fig: Figure) -> bytes:
    # an RGB PNG without alpha channel: the PDF embeds it without splitting a mask
    from PIL import Image

    fig.set_dpi(DPI)
    canvas = FigureCanvasAgg(fig)
    with _style():
        canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba())
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _legend_below(ax: Any, ncol: int = 3) -> None:
    handles, labels = ax.get_legend_handles_labels()
    if handles:
        if max(len(label) for label in labels) > 32:
            ncol = min(ncol, 2)
        ax.legend(loc="upper left", bbox_to_anchor=(0, -0.16), ncol=ncol, handlelength=1.8)


def _draw_baseline(
    ax: Any,
    baseline: tuple[pd.Timestamp, pd.Timestamp, float | None],
    first_shown: pd.Timestamp | None,
) -> None:
    """Shade the baseline window and draw its mean; a line across the period when before it."""
    start, end, b_mean = baseline
    mean = float("nan") if b_mean is None else float(b_mean)
    has_mean = bool(np.isfinite(mean))
    if first_shown is not None and end < first_shown:
        # the baseline lies before the period shown: its mean as a reference line
        # across the period, its dates in the legend (as the dashboard does)
        if has_mean:
            ax.axhline(
                mean,
                ls="--",
                lw=1.6,
                color=SERIES_COLORS["baseline_line"],
                label=f"Baseline mean ({number_text(mean)}), {start:%d %b}–{end:%d %b %Y}, "
                "before this period",
            )
        return
    if first_shown is not None:
        start = max(start, first_shown)
    ax.axvspan(
        start - pd.Timedelta(hours=12),
        end + pd.Timedelta(hours=12),
        color=mpl_color(SERIES_COLORS["baseline"]),
        lw=0,
        zorder=0,
        label="Baseline window",
    )
    if has_mean:
        ax.plot(
            [start, end],
            [mean, mean],
            ls="--",
            lw=1.6,
            color=SERIES_COLORS["baseline_line"],
            label=f"Baseline mean ({number_text(mean)})",
        )


def _draw_followup(ax: Any, followup: tuple[pd.Timestamp, pd.Timestamp, float | None]) -> None:
    """Shade the follow-up window and draw its mean."""
    start, end, f_mean = followup
    ax.axvspan(
        start - pd.Timedelta(hours=12),
        end + pd.Timedelta(hours=12),
        color=mpl_color(FOLLOWUP_BAND),
        lw=0,
        zorder=0,
        label="Follow-up window",
    )
    if f_mean is not None and np.isfinite(f_mean):
        ax.plot(
            [start, end],
            [f_mean, f_mean],
            ls=":",
            lw=1.8,
            color=SERIES_COLORS["rolling"],
            label=f"Follow-up mean ({number_text(f_mean)})",
        )


def _draw_days(ax: Any, diary: pd.DataFrame, window_days: int) -> None:
    """Draw each day's pain and the trailing mean."""
    ax.scatter(
        diary["date"],
        diary["pain"],
        s=9,
        color=SERIES_COLORS["pain"],
        alpha=0.65,
        lw=0,
        label="Daily pain",
        zorder=3,
    )
    if "pain_rolling_mean" in diary:
        ax.plot(
            diary["date"],
            diary["pain_rolling_mean"],
            color=SERIES_COLORS["rolling"],
            lw=2,
            label=trailing_mean_label(window_days),
            zorder=4,
        )


def _draw_sessions(ax: Any, sessions: pd.DataFrame) -> None:
    """Draw the sessions as triangles above the x axis, one colour per technique band."""
    for band, part in sessions.groupby("technique_band", sort=True):
        ax.scatter(
            part["date"],
            np.full(len(part), 0.35),
            marker="^",
            s=42,
            color=technique_color(band),
            label=f"Session: {technique_label(band)}",
            zorder=5,
            clip_on=False,
        )


def _date_axis(
    ax: Any,
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    x_end: pd.Timestamp | None = None,
) -> None:
    """Label the pain and date axes; a short period shows a week of days.

    The axis runs to ``x_end`` (the report's date) when it is after the last day
    drawn, so days without entries before it show as an empty stretch.
    """
    ax.set_ylim(*PAIN_RANGE)
    ax.set_yticks(range(PAIN_RANGE[0], PAIN_RANGE[1] + 1))
    ax.set_ylabel(_PAIN_TITLE)
    ax.set_xlabel("Date")
    days = pd.concat(
        [diary["date"], sessions["date"] if sessions is not None else pd.Series(dtype=object)]
    ).dropna()
    if not len(days):
        return
    first, last = pd.Timestamp(days.min()).normalize(), pd.Timestamp(days.max()).normalize()
    if x_end is not None:
        last = max(last, pd.Timestamp(x_end).normalize())
    if last - first < pd.Timedelta(days=7):
        ax.set_xlim(first - pd.Timedelta(hours=12), first + pd.Timedelta(days=7, hours=12))
        ax.xaxis.set_major_locator(DayLocator())
        ax.xaxis.set_major_formatter(DateFormatter("%d %b"))
    else:
        locator = AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        formatter = ConciseDateFormatter(locator, show_offset=True)
        formatter.offset_formats = ["", "%Y", "%Y", "%Y", "%Y", "%Y"]
        ax.xaxis.set_major_formatter(formatter)
        if x_end is not None:
            ax.set_xlim(right=last + pd.Timedelta(hours=12))


def pain_trajectory_figure(
    diary: pd.DataFrame,
    *,
    sessions: pd.DataFrame | None = None,
    baseline: tuple[pd.Timestamp, pd.Timestamp, float | None] | None = None,
    followup: tuple[pd.Timestamp, pd.Timestamp, float | None] | None = None,
    x_start: pd.Timestamp | None = None,
    x_end: pd.Timestamp | None = None,
    size: tuple[float, float] = (7.1, 3.05),
    window_days: int = 7,
) -> Figure:
    """Draw daily pain, the trailing mean, baseline and follow-up bands and session markers.

    Parameters
    ----------
    diary : pandas.DataFrame
        ``date``, ``pain`` and ``pain_rolling_mean``
        (``analytics.pipeline.PatientSummary.diary``).
    sessions : pandas.DataFrame, optional
        ``date`` and ``technique_band``.
    baseline, followup : (start, end, mean or None), optional
        The windows with their means; the baseline as in
        ``dashboard.charts.pain_trajectory``.
    x_start : pandas.Timestamp, optional
        The first day of the period shown: a baseline wholly before it becomes a
        dashed line at its mean across the period, with its dates in the legend.
    x_end : pandas.Timestamp, optional
        The report's date: the date axis runs to it, and a line marks it when it
        is after the last diary day, so the days without entries since then show.
    size : (float, float)
        Figure size, inches.
    window_days : int, default 7
        Days of the trailing mean, named in the legend.

    Returns
    -------
    matplotlib.figure.Figure
    """
    with _style():
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot()
        first_shown = None if x_start is None else pd.Timestamp(x_start).normalize()
        if baseline is not None:
            _draw_baseline(ax, baseline, first_shown)
        if followup is not None:
            _draw_followup(ax, followup)
        _draw_days(ax, diary, window_days)
        if sessions is not None and len(sessions):
            _draw_sessions(ax, sessions)
        _date_axis(ax, diary, sessions, x_end)
        if x_end is not None and len(diary) and pd.Timestamp(x_end) > diary["date"].max():
            ax.axvline(
                pd.Timestamp(x_end).normalize(),
                color=SERIES_COLORS["reference"],
                lw=1,
                ls="-.",
                label=f"Report date ({pd.Timestamp(x_end):%d %b})",
            )
        _legend_below(ax, ncol=4)
        return fig


def waterfall_figure(
    outcomes: pd.DataFrame,
    *,
    threshold: float | None = None,
    size: tuple[float, float] = (7.1, 3.2),
) -> Figure:
    """% change per patient, best first, coloured by IMMPACT category (as the dashboard)."""
    data = outcomes.dropna(subset=["pct_change"]).assign(
        category=lambda d: d["response_category"].astype("str")
    )
    data = data.sort_values(["pct_change", "patient_id"], ascending=[False, True])
    with _style():
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot()
        x = np.arange(len(data))
        cats = data["category"].to_numpy()
        for cat in CATEGORY_COLORS:
            mask = cats == cat
            if mask.any():
                ax.bar(
                    x[mask],
                    data["pct_change"].to_numpy()[mask],
                    color=category_color(cat),
                    width=0.85,
                    label=category_label(cat),
                )
        if threshold is not None:
            ax.axhline(threshold, ls="--", color=SERIES_COLORS["reference"], lw=1)
            ax.annotate(
                f"Responder threshold {threshold:g}%",
                xy=(1, threshold),
                xycoords=("axes fraction", "data"),
                ha="right",
                va="bottom",
                fontsize=7.5,
            )
        ax.axhline(0, color=SERIES_COLORS["reference"], lw=0.8)
        if len(data) <= 40:
            ids = [_short(p, 14) for p in data["patient_id"].astype("str")]
            ax.set_xticks(x, ids, rotation=90, fontsize=6)
        else:
            ax.set_xticks([])
        ax.set_xlabel("Patient (sorted by pain reduction)")
        ax.set_ylabel(_REDUCTION_PCT)
        ax.grid(axis="x", visible=False)
        _legend_below(ax, ncol=4) if len(data) > 40 else ax.legend(loc="upper right")
        return fig


def responder_rates_figure(
    rates: pd.DataFrame, *, by: str, grouping: str, size: tuple[float, float] | None = None
) -> Figure:
    """Responder rate with its Wilson 95% CI per subgroup (horizontal bars, %)."""
    data = rates.dropna(subset=["responder_rate"]).iloc[::-1]
    rate = data["responder_rate"].to_numpy(float) * 100
    low = data["responder_ci_low"].to_numpy(float) * 100
    high = data["responder_ci_high"].to_numpy(float) * 100
    colors = [
        technique_color(v) if str(v) in TECHNIQUE_COLORS else SERIES_COLORS["event_any"]
        for v in data[by]
    ]
    labels = [_short(group_label(grouping, v), 38) for v in data[by]]
    with _style():
        fig = Figure(figsize=size or (7.1, 0.6 + 0.27 * max(len(data), 2)), layout="constrained")
        ax = fig.add_subplot()
        y = np.arange(len(data))
        ax.barh(y, rate, color=colors, height=0.65)
        ax.errorbar(
            rate,
            y,
            xerr=[rate - low, high - rate],
            fmt="none",
            ecolor=SERIES_COLORS["reference"],
            capsize=2,
            lw=1,
        )
        ax.set_yticks(y, labels)
        ax.set_xlim(0, 100)
        ax.set_xlabel("Responders (% of patients, Wilson 95% CI)")
        ax.grid(axis="y", visible=False)
        return fig


def dose_response_figure(
    points: pd.DataFrame,
    *,
    emax: tuple[np.ndarray, np.ndarray] | None = None,
    emax_label: str = "Emax fit",
    size: tuple[float, float] = (7.1, 3.0),
) -> Figure:
    """Cohort mean change by cumulative session number (95% CI) with the Emax curve."""
    with _style():
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot()
        if len(points):
            yerr = None
            if {"ci_low", "ci_high"} <= set(points.columns):
                yerr = [
                    (points["mean_change"] - points["ci_low"]).to_numpy(float),
                    (points["ci_high"] - points["mean_change"]).to_numpy(float),
                ]
            ax.errorbar(
                points["session_number"],
                points["mean_change"],
                yerr=yerr,
                fmt="o",
                ms=4,
                color=SERIES_COLORS["after"],
                ecolor=SERIES_COLORS["cohort"],
                capsize=2,
                label="Mean pain reduction (95% CI)",
            )
        if emax is not None:
            k, pred = emax
            ax.plot(k, pred, color=SERIES_COLORS["patient"], lw=1.8, label=emax_label)
        ax.axhline(0, color=SERIES_COLORS["reference"], lw=0.8)
        ax.set_xlabel("Cumulative session number")
        ax.set_ylabel(_REDUCTION_POINTS)
        _legend_below(ax, ncol=2)
        return fig


def kaplan_meier_figure(table: pd.DataFrame, *, size: tuple[float, float] = (7.1, 2.9)) -> Figure:
    """Share of patients not yet responding over time with its 95% CI (steps)."""
    with _style():
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot()
        t = table["time"].to_numpy(float)
        ax.fill_between(
            t,
            table["ci_low"].to_numpy(float) * 100,
            table["ci_high"].to_numpy(float) * 100,
            step="post",
            color=mpl_color(KM_BAND),
            lw=0,
            label="95% CI",
        )
        ax.step(
            t,
            table["survival"].to_numpy(float) * 100,
            where="post",
            color=SERIES_COLORS["after"],
            lw=2,
            label=f"No {SUSTAINED_RESPONSE} yet",
        )
        ax.set_ylim(0, 100)
        ax.set_xlabel("Days since start of treatment")
        ax.set_ylabel(f"Patients without a\n{SUSTAINED_RESPONSE} yet (%)")
        _legend_below(ax, ncol=2)
        return fig


def adverse_events_figure(rates: pd.DataFrame, *, size: tuple[float, float] = (7.1, 2.8)) -> Figure:
    """Events per 100 treatments per event type, ``any`` against the published benchmark."""
    data = rates.dropna(subset=["events_per_100_sessions"])
    is_any = (data["event"] == "any").to_numpy()
    with _style():
        fig = Figure(figsize=size, layout="constrained")
        ax = fig.add_subplot()
        x = np.arange(len(data))
        ax.bar(
            x,
            data["events_per_100_sessions"],
            color=np.where(is_any, SERIES_COLORS["event_any"], SERIES_COLORS["event"]),
            label="This clinic",
        )
        bench = data.loc[is_any, "benchmark_per_100"].dropna()
        if len(bench):
            value = float(bench.iloc[0])
            pos = float(x[is_any][0])
            ax.hlines(
                value,
                pos - 0.45,
                pos + 0.45,
                color=SERIES_COLORS["benchmark"],
                lw=2.5,
                label=f"Published benchmark: {value:g} per 100 (Bäumler 2021)",
            )
        ax.set_xticks(x, [adverse_event_label(e) for e in data["event"]], fontsize=7.5)
        ax.set_ylabel("Events per 100 treatments")
        ax.set_ylim(bottom=0)
        ax.grid(axis="x", visible=False)
        _legend_below(ax, ncol=2)
        return fig


def _short(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def pain_trajectory_png(diary: pd.DataFrame, **kw: Any) -> bytes:
    """:func:`pain_trajectory_figure` as PNG bytes."""
    return _png(pain_trajectory_figure(diary, **kw))


def waterfall_png(outcomes: pd.DataFrame, **kw: Any) -> bytes:
    """:func:`waterfall_figure` as PNG bytes."""
    return _png(waterfall_figure(outcomes, **kw))


def responder_rates_png(rates: pd.DataFrame, **kw: Any) -> bytes:
    """:func:`responder_rates_figure` as PNG bytes."""
    return _png(responder_rates_figure(rates, **kw))


def dose_response_png(points: pd.DataFrame, **kw: Any) -> bytes:
    """:func:`dose_response_figure` as PNG bytes."""
    return _png(dose_response_figure(points, **kw))


def kaplan_meier_png(table: pd.DataFrame, **kw: Any) -> bytes:
    """:func:`kaplan_meier_figure` as PNG bytes."""
    return _png(kaplan_meier_figure(table, **kw))


def adverse_events_png(rates: pd.DataFrame, **kw: Any) -> bytes:
    """:func:`adverse_events_figure` as PNG bytes."""
    return _png(adverse_events_figure(rates, **kw))
