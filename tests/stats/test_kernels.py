"""Fast paths of the per-patient statistics against their slow references.

References: a brute-force sort of every pairwise slope (the values
``scipy.stats.theilslopes`` sorts) for the counting path of
``analytics.stats``; pandas' time-based rolling mean for the prefix-sum
paths of ``analytics.stats`` (the latest valid window, every day's trailing mean);
pandas' grouped mean for the weekly means by runs; ``pandas.factorize`` for the shared patient codes;
pandas' grouped shift, forward fill and ``any`` for the blank opioid days; pandas'
grouped count and latest date, sorted, for the predominant technique.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analytics.contract import empty_frame, frequency_band
from analytics.stats import (
    _medications,
    _theil_sen,
    medicine_table,
    opioid_mme_per_day,
    patient_codes,
    predominant_technique,
    region_change,
    region_days,
    region_frequency,
    shared_patient_codes,
)
from analytics.stats import _runs as runs
from analytics.stats import _status as status
from analytics.stats import _trends as trends
from analytics.stats._common import shared_result


def _brute_order_statistics(x, y, ranks):
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    keep = dx > 0
    slopes = np.sort((y[j] - y[i])[keep] / dx[keep])
    return slopes[ranks]


def _series(rng, whole: bool):
    n = int(rng.integers(2, 160))
    x = np.sort(rng.integers(-30, 200, n)).astype("float64")  # ties in x: pairs with Δx = 0
    if x[0] == x[-1]:
        x[-1] += 1.0
    y = rng.integers(-3, 11, n).astype("float64") if whole else rng.normal(5, 2, n)
    return x, y


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counting_path_equals_sorting_every_slope(seed):
    rng = np.random.default_rng(seed)
    series = [_series(rng, whole=k % 3 != 0) for k in range(45)]
    x = np.concatenate([s[0] for s in series])
    y = np.concatenate([s[1] for s in series])
    lengths = np.array([len(s[0]) for s in series])
    starts = np.cumsum(lengths) - lengths
    on_grid = _theil_sen._grid_layout(x, y, starts, lengths)[0]
    assert on_grid.sum() == 30 and not on_grid[::3].any()  # both paths in one batch
    rows = []
    for xs, _ in series:
        _, counts = np.unique(xs, return_counts=True)
        n_pairs = len(xs) * (len(xs) - 1) // 2 - int((counts * (counts - 1) // 2).sum())
        rows.append([0, n_pairs // 3, (n_pairs - 1) // 2, n_pairs - 1])
    ranks = np.array(rows)
    got = _theil_sen.order_statistics(x, y, starts, lengths, ranks)
    for k, (xs, ys) in enumerate(series):
        np.testing.assert_array_equal(got[k], _brute_order_statistics(xs, ys, ranks[k]))


def test_counting_path_on_a_long_nrs_diary_equals_scipy():
    rng = np.random.default_rng(11)
    x = np.arange(300, dtype="float64")
    y = np.clip(np.round(7 - x / 60 + rng.normal(0, 1.5, 300)), 0, 10) + 0.0  # no -0.0
    lengths = np.array([300])
    starts = np.array([0])
    assert _theil_sen._grid_layout(x, y, starts, lengths)[0].all()
    from analytics.stats._trends import _theil_sen_batch

    slope, intercept, low, high, bad = _theil_sen_batch(x, y, starts, lengths)
    ref = stats.theilslopes(y, x, alpha=0.95)
    assert (slope[0], intercept[0], low[0], high[0]) == (
        ref.slope,
        ref.intercept,
        ref.low_slope,
        ref.high_slope,
    )
    assert not bad[0]


def _frame(rng, whole: bool, n_patients: int = 30) -> pd.DataFrame:
    parts = []
    for p in range(n_patients):
        n = int(rng.integers(1, 60))
        days = np.sort(rng.choice(90, size=n, replace=False))
        pain = rng.integers(0, 11, n).astype("float64") if whole else rng.uniform(0, 10, n)
        parts.append(
            pd.DataFrame(
                {
                    "patient_id": f"P{p:02d}",
                    "date": pd.Timestamp("2026-01-01") + pd.to_timedelta(days, unit="D"),
                    "pain": pain,
                }
            )
        )
    out = pd.concat(parts, ignore_index=True)
    out["patient_id"] = out["patient_id"].astype("str")
    out["date"] = out["date"].astype("datetime64[ns]")
    return out


def _arrays(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    codes = pd.factorize(frame["patient_id"])[0].astype(np.int64)
    return codes, frame["date"].to_numpy(), frame["pain"].to_numpy(dtype="float64")


def _reference_last_valid(frame: pd.DataFrame, window: int, min_entries: int):
    """Each patient's latest window with enough ratings, by pandas' time-based rolling."""
    mean, count = _pandas_rolling(frame, window)
    rows = np.flatnonzero(count >= min_entries)
    last = rows[
        np.append(
            frame["patient_id"].to_numpy()[rows][1:] != frame["patient_id"].to_numpy()[rows][:-1],
            True,
        )
    ]
    return last, mean[last], count[last].astype("float64")


def _assert_same_windows(got, expected) -> None:
    assert len(expected[0]) > 0
    for a, b in zip(got, expected, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a.view(np.int64), b.view(np.int64))


@pytest.mark.parametrize(("window", "min_entries"), [(7, 4), (14, 4), (3, 1)])
def test_latest_valid_window_by_prefix_sums_equals_pandas_rolling(window, min_entries):
    frame = _frame(np.random.default_rng(window), whole=True)
    found = status._windows_exact(*_arrays(frame), window, min_entries)
    assert found is not None
    _assert_same_windows(found, _reference_last_valid(frame, window, min_entries))


@pytest.mark.parametrize("whole", [True, False])
def test_latest_valid_window_by_precomputed_bounds_equals_pandas_rolling(whole):
    frame = _frame(np.random.default_rng(31), whole=whole)
    found = status._windows_rolling(*_arrays(frame), 7, 4)
    _assert_same_windows(found, _reference_last_valid(frame, 7, 4))


def test_latest_valid_window_leaves_fractional_pain_and_repeated_days_to_pandas():
    rng = np.random.default_rng(5)
    assert status._windows_exact(*_arrays(_frame(rng, whole=False)), 7, 4) is None
    frame = _frame(rng, whole=True)
    twice = pd.concat([frame, frame.iloc[[3]]]).sort_values(["patient_id", "date"], kind="stable")
    assert status._windows_exact(*_arrays(twice.reset_index(drop=True)), 7, 4) is None


def _pandas_rolling(frame: pd.DataFrame, window: int) -> tuple[np.ndarray, np.ndarray]:
    roll = frame.set_index("date").groupby("patient_id", sort=False)["pain"]
    roll = roll.rolling(f"{window}D")
    return roll.mean().to_numpy(), roll.count().to_numpy().astype("int64")


@pytest.mark.parametrize(("window", "min_entries"), [(7, 4), (14, 10), (1, 1), (30, 2)])
def test_rolling_mean_by_prefix_sums_equals_pandas_rolling_bit_for_bit(window, min_entries):
    from analytics.stats import rolling_mean

    frame = _frame(np.random.default_rng(window + 100), whole=True)
    assert runs.window_sums_exact(frame, window) is not None
    got = rolling_mean(frame, window_days=window, min_entries=min_entries)
    mean, count = _pandas_rolling(frame, window)
    expected = np.where(count >= min_entries, mean, np.nan)
    assert np.array_equal(got["n_in_window"].to_numpy(), count)
    have = got["pain_rolling_mean"].to_numpy()
    assert np.array_equal(np.isnan(have), np.isnan(expected))
    assert (~np.isnan(expected)).sum() > 0
    ok = ~np.isnan(expected)
    assert (have[ok].view(np.int64) == expected[ok].view(np.int64)).all()


def test_rolling_mean_leaves_fractional_missing_and_repeated_days_to_pandas():
    from analytics.stats import rolling_mean

    rng = np.random.default_rng(9)
    fractional = _frame(rng, whole=False)
    assert runs.window_sums_exact(fractional, 7) is None
    got = rolling_mean(fractional, window_days=7, min_entries=1)
    mean, _count = _pandas_rolling(fractional, 7)
    assert np.array_equal(got["pain_rolling_mean"].to_numpy(), mean)
    whole = _frame(rng, whole=True)
    gaps = whole.assign(pain=whole["pain"].where(np.arange(len(whole)) % 5 != 0))
    assert runs.window_sums_exact(gaps, 7) is None
    twice = pd.concat([whole, whole.iloc[[3]]]).sort_values(["patient_id", "date"], kind="stable")
    assert runs.window_sums_exact(twice.reset_index(drop=True), 7) is None
    timed = whole.assign(date=whole["date"] + pd.Timedelta(hours=6))
    assert runs.window_sums_exact(timed, 7) is None


@pytest.mark.parametrize("with_index", [True, False])
def test_weekly_means_by_runs_equal_pandas_grouped_mean_bit_for_bit(with_index, monkeypatch):
    from analytics.stats import weekly_means

    frame = _frame(np.random.default_rng(21), whole=True)
    index = None
    if with_index:
        first = frame.groupby("patient_id")["date"].min()
        index = (first + pd.Timedelta(days=10)).iloc[::2]  # some patients without one
    fast = weekly_means(frame, index_dates=index)
    monkeypatch.setattr(trends, "weekly_means_exact", lambda _frame: None)
    slow = weekly_means(frame, index_dates=index)
    assert len(slow) > 20
    pd.testing.assert_frame_equal(fast, slow, check_exact=True)
    a, b = fast["mean_pain"].to_numpy(), slow["mean_pain"].to_numpy()
    assert (a.view(np.int64) == b.view(np.int64)).all()


def test_weekly_means_leave_fractional_and_missing_pain_to_pandas():
    rng = np.random.default_rng(22)
    fractional = _frame(rng, whole=False).assign(week_start=lambda f: f["date"], week=0)
    assert runs.weekly_means_exact(fractional) is None
    whole = _frame(rng, whole=True).assign(week_start=lambda f: f["date"], week=0)
    assert runs.weekly_means_exact(whole) is not None
    gaps = whole.assign(pain=whole["pain"].where(np.arange(len(whole)) % 4 != 0))
    assert runs.weekly_means_exact(gaps) is None


@pytest.mark.parametrize("whole", [True, False])
def test_nap_pair_counts_by_histogram_equal_binary_search_and_brute_force(whole):
    from analytics.stats import _nof1 as nof1

    rng = np.random.default_rng(3)
    n_pat = 12
    a_code = np.sort(rng.integers(0, n_pat, 150))
    b_code = np.sort(rng.integers(0, n_pat, 400))
    a_pain = rng.integers(0, 11, 150).astype("float64") if whole else rng.uniform(0, 10, 150)
    b_pain = rng.integers(0, 11, 400).astype("float64") if whole else rng.uniform(0, 10, 400)
    rank, levels = pd.factorize(np.concatenate([a_pain, b_pain]), sort=True)
    span = len(levels) + 1
    ka = a_code * span + rank[:150] + 1
    kb = b_code * span + rank[150:] + 1
    dense = nof1._pair_counts(ka, kb, a_code, b_code, span, n_pat)
    # a span too wide for the histogram takes the binary searches
    wide = 10**6
    sparse = nof1._pair_counts(
        a_code * wide + rank[:150] + 1, b_code * wide + rank[150:] + 1, a_code, b_code, wide, n_pat
    )
    a_pairs = list(zip(a_code, a_pain, strict=True))
    b_pairs = list(zip(b_code, b_pain, strict=True))
    below = [int(((b_code == c) & (b_pain < p)).sum()) for c, p in a_pairs]
    tied_a = [int(((b_code == c) & (b_pain == p)).sum()) for c, p in a_pairs]
    above = [int(((a_code == c) & (a_pain > p)).sum()) for c, p in b_pairs]
    tied_b = [int(((a_code == c) & (a_pain == p)).sum()) for c, p in b_pairs]
    for got in (dense, sparse):
        for g, want in zip(got, (below, tied_a, above, tied_b), strict=True):
            np.testing.assert_array_equal(g, want)


def _its_clinic(n_patients: int = 20, n_days: int = 60):
    from tests.frames import daily_diary

    rng = np.random.default_rng(17)
    frames, index = [], {}
    for p in range(n_patients):
        pid = f"P{p:02d}"
        pain = np.round(
            np.clip(6 - (np.arange(n_days) >= 20) * 2 + rng.normal(0, 1.2, n_days), 0, 10)
        )
        if p == 3:
            pain[:20] = 6.0  # constant before the index date
        frames.append(daily_diary(pid, "2026-01-01", pain))
        index[pid] = pd.Timestamp("2026-01-21")
    return pd.concat(frames, ignore_index=True), pd.Series(index)


def test_stacked_hac_fit_equals_the_one_patient_fit_bit_for_bit():
    from analytics.stats import _trends as trends

    rng = np.random.default_rng(23)
    for n, lags in ((30, 3), (365, 5), (90, 0)):
        t = np.arange(n, dtype="float64")[None, :] - rng.integers(8, n - 8, 24)[:, None]
        y = np.round(rng.uniform(0, 10, (24, n)))
        y[::3] = rng.normal(5, 2, (8, n))
        params, ci, pvalues = trends._ols_hac_stack(t, y, lags)
        for k in range(24):
            one = trends._ols_hac(t[k], y[k], lags)
            np.testing.assert_array_equal(params[k], one[0])
            np.testing.assert_array_equal(ci[k], one[1])
            np.testing.assert_array_equal(pvalues[k], one[2])


def test_its_of_a_stack_equals_statsmodels_per_patient():
    import statsmodels.api as sm

    from analytics.stats import interrupted_time_series, newey_west_lags
    from analytics.stats._trends import _STACK_MIN

    diary, index = _its_clinic()
    assert diary["patient_id"].nunique() >= _STACK_MIN
    out = interrupted_time_series(diary, index).set_index("patient_id")
    assert (out["its_reason"] == "").all()
    for pid, d in diary.groupby("patient_id"):
        t = (d["date"] - index[pid]).dt.days.to_numpy("float64")
        design = np.column_stack([np.ones(len(t)), t, t >= 0, t * (t >= 0)]).astype("float64")
        res = sm.OLS(d["pain"].to_numpy("float64"), design).fit(
            cov_type="HAC", cov_kwds={"maxlags": newey_west_lags(len(t))}
        )
        ci = res.conf_int(0.05)
        row = out.loc[pid]
        np.testing.assert_allclose(
            [row.its_level_change, row.its_level_ci_low, row.its_level_ci_high],
            [res.params[2], ci[2, 0], ci[2, 1]],
            rtol=1e-9,
        )
        np.testing.assert_allclose(row.its_slope_p_value, res.pvalues[3], rtol=1e-9)


def test_a_warning_inside_a_stack_is_traced_to_its_patient(monkeypatch):
    import warnings

    from analytics.errors import DataQualityWarning
    from analytics.stats import _trends as trends

    real_one, real_stack = trends._ols_hac, trends._ols_hac_stack

    def noisy_stack(t, y, lags, design=None):
        warnings.warn("invalid value encountered in sqrt", RuntimeWarning, stacklevel=1)
        return real_stack(t, y, lags, design)

    def noisy_one(t, y, lags):
        fit = real_one(t, y, lags)
        if np.ptp(y[t < 0]) == 0:
            warnings.warn("invalid value encountered in sqrt", RuntimeWarning, stacklevel=1)
        return fit

    diary, index = _its_clinic()
    quiet = trends.interrupted_time_series(diary, index)
    monkeypatch.setattr(trends, "_ols_hac_stack", noisy_stack)
    monkeypatch.setattr(trends, "_ols_hac", noisy_one)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        loud = trends.interrupted_time_series(diary, index)
    assert not [w for w in caught if issubclass(w.category, RuntimeWarning)]
    quality = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    assert len(quality) == 1 and "P03" in quality[0] and "P04" not in quality[0]
    assert "pre-treatment pain constant" in quality[0]
    pd.testing.assert_frame_equal(loud, quiet, check_exact=True)


def test_sort_by_patient_day_equals_a_stable_sort_sorted_or_not():
    from analytics.stats import sort_by_patient_day

    rng = np.random.default_rng(29)
    frame = _frame(rng, whole=True)
    frame["row"] = np.arange(len(frame))
    shuffled = frame.sample(frac=1.0, random_state=1)
    repeated = pd.concat([frame, frame.iloc[[5, 6]]])  # equal (patient, day) keys: stable
    backwards = frame.iloc[::-1]
    one_patient_late = pd.concat([frame.iloc[40:], frame.iloc[:40]])
    with_missing = frame.copy()
    with_missing.loc[3, "patient_id"] = None
    for case in (frame, shuffled, repeated, backwards, one_patient_late, with_missing):
        want = case.sort_values(["patient_id", "date"], kind="mergesort").reset_index(drop=True)
        pd.testing.assert_frame_equal(sort_by_patient_day(case), want, check_exact=True)


def test_a_grid_too_wide_falls_back_to_sorting_the_slopes():
    x = np.array([0.0, 1.0, 5.0, 90_000.0, 90_001.0])
    y = np.array([3.0, 4.0, 2.0, 8.0, 8.0])
    starts, lengths = np.array([0]), np.array([5])
    assert not _theil_sen._grid_layout(x, y, starts, lengths)[0].any()
    ranks = np.array([[0, 4, 8, 9]])
    got = _theil_sen.order_statistics(x, y, starts, lengths, ranks)
    np.testing.assert_array_equal(got[0], _brute_order_statistics(x, y, ranks[0]))


def test_a_negative_zero_leaves_the_fast_paths():
    x = np.arange(6.0)
    y = np.array([1.0, -0.0, 0.0, 2.0, 3.0, 1.0])
    one = (np.array([0]), np.array([6]))
    assert not _theil_sen._grid_layout(x, y, *one)[0].any()
    assert _theil_sen._grid_layout(x, np.abs(y), *one)[0].all()
    frame = _frame(np.random.default_rng(2), whole=True)
    frame.loc[frame["pain"] == 0, "pain"] = -0.0
    assert (frame["pain"] == 0).any()
    assert status._windows_exact(*_arrays(frame), 7, 4) is None


def test_shared_patient_codes_are_those_of_factorize_and_free_to_change():
    ids = pd.Series(["b", "a", None, "b", "c", "a"], dtype="str")
    mixed = pd.Series(["b", 1, None, "b"], dtype=object)
    for sort in (False, True):
        for column in (ids, mixed):
            want_codes, want_uniques = pd.factorize(column.astype("str"), sort=sort)
            for _ in range(2):
                with shared_patient_codes():
                    for _ in range(2):
                        codes, uniques = patient_codes(column, sort=sort)
                        np.testing.assert_array_equal(codes, want_codes)
                        pd.testing.assert_index_equal(pd.Index(uniques), pd.Index(want_uniques))
                        codes[:] = 7  # the caller's copy: the next call is unchanged
            codes, _ = patient_codes(column, sort=sort)
            np.testing.assert_array_equal(codes, want_codes)


def test_shared_results_are_those_of_a_new_call_and_each_callers_own():
    calls = []

    @shared_result
    def doubled(frame, *, factor):
        calls.append(factor)
        return frame.assign(x=frame["x"] * factor)

    frame = pd.DataFrame({"x": [1.0, 2.0]})
    other = frame.copy()  # equal, but another object: computed again
    with shared_patient_codes():
        first = doubled(frame, factor=2)
        first.loc[0, "x"] = -1.0  # the caller's copy: the next caller is unchanged
        first["y"] = 0
        second = doubled(frame, factor=2)
        doubled(frame, factor=3)
        doubled(other, factor=2)
        with shared_patient_codes():  # a nested block shares the enclosing one's results
            doubled(frame, factor=2)
    pd.testing.assert_frame_equal(second, pd.DataFrame({"x": [2.0, 4.0]}))
    assert calls == [2, 3, 2]
    doubled(frame, factor=2)  # outside a block: always a new call
    doubled(frame, factor=2)
    assert calls == [2, 3, 2, 2, 2]


def _diary(medication=None, dose=None, regions=None):
    d = empty_frame("diary")
    days = pd.date_range("2026-01-01", periods=3)
    for i, day in enumerate(days):
        d.loc[i, ["patient_id", "date", "pain"]] = ["p1", day, 5]
    if medication is not None:
        d.loc[1, ["medication", "medication_dose"]] = [medication, dose]
    if regions is not None:
        d.loc[2, "body_regions"] = regions
    return d


def test_a_diary_without_medicines_gets_the_columns_and_dtypes_of_a_table_with_rows():
    with_rows = medicine_table(_diary("tramadol", 100.0))
    assert len(with_rows) == 1
    for _ in range(2):  # the second from the kept result
        without = medicine_table(_diary())
        pd.testing.assert_frame_equal(without, with_rows.iloc[:0], check_index_type=False)
        without["extra"] = 1  # the caller's own copy
    assert medicine_table(_diary()).empty


def test_a_diary_without_regions_gets_the_columns_and_dtypes_of_tables_with_rows():
    marked = _diary(regions="low_back;neck")
    for func in (region_days, region_frequency, region_change):
        with_rows = func(marked)
        assert len(with_rows)
        for _ in range(2):
            without = func(_diary())
            pd.testing.assert_frame_equal(without, with_rows.iloc[:0], check_index_type=False)
            without["extra"] = 1


def test_shared_results_inside_a_block_equal_new_calls():
    diary = _diary("tramadol", 100.0, "low_back;neck")
    want = (medicine_table(diary), opioid_mme_per_day(diary), region_days(diary))
    with shared_patient_codes():
        for _ in range(2):
            got = (medicine_table(diary), opioid_mme_per_day(diary), region_days(diary))
            pd.testing.assert_frame_equal(got[0], want[0])
            pd.testing.assert_series_equal(got[1], want[1])
            pd.testing.assert_frame_equal(got[2], want[2])


def test_blank_opioid_days_follow_the_grouped_pandas_reference():
    rng = np.random.default_rng(4)
    for _ in range(20):
        n = int(rng.integers(1, 60))
        key = np.sort(rng.integers(-1, 4, n))
        mme = rng.choice([np.nan, np.nan, 0.0, -0.0, 15.0, 40.0], n)
        by_day = pd.Series(mme)
        before = by_day.groupby(key).shift(1).groupby(key).ffill()
        records = by_day.notna().groupby(key).transform("any").astype(bool)
        none_before = before.isna() | (before == 0)
        want = by_day.where(by_day.notna() | ~records | ~none_before, 0.0).to_numpy()
        got = _medications._blank_days_filled(mme, key)
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def _technique_by_pandas(sessions):
    frame = pd.DataFrame(
        {
            "patient_id": sessions["patient_id"].astype("str").to_numpy(),
            "band": frequency_band(sessions["technique"], sessions["frequency_hz"]).to_numpy(),
            "date": sessions["date"].to_numpy(),
        }
    )
    counts = frame.groupby(["patient_id", "band"]).agg(n=("date", "size"), last=("date", "max"))
    counts = counts.reset_index().sort_values(
        ["patient_id", "n", "last"], ascending=[True, False, False], kind="mergesort"
    )
    top = counts.drop_duplicates("patient_id").set_index("patient_id")["band"]
    return top.astype("str").rename("technique").sort_index()


def test_predominant_technique_follows_the_grouped_pandas_reference():
    rng = np.random.default_rng(5)
    for _ in range(15):
        n = int(rng.integers(1, 40))
        sessions = pd.DataFrame(
            {
                "patient_id": pd.Series(rng.choice(["p10", "p2", "p1", None], n), dtype="str"),
                "technique": pd.Series(
                    rng.choice(["manual", "electro", "auricular", None], n), dtype="str"
                ),
                "frequency_hz": pd.Series(rng.choice(["2", "100", "2/100", None], n), dtype="str"),
                "date": pd.to_datetime("2026-01-01")
                + pd.to_timedelta(rng.choice([0, 7, 7, 14, -1], n), unit="D"),
            }
        )
        sessions.loc[sessions["date"] < "2026-01-01", "date"] = pd.NaT
        want = _technique_by_pandas(sessions)
        got = predominant_technique(sessions)
        pd.testing.assert_series_equal(got, want, check_exact=True, check_index_type=len(want) > 0)
