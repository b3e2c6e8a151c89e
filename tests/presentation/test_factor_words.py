"""Patient words for factor effects and for a patient without sessions: every label the
factor analysis can produce, findings only where the interval leaves out 0, and a
waiting-list comparison without a verdict about treatment."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.pipeline import summarize_patient
from analytics.presentation import (
    baseline_words,
    describe_factor_effect,
    factor_findings,
    factor_label,
    factor_name,
    start_event,
    untreated_change_sentence,
)
from analytics.stats import FACTORS, LAGS, factor_effects
from tests.frames import daily_diary, make_patients, make_sessions

#: What a patient reads for each factor and lag (lag 1: factor on day t, pain on t + 1).
EXPECTED = {
    ("poor_sleep", 0): ("On days with poor sleep", "poor sleep"),
    ("poor_sleep", 1): ("On days after a day with poor sleep", "poor sleep the day before"),
    ("high_stress", 0): ("On days with high stress", "high stress"),
    ("high_stress", 1): ("On days after a day with high stress", "high stress the day before"),
    ("low_mood", 0): ("On days with low mood", "low mood"),
    ("low_mood", 1): ("On days after a day with low mood", "low mood the day before"),
    ("analgesic", 0): ("On days you took pain medicine", "pain medicine"),
    ("analgesic", 1): (
        "On days after a day you took pain medicine",
        "pain medicine the day before",
    ),
    ("session_day_before", 0): ("On days after a session", "a session the day before"),
    ("session_day_before", 1): ("On the second day after a session", "a session two days before"),
}


@pytest.mark.parametrize("factor", list(FACTORS))
@pytest.mark.parametrize("lag", list(LAGS))
def test_every_label_the_factor_analysis_produces_reads_correctly(factor, lag):
    opening, name = EXPECTED[(factor, lag)]
    assert factor_label(factor, lag) == opening
    assert factor_name(factor, lag) == name
    row = {"factor": factor, "lag": lag, "difference": -0.45, "reason": ""}
    assert describe_factor_effect(row) == (
        f"{opening} your pain was about 0.5 points lower than on other days."
    )
    text = describe_factor_effect({**row, "difference": 1.04})
    assert text == f"{opening} your pain was about 1 point higher than on other days."
    # no "day before" twice, no "days with a session", no code, no acronym
    assert text.count("day before") <= 1 and "days with a session" not in text
    assert "_" not in text and "CI" not in text and "95" not in text


def test_labels_cover_every_factor_and_lag_once():
    openings = {factor_label(f, lag) for f in FACTORS for lag in LAGS}
    names = {factor_name(f, lag) for f in FACTORS for lag in LAGS}
    assert len(openings) == len(names) == len(FACTORS) * len(LAGS)


def test_sentence_rounds_a_tiny_difference_to_about_the_same_and_says_too_few():
    row = {"factor": "low_mood", "lag": 0, "difference": 0.04, "reason": ""}
    assert describe_factor_effect(row) == (
        "On days with low mood your pain was about the same as on other days."
    )
    few = {"factor": "low_mood", "lag": 1, "difference": np.nan, "reason": "too_few_days"}
    assert describe_factor_effect(few) == (
        "On days after a day with low mood: not enough days of each kind to compare yet."
    )


def test_only_intervals_that_leave_out_zero_are_findings():
    """Poor sleep the same day leaves out 0 (scipy: 6, 7, 8 vs 3, 4, 5, 4, 4); the day
    after straddles it (7, 8, 3 vs 4, 5, 4, 4); stress is never logged; one session."""
    diary = daily_diary(
        "p",
        "2026-03-01",
        [6, 7, 8, 3, 4, 5, 4, 4],
        sleep_quality=[3, 3, 3, 8, 8, 8, 8, 8],
        analgesic_doses=[2, 2, 0, 0, 2, 2, 0, 0],
    )
    sessions = make_sessions(patient_id=["p"], date=["2026-03-03 10:00"])
    found = factor_findings(factor_effects(diary, sessions))
    clear = stats.ttest_ind([6, 7, 8], [3, 4, 5, 4, 4], equal_var=False).confidence_interval()
    unclear = stats.ttest_ind([7, 8, 3], [4, 5, 4, 4], equal_var=False).confidence_interval()
    assert clear.low > 0 and unclear.low < 0 < unclear.high
    assert found.findings == (
        "On days with poor sleep your pain was about 3 points higher than on other days.",
    )
    assert "poor sleep the day before" in found.unclear
    assert "pain medicine" in found.unclear  # 6, 7, 4, 4 vs 8, 3, 4, 4
    # one session: one day after it and one two days after, too few; stress never
    # logged: not named at all
    assert found.too_few == ("a session the day before", "a session two days before")
    assert "high stress" not in found.rest_text
    assert found.rest_text.startswith("No clear link yet: poor sleep the day before")
    assert found.rest_text.endswith(
        "Too few days to compare so far: a session the day before, a session two days before."
    )


def test_findings_are_ordered_by_size():
    effects = pd.DataFrame(
        {
            "factor": ["poor_sleep", "high_stress", "low_mood"],
            "lag": [0, 0, 1],
            "n_with": [5, 6, 7],
            "difference": [0.6, -1.8, 0.2],
            "ci_low": [0.1, -2.5, -0.3],
            "ci_high": [1.1, -1.1, 0.7],
            "reason": ["", "", ""],
        }
    )
    found = factor_findings(effects)
    assert found.findings == (
        "On days with high stress your pain was about 1.8 points lower than on other days.",
        "On days with poor sleep your pain was about 0.6 points higher than on other days.",
    )
    assert found.rest_text == "No clear link yet: low mood the day before."


# ------------------------------------------------------------------ no sessions: no verdict


def test_untreated_sentence_has_no_verdict():
    assert start_event("waitlist") == start_event("Wait list") == "you joined the waiting list"
    assert start_event("usual_care") == "your start date"
    worse = untreated_change_sentence(-0.44, -7.9, "waitlist")
    assert worse == "Your pain is up 0.4 points (8%) since you joined the waiting list."
    better = untreated_change_sentence(1.25, 25.0, "control")
    assert better == "Your pain is down 1.3 points (25%) since your start date."
    for text in (worse, better):
        assert "improvement" not in text and "treatment" not in text
    # the clinician's words for the same baseline window
    assert baseline_words("waitlist", treated=False) == "before joining the waiting list"
    assert baseline_words("usual_care", treated=False) == "before the start date"
    assert baseline_words("waitlist", treated=True) == "before treatment"


def test_a_hand_built_waitlist_patient_is_compared_since_joining():
    """14 days at 5 before the start date, 28 days at 6 after it, no session: baseline 5,
    follow-up (last 14 days) 6, change 5 − 6 = −1 point, −20 %."""
    patients = make_patients(
        patient_id=["W1"], group=["waitlist"], start_date=[pd.Timestamp("2026-01-15")]
    )
    diary = daily_diary("W1", "2026-01-01", [5] * 14 + [6] * 28)
    summary = summarize_patient(patients, diary, None)
    row = summary.outcome_row()
    assert row is not None and row["n_sessions"] == 0
    assert row["baseline_pain"] == pytest.approx(5.0) and row["followup_pain"] == pytest.approx(6)
    text = untreated_change_sentence(row["change"], row["pct_change"], row["group"])
    assert text == "Your pain is up 1 point (20%) since you joined the waiting list."
