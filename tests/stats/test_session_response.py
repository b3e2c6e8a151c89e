"""Tests of analytics.stats.

Known answers are hand calculations written next to each test; the vectorised
functions are also compared with slow, obviously correct reference loops kept
in this file (``reference_session_response``, ``reference_bootstrap``) that
follow the written definitions day by day.
"""

from __future__ import annotations

import importlib

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analytics.stats import (
    BY_TECHNIQUE_COLUMNS,
    RESPONSE_COLUMNS,
    TECHNIQUE_BAND_ORDER,
    session_response,
    session_response_by_technique,
)
from tests.frames import daily_diary, make_diary, make_sessions

# ----------------------------------------------------------------------------- helpers


def reference_session_response(diary, sessions, window_days=3, min_entries=2, relief_points=1.0):
    """Day-by-day loop over every session following the docstring's definitions."""
    rows = []
    s = sessions.sort_values(["patient_id", "date"], kind="stable")
    for pid, group in s.groupby("patient_id", sort=True):
        d = diary[diary["patient_id"] == pid]
        pain = {ts.date(): p for ts, p in zip(d["date"], d["pain"], strict=True)}
        last = max(pain) if pain else None
        days = [ts.date() for ts in group["date"]]
        for number, day in enumerate(days, start=1):
            later = [x for x in days if x > day]
            nxt = min(later) if later else None
            one = pd.Timedelta(days=1).to_pytimedelta()
            pre = [pain[day - one * i] for i in range(1, window_days + 1) if day - one * i in pain]
            post = [pain[day + one * i] for i in range(1, window_days + 1) if day + one * i in pain]
            pre_mean = np.mean(pre) if len(pre) >= min_entries else np.nan
            post_mean = np.mean(post) if len(post) >= min_entries else np.nan
            relief, reason = np.nan, ""
            if not np.isnan(pre_mean):
                relief, t = 0, day + one
                while (
                    (nxt is None or t < nxt) and t in pain and pain[t] <= pre_mean - relief_points
                ):
                    relief, t = relief + 1, t + one
                end = day + one * relief
                if nxt is not None and end >= nxt - one:
                    reason = "next_session"
                elif last is None or end >= last:
                    reason = "diary_end"
            rows.append(
                {
                    "patient_id": pid,
                    "session_number": number,
                    "pre_mean": pre_mean,
                    "pre_n": len(pre),
                    "post_mean": post_mean,
                    "post_n": len(post),
                    "short_term_change": pre_mean - post_mean,
                    "relief_days": float(relief),
                    "relief_censor_reason": reason,
                }
            )
    return pd.DataFrame(rows)


def random_clinic(seed, n_patients=6, n_days=60):
    rng = np.random.default_rng(seed)
    diaries, sess = [], []
    for i in range(n_patients):
        pid = f"P{i:02d}"
        pains = rng.integers(0, 11, n_days).astype(float)
        pains[rng.random(n_days) < 0.25] = np.nan  # missed days
        diaries.append(daily_diary(pid, "2025-03-01", pains))
        n_sessions = int(rng.integers(1, 9))
        offsets = np.sort(rng.choice(np.arange(-3, n_days + 3), n_sessions, replace=False))
        if i == 0:
            offsets = np.array([0, 1, 2, 10, 10])  # consecutive and same-day sessions
        for off in offsets:
            sess.append((pid, pd.Timestamp("2025-03-01") + pd.Timedelta(days=int(off), hours=9)))
    diary = pd.concat(diaries, ignore_index=True)
    # two sessions on one calendar date at different times
    sess.append(("P00", pd.Timestamp("2025-03-11 15:00")))
    sessions = make_sessions(
        patient_id=[p for p, _ in sess],
        date=[t for _, t in sess],
        pain_before=rng.integers(0, 11, len(sess)).astype(float),
        pain_after=rng.integers(0, 11, len(sess)).astype(float),
    )
    sessions = sessions.drop_duplicates(["patient_id", "date"], ignore_index=True)
    return diary, sessions


