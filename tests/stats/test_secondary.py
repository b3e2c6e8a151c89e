"""Hand-calculated tests of analytics.stats."""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.testing import assert_allclose

from analytics.contract import index_dates
from analytics.stats import SECONDARY_MEASURES, data_quality, patient_outcomes, secondary_outcomes
from tests.frames import daily_diary, make_sessions

INDEX = pd.Series(pd.to_datetime(["2026-01-15"]), index=["A"])


def _diary() -> pd.DataFrame:
    # 14 baseline days (01-01..01-14) then 14 treatment days (01-15..01-28)
    n = 28
    pain = [6] * 14 + [3] * 14
    enjoy = [8] * 14 + [2] * 14
    activity = [7] * 14 + [4] * 14
    activity[0] = np.nan  # that day has no PEG
    sleep = [4] * 14 + [7] * 14
    mood = [np.nan] * 11 + [5, 5, 5] + [6] * 14  # 3 baseline entries: not enough
    doses = [2] * 14 + [1] * 14
    return daily_diary(
        "A",
        "2026-01-01",
        pain,
        enjoyment_interference=enjoy,
        activity_interference=activity,
        sleep_quality=sleep,
        mood=mood,
        analgesic_doses=doses,
        stress=[np.nan] * n,
    )


def test_secondary_outcomes_hand_calculation():
    diary = _diary()
    before = diary.copy()
    row = secondary_outcomes(diary, INDEX).iloc[0]
    # PEG baseline: 13 days with all three items, each (6+8+7)/3 = 7; follow-up (3+2+4)/3 = 3
    assert_allclose([row.baseline_peg, row.followup_peg, row.change_peg], [7.0, 3.0, 4.0])
    assert_allclose(row.change_sleep_quality, 4 - 7)  # negative = sleep got better
    assert np.isnan(row.baseline_mood) and row.followup_mood == 6.0
    assert np.isnan(row.change_mood)
    assert np.isnan(row.baseline_stress)  # all-missing optional column
    assert_allclose(row.change_analgesic_doses, 1.0)
    assert np.isnan(row.baseline_opioid_mme)
    pd.testing.assert_frame_equal(diary, before)
    expected = ["patient_id"] + [
        f"{stage}_{m}" for m in SECONDARY_MEASURES for stage in ("baseline", "followup", "change")
    ]
    assert list(secondary_outcomes(diary, INDEX).columns) == expected


def test_secondary_outcomes_same_windows_as_pain_with_horizon():
    diary = _diary()
    row = secondary_outcomes(diary, INDEX, followup_at=7, followup_days=7).iloc[0]
    assert row.followup_sleep_quality == 7.0
    no_index = secondary_outcomes(diary, pd.Series(dtype="datetime64[ns]"))
    assert no_index[[c for c in no_index.columns if c != "patient_id"]].isna().all().all()


def test_data_quality_flags():
    # W worsens: 4 -> 7 (change -3); gap of 10 days; sparse recent entries
    w = daily_diary("W", "2026-01-01", [4] * 14 + [np.nan] * 10 + [7] * 6)
    # G is fine, has a recent adverse event
    g = daily_diary("G", "2026-01-01", [6] * 14 + [3] * 16)
    diary = pd.concat([w, g], ignore_index=True)
    sessions = make_sessions(
        patient_id=["W", "G", "G", "S"],
        date=["2026-01-15", "2026-01-15", "2026-01-29 11:00", "2026-01-20"],
        adverse_events=[None, None, "bruising", None],
    )
    outcomes = patient_outcomes(diary, None, sessions)
    before = sessions.copy()
    q = data_quality(diary, sessions, outcomes).set_index("patient_id")
    pd.testing.assert_frame_equal(sessions, before)
    assert q.index.tolist() == ["G", "S", "W"]
    # W: 20 entries over 30 calendar days; last 28 days 01-03..01-30 hold 12 + 6 = 18
    assert_allclose(q.loc["W", "adherence"], 20 / 30)
    assert_allclose(q.loc["W", "adherence_28d"], 18 / 28)
    assert q.loc["W", "longest_gap_days"] == 10
    assert q.loc["W", "flag_worsening"] and q.loc["W", "flags"] == "worsening"
    assert q.loc["G", "flag_recent_adverse_event"] and q.loc["G", "flags"] == "recent_adverse_event"
    assert q.loc["G", "longest_gap_days"] == 0 and q.loc["G", "baseline_sufficient"]
    # S: sessions only -> no diary, insufficient baseline, adherence NaN, low adherence
    assert np.isnan(q.loc["S", "adherence"]) and q.loc["S", "adherence_28d"] == 0
    assert q.loc["S", "flags"] == "low_adherence;insufficient_baseline"
    # as_of far after the diary: nothing recent any more
    late = data_quality(diary, sessions, outcomes, as_of="2026-06-30").set_index("patient_id")
    assert not late["flag_recent_adverse_event"].any()
    assert late["flag_low_adherence"].all()


def test_data_quality_without_sessions():
    diary = daily_diary("A", "2026-01-01", [5] * 10)
    outcomes = patient_outcomes(diary, None, None)
    q = data_quality(diary, None, outcomes)
    # 10 daily entries: adherence over the days since the diary began is 10/10 (dividing
    # by 28 would flag every new patient as low adherence)
    assert q["adherence_28d"].tolist() == [1.0] and q["flags"].tolist() == [""]
    sparse = daily_diary("A", "2026-01-01", [5, np.nan, np.nan, 5, np.nan, np.nan, np.nan, 5])
    q = data_quality(sparse, None, patient_outcomes(sparse, None, None))
    assert_allclose(q["adherence_28d"], 3 / 8)  # hand: 3 entries on 8 days since the start
    assert q["flags"].tolist() == ["low_adherence"]
    assert not q["flag_insufficient_baseline"].any()  # no index: nothing to be insufficient
    idx = index_dates(None, None)
    assert len(idx) == 0
