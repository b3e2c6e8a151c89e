"""Edges of real diaries: empty outputs, numerical warnings, constant series, zero baselines,
intervals and multiplicity from statsmodels, controls out of technique and condition rates."""

from __future__ import annotations

import gc
import subprocess
import sys
import warnings
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint

from analytics.errors import DataQualityWarning
from analytics.io import write_table
from analytics.pipeline import OUTPUT_FILES, AnalysisSettings, analyze, per_patient
from analytics.stats import _trends as trends
from analytics.stats import (
    group_comparison,
    group_summary,
    holm,
    newcombe_interval,
    wilson_interval,
)
from tests.frames import daily_diary, make_patients, make_sessions

NAN = float("nan")


def holm_reference(p):
    """statsmodels' Holm-adjusted p-values of ``p`` (``multipletests(p, method="holm")[1]``).

    multipletests runs a full ``gc.collect()`` on every Holm call; over the whole test
    session's heap that is a tenth of a second a call and the only cost of these tests.
    The collection changes no result, so it is skipped here.
    """
    with mock.patch.object(gc, "collect", return_value=0):
        return multipletests(p, method="holm")[1]


def awkward_clinic():
    """Inline patients that real diaries produce.

    const: every entry 5 (no variation); constpre: 14 identical pre-treatment
    days then varying; zero: baseline 0; sparse: 3 entries around the index;
    before: the diary ends before the first session; dionly: diary, no index;
    lonely: a session, no diary; ctl: waitlist control with a start date.
    """
    post = [3, 5, 2, 6, 4, 1, 3, 2, 2, 5, 4, 3, 2, 1, 0, 3, 2, 1, 1, 2]
    diary = pd.concat(
        [
            daily_diary("const", "2026-01-01", [5.0] * 60),
            daily_diary("constpre", "2026-01-01", [4.0] * 14 + post),
            daily_diary("zero", "2026-01-01", [0.0] * 14 + [1, 0, 2, 0, 1] * 6),
            daily_diary(
                "sparse", "2026-01-10", [6, NAN, NAN, 6, NAN, NAN, NAN, 2] + [NAN] * 5 + [3]
            ),
            daily_diary("before", "2025-12-01", [7.0] * 10),
            daily_diary("dionly", "2026-01-01", [3.0] * 5),
            daily_diary("ctl", "2026-01-01", [6.0] * 14 + [5.0, 6.0] * 10),
        ],
        ignore_index=True,
    )
    sessions = make_sessions(
        patient_id=["const", "const", "constpre", "zero", "sparse", "before", "lonely"],
        date=[
            "2026-01-15",
            "2026-01-22",
            "2026-01-15",
            "2026-01-15",
            "2026-01-15",
            "2026-01-20",
            "2026-01-05",
        ],
    )
    patients = make_patients(
        patient_id=["const", "constpre", "zero", "sparse", "before", "lonely", "dionly", "ctl"],
        group=["acupuncture"] * 6 + [None, "waitlist"],
        start_date=[None] * 7 + ["2026-01-15"],
    )
    return patients, diary, sessions


def test_every_output_file_has_its_header_even_when_empty(tmp_path):
    """No sessions and no index dates: no Emax fit, no Kaplan–Meier patients."""
    diary = daily_diary("a", "2026-01-01", [4.0] * 10)
    result = analyze(None, diary, None, AnalysisSettings(n_boot=10))
    assert result.emax_fit is None and result.kaplan_meier is None
    result.write_csv(tmp_path)
    tables = result.tables()
    for name, file_name in OUTPUT_FILES.items():
        back = pd.read_csv(tmp_path / file_name)
        assert list(back.columns) == list(tables[name].columns), file_name
        assert len(back.columns) > 0, file_name
    assert len(pd.read_csv(tmp_path / "emax_fit.csv")) == 0
    assert list(pd.read_csv(tmp_path / "kaplan_meier.csv").columns)[:2] == ["time", "n_at_risk"]