def check_columns(frame, spec):
    assert list(frame.columns) == list(spec)
    for name, dtype in spec.items():
        assert str(frame[name].dtype) == dtype, name


# ------------------------------------------------------------------- session_response


def test_hand_calculated_example():
    # Days 1..12 of Jan 2026; day 5 missing. Sessions on day 4 (10:30) and day 10.
    pains = [6, 7, 8, 5, np.nan, 5, 6, 7, 8, 4, 3, 9]
    diary = daily_diary("A", "2026-01-01", pains)
    sessions = make_sessions(
        patient_id=["A", "A"],
        date=["2026-01-10", "2026-01-04 10:30"],  # unsorted on purpose
        technique=["electro", "manual"],
        frequency_hz=["2/100", None],
        pain_before=[6.0, 7.0],
        pain_after=[4.0, np.nan],
        adverse_events=[None, "soreness;bruising"],
    )
    r = session_response(diary, sessions)
    check_columns(r, RESPONSE_COLUMNS)
    assert r["session_number"].tolist() == [1, 2]
    assert r["session_date"].tolist() == [pd.Timestamp("2026-01-04"), pd.Timestamp("2026-01-10")]
    assert r["technique_band"].tolist() == ["manual", "electro_mixed"]
    # session 1 (day 4): pre days 1-3 = 6,7,8 -> 7; post days 5-7 = (missing),5,6 -> 5.5
    # relief threshold 7 - 1 = 6: day 5 missing -> run 0, not censored.
    # session 2 (day 10): pre days 7-9 = 6,7,8 -> 7; post days 11-13 = 3,9 -> 6
    # relief threshold 6: day 11 = 3 yes, day 12 = 9 no -> 1 day, not censored.
    assert_allclose(r["immediate_change"], [np.nan, 2.0])
    assert_allclose(r["pre_mean"], [7.0, 7.0])
    assert r["pre_n"].tolist() == [3, 3]
    assert_allclose(r["post_mean"], [5.5, 6.0])
    assert r["post_n"].tolist() == [2, 2]
    assert_allclose(r["short_term_change"], [1.5, 1.0])
    assert_allclose(r["relief_days"], [0.0, 1.0])
    assert r["relief_censored"].tolist() == [False, False]
    assert r["relief_censor_reason"].tolist() == ["", ""]
    assert r["n_adverse_events"].tolist() == [2, 0]
    assert r["adverse_events"].isna().tolist() == [False, True]


def test_relief_censored_at_next_session_and_diary_end():
    # pre days 1-3 at 8; days 4 (session), 5, 6 at 2; session on day 7; day 8-9 at 2.
    diary = daily_diary("A", "2026-02-01", [8, 8, 8, 8, 2, 2, 8, 2, 2])
    sessions = make_sessions(patient_id=["A", "A"], date=["2026-02-04", "2026-02-07"])
    r = session_response(diary, sessions)
    # Session 1: relief days 5 and 6 reach the day before the next session (censored).
    # Session 2: pre days 4-6 = 8,2,2 -> 4, threshold 3: days 8, 9 = 2 -> diary end.
    assert_allclose(r["relief_days"], [2.0, 2.0])
    assert r["relief_censored"].tolist() == [True, True]
    assert r["relief_censor_reason"].tolist() == ["next_session", "diary_end"]


def test_session_on_first_and_last_diary_day_and_consecutive_days():
    diary = daily_diary("A", "2026-03-01", [5, 5, 5, 5, 5])
    sessions = make_sessions(
        patient_id=["A", "A", "A"], date=["2026-03-01", "2026-03-04", "2026-03-05"]
    )
    r = session_response(diary, sessions)
    # first diary day: nothing before -> pre_n 0, relief NaN, no reason
    assert r["pre_n"].tolist() == [0, 3, 3]
    assert np.isnan(r.loc[0, "relief_days"]) and r.loc[0, "relief_censor_reason"] == ""
    # day 4 followed by a session on day 5: no day to count, censored by the next session
    assert r.loc[1, "relief_days"] == 0 and r.loc[1, "relief_censor_reason"] == "next_session"
    # last diary day: nothing after, censored at the diary end
    assert r.loc[2, "relief_days"] == 0 and r.loc[2, "relief_censor_reason"] == "diary_end"
    assert r["post_n"].tolist() == [3, 1, 0]
    assert np.isnan(r["post_mean"]).tolist() == [False, True, True]


