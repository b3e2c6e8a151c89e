"""Covariate-adjusted comparisons: a published trial's Table 2 through the product.

Reference: Vickers AJ et al. BMJ 2004;328:744, Table 2, headache score adjusted for
baseline, age, sex, diagnosis, chronicity and site: 12 months 4.6 (2.2 to 7.0),
3 months 3.9 (1.6 to 6.3) on the 12-month completers. The trial file and its
conversion are in tests/stats/trial (source and licence there). Every estimate is
also checked against statsmodels' formula OLS on the trial file itself.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from analytics.errors import DataQualityWarning
from analytics.io import load_dataset
from analytics.pipeline import AnalysisSettings, group_tables, with_comparison_columns
from analytics.stats import group_comparison, patient_outcomes, wald_risk_difference
from tests.stats.trial.convert import TRIAL_FILE, write_clinic

COVARIATES = "age,sex,condition,pain_duration_years,clinician_id"


@pytest.fixture(scope="module")
def trial_clinic(tmp_path_factory):
    folder = write_clinic(tmp_path_factory.mktemp("vickers2004"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # no sessions.csv: on purpose
        return load_dataset(folder, today=pd.Timestamp("2026-12-01").date())


def _trial_row(ds, followup_at: int) -> pd.Series:
    settings = AnalysisSettings(followup_at=followup_at, completers_at=365, adjust=COVARIATES)
    outcomes = patient_outcomes(ds.diary, ds.patients, ds.sessions, **settings.window_kwargs())
    outcomes = with_comparison_columns(outcomes, ds.patients, ds.diary, ds.sessions, settings)
    _, comparison = group_tables(outcomes, settings)
    row = comparison[comparison["group_by"] == "group"]
    assert len(row) == 1
    return row.iloc[0]


def _statsmodels(score: str) -> tuple[float, float, float, float, int]:
    """The paper's model on the trial file: 12-month completers with the score known."""
    trial = pd.read_csv(TRIAL_FILE).dropna(subset=["pk5", score])
    fit = smf.ols(
        f"{score} ~ group + pk1 + age + C(sex) + C(migraine) + chronicity + C(acupuncturist)",
        data=trial,
    ).fit()
    low, high = fit.conf_int().loc["group"]
    return fit.params["group"], low, high, fit.pvalues["group"], len(trial)


@pytest.mark.parametrize(
    ("followup_at", "score", "published"),
    [(365, "pk5", (4.6, 2.2, 7.0)), (91, "pk2", (3.9, 1.6, 6.3))],
    ids=["12 months", "3 months"],
)
def test_the_trials_adjusted_differences_come_out_as_published(
    trial_clinic, followup_at, score, published
):
    row = _trial_row(trial_clinic, followup_at)
    assert (row["group_a"], row["group_b"]) == ("acupuncture", "usual_care")
    assert row["adjusted_for"] == "baseline, age, sex, condition, pain_duration_years, clinician_id"
    # diary pain is the score / 10; the paper reports usual care minus acupuncture
    benefit = -10 * row[["adjusted_difference", "ci_high", "ci_low"]].to_numpy("float64")
    assert np.round(benefit, 1).tolist() == list(published)
    coef, low, high, p, n = _statsmodels(score)
    np.testing.assert_allclose(
        10 * row[["adjusted_difference", "ci_low", "ci_high"]].to_numpy("float64"),
        [coef, low, high],
        rtol=1e-9,
    )
    assert row["p_value"] == pytest.approx(p, rel=1e-6)
    assert row["n_a"] + row["n_b"] == n  # 301 at 12 months, 295 at 3 months (completers)


def test_wald_interval_and_chi_squared_p_match_statsmodels_and_scipy():
    """12/20 against 5/18: d = 0.6 − 0.2778 = 0.3222, SE = √(.6·.4/20 + .2778·.7222/18)."""
    low, high, p = wald_risk_difference(12, 20, 5, 18)
    se = np.sqrt(0.6 * 0.4 / 20 + (5 / 18) * (13 / 18) / 18)
    d = 0.6 - 5 / 18
    z = stats.norm.ppf(0.975)
    assert (low, high) == pytest.approx((d - z * se, d + z * se), rel=1e-12)
    ref = confint_proportions_2indep(12, 20, 5, 18, method="wald", compare="diff")
    assert (low, high) == pytest.approx(ref, rel=1e-12)
    pooled = 17 / 38
    z_pooled = d / np.sqrt(pooled * (1 - pooled) * (1 / 20 + 1 / 18))
    assert p == pytest.approx(2 * stats.norm.sf(abs(z_pooled)), rel=1e-10)
    assert np.isnan(wald_risk_difference(0, 5, 0, 6)[2])  # nobody responded: no test


