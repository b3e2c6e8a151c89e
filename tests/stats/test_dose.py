"""Tests of analytics.stats.

Provenance: dose_response by hand calculation (written next to the test);
dose_response_summary against statsmodels' DescrStatsW.tconfint_mean; fit_emax
against data generated from known Emax/k50, against scipy.optimize.minimize on
the same sum of squares, and its standard errors against the linearised
covariance s^2 (J'J)^-1 computed by hand with numpy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose
from scipy import optimize
from statsmodels.stats.weightstats import DescrStatsW

from analytics.errors import InsufficientDataError
from analytics.stats import (
    DOSE_COLUMNS,
    DOSE_SUMMARY_COLUMNS,
    EmaxFit,
    dose_response,
    dose_response_summary,
    fit_emax,
)
from tests.frames import daily_diary, make_diary, make_sessions


def check_columns(frame, spec):
    assert list(frame.columns) == list(spec)
    for name, dtype in spec.items():
        assert str(frame[name].dtype) == dtype, name


def emax_points(emax, k50, ks, n_per_k, noise=0.0, seed=0):
    rng = np.random.default_rng(seed)
    k = np.repeat(np.asarray(ks, dtype=float), n_per_k)
    y = emax * k / (k50 + k) + rng.normal(0, noise, len(k)) * (noise > 0)
    return pd.DataFrame(
        {
            "patient_id": np.tile([f"P{i}" for i in range(n_per_k)], len(ks)),
            "session_number": k.astype(int),
            "change_from_baseline": y,
        }
    )


# ------------------------------------------------------------------------ dose_response


def test_dose_response_hand_calculated():
    # A: days Jan 1-10; day 3 missing. Sessions Jan 1, Jan 4 (time), Jan 8.
    diary = pd.concat(
        [
            daily_diary("A", "2026-01-01", [6, 5, np.nan, 4, 4, 3, 5, 2, 2, 2]),
            daily_diary("B", "2026-01-01", [0, 0, 0]),
        ],
        ignore_index=True,
    )
    sessions = make_sessions(
        patient_id=["A", "B", "A", "A", "C"],
        date=["2026-01-08", "2026-01-02", "2026-01-04 16:00", "2026-01-01", "2026-01-05"],
    )
    baseline = pd.Series({"A": 8.0, "B": 0.0})
    sessions_before = sessions.copy()
    d = dose_response(diary, sessions, baseline)
    pd.testing.assert_frame_equal(sessions, sessions_before)
    check_columns(d, DOSE_COLUMNS)
    assert d["patient_id"].tolist() == ["A", "A", "A", "B", "C"]
    assert d["session_number"].tolist() == [1, 2, 3, 1, 1]
    ts = pd.Timestamp
    assert d["start_date"].tolist() == [
        ts("2026-01-01"),
        ts("2026-01-04"),
        ts("2026-01-08"),
        ts("2026-01-02"),
        ts("2026-01-05"),
    ]
    # A1: Jan 1-3 -> 6, 5 (Jan 3 missing) = 5.5; A2: Jan 4-7 -> 4,4,3,5 = 4;
    # A3: Jan 8 - diary end Jan 10 -> 2,2,2 = 2. B: Jan 2-3 -> 0. C: no diary.
    assert d["end_date"].iloc[:4].tolist() == [
        ts("2026-01-03"),
        ts("2026-01-07"),
        ts("2026-01-10"),
        ts("2026-01-03"),
    ]
    assert pd.isna(d["end_date"].iloc[4])
    assert d["n_days"].tolist() == [2, 4, 3, 2, 0]
    assert_allclose(d["mean_pain"], [5.5, 4.0, 2.0, 0.0, np.nan])
    assert_allclose(d["change_from_baseline"], [2.5, 4.0, 6.0, 0.0, np.nan])
    # 100 * (8 - 5.5) / 8 = 31.25; baseline 0 -> undefined
    assert_allclose(d["pct_change_from_baseline"], [31.25, 50.0, 75.0, np.nan, np.nan])


def test_dose_response_same_day_sessions_and_session_after_diary_end():
    diary = daily_diary("A", "2026-01-01", [5, 5, 5])
    sessions = make_sessions(
        patient_id=["A", "A", "A"], date=["2026-01-02 09:00", "2026-01-02 15:00", "2026-01-06"]
    )
    d = dose_response(diary, sessions, pd.Series({"A": 6.0}))
    # first of the same-day pair: empty interval; the second runs to Jan 5;
    # the session after the diary end: end = diary end (Jan 3) < start -> empty.
    assert d["n_days"].tolist() == [0, 2, 0]
    assert_allclose(d["change_from_baseline"], [np.nan, 1.0, np.nan])


def test_dose_response_no_sessions():
    d = dose_response(daily_diary("A", "2026-01-01", [5]), make_sessions(), pd.Series(dtype=float))
    assert len(d) == 0
    check_columns(d, DOSE_COLUMNS)


# --------------------------------------------------------------- dose_response_summary


def test_summary_matches_statsmodels():
    rng = np.random.default_rng(4)
    pp = pd.DataFrame(
        {
            "patient_id": np.repeat([f"P{i}" for i in range(12)], 4),
            "session_number": np.tile([1, 2, 3, 4], 12),
            "change_from_baseline": rng.normal(1, 1.5, 48),
        }
    )
    pp.loc[pp["session_number"] == 4, "change_from_baseline"] = np.nan
    pp.loc[:2, "change_from_baseline"] = np.nan  # P0 loses k = 1..3
    s = dose_response_summary(pp, min_patients=3)
    check_columns(s, DOSE_SUMMARY_COLUMNS)
    assert s["session_number"].tolist() == [1, 2, 3]  # k = 4 has no values
    for row in s.itertuples():
        x = pp.loc[pp["session_number"] == row.session_number, "change_from_baseline"].dropna()
        ds = DescrStatsW(x.to_numpy())
        low, high = ds.tconfint_mean(alpha=0.05)
        assert row.n_patients == len(x) == 11
        assert row.mean_change == pytest.approx(ds.mean, abs=1e-12)
        assert row.sd == pytest.approx(ds.std * np.sqrt(len(x) / (len(x) - 1)), rel=1e-12)
        assert (row.ci_low, row.ci_high) == pytest.approx((low, high), rel=1e-12)


def test_summary_hand_calculated_and_min_patients():
    pp = pd.DataFrame(
        {"session_number": [1, 1, 1, 2, 2], "change_from_baseline": [1.0, 2.0, 3.0, 5.0, 7.0]}
    )
    # k=1: mean 2, sd 1, half width t(0.975, 2) * 1 / sqrt(3) = 4.302652729749464 / 1.7320508
    s = dose_response_summary(pp)
    assert s["session_number"].tolist() == [1]
    assert s.loc[0, "ci_high"] == pytest.approx(2 + 4.302652729749464 / np.sqrt(3), rel=1e-12)
    assert dose_response_summary(pp, min_patients=2)["session_number"].tolist() == [1, 2]
    empty = dose_response_summary(pp, min_patients=4)
    assert len(empty) == 0
    check_columns(empty, DOSE_SUMMARY_COLUMNS)
    with pytest.raises(ValueError, match="'min_patients' parameter of dose_response_summary"):
        dose_response_summary(pp, min_patients=1)


# --------------------------------------------------------------------------- fit_emax


@pytest.mark.parametrize(("emax", "k50"), [(3.0, 2.0), (1.2, 0.5), (-2.0, 6.0), (4.0, 40.0)])
def test_fit_recovers_noise_free_parameters(emax, k50):
    pts = emax_points(emax, k50, ks=range(1, 13), n_per_k=3)
    fit = fit_emax(pts)
    assert fit.converged and fit.source == "per_patient"
    assert fit.emax == pytest.approx(emax, abs=1e-6)
    assert fit.k50 == pytest.approx(k50, abs=1e-6)
    assert fit.rmse == pytest.approx(0.0, abs=1e-6)
    assert fit.n_points == 36
    summary = dose_response_summary(pts)
    fit_s = fit_emax(summary)
    assert fit_s.source == "summary" and fit_s.n_points == 12
    assert (fit_s.emax, fit_s.k50) == pytest.approx((emax, k50), abs=1e-6)


def test_fit_noisy_data_within_tolerance_and_matches_minimize():
    pts = emax_points(2.5, 3.0, ks=range(1, 16), n_per_k=40, noise=1.0, seed=1)
    fit = fit_emax(pts)
    assert fit.emax == pytest.approx(2.5, abs=0.4)
    assert fit.k50 == pytest.approx(3.0, abs=1.5)
    k = pts["session_number"].to_numpy(float)
    y = pts["change_from_baseline"].to_numpy()

    def sse(p):
        return np.sum((y - p[0] * k / (p[1] + k)) ** 2)

    ref = optimize.minimize(
        sse,
        x0=[1.0, 1.0],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    assert (fit.emax, fit.k50) == pytest.approx(tuple(ref.x), abs=1e-5)
    # standard errors: s^2 (J'J)^-1 with J the Jacobian at the optimum, by hand
    x = k / (fit.k50 + k)
    jac = np.column_stack([x, -fit.emax * k / (fit.k50 + k) ** 2])
    resid = y - fit.emax * x
    cov = resid @ resid / (len(y) - 2) * np.linalg.inv(jac.T @ jac)
    assert (fit.emax_se, fit.k50_se) == pytest.approx(tuple(np.sqrt(np.diag(cov))), rel=1e-4)
    assert fit.rmse == pytest.approx(np.sqrt(np.mean(resid**2)), rel=1e-9)


def test_weighted_summary_fit_equals_per_patient_fit():
    # Sum of squares over points = sum_k n_k (mean_k - E(k))^2 + constant, so the
    # n-weighted fit on the means has the same optimum as the per-patient fit.
    pts = emax_points(2.0, 1.5, ks=range(1, 10), n_per_k=25, noise=1.2, seed=3)
    pts = pts.drop(index=pts.index[::7])  # unequal n per k
    a = fit_emax(pts)
    b = fit_emax(dose_response_summary(pts, min_patients=2))
    assert (b.emax, b.k50) == pytest.approx((a.emax, a.k50), abs=1e-6)


def test_predict_to_frame_and_hand_value():
    fit = EmaxFit(
        emax=3.0,
        k50=2.0,
        emax_se=0.1,
        k50_se=0.2,
        n_points=5,
        converged=True,
        rmse=0.0,
        source="per_patient",
    )
    # E(2) = 3 * 2 / (2 + 2) = 1.5; E(6) = 18 / 8 = 2.25
    assert_allclose(fit.predict([0, 2, 6]), [0.0, 1.5, 2.25])
    frame = fit.to_frame()
    assert frame.shape == (1, 8) and frame.loc[0, "k50"] == 2.0
    with pytest.raises(AttributeError):
        fit.emax = 1.0  # frozen


def test_fit_bounds_hold():
    # Linear growth without a plateau pushes k50 to its upper bound.
    pts = pd.DataFrame(
        {"session_number": [1, 2, 3, 4], "change_from_baseline": [0.1, 0.2, 0.3, 0.4]}
    )
    fit = fit_emax(pts)
    assert -10 <= fit.emax <= 10 and 0 < fit.k50 <= 100


def test_fit_errors():
    pts = pd.DataFrame(
        {"session_number": [1, 1, 2, 3], "change_from_baseline": [1.0, 2.0, 3.0, np.nan]}
    )
    with pytest.raises(InsufficientDataError, match="3 or more session numbers; got 2"):
        fit_emax(pts)
    with pytest.raises(ValueError, match="fit_emax needs the output of dose_response"):
        fit_emax(pd.DataFrame({"k": [1, 2, 3]}))


def test_sample_clinic(sample_dataset):
    from analytics.stats import patient_outcomes

    ds = sample_dataset
    outcomes = patient_outcomes(ds.diary, ds.patients, ds.sessions)
    baseline = outcomes.set_index("patient_id")["baseline_pain"].dropna()
    d = dose_response(ds.diary, ds.sessions, baseline)
    assert len(d) == len(ds.sessions)
    assert (
        d["end_date"].dropna() >= d["start_date"][d["end_date"].notna()] - pd.Timedelta(days=1)
    ).all()
    fit = fit_emax(d)
    assert fit.converged and fit.emax > 0
    summary = dose_response_summary(d)
    assert (summary["n_patients"] >= 3).all()


def test_empty_diary():
    sessions = make_sessions(patient_id=["A"], date=["2026-01-01"])
    d = dose_response(make_diary(), sessions, pd.Series({"A": 5.0}))
    assert d["n_days"].tolist() == [0] and pd.isna(d["end_date"].iloc[0])
