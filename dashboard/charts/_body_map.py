"""The body map: front and back outlines with the marked regions, and the regions' heat map.

:func:`body_map_figure` draws two simple outlines (front, back) with one marker
per region of the widespread pain index, filled where marked — a small picture
of what a patient ticked, or, with shares, of how often each region was marked.
:func:`region_heatmap` is the clinician's view over a period: one row per region,
one column per week, the colour the share of days with the map filled in on
which the region was marked.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd
import plotly.graph_objects as go

from analytics.contract import BODY_REGIONS
from analytics.presentation import (
    NO_REGIONS_TEXT,
    REGION_HEATMAP_TITLE,
    REGION_LABELS,
    REGION_SHARE_LABEL,
)
from dashboard.charts._style import FONT, MODEBAR_REMOVE, empty_figure

__all__ = ["REGION_POSITIONS", "body_map_figure", "region_heatmap"]

#: Marker position of each region: x in [0, 10] is the front view (the person's
#: left on the viewer's right), x in [12, 22] the back view (left on the left).
REGION_POSITIONS: dict[str, tuple[float, float]] = {
    "r_jaw": (4.4, 17.6),
    "l_jaw": (5.6, 17.6),
    "r_shoulder": (2.9, 15.6),
    "l_shoulder": (7.1, 15.6),
    "r_upper_arm": (2.2, 13.4),
    "l_upper_arm": (7.8, 13.4),
    "r_lower_arm": (1.6, 10.6),
    "l_lower_arm": (8.4, 10.6),
    "chest": (5.0, 14.6),
    "abdomen": (5.0, 11.6),
    "r_upper_leg": (4.1, 7.0),
    "l_upper_leg": (5.9, 7.0),
    "r_lower_leg": (4.1, 2.8),
    "l_lower_leg": (5.9, 2.8),
    "neck": (17.0, 16.8),
    "upper_back": (17.0, 14.4),
    "low_back": (17.0, 11.8),
    "l_hip": (16.0, 9.6),
    "r_hip": (18.0, 9.6),
}

_INK = "#1f2937"
_OUTLINE = "#9ca3af"
_MARKED = "#b91c1c"


def _outline(fig: go.Figure, x0: float) -> None:
    """Draw one body outline (head, neck, trunk, arms, legs) with its left edge at ``x0``."""
    line = {"color": _OUTLINE, "width": 2}
    shapes = [
        ("circle", 4.0, 17.0, 6.0, 19.4),  # head
        ("rect", 4.5, 16.2, 5.5, 17.0),  # neck
        ("rect", 3.3, 9.0, 6.7, 16.2),  # trunk
        ("rect", 1.9, 12.0, 3.1, 16.0),  # arms: upper
        ("rect", 6.9, 12.0, 8.1, 16.0),
        ("rect", 1.2, 8.6, 2.4, 12.0),  # lower
        ("rect", 7.6, 8.6, 8.8, 12.0),
        ("rect", 3.4, 0.5, 4.9, 9.0),  # legs
        ("rect", 5.1, 0.5, 6.6, 9.0),
    ]
    for kind, a, b, c, d in shapes:
        fig.add_shape(
            type=kind,
            x0=x0 + a,
            y0=b,
            x1=x0 + c,
            y1=d,
            line=line,
            fillcolor="#f3f4f6",
            layer="below",
        )


def body_map_figure(
    marked: Collection[str] = (),
    *,
    shares: Mapping[str, float] | None = None,
    title: str = "",
    height: int = 300,
) -> go.Figure:
    """Build the front and back outlines with a marker per region.

    Parameters
    ----------
    marked : collection of str
        Region codes marked (filled red markers; the others hollow).
    shares : mapping of str to float, optional
        Share of days (0-1) each region was marked; when given it sets each
        marker's fill instead (white = never, dark red = every day) and its size.
    title : str, optional
        The figure's title.
    height : int, default 300
        Height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        One scatter trace of the 19 regions (``customdata`` = the codes, in
        :data:`analytics.contract.BODY_REGIONS` order) over two outlines.
    """
    fig = go.Figure()
    _outline(fig, 0.0)
    _outline(fig, 12.0)
    codes = list(BODY_REGIONS)
    chosen = set(marked)
    labels = [REGION_LABELS[c] for c in codes]
    if shares is not None:
        values = [float(shares.get(c, 0.0)) for c in codes]
        marker = {
            "size": [14 + 14 * v for v in values],
            "color": values,
            "cmin": 0,
            "cmax": 1,
            "colorscale": [[0, "#ffffff"], [1, _MARKED]],
            "line": {"color": _INK, "width": 1.5},
        }
        hover = [f"{lab}: {v:.0%} of days" for lab, v in zip(labels, values, strict=True)]
    else:
        on = [c in chosen for c in codes]
        marker = {
            "size": 22,
            "color": [_MARKED if m else "#ffffff" for m in on],
            "line": {"color": _INK, "width": 2},
        }
        hover = [
            f"{lab}: {'marked' if m else 'not marked'}" for lab, m in zip(labels, on, strict=True)
        ]
    fig.add_trace(
        go.Scatter(
            x=[REGION_POSITIONS[c][0] for c in codes],
            y=[REGION_POSITIONS[c][1] for c in codes],
            mode="markers",
            marker=marker,
            customdata=codes,
            hovertext=hover,
            hoverinfo="text",
            showlegend=False,
            name="Body regions",
        )
    )
    for x, text in ((5.0, "Front"), (17.0, "Back")):
        fig.add_annotation(x=x, y=-0.4, text=text, showarrow=False, yanchor="top")
    fig.update_xaxes(visible=False, range=[-0.5, 22.5], fixedrange=True)
    fig.update_yaxes(
        visible=False, range=[-1.6, 19.8], fixedrange=True, scaleanchor="x", scaleratio=1
    )
    fig.update_layout(
        title={"text": title, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 4, "r": 4, "t": 36 if title else 4, "b": 4},
        font=FONT,
        plot_bgcolor="#ffffff",
        modebar={"orientation": "v", "remove": list(MODEBAR_REMOVE)},
        dragmode=False,
    )
    return fig


def region_heatmap(frequency: pd.DataFrame, *, height: int = 560) -> go.Figure:
    """Build the heat map of how often each region was marked, period by period.

    Parameters
    ----------
    frequency : pandas.DataFrame
        :func:`analytics.stats.region_frequency` of one patient (``period_start``,
        ``region``, ``n_days_logged``, ``n_days_marked``, ``share_marked``).
    height : int, default 560
        Height in pixels.

    Returns
    -------
    plotly.graph_objects.Figure
        One heat map trace: a row per region (all 19, in the contract's order,
        top to bottom), a column per period labelled by its first day; an empty
        state when no period holds a marked day.
    """
    if frequency.empty or not (frequency["n_days_marked"] > 0).any():
        return empty_figure(NO_REGIONS_TEXT, title=REGION_HEATMAP_TITLE)
    grid = frequency.pivot_table(
        index="region", columns="period_start", values="share_marked", aggfunc="first"
    ).reindex(list(BODY_REGIONS))
    days = frequency.groupby("period_start")["n_days_logged"].first()
    columns = [f"{d:%d %b}" for d in grid.columns]
    marked = frequency.pivot_table(
        index="region", columns="period_start", values="n_days_marked", aggfunc="first"
    ).reindex(list(BODY_REGIONS))
    text = [
        [
            f"{REGION_LABELS[r]}, week of {col}: {int(m)} of {int(days[p])} days"
            for col, p, m in zip(columns, grid.columns, marked.loc[r], strict=True)
        ]
        for r in grid.index
    ]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(),
            x=columns,
            y=[REGION_LABELS[r] for r in grid.index],
            zmin=0,
            zmax=1,
            colorscale=[[0, "#ffffff"], [1, _MARKED]],
            xgap=1,
            ygap=1,
            hovertext=text,
            hoverinfo="text",
            colorbar={
                "title": {"text": "Share of days marked", "side": "top"},
                "tickformat": ".0%",
                "orientation": "h",
                "y": -0.12,
                "yanchor": "top",
                "thickness": 12,
            },
        )
    )
    fig.update_yaxes(autorange="reversed", fixedrange=True, title_text="")
    fig.update_xaxes(fixedrange=True, title_text="Week starting", type="category")
    fig.update_layout(
        title={"text": REGION_HEATMAP_TITLE, "x": 0.01, "xanchor": "left", "font": {"size": 16}},
        height=height,
        margin={"l": 130, "r": 10, "t": 60, "b": 110},
        font=FONT,
        meta={"share_label": REGION_SHARE_LABEL},
        modebar={"orientation": "v", "remove": list(MODEBAR_REMOVE)},
        dragmode=False,
    )
    return fig
