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
goes through one helper, ``label_text``.

``_style`` holds the colours, axes, periods and layout every chart shares; ``_patient``,
``_sessions`` and ``_cohort`` the charts of one patient, of sessions and of a cohort;
``_body_map`` the body map and the heat map of where it hurt.
"""

from __future__ import annotations

from dashboard.charts._body_map import REGION_POSITIONS, body_map_figure, region_heatmap
from dashboard.charts._cohort import (
    adverse_event_chart,
    cpra_chart,
    dose_response_chart,
    kaplan_meier_chart,
    responder_rates,
    technique_response_chart,
    waterfall,
)
from dashboard.charts._patient import medication_chart, pain_trajectory, wellbeing_small_multiples
from dashboard.charts._sessions import (
    change_by_session,
    session_before_after,
    session_response_chart,
)
from dashboard.charts._style import (
    ADHERENCE_COLOR,
    CATEGORY_COLORS,
    CHART_CONFIG,
    MODEBAR_REMOVE,
    PAIN_RANGE,
    REDUCTION_PCT_TITLE,
    REDUCTION_POINTS_TITLE,
    SERIES_COLORS,
    SESSION_RESPONSE_RANGE,
    TECHNIQUE_COLORS,
    category_color,
    empty_figure,
    period,
    same_x_range,
    technique_color,
)

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
    "empty_figure",
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
    "REGION_POSITIONS",
    "body_map_figure",
    "region_heatmap",
]
