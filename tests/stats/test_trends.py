"""Known-answer tests of analytics.stats.

References: brute-force window means written here; ``scipy.stats.theilslopes``;
statsmodels' formula OLS with HAC covariance and an independent numpy
Newey–West sandwich (Newey & West 1987, Bartlett weights 1 − l/(L+1), no
small-sample correction, normal quantiles).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from numpy.testing import assert_allclose
from scipy import stats

from analytics.errors import InsufficientDataError
from analytics.stats import (
    interrupted_time_series,
    its_fit_lines,
    newey_west_lags,
    rolling_mean,
    theil_sen_slopes,
    weekly_means,
)
from analytics.stats._trends import _ols_hac, _theil_sen_batch
from tests.frames import daily_diary, make_diary


def _noisy_diary(seed: int = 3) -> tuple[pd.DataFrame, pd.Series]:
    """Two patients, 30 days before and 40 after the index, some days missing."""
    rng = np.random.default_rng(seed)
    frames = []
    for pid, start in (("P1", "2026-01-01"), ("P2", "2026-02-03")):
        t = np.arange(-30, 40)
        y = 6 + 0.01 * t - 1.5 * (t >= 0) - 0.03 * t * (t >= 0) + rng.normal(0, 0.8, len(t))
        y = np.clip(np.round(y, 1), 0, 10)
        y[rng.random(len(t)) < 0.15] = np.nan  # missing days
        frames.append(daily_diary(pid, start, y))
    diary = pd.concat(frames, ignore_index=True)
    index = pd.Series(pd.to_datetime(["2026-01-31", "2026-03-05"]), index=["P1", "P2"])
    return diary, index


def test_rolling_mean_matches_brute_force():
    diary = daily_diary("A", "2026-01-01", [1, 2, np.nan, 4, 5, np.nan, np.nan, 8, 9, 10])
    out = rolling_mean(diary, window_days=4, min_entries=3)
    dates = diary["date"]
    for row in out.itertuples():
        inside = diary[(dates <= row.date) & (dates > row.date - pd.Timedelta(days=4))]
        assert row.n_in_window == len(inside)
        expected = inside["pain"].mean() if len(inside) >= 3 else np.nan
        assert_allclose(row.pain_rolling_mean, expected, rtol=1e-12)
    # hand: on day 4 (01-04) the window 01-01..01-04 holds 1, 2, 4 -> 7/3
    assert_allclose(out.loc[out["date"] == "2026-01-04", "pain_rolling_mean"], [7 / 3])
    assert list(out.columns) == ["patient_id", "date", "pain", "pain_rolling_mean", "n_in_window"]


def test_rolling_mean_unsorted_and_patients_apart():
    a = daily_diary("A", "2026-01-01", [5] * 7)
    b = daily_diary("B", "2026-01-05", [1] * 7)
    diary = pd.concat([a, b]).sample(frac=1.0, random_state=0)
    before = diary.copy()
    out = rolling_mean(diary)
    pd.testing.assert_frame_equal(diary, before)
    assert out["patient_id"].tolist() == ["A"] * 7 + ["B"] * 7
    assert out["pain_rolling_mean"].dropna().tolist() == [5.0] * 4 + [1.0] * 4


def test_weekly_means_aligned_to_index():
    # index on Thursday 2026-01-15: week -1 = 01-08..01-14, week 0 = 01-15..01-21
    diary = daily_diary("A", "2026-01-08", [6] * 7 + [2, 4, np.nan, 3, 3, 3, 3])
    out = weekly_means(diary, index_dates=pd.Series(pd.to_datetime(["2026-01-15"]), index=["A"]))
    assert out["week"].tolist() == [-1, 0]
    assert out["week_start"].tolist() == [pd.Timestamp("2026-01-08"), pd.Timestamp("2026-01-15")]
    assert_allclose(out["mean_pain"], [6.0, 18 / 6])
    assert out["n_days"].tolist() == [7, 6]
    no_index = weekly_means(diary)  # Monday weeks: 2026-01-05, 01-12, 01-19
    assert no_index["week_start"].dt.day_of_week.eq(0).all() and no_index["week"].isna().all()
    # 01-08..01-11 -> 4; 01-12..01-18 without 01-17 -> 6; 01-19..01-21 -> 3
    assert no_index["n_days"].tolist() == [4, 6, 3]


def test_theil_sen_matches_scipy():
    diary, index = _noisy_diary()
    out = theil_sen_slopes(diary, index).set_index("patient_id")
    for pid in ("P1", "P2"):
        d = diary[diary["patient_id"] == pid]
        x = (d["date"] - index[pid]).dt.days.to_numpy()
        keep = x >= 0
        ref = stats.theilslopes(d["pain"].to_numpy()[keep], x[keep], alpha=0.95)
        row = out.loc[pid]
        assert_allclose(
            [row.slope_per_week, row.slope_ci_low, row.slope_ci_high, row.intercept],
            [7 * ref.slope, 7 * ref.low_slope, 7 * ref.high_slope, ref.intercept],
            rtol=1e-9,
        )
        assert row.n_days == keep.sum() and row.period == "treatment"
    base = theil_sen_slopes(diary, index, period="baseline").set_index("patient_id")
    d = diary[diary["patient_id"] == "P1"]
    x = (d["date"] - index["P1"]).dt.days.to_numpy()
    ref = stats.theilslopes(d["pain"].to_numpy()[x < 0], x[x < 0])
    assert_allclose(base.loc["P1", "slope_per_week"], 7 * ref.slope, rtol=1e-9)


def _awkward_series(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Random and awkward (x, y) series, x non-decreasing: ties, 2-3 points, equal x."""
    rng = np.random.default_rng(seed)
    series = [
        (np.array([0.0, 1.0]), np.array([3.0, 5.0])),
        (np.array([0.0, 0.0, 2.0]), np.array([1.0, 4.0, 4.0])),
        (np.array([-1.0, 5.0, 9.0]), np.array([7.0, 7.0, 7.0])),
        (np.array([0.0, 0.0, 1.0, 1.0]), np.array([2.0, 2.0, 2.0, 2.0])),  # variance < 0
        (np.array([0.0, 1.0, 1.0, 1.0, 3.0]), np.array([5.0, 4.0, 6.0, 5.0, 1.0])),
    ]
    for _ in range(60):
        n = int(rng.integers(2, 90))
        x = np.sort(rng.integers(-40, 60, n)).astype("float64")
        if rng.random() < 0.5:
            y = rng.integers(0, 11, n).astype("float64")  # many ties, NRS-like
        else:
            y = rng.normal(5, 2, n)
        if x[0] == x[-1]:
            x[-1] += 1.0
        series.append((x, y))
    for n in (40, 41, 365):  # equal lengths share a batch
        for _ in range(3):
            series.append((np.arange(n, dtype="float64") - 20, np.round(rng.uniform(0, 10, n))))
    return series


