"""The day's value with entries during the day, and the flare table, against a hand calculation."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from analytics.contract import empty_entries, empty_frame, index_dates
from analytics.stats import daily_diary, flare_table, rescue_questions_due


def _diary() -> pd.DataFrame:
    days = [d for d in pd.date_range("2026-01-01", "2026-01-28") if d.day not in (20, 21)]
    diary = empty_frame("diary").reindex(range(len(days)))
    diary["patient_id"] = "P1"
    diary["date"] = pd.DatetimeIndex(days).astype("datetime64[ns]")
    diary["pain"] = 4.0
    diary.loc[diary["date"] == "2026-01-05", "worst_pain"] = 6.0
    diary.loc[diary["date"] == "2026-01-03", "pain"] = 3.0
    return diary.astype(empty_frame("diary").dtypes.to_dict())


def _entries() -> pd.DataFrame:
    rows = [  # date, time, pain, flare, minutes, rescue, helped
        ("2026-01-03", "08:00", 9, "yes", 30, "ibuprofen", "yes"),
        ("2026-01-05", "12:00", 8, "no", None, None, None),
        ("2026-01-07", "09:30", 7, "yes", 60, "paracetamol", "a_little"),
        ("2026-01-10", "18:45", 8, "yes", 90, "naproxen", "no"),
        ("2026-01-20", "07:15", 7, "yes", None, None, None),  # a day with no daily log
        ("2026-01-25", "21:00", 9, "yes", 120, "ibuprofen", None),
    ]
    names = ["date", "time", "pain", "flare", "duration_minutes", "rescue_medication"]
    frame = pd.DataFrame(rows, columns=[*names, "rescue_helped"])
    frame["patient_id"] = "P1"
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.assign(notes=None).astype(empty_entries().dtypes.to_dict())[
        empty_entries().columns
    ]


def test_the_day_is_the_mean_of_its_entries_and_the_daily_log_its_worst_the_maximum():
    diary, entries = _diary(), _entries()
    before = diary.copy()
    daily = daily_diary(diary, entries).set_index("date")
    # hand calculation: (log + entries) / (1 + n); worst = max(log worst or pain, entries)
    assert daily.loc["2026-01-05", "pain"] == pytest.approx((4 + 8) / 2)
    assert daily.loc["2026-01-05", "worst_pain"] == 8
    assert daily.loc["2026-01-03", "pain"] == pytest.approx((3 + 9) / 2)
    assert daily.loc["2026-01-03", "worst_pain"] == 9
    assert daily.loc["2026-01-20", "pain"] == 7 and daily.loc["2026-01-20", "worst_pain"] == 7
    assert np.isnan(daily.loc["2026-01-20", "sleep_quality"])
    assert daily.loc["2026-01-02", "pain"] == 4 and np.isnan(daily.loc["2026-01-02", "worst_pain"])
    assert len(daily) == len(diary) + 1
    pd.testing.assert_frame_equal(diary, before)
    # one entry a day: the diary itself, every value kept
    assert daily_diary(diary, empty_entries()) is diary


def test_flare_table_against_a_hand_count():
    diary, entries = _diary(), _entries()
    patients = empty_frame("patients").reindex([0])
    patients["patient_id"], patients["condition"] = "P1", "migraine"
    patients["start_date"] = pd.Timestamp("2026-01-15")
    daily = daily_diary(diary, entries)
    index = index_dates(patients, empty_frame("sessions"))
    row = flare_table(daily, entries, index).iloc[0]
    # baseline 01-01..01-14: 14 days logged, flares on the 3rd, 7th, 10th -> 3 x 28 / 14
    assert row["baseline_days_logged"] == 14
    assert row["baseline_flares_per_4w"] == pytest.approx(6.0)
    # follow-up 01-15..01-28: 12 logged days + the 20th (an entry only) = 13; flares 20th, 25th
    assert row["followup_days_logged"] == 13
    assert row["followup_flares_per_4w"] == pytest.approx(2 * 28 / 13)
    assert row["change_flares_per_4w"] == pytest.approx(6.0 - 2 * 28 / 13)
    assert (row["n_entries"], row["n_flares"], row["n_flares_with_duration"]) == (6, 5, 4)
    assert row["median_flare_minutes"] == pytest.approx(np.median([30, 60, 90, 120]))
    # rescue: 4 taken, 3 answered, yes + a little = 2 helped
    assert (row["n_rescue"], row["n_rescue_answered"]) == (4, 3)
    assert row["rescue_helped_rate"] == pytest.approx(2 / 3)
    # too few days logged in the follow-up window for a rate
    strict = flare_table(daily, entries, index, min_days=14).iloc[0]
    assert strict["baseline_flares_per_4w"] == pytest.approx(6.0)
    assert np.isnan(strict["followup_flares_per_4w"])
    with pytest.raises(ValueError, match="'min_days' parameter of flare_table"):
        flare_table(daily, entries, index, min_days=15)


def test_did_it_help_is_asked_two_hours_after_the_rescue_medicine():
    entries = _entries()
    due = rescue_questions_due(entries, dt.datetime(2026, 1, 25, 23, 0))
    assert due["time"].tolist() == ["21:00"]
    assert rescue_questions_due(entries, dt.datetime(2026, 1, 25, 22, 59)).empty
