"""Small groups never look like findings; intervals agree with their p and stay on the scale.

References: statsmodels formula OLS (the ANCOVA interval and p), statsmodels
``confint_proportions_2indep(method="newcomb")`` (risk difference),
statsmodels ``proportion_confint(method="wilson")``, ``scipy.stats.t`` (the
t-interval of a mean) and statsmodels ``multipletests(method="holm")``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from analytics.pipeline import AnalysisSettings, analyze
from analytics.presentation import (
    group_comparison_cells,
    group_summary_cells,
    interval_text,
    number_text,
    p_value_text,
    percent_text,
    share_text,
    too_few_text,
)
from analytics.stats import TOO_FEW_PATIENTS, group_comparison, group_summary

TOO_FEW = "too few patients to compare (n < 5 per group)"


def _outcomes(sizes: dict[str, int], seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    frames = []
    for label, n in sizes.items():
        base = rng.uniform(4, 9, n)
        follow = np.clip(base * rng.uniform(0.2, 1.1, n), 0, 10)
        frames.append(
            pd.DataFrame({"group": label, "baseline_pain": base, "followup_pain": follow})
        )
    out = pd.concat(frames, ignore_index=True)
    out["patient_id"] = [f"P{i:03d}" for i in range(len(out))]
    out["group"] = out["group"].astype("str")
    return out


# ------------------------------------------------------------------ two against two


def test_two_against_two_shows_counts_and_no_p_or_interval():
    # the case: chronic low back pain vs rheumatoid arthritis, 2 patients each
    outcomes = pd.DataFrame(
        {
            "patient_id": ["a1", "a2", "b1", "b2"],
            "group": ["low back", "low back", "rheumatoid", "rheumatoid"],
            "baseline_pain": [7.0, 6.0, 7.0, 6.5],
            "followup_pain": [2.0, 1.5, 5.0, 5.0],
        }
    )
    row = group_comparison(outcomes).iloc[0]
    assert (row.n_a, row.n_b) == (2, 2) and row.reason == TOO_FEW_PATIENTS
    for col in ("adjusted_difference", "ci_low", "ci_high", "p_value", "p_value_holm"):
        assert np.isnan(row[col]), col
    for col in ("risk_difference", "rd_ci_low", "rd_ci_high", "nnt"):
        assert np.isnan(row[col]), col
    assert (row.responder_rate_a, row.responder_rate_b) == (1.0, 0.0)  # counts stay
    summary = group_summary(outcomes)
    assert summary["reason"].eq(TOO_FEW_PATIENTS).all()
    assert summary[["mean_change_ci_low", "responder_ci_low"]].isna().all().all()
    assert summary["n_with_followup"].tolist() == [2, 2]
    # what the faces print
    cells = group_comparison_cells(group_comparison(outcomes), "group", min_group_size=5)
    shown = cells.iloc[0]
    assert shown["patients"] == "2 / 2" and shown["ci"] == TOO_FEW and shown["rd_ci"] == TOO_FEW
    assert shown["p_value"] == shown["p_value_holm"] == shown["adjusted_difference"] == "—"
    assert shown["responder_rates"] == "100% / 0%"
    scells = group_summary_cells(summary, "group", min_group_size=5)
    assert scells["responder_ci"].eq(TOO_FEW).all() and scells["mean_change_ci"].eq(TOO_FEW).all()
    assert scells["responders"].tolist() == ["2 of 2 (100%)", "0 of 2 (0%)"]
    # the same pair is computed when the minimum allows it (the setting is the way back)
    assert np.isfinite(group_comparison(outcomes, min_group_size=2).iloc[0].p_value)


def test_min_group_size_is_a_checked_setting_and_a_cli_option(capsys):
    from analytics.cli import main

    assert AnalysisSettings().min_group_size == 5
    with pytest.raises(ValueError, match="'min_group_size' parameter of AnalysisSettings"):
        AnalysisSettings(min_group_size=1)
    with pytest.raises(ValueError, match="'min_group_size' parameter of group_comparison"):
        group_comparison(_outcomes({"a": 3, "b": 3}), min_group_size=0)
    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    assert "--min-group-size INT" in capsys.readouterr().out


# ------------------------------------------------------------------ kept values: references


def test_kept_comparisons_match_statsmodels_and_their_interval_agrees_with_p():
    outcomes = _outcomes({"acupuncture": 9, "sham": 6, "waitlist": 4})
    comp = group_comparison(outcomes).set_index(["group_a", "group_b"])
    row = comp.loc[("acupuncture", "sham")]
    data = outcomes[outcomes["group"].isin(["acupuncture", "sham"])].rename(
        columns={"baseline_pain": "B", "followup_pain": "F"}
    )
    fit = smf.ols("F ~ C(group, Treatment(reference='sham')) + B", data=data).fit()
    term = "C(group, Treatment(reference='sham'))[T.acupuncture]"
    assert_allclose(row.adjusted_difference, fit.params[term], rtol=1e-9)
    assert_allclose([row.ci_low, row.ci_high], fit.conf_int().loc[term], rtol=1e-9)
    assert_allclose(row.p_value, fit.pvalues[term], rtol=1e-9)
    assert (row.ci_low > 0 or row.ci_high < 0) == (row.p_value < 0.05)
    pct = 100 * (data["B"] - data["F"]) / data["B"]
    ka = int((pct[data["group"] == "acupuncture"] >= 30).sum())
    kb = int((pct[data["group"] == "sham"] >= 30).sum())
    low, high = confint_proportions_2indep(ka, 9, kb, 6, method="newcomb", compare="diff")
    assert_allclose([row.rd_ci_low, row.rd_ci_high], [low, high], rtol=1e-9)
    # waitlist has 4: both of its pairs are withheld and left out of Holm's family
    assert comp.loc[("acupuncture", "waitlist"), "reason"] == TOO_FEW_PATIENTS
    assert comp.loc[("sham", "waitlist"), "reason"] == TOO_FEW_PATIENTS
    assert row.p_value_holm == pytest.approx(row.p_value)  # the only pair tested
    summary = group_summary(outcomes).set_index("group")
    for label, n in (("acupuncture", 9), ("sham", 6)):
        g = outcomes[outcomes["group"] == label]
        change = g["baseline_pain"] - g["followup_pain"]
        lo, hi = stats.t.interval(0.95, n - 1, loc=change.mean(), scale=stats.sem(change))
        assert_allclose(summary.loc[label, ["mean_change_ci_low", "mean_change_ci_high"]], [lo, hi])
        k = int(summary.loc[label, "n_responders"])
        ref = proportion_confint(k, n, method="wilson")
        assert_allclose(summary.loc[label, ["responder_ci_low", "responder_ci_high"]], ref)
    assert summary.loc["waitlist", "reason"] == TOO_FEW_PATIENTS
    assert np.isnan(summary.loc["waitlist", "mean_change_ci_low"])


# ------------------------------------------------------------------ the 0-10 scale


def test_a_mean_change_interval_never_leaves_the_scale_and_says_so_when_cut():
    # changes of +10 and -10: the t-interval of the mean (2.0) reaches -11.6 to 15.6
    outcomes = pd.DataFrame(
        {
            "patient_id": list("abcde"),
            "group": "g",
            "baseline_pain": [10.0, 0.0, 10.0, 0.0, 10.0],
            "followup_pain": [0.0, 10.0, 0.0, 10.0, 0.0],
        }
    )
    row = group_summary(outcomes).iloc[0]
    change = np.array([10.0, -10, 10, -10, 10])
    lo, hi = stats.t.interval(0.95, 4, loc=change.mean(), scale=stats.sem(change))
    assert lo < -10 and hi > 10  # the reference leaves the scale
    assert (row.mean_change_ci_low, row.mean_change_ci_high) == (-10.0, 10.0)
    assert bool(row.mean_change_ci_clipped)
    cells = group_summary_cells(group_summary(outcomes), "group", min_group_size=5)
    assert cells.loc[0, "mean_change_ci"] == "−10.0 to 10.0 (cut at the end of the 0–10 scale)"


def test_a_difference_interval_never_leaves_the_scale():
    outcomes = pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(10)],
            "group": ["a"] * 5 + ["b"] * 5,
            "baseline_pain": [6.0, 7.0, 6.5, 7.5, 6.0, 6.5, 7.0, 6.0, 7.5, 6.5],
            "followup_pain": [0.0, 10.0, 0.0, 10.0, 0.0, 10.0, 0.0, 10.0, 0.0, 10.0],
        }
    )
    row = group_comparison(outcomes).iloc[0]
    fit = smf.ols("F ~ C(group, Treatment(reference='b')) + B", data=outcomes.rename(
        columns={"baseline_pain": "B", "followup_pain": "F"})).fit()  # fmt: skip
    ref = fit.conf_int().loc["C(group, Treatment(reference='b'))[T.a]"].to_numpy()
    assert ref[0] < -10 or ref[1] > 10
    assert_allclose([row.ci_low, row.ci_high], np.clip(ref, -10, 10))
    assert bool(row.ci_clipped)
    assert_allclose(row.p_value, fit.pvalues["C(group, Treatment(reference='b'))[T.a]"])


@pytest.mark.parametrize("seed", range(12))
def test_no_interval_leaves_its_scale_on_random_clinics(seed):
    rng = np.random.default_rng(seed)
    sizes = {f"g{i}": int(n) for i, n in enumerate(rng.integers(2, 9, 4))}
    outcomes = _outcomes(sizes, seed)
    # extreme scatter: some follow-ups at 0 or 10
    outcomes.loc[rng.random(len(outcomes)) < 0.4, "followup_pain"] = 10.0
    s = group_summary(outcomes, min_group_size=2)
    c = group_comparison(outcomes, min_group_size=2)
    for low, high in (("mean_change_ci_low", "mean_change_ci_high"),):
        assert s[low].dropna().ge(-10).all() and s[high].dropna().le(10).all()
    assert c["ci_low"].dropna().ge(-10).all() and c["ci_high"].dropna().le(10).all()
    assert (
        s["responder_ci_low"].dropna().ge(0).all() and s["responder_ci_high"].dropna().le(1).all()
    )
    assert c["rd_ci_low"].dropna().ge(-1).all() and c["rd_ci_high"].dropna().le(1).all()


# ------------------------------------------------------------------ the demo clinic


@pytest.fixture(scope="module")
def demo_result(sample_dataset):
    ds = sample_dataset
    return analyze(ds.patients, ds.diary, ds.sessions, AnalysisSettings(n_boot=10))


def test_demo_clinic_shows_no_p_or_interval_under_five_per_group(demo_result):
    gc = demo_result.group_comparison
    small = gc[["n_a", "n_b"]].min(axis=1) < 5
    assert small.any() and (~small).any()  # the demo has both
    cols = ["adjusted_difference", "ci_low", "ci_high", "p_value", "p_value_holm"]
    assert gc.loc[small, cols].isna().all().all()
    assert gc.loc[small, ["risk_difference", "rd_ci_low", "rd_ci_high", "nnt"]].isna().all().all()
    assert gc.loc[small, "reason"].eq(TOO_FEW_PATIENTS).all()
    assert gc.loc[~small, "p_value"].notna().all()
    gs = demo_result.group_summary
    little = gs["n_with_followup"] < 5
    assert little.any()
    assert gs.loc[little, ["mean_change_ci_low", "responder_ci_low"]].isna().all().all()
    assert gs.loc[~little, ["mean_change_ci_low", "responder_ci_low"]].notna().all().all()
    # and the faces: no p-value printed for a small pair, the sentence instead
    for by in ("group", "condition", "technique"):
        part = gc[gc["group_by"] == by].reset_index(drop=True)
        cells = group_comparison_cells(part, by, min_group_size=5)
        tiny = (part[["n_a", "n_b"]].min(axis=1) < 5).to_numpy()
        assert cells.loc[tiny, "ci"].eq(TOO_FEW).all()
        assert cells.loc[tiny, ["p_value", "p_value_holm"]].eq("—").all().all()
        assert not cells.loc[~tiny, "p_value"].eq("—").any()


def test_demo_clinic_every_interval_agrees_with_its_p_and_holm_matches_statsmodels(demo_result):
    gc = demo_result.group_comparison
    kept = gc[gc["p_value"].notna()]
    assert len(kept) >= 10
    excludes_zero = (kept["ci_low"] > 0) | (kept["ci_high"] < 0)
    assert (excludes_zero == (kept["p_value"] < 0.05)).all()
    assert excludes_zero.any() and (~excludes_zero).any()  # both directions are checked
    # and as printed: an interval that excludes 0 beside a p shown below 0.05
    for row in kept.itertuples(index=False):
        shown_p = float(p_value_text(row.p_value).replace("< ", ""))
        assert (shown_p < 0.05) == (row.ci_low > 0 or row.ci_high < 0)
    for by in ("group", "condition", "technique"):
        part = gc[(gc["group_by"] == by) & gc["p_value"].notna()]
        if len(part):
            ref = multipletests(part["p_value"], method="holm")[1]
            assert_allclose(part["p_value_holm"], ref, rtol=1e-12)
    for cols in (("ci_low", "ci_high"), ("rd_ci_low", "rd_ci_high")):
        bound = 10 if cols[0] == "ci_low" else 1
        assert gc[list(cols)].stack().dropna().abs().le(bound).all()
    gs = demo_result.group_summary
    assert gs[["mean_change_ci_low", "mean_change_ci_high"]].stack().dropna().abs().le(10).all()


# ------------------------------------------------------------------ number formats


def test_number_formats_round_half_away_from_zero_in_whole_percentages():
    assert percent_text(1 / 3) == "33%" and percent_text(0.5) == "50%"
    assert percent_text(0.125) == "13%" and percent_text(0.565) == "57%"
    assert percent_text(-0.125, signed=True) == "−13%"
    assert percent_text(0.001, signed=True) == "0%"  # no sign on a zero
    assert percent_text(np.nan) == "—"
    assert share_text(1, 3) == "1 of 3 (33%)"
    assert number_text(2.25) == "2.3" and number_text(-2.25) == "−2.3"
    assert number_text(-0.04) == "0.0"
    assert interval_text(0.2307, 0.8824, percent=True) == "23% to 88%"
    assert interval_text(-0.04, 2.3) == "−0.040 to 2.3"  # its side of 0 shows
    assert p_value_text(0.0496) == "0.0496" and p_value_text(0.0504) == "0.050"
    assert p_value_text(0.0001) == "< 0.001" and p_value_text(np.nan) == "—"
    assert too_few_text(5) == TOO_FEW


def test_min_group_size_leaves_stored_per_patient_rows_valid():
    from analytics.pipeline import settings_fingerprint

    # only the cohort tables depend on it: a clinic's stored rows are not recomputed
    assert settings_fingerprint(AnalysisSettings(min_group_size=2)) == settings_fingerprint(
        AnalysisSettings()
    )
