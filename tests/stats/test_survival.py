"""Tests of analytics.stats.

Provenance: kaplan_meier against lifelines 0.30 ``KaplanMeierFitter`` (test-only
dependency) to 1e-9, and a tiny example worked by hand; time_to_response by hand
and against a slow day-by-day reference loop kept in this file.
"""

from __future__ import annotations

import lifelines
import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analytics.stats import KM_COLUMNS, TIME_TO_RESPONSE_COLUMNS, kaplan_meier, time_to_response
from tests.frames import daily_diary, make_diary


def check_columns(frame, spec):
    assert list(frame.columns) == list(spec)
    for name, dtype in spec.items():
        assert str(frame[name].dtype) == dtype, name


# ------------------------------------------------------------------------ kaplan_meier


def test_hand_worked_example():
    # t:     0    2    3 (1 event + 1 censored)   5
    # n:     4    4    3                          1
    # S:     1   3/4  3/4 * 2/3 = 1/2             0
    # Greenwood V(2) = 1 / (4 * 3) = 1/12; V(3) = 1/12 + 1 / (3 * 2) = 1/4
    km = kaplan_meier([5, 3, 2, 3], [True, False, True, True])
    t = km.table
    check_columns(t, KM_COLUMNS)
    assert t["time"].tolist() == [0.0, 2.0, 3.0, 5.0]
    assert t["n_at_risk"].tolist() == [4, 4, 3, 1]
    assert t["n_events"].tolist() == [0, 1, 1, 1]
    assert t["n_censored"].tolist() == [0, 0, 1, 0]
    assert_allclose(t["survival"], [1.0, 0.75, 0.5, 0.0], rtol=1e-15)
    z = 1.959963984540054
    for i, (s, v) in enumerate([(0.75, 1 / 12), (0.5, 1 / 4)], start=1):
        low = np.exp(-np.exp(np.log(-np.log(s)) - z * np.sqrt(v) / np.log(s)))
        high = np.exp(-np.exp(np.log(-np.log(s)) + z * np.sqrt(v) / np.log(s)))
        assert (t.loc[i, "ci_low"], t.loc[i, "ci_high"]) == pytest.approx((low, high), rel=1e-12)
    # S(2) = 0.75: hand value of the lower limit 0.75^exp(1.96*sqrt(1/12)/0.287682) = 0.3069...
    assert t.loc[1, "ci_low"] == pytest.approx(0.75 ** np.exp(z * np.sqrt(1 / 12) / -np.log(0.75)))
    assert (t.loc[0, "ci_low"], t.loc[0, "ci_high"]) == (1.0, 1.0)
    assert (t.loc[3, "ci_low"], t.loc[3, "ci_high"]) == (0.0, 0.0)
    assert km.median == 3.0 and km.n == 4 and km.n_events == 3
    cr = km.cumulative_response()
    assert_allclose(cr["cumulative_response"], [0.0, 0.25, 0.5, 1.0])
    assert_allclose(cr["ci_low"], 1 - t["ci_high"])
    pd.testing.assert_frame_equal(km.to_frame(), t)


def compare_with_lifelines(durations, events, alpha=0.05):
    km = kaplan_meier(durations, events, alpha=alpha)
    ref = lifelines.KaplanMeierFitter(alpha=alpha).fit(durations, events)
    t = km.table
    sf = ref.survival_function_.iloc[:, 0]
    ci = ref.confidence_interval_
    et = ref.event_table
    assert_allclose(t["time"], sf.index.to_numpy(dtype=float), rtol=0, atol=0)
    assert_allclose(t["survival"], sf.to_numpy(), rtol=0, atol=1e-9)
    assert_allclose(t["ci_low"], ci.iloc[:, 0].to_numpy(), rtol=0, atol=1e-9)
    assert_allclose(t["ci_high"], ci.iloc[:, 1].to_numpy(), rtol=0, atol=1e-9)
    assert_allclose(t["time"], et.index.to_numpy(dtype=float))
    assert t["n_at_risk"].tolist() == et["at_risk"].astype(int).tolist()
    assert t["n_events"].tolist() == et["observed"].astype(int).tolist()
    assert t["n_censored"].tolist() == et["censored"].astype(int).tolist()
    median = ref.median_survival_time_
    if np.isinf(median):
        assert np.isnan(km.median)
    else:
        assert km.median == median


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_matches_lifelines_with_ties_and_censoring(seed):
    rng = np.random.default_rng(seed)
    n = 80
    durations = rng.integers(0, 40, n).astype(float)  # integer days: many ties
    events = rng.random(n) < 0.6
    # censoring at the same time as events, and an event at time 0
    durations[:3], events[:3] = 10.0, [True, False, True]
    durations[3], events[3] = 0.0, True
    compare_with_lifelines(durations, events)


