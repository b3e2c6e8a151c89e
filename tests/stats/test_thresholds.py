"""Regression tests: values exactly at a clinical threshold are on the inclusive side.

Floating-point means and percentages land a hair off
the exact value (``100·(7 − 4.9)/7 = 29.999999999999996``, ``0.7 × 6 =
4.199999999999999``), so a patient exactly at 30 % was "minimal" and not a
responder, a 7-day mean of exactly 70 % of baseline never qualified, and an
exact 1-point relief was not counted. DOMAIN.md section 4 puts every boundary
at the threshold (responder = % change >= 30; IMMPACT categories from exactly
10/30/50 %; 7-day mean <= 70 % of B; relief = at least 1 point below the
pre-session mean; worsening = change <= −2 or % change <= −30). The expected
values are hand calculations written next to each case; every case here failed
before ``analytics.stats``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analytics.stats import (
    EPS,
    at_least,
    at_most,
    cpra_curve,
    data_quality,
    group_comparison,
    group_summary,
    patient_outcomes,
    response_category,
    session_response,
    time_to_response,
)
from tests.frames import daily_diary, make_patients, make_sessions


def _course(baseline: float, followup: float, pid: str = "A") -> dict:
    """14 baseline days at ``baseline``, first session on day 15, 14 days at ``followup``."""
    diary = daily_diary(pid, "2026-01-01", [baseline] * 14 + [followup] * 14)
    sessions = make_sessions(patient_id=[pid], date=["2026-01-15"])
    return {"diary": diary, "sessions": sessions}


@pytest.mark.parametrize(
    ("baseline", "followup", "category"),
    [
        # hand: 100·(B − F)/B is exactly 30 % in each of these
        (7.0, 4.9, "moderate"),
        (6.0, 4.2, "moderate"),
        (3.3, 2.31, "moderate"),
        # exactly 10 % and 50 %
        (4.6, 4.14, "minimal"),
        (10.0, 5.0, "substantial"),
    ],
)
def test_exact_boundary_is_inclusive_in_patient_outcomes(baseline, followup, category):
    c = _course(baseline, followup)
    out = patient_outcomes(c["diary"], None, c["sessions"]).iloc[0]
    assert out["response_category"] == category
    assert out["responder"] == (category in ("moderate", "substantial"))
    # 30 % is the default threshold; 35 % must still exclude an exact 30 %
    strict = patient_outcomes(c["diary"], None, c["sessions"], responder_threshold=35.0)
    assert strict["responder"].iloc[0] == (category == "substantial")


def test_exact_two_points_is_a_2pt_responder():
    # hand: 6.1 − 4.1 = 1.9999999999999996 in floating point, exactly 2 points
    c = _course(6.1, 4.1)
    out = patient_outcomes(c["diary"], None, c["sessions"]).iloc[0]
    assert out["responder_2pt"]
    c = _course(6.1, 4.2)  # 1.9 points: not
    assert not patient_outcomes(c["diary"], None, c["sessions"])["responder_2pt"].iloc[0]


def test_response_category_and_cpra_at_float_noise():
    pct = pd.Series([100 * (7 - 4.9) / 7, 30.0 - 1e-6, 10.0 - 1e-12, 50.0])
    assert response_category(pct).astype("object").tolist() == [
        "moderate",
        "minimal",
        "minimal",
        "substantial",
    ]
    curve = cpra_curve(pct, cutoffs=[30, 50])
    # >= 30: the 29.999999999999996 and 50 (not 30 − 1e-6): 2; >= 50: 1
    assert curve["n_responders"].tolist() == [2, 1]


def test_group_summary_and_comparison_count_exact_responders():
    a = _course(7.0, 4.9, "A1")  # exactly 30 %
    b = _course(6.0, 4.2, "A2")  # exactly 30 %
    c = _course(10.0, 10.0, "W1")
    d = _course(8.0, 8.0, "W2")
    diary = pd.concat([x["diary"] for x in (a, b, c, d)], ignore_index=True)
    sessions = pd.concat([x["sessions"] for x in (a, b, c, d)], ignore_index=True)
    patients = make_patients(
        patient_id=["A1", "A2", "W1", "W2"], group=["acu", "acu", "wait", "wait"]
    )
    outcomes = patient_outcomes(diary, patients, sessions)
    summary = group_summary(outcomes).set_index("group")
    assert summary.loc["acu", "n_responders"] == 2 and summary.loc["acu", "n_responders_30"] == 2
    assert summary.loc["acu", "responder_rate"] == 1.0
    comparison = group_comparison(outcomes, min_group_size=2).iloc[0]
    # hand: rates 2/2 and 0/2 -> RD 1, NNT 1 (two per group: computed only at a minimum of 2)
    assert comparison["risk_difference"] == 1.0 and comparison["nnt"] == 1.0


def test_time_to_response_at_exactly_70_percent():
    # hand: B = 6, pain 4.2 = 0.7·B from t0 = 2026-01-15 on; the trailing 7-day mean
    # over post-index days is valid (4 entries) from t0 + 3 on, equals 4.2 (to
    # round-off) and stays there through the last day t0 + 13 -> day 3.
    diary = daily_diary("A", "2026-01-01", [6.0] * 14 + [4.2] * 14)
    t = time_to_response(diary, pd.Series({"A": pd.Timestamp("2026-01-15")}), pd.Series({"A": 6.0}))
    assert bool(t["event"].iloc[0]) and t["days_to_response"].iloc[0] == 3


@pytest.mark.parametrize(("pre", "after"), [([1.2, 2.4, 1.2], 0.6), ([1.4, 3.8, 1.4], 1.2)])
def test_relief_of_exactly_one_point_counts(pre, after):
    # hand: pre-session mean (1.2 + 2.4 + 1.2)/3 = 1.6, 1.6 − 1 = 0.6: three relief days,
    # censored at the diary's end.
    diary = daily_diary("A", "2026-01-01", pre + [5.0] + [after] * 3)
    sessions = make_sessions(patient_id=["A"], date=["2026-01-04"])
    row = session_response(diary, sessions).iloc[0]
    assert_allclose(row["pre_mean"], sum(pre) / 3, rtol=1e-12)
    assert row["relief_days"] == 3.0 and row["relief_censor_reason"] == "diary_end"


def test_worsening_flag_at_exactly_minus_30_percent():
    # hand: B = 6, F = 7.8: change −1.8 points (not <= −2) but exactly −30 %
    c = _course(6.0, 7.8)
    outcomes = patient_outcomes(c["diary"], None, c["sessions"])
    flags = data_quality(c["diary"], c["sessions"], outcomes).iloc[0]
    assert flags["flag_worsening"] and flags["flags"].startswith("worsening")


def test_helpers():
    assert at_least(30.0 - EPS / 2, 30.0) and not at_least(30.0 - 2 * EPS, 30.0)
    assert at_most(4.2, 0.7 * 6) and not at_most(4.2 + 2 * EPS, 4.2)
    assert not at_least(np.nan, 0.0) and not at_most(np.nan, 0.0)
