"""The reports use the dashboard's colours and wording (copied into analytics on purpose)."""

from __future__ import annotations

import dashboard.charts as dash_charts
import dashboard.labels as dash_labels
from analytics.presentation import _labels as labels
from analytics.reports import _style as style
from dashboard import frames


def test_colours_equal_the_dashboards():
    assert style.TECHNIQUE_COLORS == dash_charts.TECHNIQUE_COLORS
    assert style.CATEGORY_COLORS == dash_charts.CATEGORY_COLORS
    assert style.SERIES_COLORS == dash_charts.SERIES_COLORS
    assert style.PAIN_RANGE == dash_charts.PAIN_RANGE
    assert style.ADHERENCE_COLOR == dash_charts.ADHERENCE_COLOR


def test_labels_equal_the_dashboards():
    assert labels.TECHNIQUE_LABELS == dash_labels.TECHNIQUE_LABELS
    assert labels.CONDITION_LABELS == dash_labels.CONDITION_LABELS
    assert labels.CATEGORY_LABELS == dash_labels.CATEGORY_LABELS
    assert labels.REASON_LABELS == dash_labels.REASON_LABELS
    assert labels.ADVERSE_EVENT_LABELS == dash_labels.ADVERSE_EVENT_LABELS
    assert labels.GROUPING_LABELS == dash_labels.GROUPING_LABELS
    assert labels.FLAG_TEXT == frames._FLAG_TEXT
    assert labels.REASON_TEXT == frames._REASON_TEXT
    assert labels.SECONDARY_LABELS == dash_labels.SECONDARY_LABELS
    assert labels.MISSING == dash_labels.MISSING


def test_rgba_colours_convert_for_matplotlib():
    assert style.mpl_color("rgba(31, 119, 180, 0.12)") == (31 / 255, 119 / 255, 180 / 255, 0.12)
    assert style.mpl_color("#2ca02c") == "#2ca02c"


def test_the_report_font_is_a_dejavu_ttf_with_the_needed_glyphs():
    from fontTools.ttLib import TTFont

    path = style.font_path("")
    assert path.name == "DejaVuSans.ttf"
    cmap = TTFont(str(path)).getBestCmap()
    for ch in "≥−–—·éü…":
        assert ord(ch) in cmap, ch
