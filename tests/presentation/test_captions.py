"""Captions that start from what happened (hand-written expectations from the inputs)."""

from __future__ import annotations

import pytest

from analytics.presentation import ITS_MIN_BASELINE_DAYS, adverse_event_benchmark_text, its_caption

LEVEL = {"its_level_change": -0.4, "its_level_ci_low": -0.9, "its_level_ci_high": 0.1}


def _row(pre: float, change: float, first: str) -> dict:
    return {"its_pre_slope": pre, "its_slope_change": change, "index_date": "2026-03-01",
            "first_date": first, **LEVEL}  # fmt: skip


def test_rising_pain_is_said_first_and_the_slower_rise_second():
    """Pre 0.90 a week, change −0.34: post 0.56 a week, still rising (60 days before)."""
    text = its_caption(_row(0.9, -0.34, "2026-01-01"))
    assert text.startswith(
        "After the start of treatment pain kept rising, 0.34 points a week more slowly than "
        "before (0.90 a week before, 0.56 after)."
    )
    assert text.endswith("At the start the level shifted by −0.4 points (95% CI −0.9 to +0.1; "
                         "+ = more pain).")  # fmt: skip


def test_a_short_baseline_withholds_the_slope_change():
    """20 days of diary before the start: fewer than the stated 28, so no slope change."""
    assert ITS_MIN_BASELINE_DAYS == 28
    text = its_caption(_row(0.9, -0.34, "2026-02-09"))
    assert text.startswith(
        "After the start of treatment pain was rising (0.56 points a week). The change from the "
        "trend before is not given: the diary began 20 days before the start of treatment, "
        "fewer than the 28 a trend needs."
    )
    assert "0.34" not in text


@pytest.mark.parametrize(
    ("pre", "change", "start"),
    [
        (0.3, -0.8, "After the comparison date pain was falling (0.50 points a week); before it, "
                    "rising (0.30 a week)."),
        (-0.2, -0.1, "After the comparison date pain kept falling, 0.10 points a week faster"),
        (0.01, 0.02, "Before and after the comparison date pain stayed level."),
    ],
)  # fmt: skip
def test_turns_falls_and_level_trends(pre, change, start):
    text = its_caption(_row(pre, change, "2026-01-01"), start_word="the comparison date")
    assert text.startswith(start)


def test_each_adverse_event_rate_meets_its_own_benchmark():
    text = adverse_event_benchmark_text(8.2, 60.0, per_100_benchmark=9.4, pct_benchmark=9.31)
    assert text == (
        "Per treatment: 8.2 events per 100 treatments, below the published 9.4 per 100 "
        "treatments. Per patient: 60% of patients had at least one event, above the published "
        "9.31% of patients per course (Bäumler 2021)."
    )