def test_same_day_entry_belongs_to_no_window():
    diary = daily_diary("A", "2026-03-01", [4, 4, 4, 10, 2, 2, 2])
    sessions = make_sessions(patient_id=["A"], date=["2026-03-04 18:00"])
    r = session_response(diary, sessions)
    assert r.loc[0, "pre_mean"] == 4.0 and r.loc[0, "post_mean"] == 2.0
    assert r.loc[0, "relief_days"] == 3 and r.loc[0, "relief_censor_reason"] == "diary_end"


def test_options_change_windows_and_threshold():
    diary = daily_diary("A", "2026-03-01", [9, 6, 6, 6, 5, 5, 5, 4])
    sessions = make_sessions(patient_id=["A"], date=["2026-03-04"])
    r = session_response(diary, sessions, window_days=2, min_entries=2, relief_points=0.5)
    # pre days 2-3 = 6,6; post days 5-6 = 5,5; threshold 5.5 -> days 5..8 (diary end)
    assert r.loc[0, "pre_mean"] == 6.0 and r.loc[0, "post_mean"] == 5.0
    assert r.loc[0, "relief_days"] == 4 and r.loc[0, "relief_censor_reason"] == "diary_end"
    r = session_response(diary, sessions, window_days=3, min_entries=3, relief_points=2.0)
    # pre days 1-3 = 9,6,6 -> 7; threshold 5 -> days 5,6,7,8 -> 4
    assert r.loc[0, "pre_mean"] == 7.0 and r.loc[0, "relief_days"] == 4


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_matches_reference_loop(seed):
    diary, sessions = random_clinic(seed)
    got = session_response(diary, sessions)
    want = reference_session_response(diary, sessions)
    assert len(got) == len(sessions)
    assert got["patient_id"].tolist() == want["patient_id"].tolist()
    for col in ["session_number", "pre_n", "post_n"]:
        assert got[col].tolist() == want[col].tolist(), col
    for col in ["pre_mean", "post_mean", "short_term_change", "relief_days"]:
        assert_allclose(got[col], want[col], rtol=0, atol=1e-12, err_msg=col)
    assert got["relief_censor_reason"].tolist() == want["relief_censor_reason"].tolist()
    assert (got["relief_censored"] == (want["relief_censor_reason"] != "")).all()


def test_matches_reference_with_other_options():
    diary, sessions = random_clinic(7)
    got = session_response(diary, sessions, window_days=5, min_entries=3, relief_points=0.0)
    want = reference_session_response(diary, sessions, 5, 3, 0.0)
    assert_allclose(got["relief_days"], want["relief_days"], atol=1e-12)
    assert_allclose(got["short_term_change"], want["short_term_change"], atol=1e-12)


def test_no_sessions_gives_empty_frame_with_dtypes():
    diary = daily_diary("A", "2026-03-01", [5, 5])
    r = session_response(diary, make_sessions())
    assert len(r) == 0
    check_columns(r, RESPONSE_COLUMNS)


def test_patients_in_one_file_only_and_no_diary_at_all():
    diary = daily_diary("D", "2026-03-01", [5, 5, 5, 5])  # diary only
    sessions = make_sessions(
        patient_id=["S"], date=["2026-03-02"], pain_before=[5.0], pain_after=[3.0]
    )  # sessions only
    r = session_response(diary, sessions)
    assert r["patient_id"].tolist() == ["S"]
    assert r.loc[0, "pre_n"] == 0 and r.loc[0, "post_n"] == 0
    assert np.isnan(r.loc[0, "relief_days"]) and not r.loc[0, "relief_censored"]
    assert r.loc[0, "immediate_change"] == 2.0
    r = session_response(make_diary(), sessions)
    assert len(r) == 1 and np.isnan(r.loc[0, "pre_mean"])


