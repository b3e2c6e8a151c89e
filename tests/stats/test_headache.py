"""Headache days per 4 weeks, checked against a hand count and Newcombe's published interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from analytics.contract import index_dates
from analytics.stats import headache_days, headache_summary
from tests.frames import daily_diary, make_patients

NAN = np.nan


def _clinic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Index date 2026-03-01; baseline = Feb 1-28, follow-up = the last 28 diary days."""
    patients = make_patients(
        patient_id=["B", "C", "M", "T"],
        condition=["chronic_low_back_pain", "neck_pain", "migraine", "tension_type_headache"],
        start_date=["2026-03-01"] * 4,
    )
    # M: Feb 1-21 logged (21 days): 12 headache days, 7 of them migraine; Feb 22-Mar 4
    # unlogged; Mar 5-28 logged (24 days): 4 headache days, 2 of them migraine
    base = ["migraine"] * 7 + ["headache"] * 5 + ["none"] * 9
    follow = ["migraine"] * 2 + ["headache"] * 2 + ["none"] * 20
    m_pain = [5] * 12 + [2] * 9 + [NAN] * 11 + [4] * 4 + [0] * 20
    m = daily_diary("M", "2026-02-01", m_pain, headache=base + [None] * 11 + follow)
    # T: no marks: pain >= 1 is a headache day. Feb 9-28 logged (20 days), 10 with pain;
    # Mar 1-19 logged (19 days, too few for a follow-up count)
    t = daily_diary("T", "2026-02-09", [3] * 10 + [0] * 10 + [2] * 19)
    # B: back pain, no marks: not a headache patient. C: marks one headache day.
    b = daily_diary("B", "2026-02-01", [6] * 56)
    c = daily_diary("C", "2026-02-01", [4] * 56, headache=["headache"] + [None] * 55)
    return patients, pd.concat([b, c, m, t], ignore_index=True)


def test_days_per_4_weeks_match_a_hand_count() -> None:
    patients, diary = _clinic()
    before = diary.copy()
    out = headache_days(diary, patients, index_dates(patients, None)).set_index("patient_id")
    pd.testing.assert_frame_equal(diary, before)
    m = out.loc["M"]
    assert m["baseline_headache_n"] == 21 and m["followup_headache_n"] == 24
    assert m["baseline_headache_days"] == pytest.approx(12 * 28 / 21)  # 16.0
    assert m["followup_headache_days"] == pytest.approx(4 * 28 / 24)  # 4.67
    assert m["change_headache_days"] == pytest.approx(16 - 28 / 6)
    assert m["pct_change_headache_days"] == pytest.approx(100 * (16 - 28 / 6) / 16)  # 70.8 %
    assert bool(m["headache_responder_50"])
    assert m["baseline_migraine_days"] == pytest.approx(7 * 28 / 21)
    assert m["followup_migraine_days"] == pytest.approx(2 * 28 / 24)
    t = out.loc["T"]
    assert t["headache_patient"] and t["baseline_headache_days"] == pytest.approx(14.0)
    assert t["followup_headache_n"] == 19 and np.isnan(t["followup_headache_days"])
    assert pd.isna(t["headache_responder_50"]) and np.isnan(t["baseline_migraine_days"])
    assert not out.loc["B", "headache_patient"] and np.isnan(out.loc["B", "baseline_headache_days"])
    c = out.loc["C"]
    assert c["headache_patient"] and c["baseline_headache_days"] == pytest.approx(28 / 28)
    assert c["baseline_migraine_days"] == 0.0


def test_the_responder_rate_by_group_and_its_difference() -> None:
    # Newcombe 1998 (Stat Med 17:873, method 10): 56/70 - 48/80 = 0.2000, 0.0524 to 0.3339
    n_a, r_a, n_b, r_b = 70, 56, 80, 48
    outcomes = pd.DataFrame(
        {
            "group": ["a"] * n_a + ["b"] * n_b + ["b"],
            "headache_patient": [True] * (n_a + n_b) + [False],
            "headache_responder_50": pd.array(
                [True] * r_a
                + [False] * (n_a - r_a)
                + [True] * r_b
                + [False] * (n_b - r_b)
                + [None],
                dtype="boolean",
            ),
            "baseline_headache_days": [10.0] * n_a + [12.0] * n_b + [NAN],
            "followup_headache_days": [4.0] * n_a + [9.0] * n_b + [NAN],
            "change_headache_days": [6.0] * n_a + [3.0] * n_b + [NAN],
        }
    )
    out = headache_summary(outcomes, control_labels=["B"]).set_index("group")
    a = out.loc["a"]
    low, high = proportion_confint(r_a, n_a, method="wilson")
    assert (a["n_evaluable"], a["n_responders"]) == (70, 56)
    assert a["responder_rate"] == pytest.approx(0.8)
    assert (a["responder_ci_low"], a["responder_ci_high"]) == pytest.approx((low, high))
    assert a["compared_with"] == "b" and a["risk_difference"] == pytest.approx(0.2)
    assert a["rd_ci_low"] == pytest.approx(0.0524, abs=5e-5)
    assert a["rd_ci_high"] == pytest.approx(0.3339, abs=5e-5)
    assert a["mean_change_headache_days"] == pytest.approx(6.0)
    assert out.loc["b", "compared_with"] == "" and np.isnan(out.loc["b", "risk_difference"])
    assert out["n_headache_patients"].tolist() == [70, 80]
    assert (out["reason"] == "").all()
    few = headache_summary(outcomes, control_labels=["B"], min_group_size=75).set_index("group")
    assert np.isnan(few.loc["a", "responder_ci_low"]) and np.isnan(few.loc["a", "rd_ci_low"])
    assert few.loc["a", "reason"] == "too_few_patients" and few.loc["a", "responder_rate"] == 0.8
    assert few.loc["b", "responder_ci_low"] == pytest.approx(
        proportion_confint(48, 80, method="wilson")[0]
    )