def test_a_diary_without_variation_gets_an_its_reason_not_round_off():
    patients, diary, sessions = awkward_clinic()
    po = per_patient(patients, diary, sessions)["patient_outcomes"].set_index("patient_id")
    assert po.loc["const", "its_reason"] == "no_variation"
    assert np.isnan(po.loc["const", ["its_level_change", "its_slope_change"]].astype(float)).all()
    # constant pre-treatment days alone are fine: the level change is estimable
    assert po.loc["constpre", "its_reason"] == ""
    assert np.isfinite(po.loc["constpre", "its_level_ci_low"])


def test_runtime_warning_in_a_fit_becomes_one_data_quality_warning(monkeypatch):
    """A third-party RuntimeWarning inside a patient's fit names that patient."""
    real = trends._ols_hac

    def noisy(t, y, lags):
        fit = real(t, y, lags)
        if np.ptp(y[t < 0]) == 0:
            warnings.warn("invalid value encountered in sqrt", RuntimeWarning, stacklevel=1)
        return fit

    monkeypatch.setattr(trends, "_ols_hac", noisy)
    patients, diary, sessions = awkward_clinic()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        per_patient(patients, diary, sessions)
    runtime = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    quality = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert runtime == []
    assert len(quality) == 1
    assert "Interrupted time series" in quality[0] and "constpre" in quality[0]
    assert "pre-treatment pain constant" in quality[0]