@pytest.mark.parametrize("seed", [0, 1])
def test_theil_sen_batch_equals_scipy_on_awkward_series(seed):
    series = _awkward_series(seed)
    x = np.concatenate([s[0] for s in series])
    y = np.concatenate([s[1] for s in series])
    lengths = np.array([len(s[0]) for s in series])
    starts = np.cumsum(lengths) - lengths
    slope, intercept, low, high, bad = _theil_sen_batch(x, y, starts, lengths)
    for k, (xs, ys) in enumerate(series):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # scipy: negative variance
            ref = stats.theilslopes(ys, xs, alpha=0.95)
        assert_allclose(slope[k], ref.slope, rtol=1e-12, atol=1e-12)
        assert_allclose(intercept[k], ref.intercept, rtol=1e-12, atol=1e-12)
        assert_allclose([low[k], high[k]], [ref.low_slope, ref.high_slope], rtol=1e-12, atol=1e-12)
        assert bad[k] == np.isnan(ref.low_slope)
    assert bad[3] and bad.sum() >= 1


def test_theil_sen_many_patients_equal_scipy_and_name_the_uncomputable_ci():
    rng = np.random.default_rng(7)
    frames, index = [], {}
    for p in range(40):
        pid = f"P{p:02d}"
        n = int(rng.integers(3, 120))
        y = np.round(rng.uniform(0, 10, n)) if p % 2 else rng.normal(5, 1.5, n).clip(0, 10)
        y[rng.random(n) < 0.2] = np.nan
        frames.append(daily_diary(pid, "2026-01-01", y))
        index[pid] = pd.Timestamp("2026-01-01") + pd.Timedelta(days=int(rng.integers(0, n)))
    frames.append(daily_diary("Z", "2026-01-01", [4.0] * 12))  # constant: CI of width 0
    diary = pd.concat(frames, ignore_index=True)
    idx = pd.Series(index)
    out = theil_sen_slopes(diary, idx, min_entries=2).set_index("patient_id")
    for pid, d in diary.groupby("patient_id"):
        origin = idx.get(pid, d["date"].min())
        x = (d["date"] - origin).dt.days.to_numpy("float64")
        keep = x >= 0 if pid in idx.index else np.ones(len(x), bool)
        if keep.sum() < 2 or np.ptp(x[keep]) == 0:
            assert np.isnan(out.loc[pid, "slope_per_week"])
            continue
        ref = stats.theilslopes(d["pain"].to_numpy()[keep], x[keep], alpha=0.95)
        got = out.loc[pid]
        assert_allclose(got.slope_per_week, 7 * ref.slope, rtol=1e-12, atol=1e-12)
        assert_allclose(got.intercept, ref.intercept, rtol=1e-12, atol=1e-12)
        assert_allclose(got.slope_ci_low, 7 * ref.low_slope, rtol=1e-12, atol=1e-12)
        assert_allclose(got.slope_ci_high, 7 * ref.high_slope, rtol=1e-12, atol=1e-12)
        assert got.n_days == keep.sum()


