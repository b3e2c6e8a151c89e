"""Factor effects: known answers by hand and equal to scipy's Welch t-test."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.pipeline import AnalysisSettings, analyze, per_patient
from analytics.stats import (
    FACTOR_EFFECT_COLUMNS,
    FACTORS,
    LAGS,
    factor_days,
    factor_effects,
    factor_effects_summary,
    interval_excludes_zero,
)
from tests.frames import daily_diary, make_sessions

PAIN = [6, 7, 8, 3, 4, 5, 4, 4]


@pytest.fixture
def one_patient():
    """8 days from 2026-03-01: poor sleep (3) on days 1-3, good (8) after;
    analgesic doses on days 1, 2, 5, 6; stress never recorded; one session on day 3."""
    diary = daily_diary(
        "p",
        "2026-03-01",
        PAIN,
        sleep_quality=[3, 3, 3, 8, 8, 8, 8, 8],
        analgesic_doses=[2, 2, 0, 0, 2, 2, 0, 0],
    )
    sessions = make_sessions(patient_id=["p"], date=["2026-03-03 10:00"])
    return diary, sessions


def _get(table, factor, lag):
    row = table[(table["factor"] == factor) & (table["lag"] == lag)]
    assert len(row) == 1
    return row.iloc[0]


def test_poor_sleep_same_day_by_hand_and_scipy(one_patient):
    """With: 6, 7, 8 (mean 7, var 1); without: 3, 4, 5, 4, 4 (mean 4, var 0.5).

    difference 3; se = √(1/3 + 0.5/5) = √0.43333 = 0.65828; Welch df =
    0.43333² / ((1/3)²/2 + 0.1²/4) = 0.187778 / 0.0580556 = 3.2344.
    """
    out = factor_effects(*one_patient)
    row = _get(out, "poor_sleep", 0)
    assert (row["n_with"], row["n_without"]) == (3, 5)
    assert row["mean_with"] == pytest.approx(7.0) and row["mean_without"] == pytest.approx(4.0)
    assert row["difference"] == pytest.approx(3.0)
    se = np.sqrt(1 / 3 + 0.5 / 5)
    df = (1 / 3 + 0.1) ** 2 / ((1 / 3) ** 2 / 2 + 0.1**2 / 4)
    assert row["df"] == pytest.approx(3.2344, abs=1e-4) and row["df"] == pytest.approx(df)
    t = stats.t.ppf(0.975, df)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((3 - t * se, 3 + t * se), rel=1e-12)
    ref = stats.ttest_ind([6, 7, 8], [3, 4, 5, 4, 4], equal_var=False)
    ci = ref.confidence_interval()
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-10)
    assert row["reason"] == ""


def test_poor_sleep_lag_one_pairs_factor_today_with_pain_tomorrow(one_patient):
    """Factor days 1-3 -> pain of days 2-4: 7, 8, 3; days 4-7 -> pain of 5-8: 4, 5, 4, 4."""
    row = _get(factor_effects(*one_patient), "poor_sleep", 1)
    assert (row["n_with"], row["n_without"]) == (3, 4)
    assert row["difference"] == pytest.approx(6.0 - 4.25)
    ref = stats.ttest_ind([7, 8, 3], [4, 5, 4, 4], equal_var=False)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-10)


def test_analgesic_and_too_few_days(one_patient):
    out = factor_effects(*one_patient)
    row = _get(out, "analgesic", 0)  # days 1, 2, 5, 6 against 3, 4, 7, 8
    assert row["difference"] == pytest.approx((6 + 7 + 4 + 5) / 4 - (8 + 3 + 4 + 4) / 4)
    stress = _get(out, "high_stress", 0)  # never recorded
    assert (stress["n_with"], stress["n_without"]) == (0, 0)
    assert stress["reason"] == "too_few_days" and np.isnan(stress["difference"])
    session = _get(out, "session_day_before", 0)  # only day 4 follows a session
    assert (session["n_with"], session["n_without"]) == (1, 7)
    assert session["reason"] == "too_few_days"
    assert len(out) == len(FACTORS) * len(LAGS)
    assert list(out.columns) == list(FACTOR_EFFECT_COLUMNS)


def test_min_days_comes_from_the_settings(one_patient):
    diary, sessions = one_patient
    strict = per_patient(None, diary, sessions, AnalysisSettings(factor_min_days=4))
    assert _get(strict["factor_effects"], "poor_sleep", 0)["reason"] == "too_few_days"
    lenient = per_patient(None, diary, sessions, AnalysisSettings(factor_min_days=3))
    assert _get(lenient["factor_effects"], "poor_sleep", 0)["difference"] == pytest.approx(3.0)


def test_factor_days_cut_offs():
    diary = daily_diary(
        "q",
        "2026-01-01",
        [5, 5, 5],
        sleep_quality=[4, 4.5, np.nan],
        stress=[7, 6.9, 10],
        mood=[4, 5, 0],
        opioid_mme=[0, 5, np.nan],
    )
    days = factor_days(diary)
    assert days["poor_sleep"].tolist() == [True, False, pd.NA]
    assert days["high_stress"].tolist() == [True, False, True]
    assert days["low_mood"].tolist() == [True, False, True]
    assert days["analgesic"].tolist() == [False, True, pd.NA]


def test_no_variation_keeps_the_difference_without_an_interval():
    diary = daily_diary("c", "2026-01-01", [6, 6, 6, 2, 2, 2], sleep_quality=[2, 2, 2, 9, 9, 9])
    row = _get(factor_effects(diary), "poor_sleep", 0)
    assert row["difference"] == pytest.approx(4.0) and row["reason"] == "no_variation"
    assert np.isnan(row["ci_low"]) and np.isnan(row["p_value"])


def test_cohort_summary_is_a_one_sample_t_over_patients():
    effects = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "factor": "poor_sleep",
            "lag": 0,
            "difference": [3.0, 1.0, np.nan],
        }
    )
    summary = factor_effects_summary(effects)
    row = _get(summary, "poor_sleep", 0)
    ref = stats.ttest_1samp([3.0, 1.0], 0.0)
    ci = ref.confidence_interval()
    assert row["n_patients"] == 2 and row["n_higher"] == 2
    assert row["mean_difference"] == pytest.approx(2.0)
    assert row["sd_difference"] == pytest.approx(np.sqrt(2.0))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), rel=1e-12)
    assert row["p_value"] == pytest.approx(ref.pvalue, rel=1e-12)
    assert _get(summary, "low_mood", 1)["n_patients"] == 0


def test_a_finding_is_an_interval_that_leaves_out_zero(one_patient):
    """Intervals from scipy's Welch test on the day lists, independent of factor_effects.

    Poor sleep, same day: 6, 7, 8 against 3, 4, 5, 4, 4 (above 0, and below 0 with
    the sides swapped); the day after: 7, 8, 3 against 4, 5, 4, 4 (straddles 0).
    """
    above = stats.ttest_ind([6, 7, 8], [3, 4, 5, 4, 4], equal_var=False).confidence_interval()
    below = stats.ttest_ind([3, 4, 5, 4, 4], [6, 7, 8], equal_var=False).confidence_interval()
    straddle = stats.ttest_ind([7, 8, 3], [4, 5, 4, 4], equal_var=False).confidence_interval()
    assert above.low > 0 and below.high < 0 and straddle.low < 0 < straddle.high
    verdict = interval_excludes_zero(
        [above.low, below.low, straddle.low], [above.high, below.high, straddle.high]
    )
    assert verdict.tolist() == [True, True, False]
    # touching 0 holds it; no interval is no finding
    assert interval_excludes_zero([0.0, np.nan, 0.5], [1.0, np.nan, np.nan]).tolist() == [
        False,
        False,
        False,
    ]
    out = factor_effects(*one_patient)
    same_day, next_day = _get(out, "poor_sleep", 0), _get(out, "poor_sleep", 1)
    assert (same_day["ci_low"], same_day["ci_high"]) == pytest.approx((above.low, above.high))
    assert (next_day["ci_low"], next_day["ci_high"]) == pytest.approx((straddle.low, straddle.high))
    rule = interval_excludes_zero(out["ci_low"], out["ci_high"])
    assert rule[same_day.name] and not rule[next_day.name]
    # the same decision as Welch's two-sided test at the 5 % level, where there is one
    tested = out["p_value"].notna().to_numpy()
    assert tested.sum() >= 3
    assert (rule[tested] == (out["p_value"].to_numpy()[tested] < 0.05)).all()


def test_factor_tables_in_analyze(sample_dataset):
    ds = sample_dataset
    result = analyze(ds.patients, ds.diary, ds.sessions, AnalysisSettings(n_boot=10))
    fe = result.factor_effects
    assert set(fe["patient_id"]) == set(ds.diary["patient_id"])
    # cohort = mean of the patients' own differences
    ok = fe[(fe["factor"] == "poor_sleep") & (fe["lag"] == 0)]["difference"].dropna()
    row = _get(result.factor_effects_summary, "poor_sleep", 0)
    assert row["mean_difference"] == pytest.approx(ok.mean(), rel=1e-12)
    assert row["n_patients"] == len(ok)