def test_unsorted_input_gives_same_result_and_inputs_untouched():
    diary, sessions = random_clinic(4)
    d0, s0 = diary.copy(), sessions.copy()
    want = session_response(diary, sessions)
    rng = np.random.default_rng(0)
    got = session_response(
        diary.iloc[rng.permutation(len(diary))], sessions.iloc[rng.permutation(len(sessions))]
    )
    pd.testing.assert_frame_equal(got, want)
    pd.testing.assert_frame_equal(diary, d0)
    pd.testing.assert_frame_equal(sessions, s0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"window_days": 0}, "'window_days' parameter of session_response must be an int"),
        (
            {"min_entries": 4},
            "'min_entries' parameter of session_response must be an int in \\[1, 3\\]",
        ),
        ({"relief_points": -1.0}, "'relief_points' parameter"),
    ],
)
def test_parameter_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        session_response(make_diary(), make_sessions(), **kwargs)


def test_sample_clinic(sample_dataset):
    ds = sample_dataset
    r = session_response(ds.diary, ds.sessions)
    assert len(r) == len(ds.sessions)
    check_columns(r, RESPONSE_COLUMNS)
    assert (
        r.groupby("patient_id")["session_number"].max() == ds.sessions.groupby("patient_id").size()
    ).all()
    assert set(r["relief_censor_reason"]) <= {"", "next_session", "diary_end"}
    # acupuncture in the simulation lowers pain on average just after a session
    assert r["immediate_change"].mean() > 0


# ------------------------------------------------------ session_response_by_technique


def reference_bootstrap(responses, n_boot, seed):
    """Loop over bands and replicates: concatenate the drawn patients' sessions."""
    gen = np.random.default_rng(seed)
    out = {}
    bands = [b for b in TECHNIQUE_BAND_ORDER if b in set(responses["technique_band"])]
    for band in bands:
        sub = responses[responses["technique_band"] == band]
        patients = sorted(sub["patient_id"].unique())
        n = len(patients)
        imm, st = [], []
        for _ in range(n_boot):
            drawn = gen.integers(0, n, size=n)
            rows = pd.concat([sub[sub["patient_id"] == patients[i]] for i in drawn])
            for values, metric in ((imm, "immediate_change"), (st, "short_term_change")):
                x = rows[metric].dropna()
                values.append(x.mean() if len(x) else np.nan)
        out[band] = {
            "immediate": np.percentile([v for v in imm if not np.isnan(v)], [2.5, 97.5]),
            "short_term": np.percentile([v for v in st if not np.isnan(v)], [2.5, 97.5]),
        }
    return out


def make_responses(n_patients, seed, bands=("manual", "electro_high")):
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_patients):
        effect = rng.normal(1.0, 1.0)
        for j in range(int(rng.integers(1, 6))):
            rows.append(
                {
                    "patient_id": f"P{i:03d}",
                    "technique_band": bands[i % len(bands)],
                    "immediate_change": effect + rng.normal(0, 1),
                    "short_term_change": np.nan if j == 0 and i % 3 == 0 else rng.normal(0.5, 1),
                    "relief_days": float(rng.integers(0, 4)),
                }
            )
    return pd.DataFrame(rows)


def test_bootstrap_matches_reference_loop():
    responses = make_responses(9, seed=11)
    got = session_response_by_technique(responses, n_boot=150, rng=5).set_index("technique_band")
    want = reference_bootstrap(responses, n_boot=150, seed=5)
    assert list(got.index) == list(want)
    for band, ci in want.items():
        assert_allclose(
            got.loc[band, ["immediate_ci_low", "immediate_ci_high"]], ci["immediate"], rtol=1e-12
        )
        assert_allclose(
            got.loc[band, ["short_term_ci_low", "short_term_ci_high"]], ci["short_term"], rtol=1e-12
        )