def test_matches_lifelines_other_cases():
    compare_with_lifelines(np.array([1.0, 2.0, 2.0, 4.0]), np.array([False, False, False, False]))
    compare_with_lifelines(np.array([3.0, 3.0, 3.0]), np.array([True, True, True]))
    compare_with_lifelines(
        np.array([1.5, 2.5, 2.5, 7.0, 9.0]), np.array([1, 0, 1, 1, 0]), alpha=0.1
    )


def test_all_censored_and_empty():
    km = kaplan_meier([4, 6], [False, False])
    assert np.isnan(km.median) and (km.table["survival"] == 1.0).all()
    empty = kaplan_meier([], [])
    check_columns(empty.table, KM_COLUMNS)
    assert empty.n == 0 and np.isnan(empty.median)


@pytest.mark.parametrize(
    ("durations", "events", "kwargs", "message"),
    [
        ([1, -1], [True, True], {}, "durations >= 0"),
        ([1, np.nan], [True, True], {}, "durations >= 0"),
        ([1, 2], [True], {}, "as many events as durations"),
        ([1], [True], {"alpha": 1.5}, "'alpha' parameter of kaplan_meier"),
    ],
)
def test_kaplan_meier_errors(durations, events, kwargs, message):
    with pytest.raises(ValueError, match=message):
        kaplan_meier(durations, events, **kwargs)


# -------------------------------------------------------------------- time_to_response


def reference_time_to_response(diary, index, baseline, fraction, hold, window, min_entries):
    rows = []
    for pid in sorted(set(index.index) & set(baseline.index) & set(diary["patient_id"])):
        if not baseline[pid] > 0:
            continue
        d = diary[diary["patient_id"] == pid]
        pain = dict(zip(d["date"], d["pain"], strict=True))
        t0, last, b = index[pid], max(pain), baseline[pid]
        day, run, hit = t0, 0, None
        while day <= last:
            # post-index days only
            first = max(t0, day - pd.Timedelta(days=window - 1))
            vals = [pain[x] for x in pd.date_range(first, day) if x in pain]
            ok = len(vals) >= min_entries and np.mean(vals) <= fraction * b
            run = run + 1 if ok else 0
            if run == hold:
                hit = day - pd.Timedelta(days=hold - 1)
                break
            day += pd.Timedelta(days=1)
        days = (hit - t0).days if hit is not None else max((last - t0).days, 0)
        rows.append({"patient_id": pid, "days_to_response": days, "event": hit is not None})
    return pd.DataFrame(rows)


def test_time_to_response_uses_post_index_days_only():
    """The 7-day mean never reaches back into the baseline: no day-0 response.

    Baseline 2026-01-01..01-14: 7 days at 10 then 7 days at 2, B = 6, 70 % = 4.2;
    from t0 = 01-15 pain 3 every day. A trailing mean over days before t0 would be
    (6·2 + 3)/7 = 2.14 on day 0 and "respond" on day 0. Over post-index days only
    (>= 4 entries) the first valid mean is on day 3 (3.0 <= 4.2) and stays there
    for 7 days -> 3 days.
    """
    diary = daily_diary("A", "2026-01-01", [10] * 7 + [2] * 7 + [3] * 20)
    index = pd.Series({"A": pd.Timestamp("2026-01-15")})
    out = time_to_response(diary, index, pd.Series({"A": 6.0}))
    assert out["days_to_response"].tolist() == [3] and out["event"].tolist() == [True]
    assert out["response_date"].tolist() == [pd.Timestamp("2026-01-18")]


def test_zero_baseline_patient_is_left_out():
    """B = 0: 70 % of 0 is 0, so an all-zero diary would "respond" at once."""
    diary = daily_diary("Z", "2026-01-01", [0] * 30)
    index = pd.Series({"Z": pd.Timestamp("2026-01-15")})
    out = time_to_response(diary, index, pd.Series({"Z": 0.0}))
    assert len(out) == 0
    check_columns(out, TIME_TO_RESPONSE_COLUMNS)


def test_time_to_response_hand_calculated():
    # t0 = Jan 8; baseline 10 -> threshold 7. Pain 10 for Jan 1-9, then 6.
    # Trailing 3-day mean over post-index days (>= 2 entries): Jan 8 has 1 entry,
    # Jan 9 = 10, Jan 10 = (10+10+6)/3 = 8.67, Jan 11 = 7.33, Jan 12 = 6 -> first
    # qualifying day Jan 12; with hold 3 -> Jan 12-14 -> day 4.
    diary = daily_diary("A", "2026-01-01", [10] * 9 + [6] * 10)
    index = pd.Series({"A": pd.Timestamp("2026-01-08")})
    out = time_to_response(
        diary, index, pd.Series({"A": 10.0}), hold_days=3, window_days=3, min_entries=2
    )
    check_columns(out, TIME_TO_RESPONSE_COLUMNS)
    row = out.iloc[0]
    assert row["days_to_response"] == 4 and bool(row["event"])
    assert row["response_date"] == pd.Timestamp("2026-01-12")
    assert row["last_day"] == pd.Timestamp("2026-01-19")
    assert row["baseline"] == 10.0 and row["index_date"] == pd.Timestamp("2026-01-08")


