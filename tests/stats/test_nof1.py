"""N-of-1 effect sizes: NAP and Tau-U against brute-force pair counts and published examples.

Published values (the reference calculator of the method's literature, the R package
SingleCaseES by Pustejovsky, which implements Parker & Vannest 2009 and the Tau-U
variant "A vs B − trend A" of Parker et al. 2011):

- A = 20, 20, 26, 25, 22, 23; B = 28, 25, 24, 27, 30, 30, 29 (higher = better):
  ``NAP`` 0.9166667 with SE 0.07739185 and 95 % CI 0.5973406 to 0.9860176
  (Newcombe 2006 method 5, solved in R by ``uniroot`` at its default tolerance
  ~1.2e-4), and ``Tau_U`` 0.7380952.
- Parker & Vannest (2009)'s own example, yA = 4, 3, 4, 3, 4, 7, 5, 2, 3, 2 and
  yB = 5, 9, 7, 9, 7, 5, 9, 11, 11, 10, 9 (higher = better): 104 improving pairs,
  4 ties and 2 overlapping pairs of 110, NAP = (104 + 0.5·4)/110 = 0.9636.

Pain is better when lower, so these examples enter with their signs flipped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.pipeline import AnalysisSettings, per_patient
from analytics.stats import NOF1_COLUMNS, nap, nof1_effects, tau_u
from tests.frames import daily_diary, make_sessions

A = np.array([20, 20, 26, 25, 22, 23.0])
B = np.array([28, 25, 24, 27, 30, 30, 29.0])


def brute_force(a, b):
    """Pair counts by double loop: improving (b < a), ties, and the baseline trend S."""
    better = ties = worse = 0
    for x in a:
        for y in b:
            if y < x:
                better += 1
            elif y == x:
                ties += 1
            else:
                worse += 1
    trend = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            trend += int(np.sign(a[i] - a[j]))
    return better, ties, worse, trend


def test_published_example_nap_se_ci_and_tau_u():
    p = nap(-A, -B)
    assert p["nap"] == pytest.approx(0.9166667, abs=1e-7)
    assert p["se"] == pytest.approx(0.07739185, abs=1e-8)
    assert p["ci_low"] == pytest.approx(0.5973406, abs=1e-4)
    assert p["ci_high"] == pytest.approx(0.9860176, abs=1e-4)
    t = tau_u(-A, -B)
    assert t["tau_u"] == pytest.approx(0.7380952, abs=1e-7)
    # by hand: S_AB = 2·38.5 − 42 = 35, S_A = 4 (pairs of A in time order), (35 − 4)/42
    assert (t["s_between"], t["s_trend"]) == (35.0, 4.0)
    assert t["tau_u"] == pytest.approx(31 / 42)
    # SE of S under H0: √(42·14/3 + 6·5·17/18) = √224.333 = 14.978; /42 = 0.35662
    assert t["se"] == pytest.approx(np.sqrt(42 * 14 / 3 + 6 * 5 * 17 / 18) / 42)
    assert t["se"] == pytest.approx(0.35662, abs=1e-5)


def test_parker_vannest_2009_example():
    ya = np.array([4, 3, 4, 3, 4, 7, 5, 2, 3, 2.0])
    yb = np.array([5, 9, 7, 9, 7, 5, 9, 11, 11, 10, 9.0])
    better, ties, worse, _ = brute_force(-ya, -yb)
    assert (better, ties, worse) == (104, 4, 2)
    assert nap(-ya, -yb)["nap"] == pytest.approx(106 / 110)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nap_and_tau_u_equal_brute_force_and_mann_whitney(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(3, 9, int(rng.integers(4, 15))).astype(float)
    b = rng.integers(1, 8, int(rng.integers(4, 40))).astype(float)
    better, ties, worse, trend = brute_force(a, b)
    m, n = len(a), len(b)
    p = nap(a, b)
    assert p["nap"] == pytest.approx((better + 0.5 * ties) / (m * n), rel=1e-15)
    u = stats.mannwhitneyu(a, b).statistic  # U of a: pairs with a > b, ties 0.5
    assert p["nap"] == pytest.approx(u / (m * n), rel=1e-15)
    t = tau_u(a, b)
    assert t["s_between"] == better - worse and t["s_trend"] == trend
    assert t["tau_u"] == pytest.approx((better - worse - trend) / (m * n), rel=1e-15)
    assert t["tau"] == pytest.approx(2 * p["nap"] - 1, rel=1e-12, abs=1e-15)
    assert p["ci_low"] <= p["nap"] <= p["ci_high"]


def test_a_falling_baseline_lowers_tau_u_but_not_nap():
    falling = np.array([10, 9, 8, 7, 6.0])
    flat = np.array([7, 7, 7, 7, 7.0])
    b = np.array([4, 5, 4, 5, 4.0])
    assert nap(falling, b)["nap"] == pytest.approx(nap(flat, b)["nap"])
    assert tau_u(falling, b)["s_trend"] == 10.0  # every pair falls
    assert tau_u(falling, b)["tau_u"] < tau_u(flat, b)["tau_u"]


def test_nof1_effects_per_patient_phases():
    """t0 = 2026-01-15; 14 baseline days at 6, 10 days at 3: every pair improves."""
    diary = pd.concat(
        [
            daily_diary("a", "2026-01-01", [6.0] * 14 + [3.0] * 10),
            daily_diary("b", "2026-01-12", [6.0] * 3 + [3.0] * 10),
            daily_diary("c", "2026-01-01", [5.0] * 5),
        ],
        ignore_index=True,
    )
    sessions = make_sessions(patient_id=["a", "b"], date=["2026-01-15", "2026-01-15"])
    out = per_patient(None, diary, sessions, AnalysisSettings())["nof1_effects"]
    assert list(out.columns) == list(NOF1_COLUMNS)
    rows = out.set_index("patient_id")
    assert (rows.loc["a", "n_baseline"], rows.loc["a", "n_treatment"]) == (14, 10)
    assert rows.loc["a", "nap"] == 1.0 and rows.loc["a", "tau"] == 1.0
    assert rows.loc["a", "tau_u"] == pytest.approx((140 - 0) / 140)
    assert rows.loc["a", "reason"] == ""
    assert rows.loc["b", "reason"] == "insufficient_baseline"
    assert rows.loc["c", "reason"] == "no_index" and np.isnan(rows.loc["c", "nap"])
    short = per_patient(None, diary, sessions, AnalysisSettings(min_entries=3))["nof1_effects"]
    assert short.set_index("patient_id").loc["b", "nap"] == 1.0


def test_empty_phases_give_nan():
    assert np.isnan(nap([], [1.0])["nap"]) and np.isnan(tau_u([1.0], [])["tau_u"])


def test_clinic_table_equals_the_scalar_functions_patient_by_patient(sample_dataset):
    """The vectorised table against nap() and tau_u() (brentq) on each patient's phases."""
    from analytics.contract import index_dates
    from analytics.stats import outcome_windows

    ds = sample_dataset
    idx = index_dates(ds.patients, ds.sessions)
    table = nof1_effects(ds.diary, idx).set_index("patient_id")
    assert (table["reason"] == "").sum() >= 50
    win, _ = outcome_windows(ds.diary, idx)
    for pid, row in table[table["reason"] == ""].iterrows():
        d = ds.diary[ds.diary["patient_id"] == pid].sort_values("date")
        w = win.loc[pid]
        a = d.loc[(d["date"] >= w["baseline_start"]) & (d["date"] <= w["baseline_end"]), "pain"]
        b = d.loc[d["date"] >= w["index_date"], "pain"]
        p, t = nap(a, b), tau_u(a, b)
        assert (row["n_baseline"], row["n_treatment"]) == (len(a), len(b))
        assert row["nap"] == pytest.approx(p["nap"], rel=1e-12)
        assert row["nap_se"] == pytest.approx(p["se"], rel=1e-9)
        assert row["nap_ci_low"] == pytest.approx(p["ci_low"], abs=1e-10)
        assert row["nap_ci_high"] == pytest.approx(p["ci_high"], abs=1e-10)
        assert row["s_between"] == t["s_between"] and row["s_baseline_trend"] == t["s_trend"]
        assert row["tau_u"] == pytest.approx(t["tau_u"], rel=1e-12)
        assert row["tau_u_p_value"] == pytest.approx(t["p_value"], rel=1e-9)


def test_complete_non_overlap_has_a_lower_bound_below_one():
    """NAP = 1: the score equation's trivial root at 1 is divided out (Newcombe 2006)."""
    p = nap([6, 7, 6, 7, 6], [3, 2, 3, 2, 3, 2])
    assert p["nap"] == 1.0 and p["ci_high"] == 1.0
    assert 0.5 < p["ci_low"] < 1.0
    m, n, h = 5, 6, (5 + 6) / 2 - 1
    t = p["ci_low"]
    z2 = stats.norm.ppf(0.975) ** 2
    lhs = (1 - t) ** 2
    rhs = z2 * h * t * (1 - t) / (m * n) * (1 / h + (1 - t) / (2 - t) + t / (1 + t))
    assert lhs == pytest.approx(rhs, rel=1e-9)
    q = nap([2, 3, 2, 3, 2], [6, 7, 6, 7, 6, 7])
    assert q["nap"] == 0.0 and q["ci_low"] == 0.0 and 0.0 < q["ci_high"] < 0.5