def test_means_counts_and_ci_cover_the_mean():
    responses = make_responses(40, seed=3)
    t = session_response_by_technique(responses, n_boot=400, rng=1)
    check_columns(t, BY_TECHNIQUE_COLUMNS)
    for row in t.itertuples():
        sub = responses[responses["technique_band"] == row.technique_band]
        assert row.n_sessions == len(sub)
        assert row.n_patients == sub["patient_id"].nunique()
        assert row.n_short_term == sub["short_term_change"].notna().sum()
        assert row.mean_immediate_change == pytest.approx(sub["immediate_change"].mean(), abs=1e-12)
        assert row.mean_short_term_change == pytest.approx(
            sub["short_term_change"].mean(), abs=1e-12
        )
        assert row.mean_relief_days == pytest.approx(sub["relief_days"].mean(), abs=1e-12)
        assert row.immediate_ci_low < row.mean_immediate_change < row.immediate_ci_high
        assert row.short_term_ci_low < row.mean_short_term_change < row.short_term_ci_high


def test_ci_narrows_with_more_patients_and_is_reproducible():
    small = session_response_by_technique(make_responses(10, 2, ("manual",)), n_boot=500, rng=0)
    large = session_response_by_technique(make_responses(200, 2, ("manual",)), n_boot=500, rng=0)
    width = lambda t: float(t["immediate_ci_high"].iloc[0] - t["immediate_ci_low"].iloc[0])  # noqa: E731
    assert width(large) < width(small) / 2
    again = session_response_by_technique(make_responses(10, 2, ("manual",)), n_boot=500, rng=0)
    pd.testing.assert_frame_equal(small, again)
    other = session_response_by_technique(make_responses(10, 2, ("manual",)), n_boot=500, rng=9)
    assert other["immediate_ci_low"].iloc[0] != small["immediate_ci_low"].iloc[0]


def test_bootstrap_chunks_give_the_same_draws(monkeypatch):
    # importlib: ``analytics.stats`` the attribute is the re-exported function
    sr = importlib.import_module("analytics.stats._session_response")
    responses = make_responses(12, seed=8)
    whole = session_response_by_technique(responses, n_boot=100, rng=2)
    monkeypatch.setattr(sr, "_BOOT_CHUNK_CELLS", 7)  # forces many small chunks
    chunked = session_response_by_technique(responses, n_boot=100, rng=2)
    pd.testing.assert_frame_equal(whole, chunked)


def test_single_patient_band_and_empty_input():
    responses = make_responses(1, seed=1, bands=("auricular",))
    t = session_response_by_technique(responses, n_boot=50)
    assert t["n_patients"].tolist() == [1]
    assert np.isnan(t["immediate_ci_low"].iloc[0]) and np.isnan(t["short_term_ci_high"].iloc[0])
    empty = session_response_by_technique(session_response(make_diary(), make_sessions()))
    assert len(empty) == 0
    check_columns(empty, BY_TECHNIQUE_COLUMNS)


def test_band_order_and_no_values():
    responses = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c", "d"],
            "technique_band": ["other", "electro_low", "manual", "manual"],
            "immediate_change": [np.nan, 1.0, 2.0, 4.0],
            "short_term_change": np.nan,
            "relief_days": np.nan,
        }
    )
    t = session_response_by_technique(responses, n_boot=50)
    assert t["technique_band"].tolist() == ["manual", "electro_low", "other"]
    other = t.set_index("technique_band").loc["other"]
    assert other["n_immediate"] == 0 and np.isnan(other["mean_immediate_change"])
    assert np.isnan(other["mean_relief_days"])


def test_by_technique_parameter_check():
    with pytest.raises(ValueError, match="'n_boot' parameter of session_response_by_technique"):
        session_response_by_technique(make_responses(3, 0), n_boot=0)
