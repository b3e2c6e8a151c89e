"""The month grid of the History calendar and the pain colours it uses."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from analytics.presentation import (
    PAIN_BANDS,
    month_grid,
    month_span,
    pain_band,
    pain_color,
    pain_legend,
    shift_month,
)


def _diary(days: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame({"date": pd.to_datetime(list(days)), "pain": list(days.values())})


def _in_month(grid: pd.DataFrame) -> pd.DataFrame:
    return grid[grid["in_month"]].set_index(grid.loc[grid["in_month"], "date"].dt.day)


# ------------------------------------------------------------------ the grid


def test_weeks_start_on_monday_and_cover_the_month_whole():
    # December 2026 starts on a Tuesday and ends on a Thursday
    grid = month_grid(_diary({}), year=2026, month=12, today=dt.date(2026, 12, 6))
    assert dt.date(2026, 12, 1).weekday() == 1
    assert grid["date"].iat[0] == pd.Timestamp("2026-11-30")  # the Monday before
    assert grid["date"].iat[-1] == pd.Timestamp("2027-01-03")  # the Sunday after
    assert len(grid) == 35 and grid["week"].max() == 4
    assert (grid["date"].dt.day_of_week == grid["weekday"]).all()
    assert (grid.loc[grid["weekday"] == 0, "date"].dt.day_name() == "Monday").all()
    assert grid["weekday"].tolist() == list(range(7)) * 5
    assert (grid.groupby("week")["date"].min().diff().dropna() == pd.Timedelta(days=7)).all()
    assert (np.diff(grid["date"].to_numpy()) == np.timedelta64(1, "D")).all()  # no day missing
    assert grid["in_month"].sum() == 31
    assert not grid["in_month"].iat[0] and not grid["in_month"].iat[-1]


@pytest.mark.parametrize(
    ("year", "month", "weeks", "days"),
    [
        (2021, 2, 4, 28),  # starts on a Monday, 28 days: four whole weeks, nothing outside
        (2026, 8, 6, 31),  # starts on a Saturday: six rows
        (2024, 2, 5, 29),  # leap year
        (2000, 2, 5, 29),  # divisible by 400: leap
        (2100, 2, 4, 28),  # divisible by 100, not by 400: not leap (starts on a Monday)
        (2027, 1, 5, 31),  # the month after a year's end
    ],
)
def test_month_boundaries_and_leap_years(year, month, weeks, days):
    grid = month_grid(_diary({}), year=year, month=month, today=dt.date(2026, 12, 6))
    first = dt.date(year, month, 1)
    last = dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)
    assert (last - first).days + 1 == days
    assert grid["in_month"].sum() == days
    shown = grid.loc[grid["in_month"], "date"]
    assert shown.iat[0].date() == first and shown.iat[-1].date() == last
    assert grid["week"].nunique() == weeks == len(grid) // 7
    # the cells before the 1st are exactly its weekday number of days
    assert (~grid["in_month"]).iloc[: first.weekday()].all()
    assert grid["in_month"].iat[first.weekday()]


def test_each_day_gets_its_status_pain_and_changed_mark():
    diary = _diary({"2026-11-03": 2.0, "2026-11-05": 7.0, "2026-11-06": 4.0})
    today = dt.date(2026, 11, 9)
    grid = month_grid(diary, year=2026, month=11, today=today, changed=["2026-11-05"])
    days = _in_month(grid)
    assert days.loc[[1, 2], "status"].tolist() == ["before_start"] * 2  # before the first entry
    assert days.loc[3, "status"] == "logged" and days.loc[3, "pain"] == 2.0
    assert days.loc[4, "status"] == "gap" and math.isnan(days.loc[4, "pain"])
    assert days.loc[[5, 6], "pain"].tolist() == [7.0, 4.0]
    assert days.loc[[7, 8], "status"].tolist() == ["gap", "gap"]
    assert days.loc[9, "status"] == "today" and days.loc[9, "is_today"]
    assert (days.loc[10:, "status"] == "future").all()
    assert days["changed"].sum() == 1 and days.loc[5, "changed"]
    assert days["is_today"].sum() == 1
    assert days.loc[days["status"] != "logged", "pain"].isna().all()


def test_today_logged_is_logged_and_an_entry_after_today_still_shows():
    diary = _diary({"2026-11-09": 5.0, "2026-11-12": 3.0})
    grid = month_grid(diary, year=2026, month=11, today=dt.date(2026, 11, 9))
    days = _in_month(grid)
    assert days.loc[9, "status"] == "logged" and days.loc[9, "is_today"]
    assert days.loc[12, "status"] == "logged" and days.loc[11, "status"] == "future"


def test_a_month_without_entries_shows_gaps_then_days_to_come():
    diary = _diary({"2026-09-30": 3.0, "2026-12-01": 6.0})
    grid = month_grid(diary, year=2026, month=10, today=dt.date(2026, 12, 6))
    days = _in_month(grid)
    assert (days["status"] == "gap").all() and days["pain"].isna().all()
    later = _in_month(month_grid(diary, year=2027, month=1, today=dt.date(2026, 12, 6)))
    assert (later["status"] == "future").all()
    empty = _in_month(month_grid(_diary({}), year=2026, month=12, today=dt.date(2026, 12, 6)))
    assert empty.loc[:5, "status"].tolist() == ["before_start"] * 5
    assert empty.loc[6, "status"] == "today" and (empty.loc[7:, "status"] == "future").all()


def test_several_rows_of_a_day_show_their_mean_and_the_input_is_untouched():
    diary = pd.DataFrame(
        {"date": pd.to_datetime(["2026-11-03 08:00", "2026-11-03 20:00"]), "pain": [2.0, 5.0]}
    )
    before = diary.copy()
    days = _in_month(month_grid(diary, year=2026, month=11, today=dt.date(2026, 11, 9)))
    assert days.loc[3, "pain"] == pytest.approx(3.5)
    pd.testing.assert_frame_equal(diary, before)


def test_month_arithmetic_and_the_months_offered():
    assert shift_month(2026, 12, 1) == (2027, 1)
    assert shift_month(2027, 1, -1) == (2026, 12)
    assert shift_month(2024, 2, 12) == (2025, 2)
    assert shift_month(2024, 5, -17) == (2022, 12)
    assert month_span([], dt.date(2026, 12, 6)) == ((2026, 12), (2026, 12))
    dates = pd.to_datetime(["2025-11-30", "2026-02-01"])
    assert month_span(dates, dt.date(2026, 12, 6)) == ((2025, 11), (2026, 12))
    with pytest.raises(ValueError, match=r"'month' parameter of month_grid .* Got 13"):
        month_grid(_diary({}), year=2026, month=13, today=dt.date(2026, 12, 6))


# ------------------------------------------------------------------ the colours


def _luminance(hex_colour: str) -> float:
    """WCAG 2.1 relative luminance, written out from the definition."""
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_formula_matches_published_values():
    # WebAIM's contrast checker: #767676 on white is 4.54:1; black on white 21:1
    assert _contrast("#767676", "#FFFFFF") == pytest.approx(4.54, abs=0.01)
    assert _contrast("#000000", "#FFFFFF") == pytest.approx(21.0)


def test_pain_bands_cover_the_scale_once_and_keep_day_numbers_readable():
    scores = [s for band in PAIN_BANDS for s in range(band.low, band.high + 1)]
    assert scores == list(range(11))
    for band in PAIN_BANDS:
        assert _contrast(band.ink, band.fill) >= 4.5, band
    lightness = [_luminance(band.fill) for band in PAIN_BANDS]
    assert lightness == sorted(lightness, reverse=True)  # darker with more pain


@pytest.mark.parametrize(
    ("pain", "code"),
    [(0, "none"), (0.49, "none"), (0.5, "mild"), (3, "mild"), (3.49, "mild"), (3.5, "moderate"),
     (6, "moderate"), (6.5, "severe"), (10, "severe"), (np.float64(7.0), "severe")],
)  # fmt: skip
def test_pain_band_rounds_to_the_nearest_point(pain, code):
    assert pain_band(pain).code == code


@pytest.mark.parametrize("pain", [None, float("nan"), -1, 10.5, "seven", True])
def test_no_band_without_a_score_from_0_to_10(pain):
    assert pain_band(pain) is None and pain_color(pain) is None


def test_the_legend_names_every_colour_in_words():
    legend = pain_legend()
    assert legend == (
        "pale yellow = 0, no pain · yellow = 1–3, mild pain · "
        "orange = 4–6, moderate pain · dark red = 7–10, severe pain"
    )
    assert "#" not in legend