def test_theil_sen_without_index_and_too_few_days():
    diary = pd.concat(
        [daily_diary("A", "2026-01-01", [8, 7, 6, 5, 4]), daily_diary("B", "2026-01-01", [3, 3])]
    )
    out = theil_sen_slopes(diary).set_index("patient_id")
    # exact line: -1 point per day = -7 per week, intercept 8 at the first diary day
    assert_allclose(out.loc["A", ["slope_per_week", "intercept"]].astype(float), [-7.0, 8.0])
    assert out.loc["A", "period"] == "all"
    assert np.isnan(out.loc["B", "slope_per_week"]) and out.loc["B", "n_days"] == 2
    with pytest.raises(ValueError, match="The 'period' parameter of theil_sen_slopes"):
        theil_sen_slopes(diary, period="after")


def _newey_west(x: np.ndarray, resid: np.ndarray, lags: int) -> np.ndarray:
    """Textbook Newey–West covariance of OLS coefficients."""
    xe = x * resid[:, None]
    s = xe.T @ xe
    for lag in range(1, lags + 1):
        w = 1 - lag / (lags + 1)
        gamma = xe[lag:].T @ xe[:-lag]
        s += w * (gamma + gamma.T)
    bread = np.linalg.inv(x.T @ x)
    return bread @ s @ bread