def test_awkward_clinic_runs_under_runtime_warnings_as_errors(tmp_path):
    patients, diary, sessions = awkward_clinic()
    data = tmp_path / "data"
    data.mkdir()
    write_table(patients, data / "patients.csv", "patients")
    write_table(diary, data / "diary.csv", "diary")
    write_table(sessions, data / "sessions.csv", "sessions")
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-W", "error::RuntimeWarning", "-m", "analytics.cli", "analyze"]
        + [str(data), "--out", str(out), "--as-of", "2026-02-20", "--n-boot", "50"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr and "RuntimeWarning" not in proc.stderr
    for file_name in OUTPUT_FILES.values():
        assert len(pd.read_csv(out / file_name).columns), file_name


def test_time_to_response_leaves_zero_baseline_patients_out_with_a_reason():
    patients, diary, sessions = awkward_clinic()
    tables = per_patient(patients, diary, sessions)
    assert "zero" not in set(tables["time_to_response"]["patient_id"])
    reasons = tables["patient_outcomes"].set_index("patient_id")["ttr_reason"]
    assert reasons["zero"] == "zero_baseline"
    assert reasons["dionly"] == "no_index" and reasons["lonely"] == "no_diary"
    assert reasons["sparse"] == "insufficient_baseline"
    in_curve = set(tables["time_to_response"]["patient_id"])
    assert in_curve == set(reasons[reasons == ""].index)


def test_wilson_interval_is_statsmodels_proportion_confint():
    k = np.array([0, 1, 4, 15, 7])
    n = np.array([3, 1, 15, 15, 0])
    low, high = wilson_interval(k, n)
    ref_low, ref_high = proportion_confint(k[:4], n[:4], alpha=0.05, method="wilson")
    assert_allclose(low[:4], ref_low, rtol=1e-15)
    assert_allclose(high[:4], ref_high, rtol=1e-15)
    assert np.isnan(low[4]) and np.isnan(high[4])


def test_newcombe_interval_for_0_of_3_against_4_of_15():
    """Newcombe 1998 method 10 by hand from the Wilson limits of each group.

    0/3: Wilson (0, 0.5614970317550455); 4/15: p = 0.26667, Wilson
    (0.10897453325692366, 0.5195043405598057). low = (0 − 0.26667) −
    √(0² + (0.51950 − 0.26667)²) = −0.51950; high = −0.26667 + √(0.56150² +
    (0.26667 − 0.10897)²) = 0.31655. The Wald interval was −0.49 to −0.04, which
    excludes 0 on three patients; Newcombe includes it.
    """
    low, high = newcombe_interval(0, 3, 4, 15)
    p2 = 4 / 15
    wl, wu = 0.10897453325692366, 0.5195043405598057
    assert low == pytest.approx(-p2 - np.sqrt((wu - p2) ** 2), rel=1e-9)
    assert high == pytest.approx(-p2 + np.sqrt(0.5614970317550455**2 + (p2 - wl) ** 2), rel=1e-9)
    assert (low, high) == pytest.approx((-0.5195043405598057, 0.31655346811011104), rel=1e-12)
    ref = confint_proportions_2indep(0, 3, 4, 15, method="newcomb", compare="diff")
    assert (low, high) == pytest.approx(tuple(map(float, ref)), rel=1e-15)
    se = np.sqrt(p2 * (1 - p2) / 15)
    wald = (-p2 - 1.959963984540054 * se, -p2 + 1.959963984540054 * se)
    assert wald == pytest.approx((-0.4904, -0.0429), abs=1e-4)
    assert low < 0 < high


def _three_groups() -> pd.DataFrame:
    rng = np.random.default_rng(12)
    rows = []
    for g, shift in (("a", 3.0), ("b", 1.5), ("c", 0.0)):
        for i in range(8):
            b = float(rng.uniform(5, 8))
            rows.append(
                {
                    "patient_id": f"{g}{i}",
                    "group": g,
                    "condition": "migraine" if i % 2 else "neck_pain",
                    "technique": "manual",
                    "baseline_pain": b,
                    "followup_pain": max(b - shift + float(rng.normal(0, 1)), 0.0),
                }
            )
    return pd.DataFrame(rows)


def test_holm_adjusted_p_values_equal_statsmodels_multipletests():
    comp = group_comparison(_three_groups())
    assert len(comp) == 3
    expected = holm_reference(comp["p_value"].to_numpy())
    assert_allclose(comp["p_value_holm"].to_numpy(), expected, rtol=1e-15)
    # by hand: sorted p times (3, 2, 1), running maximum, capped at 1
    p = comp["p_value"].to_numpy()
    order = np.argsort(p)
    stepped = np.maximum.accumulate(np.minimum(p[order] * np.array([3, 2, 1]), 1.0))
    by_hand = np.empty(3)
    by_hand[order] = stepped
    assert_allclose(comp["p_value_holm"].to_numpy(), by_hand, rtol=1e-15)
    assert np.isnan(holm([np.nan, 0.01])[0]) and holm([np.nan, 0.01])[1] == 0.01


@pytest.mark.parametrize("seed", range(4))
def test_holm_equals_multipletests_on_many_sets(seed):
    rng = np.random.default_rng(seed)
    for _ in range(50):
        m = int(rng.integers(1, 40))
        p = rng.choice([rng.uniform(0, 1), 0.01, 0.05, 1.0], m) * rng.uniform(0.2, 1, m)
        p[rng.random(m) < 0.2] = 0.03  # ties
        p[rng.random(m) < 0.1] = np.nan
        got = holm(p)
        ok = np.isfinite(p)
        assert np.array_equal(np.isnan(got), ~ok)
        if ok.any():
            assert_allclose(got[ok], holm_reference(p[ok]), rtol=1e-15)


def test_controls_are_kept_out_of_condition_and_technique_rates():
    patients, diary, sessions = awkward_clinic()
    po = per_patient(patients, diary, sessions)["patient_outcomes"].set_index("patient_id")
    assert po.loc["ctl", "control"] and not po.loc["const", "control"]
    outcomes = _three_groups()
    outcomes["control"] = outcomes["group"] == "c"
    by_cond = group_summary(outcomes, by="condition")
    assert by_cond["n_patients"].sum() == 16
    by_group = group_summary(outcomes, by="group")
    assert by_group["n_patients"].sum() == 24
    treated = outcomes[~outcomes["control"]].drop(columns="control")
    pd.testing.assert_frame_equal(by_cond, group_summary(treated, by="condition"))
    pd.testing.assert_frame_equal(
        group_comparison(outcomes, by="technique"), group_comparison(treated, by="technique")
    )


def test_control_groups_setting_is_case_insensitive():
    patients, diary, sessions = awkward_clinic()
    patients = patients.assign(group=patients["group"].replace({"waitlist": " Usual_Care "}))
    po = per_patient(patients, diary, sessions)["patient_outcomes"].set_index("patient_id")
    assert po.loc["ctl", "control"]
    custom = AnalysisSettings(control_groups="acupuncture")
    po = per_patient(patients, diary, sessions, custom)["patient_outcomes"].set_index("patient_id")
    assert po.loc["const", "control"] and po.loc["ctl", "control"]  # ctl: no sessions