def _outcomes() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    n = 24
    base = rng.uniform(4, 9, n)
    group = np.repeat(["acupuncture", "waitlist"], n // 2)
    age = rng.integers(25, 70, n).astype("float64")
    sex = np.tile(["F", "M", "F"], n // 3)
    follow = base - np.where(group == "acupuncture", 2.0, 0.5) + 0.02 * age + rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "group": group,
            "condition": "migraine",
            "baseline_pain": base,
            "followup_pain": follow,
            "age": age,
            "sex": sex,
        }
    )


def test_covariates_enter_as_numbers_and_factors_and_a_missing_one_leaves_the_fit_only():
    out = _outcomes()
    out.loc[3, "age"] = np.nan
    got = group_comparison(out, adjust=["age", "sex", "group"], rd_interval="wald").iloc[0]
    fit = smf.ols(
        "followup_pain ~ C(group) + baseline_pain + age + C(sex)", data=out.dropna()
    ).fit()
    term = "C(group)[T.waitlist]"
    assert got["adjusted_difference"] == pytest.approx(-fit.params[term], rel=1e-10)
    assert (got["ci_low"], got["ci_high"]) == pytest.approx(
        (-fit.conf_int().loc[term, 1], -fit.conf_int().loc[term, 0]), rel=1e-10
    )
    assert got["adjusted_for"] == "baseline, age, sex"  # the grouping column is skipped
    assert (got["n_a"], got["n_b"]) == (11, 12)
    assert got["responder_rate_a"] == pytest.approx(
        (100 * (out["baseline_pain"] - out["followup_pain"]) / out["baseline_pain"] >= 30)[
            :12
        ].mean()
    )  # the responder rates keep the patient whose age is missing
    plain = group_comparison(out)
    assert "adjusted_for" not in plain.columns and "rd_wald_ci_low" not in plain.columns


def test_unknown_adjustment_columns_and_methods_are_refused_in_a_sentence():
    with pytest.raises(ValueError, match="'adjust' parameter .* Got weight instead"):
        AnalysisSettings(adjust="age, weight")
    with pytest.raises(ValueError, match="'rd_interval' parameter .* newcombe, wald"):
        AnalysisSettings(rd_interval="exact")
    assert AnalysisSettings(adjust=" sex,age,sex ").adjust_columns == ("sex", "age")


def test_paindiary_analyze_writes_the_trials_adjusted_row(tmp_path):
    """The command line of the published check, end to end (401 patients, a few seconds)."""
    from tests.commands import run_paindiary

    folder = write_clinic(tmp_path / "trial")
    out = tmp_path / "out"
    done = run_paindiary(
        "analyze", str(folder), "--out", str(out), "--followup-at", "365",
        "--completers-at", "365", "--adjust", COVARIATES, "--rd-interval", "wald",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(out / "group_comparison.csv")
    row = table[table["group_by"] == "group"].iloc[0]
    benefit = -10 * row[["adjusted_difference", "ci_high", "ci_low"]].to_numpy("float64")
    assert np.round(benefit, 1).tolist() == [4.6, 2.2, 7.0]
    assert {"rd_wald_ci_low", "rd_chi2_p_value", "adjusted_for"} <= set(table.columns)
    outcomes = pd.read_csv(out / "patient_outcomes.csv")
    assert outcomes["completer"].sum() == 301


def test_faces_name_the_covariates_in_words():
    from analytics.presentation import adjusted_for_text, comparison_basis_text

    table = pd.DataFrame({"adjusted_for": ["baseline, age, sex, clinician_id"]})
    assert adjusted_for_text(table) == "adjusted for baseline pain, age, sex and clinician"
    assert adjusted_for_text(pd.DataFrame({"p_value": [0.2]})) == "adjusted for baseline pain"
    assert comparison_basis_text(("pain_duration_years",), 365) == (
        "Pain differences between groups: follow-up pain adjusted for baseline pain and years "
        "with pain (ANCOVA), among the patients with a valid follow-up at day 365."
    )