def test_its_matches_statsmodels_formula_and_hand_newey_west():
    diary, index = _noisy_diary()
    out = interrupted_time_series(diary, index).set_index("patient_id")
    for pid in ("P1", "P2"):
        d = diary[diary["patient_id"] == pid]
        t = (d["date"] - index[pid]).dt.days.to_numpy(float)
        frame = pd.DataFrame({"y": d["pain"].to_numpy(), "t": t, "post": (t >= 0).astype(float)})
        lags = int(np.floor(4 * (len(t) / 100) ** (2 / 9)))
        ref = smf.ols("y ~ t + post + t:post", data=frame).fit(
            cov_type="HAC", cov_kwds={"maxlags": lags}
        )
        row = out.loc[pid]
        assert row.lags == lags and row.n_pre == (t < 0).sum() and row.n_post == (t >= 0).sum()
        assert_allclose(row.its_intercept, ref.params["Intercept"], rtol=1e-9)
        assert_allclose(row.its_pre_slope, 7 * ref.params["t"], rtol=1e-9)
        assert_allclose(row.its_level_change, ref.params["post"], rtol=1e-9)
        assert_allclose(row.its_slope_change, 7 * ref.params["t:post"], rtol=1e-9)
        ci = ref.conf_int()
        assert_allclose([row.its_level_ci_low, row.its_level_ci_high], ci.loc["post"], rtol=1e-9)
        assert_allclose(
            [row.its_slope_ci_low, row.its_slope_ci_high], 7 * ci.loc["t:post"], rtol=1e-9
        )
        assert_allclose(row.its_level_p_value, ref.pvalues["post"], rtol=1e-9)
        # independent sandwich: same standard errors
        x = np.column_stack([np.ones_like(t), t, frame["post"], t * frame["post"]])
        beta = np.linalg.lstsq(x, frame["y"].to_numpy(), rcond=None)[0]
        cov = _newey_west(x, frame["y"].to_numpy() - x @ beta, lags)
        se = np.sqrt(np.diag(cov))
        z = stats.norm.ppf(0.975)
        assert_allclose(row.its_level_ci_high - row.its_level_change, z * se[2], rtol=1e-9)
        assert_allclose(row.its_slope_ci_high - row.its_slope_change, 7 * z * se[3], rtol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lean_hac_fit_equals_statsmodels_ols_hac(seed):
    rng = np.random.default_rng(seed)
    for _ in range(25):
        n_pre, n_post = int(rng.integers(7, 120)), int(rng.integers(7, 250))
        t = np.sort(rng.choice(np.arange(-150, 300), n_pre + n_post, replace=False))
        t = np.concatenate([t[t < 0][-n_pre:], t[t >= 0][:n_post]]).astype("float64")
        y = np.round(rng.uniform(0, 10, len(t))) if rng.random() < 0.5 else rng.normal(5, 2, len(t))
        if rng.random() < 0.2:
            y[t < 0] = 6.0  # constant before t0: the awkward HAC case
        lags = int(rng.integers(0, 8))
        design = np.column_stack([np.ones(len(t)), t, t >= 0, t * (t >= 0)]).astype("float64")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            ref = sm.OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
            ref_ci, ref_p = ref.conf_int(0.05), ref.pvalues
            params, ci, pvalues = _ols_hac(t, y, lags)
        assert_allclose(params, ref.params, rtol=1e-9, atol=1e-12)
        assert_allclose(ci, ref_ci, rtol=1e-9, atol=1e-12)
        assert_allclose(pvalues, ref_p, rtol=1e-9, atol=1e-12)


def test_its_exact_segments_and_fit_lines():
    # noise-free: y = 6 + 0.1 t before, then level -2 and slope change -0.2/day
    t = np.arange(-10, 15)
    y = 6 + 0.1 * t - 2 * (t >= 0) - 0.2 * t * (t >= 0)
    diary = daily_diary("A", "2026-01-01", y)
    index = pd.Series(pd.Timestamp("2026-01-11"), index=["A"])
    row = interrupted_time_series(diary, index, maxlags=2).iloc[0]
    assert_allclose(
        [row.its_intercept, row.its_pre_slope, row.its_level_change, row.its_slope_change],
        [6.0, 0.7, -2.0, -1.4],
        atol=1e-9,
    )
    assert row.lags == 2 and row.its_reason == ""
    lines = its_fit_lines(diary, index, "A")
    assert_allclose(lines["fitted"], y, atol=1e-9)
    post = lines["segment"] == "post"
    assert_allclose(lines.loc[post, "counterfactual"], 6 + 0.1 * t[t >= 0], atol=1e-9)
    assert lines.loc[~post, "counterfactual"].isna().all()


def test_its_insufficient_and_no_index():
    diary = pd.concat(
        [
            daily_diary("A", "2026-01-01", [5] * 6 + [3] * 20),
            daily_diary("B", "2026-01-01", [5] * 20),
        ]
    )
    index = pd.Series(pd.to_datetime(["2026-01-07"]), index=["A"])
    out = interrupted_time_series(diary, index).set_index("patient_id")
    assert out.loc["A", "its_reason"] == "insufficient_pre" and out.loc["A", "n_pre"] == 6
    assert out.loc["B", "its_reason"] == "no_index"
    assert out["its_level_change"].isna().all() and out["lags"].isna().all()
    with pytest.raises(InsufficientDataError):
        its_fit_lines(diary, index, "A")
    with pytest.raises(InsufficientDataError):
        its_fit_lines(diary, index, "B")


def test_empty_inputs_and_lag_rule():
    empty = make_diary()
    assert len(rolling_mean(empty)) == 0
    assert len(weekly_means(empty)) == 0
    assert len(theil_sen_slopes(empty)) == 0
    assert len(interrupted_time_series(empty, pd.Series(dtype="datetime64[ns]"))) == 0
    # floor(4 (n/100)^(2/9)): n=100 -> 4, n=50 -> 3, n=14 -> 2
    assert [newey_west_lags(n) for n in (100, 50, 14)] == [4, 3, 2]


def _reference_theil_sen(diary: pd.DataFrame, index: pd.Series) -> pd.DataFrame:
    """The per-patient scipy loop the batched Theil–Sen replaces (treatment period)."""
    rows = []
    for pid, d in diary.sort_values(["patient_id", "date"]).groupby("patient_id"):
        start = index.get(pid, pd.NaT)
        origin = d["date"].min() if pd.isna(start) else start
        x = (d["date"] - origin).dt.days.to_numpy("float64")
        keep = np.ones(len(x), bool) if pd.isna(start) else (d["date"] >= start).to_numpy()
        y = d["pain"].to_numpy("float64")[keep]
        slope = low = high = intercept = np.nan
        if keep.sum() >= 4 and np.ptp(x[keep]) > 0:
            res = stats.theilslopes(y, x[keep], alpha=0.95)
            slope, intercept = 7 * res.slope, res.intercept
            low, high = 7 * res.low_slope, 7 * res.high_slope
        rows.append((str(pid), slope, low, high, intercept, int(keep.sum())))
    cols = ["patient_id", "slope_per_week", "slope_ci_low", "slope_ci_high", "intercept", "n_days"]
    return pd.DataFrame(rows, columns=cols)


def _reference_its(diary: pd.DataFrame, index: pd.Series) -> pd.DataFrame:
    """The per-patient statsmodels OLS + HAC loop the numpy fit replaces (fitted rows only)."""
    rows = []
    for pid, d in diary.sort_values(["patient_id", "date"]).groupby("patient_id"):
        if pid not in index.index or pd.isna(index[pid]):
            continue
        t = (d["date"] - index[pid]).dt.days.to_numpy("float64")
        y = d["pain"].to_numpy("float64")
        if (t < 0).sum() < 7 or (t >= 0).sum() < 7 or np.ptp(y) == 0:
            continue
        design = np.column_stack([np.ones(len(t)), t, t >= 0, t * (t >= 0)]).astype("float64")
        res = sm.OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(t))})
        ci = res.conf_int(0.05)
        rows.append(
            (str(pid), res.params[2], ci[2, 0], ci[2, 1], res.pvalues[2], 7 * res.params[3])
        )
    cols = [
        "patient_id",
        "its_level_change",
        "its_level_ci_low",
        "its_level_ci_high",
        "its_level_p_value",
        "its_slope_change",
    ]
    return pd.DataFrame(rows, columns=cols)


