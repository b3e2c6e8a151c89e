"""Known-answer tests of analytics.stats.

References: ``scipy.stats.t`` (t-interval), statsmodels
``proportion_confint(method="wilson")``, statsmodels formula OLS for the
ANCOVA, and the Wald risk-difference interval written out by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from analytics.stats import group_comparison, group_summary, predominant_technique, wilson_interval
from tests.frames import make_sessions


def _outcomes() -> pd.DataFrame:
    """Hand-made outcomes of 3 groups (labels deliberately need quoting in a formula)."""
    rng = np.random.default_rng(11)
    n = {"acu-puncture": 12, "wait list": 9, "sham": 5}
    frames = []
    for label, size in n.items():
        base = rng.uniform(4, 8, size)
        drop = {"acu-puncture": 0.45, "wait list": 0.05, "sham": 0.25}[label]
        follow = np.clip(base * (1 - drop) + rng.normal(0, 0.8, size), 0, 10)
        frames.append(
            pd.DataFrame({"group": label, "baseline_pain": base, "followup_pain": follow})
        )
    out = pd.concat(frames, ignore_index=True)
    out.loc[0, "followup_pain"] = np.nan  # one without follow-up
    out.loc[1, "baseline_pain"] = 0.0  # zero baseline: complete, but no % change
    out.loc[1, "followup_pain"] = 1.0
    out["patient_id"] = [f"P{i:02d}" for i in range(len(out))]
    out["condition"] = np.where(np.arange(len(out)) % 2, "neck_pain", "migraine")
    out["technique"] = "manual"
    out.loc[len(out)] = {"patient_id": "X", "group": np.nan, "baseline_pain": 5.0,
                         "followup_pain": 2.0, "condition": "migraine", "technique": "none"}  # fmt: skip
    out["group"] = out["group"].astype("str")
    return out


def test_group_summary_known_answers():
    outcomes = _outcomes()
    summary = group_summary(outcomes, min_group_size=2).set_index("group")
    assert summary.index.tolist() == ["acu-puncture", "sham", "unassigned", "wait list"]
    for label, row in summary.iterrows():
        g = outcomes[outcomes["group"].fillna("unassigned") == label]
        comp = g.dropna(subset=["baseline_pain", "followup_pain"])
        change = comp["baseline_pain"] - comp["followup_pain"]
        assert row.n_patients == len(g) and row.n_with_followup == len(comp)
        assert_allclose(row.mean_change, change.mean(), rtol=1e-12)
        if len(comp) >= 2:
            lo, hi = stats.t.interval(
                0.95, len(comp) - 1, loc=change.mean(), scale=stats.sem(change)
            )
            assert_allclose([row.mean_change_ci_low, row.mean_change_ci_high], [lo, hi], rtol=1e-9)
        else:
            assert np.isnan(row.mean_change_ci_low)
        mb, mf = comp["baseline_pain"].mean(), comp["followup_pain"].mean()
        assert_allclose(row.pct_change_of_means, 100 * (mb - mf) / mb, rtol=1e-12)
        ev = comp[comp["baseline_pain"] > 0]
        pct = 100 * (ev["baseline_pain"] - ev["followup_pain"]) / ev["baseline_pain"]
        k = int((pct >= 30).sum())
        assert row.n_evaluable == len(ev) and row.n_responders == k
        if len(ev) >= 2:
            lo, hi = proportion_confint(k, len(ev), alpha=0.05, method="wilson")
            assert_allclose([row.responder_ci_low, row.responder_ci_high], [lo, hi], rtol=1e-9)
        else:  # one patient: below the smallest group size
            assert np.isnan(row.responder_ci_low) and row.reason == "too_few_patients"
        assert row.n_responders_50 == int((pct >= 50).sum())
        assert row.n_responders_30 == row.n_responders
    acu = summary.loc["acu-puncture"]
    assert acu.n_patients == 12 and acu.n_with_followup == 11 and acu.n_evaluable == 10


def test_group_summary_threshold_and_by():
    outcomes = _outcomes()
    s35 = group_summary(outcomes, by="condition", responder_threshold=35.0)
    assert s35["group_by"].eq("condition").all()
    assert (s35["n_responders"] <= s35["n_responders_30"]).all()
    assert group_summary(outcomes, by="technique")["group"].tolist() == ["manual", "none"]
    with pytest.raises(ValueError, match="The 'by' parameter of group_summary must be one of"):
        group_summary(outcomes, by="clinician")
    with pytest.raises(ValueError, match="needs a 'technique' column"):
        group_summary(outcomes.drop(columns="technique"), by="technique")


def test_wilson_matches_statsmodels_including_extremes():
    counts, nobs = np.array([0, 1, 5, 9, 10, 3]), np.array([10, 10, 10, 10, 10, 0])
    lo, hi = wilson_interval(counts, nobs)
    for i in range(5):
        ref = proportion_confint(counts[i], nobs[i], method="wilson")
        assert_allclose([lo[i], hi[i]], ref, rtol=1e-9, atol=1e-15)
    assert np.isnan(lo[5]) and np.isnan(hi[5])


def _wilson_by_hand(k, n, z=1.959963984540054):
    """Wilson (1927) score interval, closed form."""
    p = k / n
    centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
    half = z / (1 + z**2 / n) * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2))
    return centre - half, centre + half


def test_group_comparison_matches_statsmodels_ancova_and_newcombe():
    outcomes = _outcomes()
    comp = group_comparison(outcomes, min_group_size=2)
    pairs = list(zip(comp["group_a"], comp["group_b"], strict=True))
    labels = ["acu-puncture", "sham", "unassigned", "wait list"]
    assert pairs == [(a, b) for i, a in enumerate(labels) for b in labels[i + 1 :]]
    row = comp.set_index(["group_a", "group_b"]).loc[("acu-puncture", "wait list")]
    data = outcomes.dropna(subset=["baseline_pain", "followup_pain"])
    data = data[data["group"].isin(["acu-puncture", "wait list"])].rename(
        columns={"followup_pain": "F", "baseline_pain": "B"}
    )
    fit = smf.ols("F ~ C(group, Treatment(reference='wait list')) + B", data=data).fit()
    term = "C(group, Treatment(reference='wait list'))[T.acu-puncture]"
    assert_allclose(row.adjusted_difference, fit.params[term], rtol=1e-9)
    assert_allclose([row.ci_low, row.ci_high], fit.conf_int().loc[term], rtol=1e-9)
    assert_allclose(row.p_value, fit.pvalues[term], rtol=1e-9)
    assert row.n_a == 11 and row.n_b == 9
    # risk difference by hand over patients with a % change
    ev = data[data["B"] > 0]
    resp = 100 * (ev["B"] - ev["F"]) / ev["B"] >= 30
    pa = resp[ev["group"] == "acu-puncture"].mean()
    pb = resp[ev["group"] == "wait list"].mean()
    na, nb = (ev["group"] == "acu-puncture").sum(), (ev["group"] == "wait list").sum()
    assert_allclose(row.risk_difference, pa - pb, rtol=1e-12)
    # Newcombe (1998) method 10 from closed-form Wilson bounds of each group
    la, ua = _wilson_by_hand(pa * na, na)
    lb, ub = _wilson_by_hand(pb * nb, nb)
    d = pa - pb
    low = d - np.sqrt((pa - la) ** 2 + (ub - pb) ** 2)
    high = d + np.sqrt((ua - pa) ** 2 + (pb - lb) ** 2)
    assert_allclose([row.rd_ci_low, row.rd_ci_high], [low, high], rtol=1e-9)
    assert_allclose(row.nnt, 1 / (pa - pb), rtol=1e-12)
    # "unassigned" has one patient, below even the smallest min_group_size of 2
    tiny = comp.set_index(["group_a", "group_b"]).loc[("sham", "unassigned")]
    assert np.isnan(tiny.adjusted_difference) and tiny.reason == "too_few_patients"


def test_group_comparison_nnt_rules_and_small_groups():
    outcomes = pd.DataFrame(
        {
            "patient_id": ["a1", "a2", "b1", "b2"],
            "group": ["a", "a", "b", "b"],
            "baseline_pain": [5.0, 5.0, 5.0, 5.0],
            "followup_pain": [2.0, 5.0, 2.0, 5.0],
        }
    )
    row = group_comparison(outcomes, min_group_size=2).iloc[0]
    assert row.risk_difference == 0.0 and np.isinf(row.nnt)
    # baseline constant -> design singular -> no ANCOVA
    assert np.isnan(row.adjusted_difference)
    one = group_comparison(outcomes[outcomes["group"] == "a"])
    assert len(one) == 0 and "nnt" in one.columns


def test_predominant_technique_ties_go_to_most_recent():
    sessions = make_sessions(
        patient_id=["p", "p", "p", "p", "q", "q", "q"],
        date=[
            "2026-01-01",
            "2026-01-08",
            "2026-01-15",
            "2026-01-22",
            "2026-01-01",
            "2026-01-08",
            "2026-01-15",
        ],  # fmt: skip
        technique=["manual", "electro", "electro", "manual", "electro", "electro", "auricular"],
        frequency_hz=[None, "2", "2", None, "100", "2/100", None],
    )
    before = sessions.copy()
    # p: manual 2 (last 01-22) vs electro_low 2 (last 01-15) -> manual
    # q: electro_high 1, electro_mixed 1, auricular 1 -> the most recent, auricular
    result = predominant_technique(sessions.iloc[::-1])
    assert result.to_dict() == {"p": "manual", "q": "auricular"}
    pd.testing.assert_frame_equal(sessions, before)
    assert len(predominant_technique(sessions.iloc[:0])) == 0


def test_group_summary_empty():
    empty = pd.DataFrame(
        {"patient_id": [], "group": [], "baseline_pain": [], "followup_pain": []}
    ).astype({"group": "str"})
    assert len(group_summary(empty)) == 0
