"""The style of the History calendar: one rule per day, from the month grid."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd

from analytics.presentation import PAIN_BANDS, month_grid
from dashboard.components.calendar import LEGEND, calendar_css


def _rule(css: str, day: str) -> str:
    """Every declaration of the day's button (and its marks), joined."""
    return " ".join(re.findall(rf"\.st-key-cal-{day} button[^{{]*\{{([^}}]*)\}}", css))


def test_each_day_is_drawn_by_its_status():
    diary = pd.DataFrame({"date": pd.to_datetime(["2026-11-03", "2026-11-05"]), "pain": [8.0, 0.0]})
    grid = month_grid(
        diary,
        year=2026,
        month=11,
        today=dt.date(2026, 11, 9),
        changed=["2026-11-05"],
        flares=["2026-11-03"],
    )
    css = calendar_css(grid, key="cal", opened=dt.date(2026, 11, 3))
    severe, none = PAIN_BANDS[-1], PAIN_BANDS[0]
    assert f"background-color: {severe.fill}" in _rule(css, "2026-11-03")
    assert f"color: {severe.ink}" in _rule(css, "2026-11-03")
    assert "box-shadow" in _rule(css, "2026-11-03")  # the open day
    assert f"background-color: {none.fill}" in _rule(css, "2026-11-05")
    assert 'content: "✏️"' in _rule(css, "2026-11-05")
    assert 'content: "⚡"' in _rule(css, "2026-11-03")  # a flare day
    assert "⚡" not in _rule(css, "2026-11-05")
    assert "dashed" in _rule(css, "2026-11-04")  # a gap
    assert "dashed" in _rule(css, "2026-11-09") and "underline" in _rule(css, "2026-11-09")
    assert "transparent" in _rule(css, "2026-11-10")  # not yet come: no outline
    assert "transparent" in _rule(css, "2026-11-02")  # before the first entry
    assert "box-shadow" not in _rule(css, "2026-11-05")
    assert "2026-10-31" not in css and "2026-11-30" in css  # the month's days only
    assert css.count("min-height: 2.75rem") == 1  # 44 px, a fingertip


def test_the_legend_says_every_mark_in_words():
    for words in (
        "dark red = 7–10, severe pain",
        "Dashed outline",
        "Faded",
        "Underlined",
        "✏️",
        "⚡ = a flare",
    ):
        assert words in LEGEND