def test_missing_days_break_the_run_and_run_cut_by_diary_end_is_censored():
    pains = [10] * 7 + [2, 2, np.nan, np.nan, np.nan, 2, 2, 2, 2]
    diary = daily_diary("A", "2026-01-01", pains)
    index = pd.Series({"A": pd.Timestamp("2026-01-08")})
    kw = {"hold_days": 3, "window_days": 2, "min_entries": 2}
    # Jan 8 mean (10+2)/2 = 6 > 3.5; Jan 9 = 2 ok; Jan 10-12: < 2 entries (Jan 11, 12
    # missing) -> run broken; Jan 13: 1 entry; Jan 14-16: 2 -> run Jan 14-16 -> day 6.
    out = time_to_response(diary, index, pd.Series({"A": 5.0}), **kw)
    assert out["days_to_response"].tolist() == [6] and out["event"].tolist() == [True]
    # A 4-day hold cannot complete before the diary ends (Jan 16): censored at day 8.
    out = time_to_response(diary, index, pd.Series({"A": 5.0}), **{**kw, "hold_days": 4})
    assert out["days_to_response"].tolist() == [8] and out["event"].tolist() == [False]
    assert out["response_date"].isna().all()


def test_who_is_included():
    diary = pd.concat(
        [daily_diary(p, "2026-01-01", [5] * 10) for p in ["A", "B", "C", "D"]], ignore_index=True
    )
    index = pd.Series(
        {
            "A": pd.Timestamp("2026-01-03"),
            "B": pd.Timestamp("2026-01-03"),
            "D": pd.Timestamp("2026-02-01"),
            "E": pd.Timestamp("2026-01-01"),
        }
    )
    baseline = pd.Series({"A": 6.0, "B": np.nan, "C": 5.0, "D": 5.0, "E": 5.0})
    d0 = diary.copy()
    out = time_to_response(diary, index, baseline)
    pd.testing.assert_frame_equal(diary, d0)
    # B: no baseline; C: no index date; E: no diary. D: diary ends before t0.
    assert out["patient_id"].tolist() == ["A", "D"]
    assert out["days_to_response"].tolist() == [7, 0]
    assert out["event"].tolist() == [False, False]
    empty = time_to_response(make_diary(), index, baseline)
    assert len(empty) == 0
    check_columns(empty, TIME_TO_RESPONSE_COLUMNS)


@pytest.mark.parametrize("seed", [0, 1])
def test_time_to_response_matches_reference_loop(seed):
    rng = np.random.default_rng(seed)
    parts, index, baseline = [], {}, {}
    for i in range(10):
        pid = f"P{i}"
        n = int(rng.integers(20, 70))
        level = np.where(np.arange(n) < 14, 7.0, np.linspace(7, 2, n))
        pains = np.clip(np.round(level + rng.normal(0, 1, n)), 0, 10)
        pains[rng.random(n) < 0.2] = np.nan
        parts.append(daily_diary(pid, "2026-01-01", pains))
        index[pid] = pd.Timestamp("2026-01-15")
        baseline[pid] = 7.0
    diary = pd.concat(parts, ignore_index=True)
    index, baseline = pd.Series(index), pd.Series(baseline)
    for kw in [(0.7, 7, 7, 4), (0.8, 3, 5, 2)]:
        got = time_to_response(
            diary,
            index,
            baseline,
            fraction=kw[0],
            hold_days=kw[1],
            window_days=kw[2],
            min_entries=kw[3],
        )
        want = reference_time_to_response(diary, index, baseline, *kw)
        assert got["days_to_response"].tolist() == want["days_to_response"].tolist()
        assert got["event"].tolist() == want["event"].tolist()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fraction": 1.5}, "'fraction' parameter of time_to_response"),
        ({"hold_days": 0}, "'hold_days' parameter"),
        ({"window_days": 400}, "'window_days' parameter"),
        (
            {"min_entries": 8},
            "'min_entries' parameter of time_to_response must be an int in \\[1, 7\\]",
        ),
    ],
)
def test_time_to_response_parameter_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        time_to_response(
            make_diary(), pd.Series(dtype="datetime64[ns]"), pd.Series(dtype=float), **kwargs
        )


def test_sample_clinic(sample_dataset):
    from analytics.contract import index_dates
    from analytics.stats import patient_outcomes

    ds = sample_dataset
    outcomes = patient_outcomes(ds.diary, ds.patients, ds.sessions)
    baseline = outcomes.set_index("patient_id")["baseline_pain"].dropna()
    out = time_to_response(ds.diary, index_dates(ds.patients, ds.sessions), baseline)
    assert set(out["patient_id"]) == set(baseline.index)
    assert (out["days_to_response"] >= 0).all()
    km = kaplan_meier(out["days_to_response"], out["event"])
    compare_with_lifelines(out["days_to_response"].to_numpy(float), out["event"].to_numpy())
    assert km.n == len(out)