def test_batched_trends_equal_the_per_patient_reference_loops_on_a_clinic():
    from analytics.contract import index_dates
    from analytics.demo import generate_clinic

    clinic = generate_clinic(80, rng=11)
    diary, index = clinic["diary"], index_dates(clinic["patients"], clinic["sessions"])
    got = theil_sen_slopes(diary, index)
    expected = _reference_theil_sen(diary, index)
    pd.testing.assert_frame_equal(
        got[expected.columns], expected, check_exact=False, rtol=1e-12, atol=1e-12
    )
    its = interrupted_time_series(diary, index)
    fitted = its[its["its_reason"] == ""].reset_index(drop=True)
    ref = _reference_its(diary, index)
    assert len(ref) > 40
    pd.testing.assert_frame_equal(
        fitted[ref.columns], ref, check_exact=False, rtol=1e-9, atol=1e-12
    )


# ------------------------------------------------------------------ the compiled slope kernel


def _all_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Every pairwise slope with Δx > 0, as scipy.stats.theilslopes forms them, sorted."""
    dx = x[None, :] - x[:, None]
    dy = y[None, :] - y[:, None]
    return np.sort(dy[dx > 0] / dx[dx > 0])


@pytest.mark.parametrize("seed", [3, 4])
def test_slope_order_statistics_equal_a_full_sort_exactly(seed):
    from analytics.stats import order_statistics

    rng = np.random.default_rng(seed)
    xs, ys, want_ranks = [], [], []
    for _ in range(25):
        n = int(rng.integers(130, 420))  # long enough for the sampled window
        x = np.sort(rng.choice(np.arange(-60, 500), n, replace=False)).astype("float64")
        if rng.random() < 0.3:
            x[rng.integers(1, n)] = x[0]  # a tie in x: that pair is not a slope
            x = np.sort(x)
        y = rng.integers(0, 11, n).astype("float64") if rng.random() < 0.6 else rng.normal(5, 2, n)
        count = len(_all_slopes(x, y))
        r = np.sort(rng.integers(0, count, 4))
        r[0] = 0 if rng.random() < 0.2 else r[0]  # the extremes too
        xs.append(x)
        ys.append(y)
        want_ranks.append(r)
    lengths = np.array([len(x) for x in xs])
    starts = np.cumsum(lengths) - lengths
    ranks = np.array(want_ranks)
    got = order_statistics(np.concatenate(xs), np.concatenate(ys), starts, lengths, ranks)
    for k, (x, y) in enumerate(zip(xs, ys, strict=True)):
        assert np.array_equal(got[k], _all_slopes(x, y)[ranks[k]])  # bit for bit


def test_slope_order_statistics_are_exact_when_the_sample_misleads():
    """A strided sample that sees only the largest values misses; the sort still answers."""
    from analytics.stats._theil_sen import _pick

    count, sample = 10_000, 100
    step = count // sample
    s = np.arange(count, dtype="float64")
    s[::step] += 1e6  # every sampled value is far above all the others
    ranks = np.array([4000, 4999, 5000, 6000])
    out = np.empty(4)
    hit = _pick.py_func(s, ranks, out, sample)
    assert not hit
    assert np.array_equal(out, np.sort(s)[ranks])
    # and a sample that represents the values lands in its window
    rng = np.random.default_rng(0)
    s = rng.normal(size=count)
    assert _pick.py_func(s, ranks, out, sample)
    assert np.array_equal(out, np.sort(s)[ranks])
