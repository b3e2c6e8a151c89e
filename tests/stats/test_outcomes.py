"""Known-answer and edge-case tests of analytics.stats.

Expected values are hand calculations written next to each test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analytics.stats import RESPONSE_CATEGORIES, cpra_curve, patient_outcomes, response_category
from tests.frames import daily_diary, make_diary, make_patients, make_sessions

REQUIRED = [
    "patient_id",
    "group",
    "condition",
    "index_date",
    "n_diary_days",
    "first_date",
    "last_date",
    "n_sessions",
    "baseline_pain",
    "baseline_n",
    "followup_pain",
    "followup_n",
    "followup_start",
    "followup_end",
    "change",
    "pct_change",
    "response_category",
    "responder",
    "responder_2pt",
    "reason",
    "technique",
]


def _one(outcomes: pd.DataFrame, pid: str) -> pd.Series:
    return outcomes.set_index("patient_id").loc[pid]


def test_small_clinic_known_answers(small_clinic):
    out = patient_outcomes(
        small_clinic["diary"], small_clinic["patients"], small_clinic["sessions"]
    )
    assert set(REQUIRED) <= set(out.columns)
    assert out["patient_id"].tolist() == ["A", "B", "C", "D"]
    a = _one(out, "A")
    # A: 14 days at 6 before 2026-01-15, then 28 days at 3; follow-up = last 14 days
    assert a["baseline_pain"] == 6.0 and a["baseline_n"] == 14
    assert a["followup_pain"] == 3.0 and a["followup_n"] == 14
    assert a["followup_start"] == pd.Timestamp("2026-01-29")
    assert a["followup_end"] == pd.Timestamp("2026-02-11")
    assert a["change"] == 3.0 and a["pct_change"] == 50.0
    assert a["response_category"] == "substantial"
    assert out["responder"].tolist() == [True, False, pd.NA, pd.NA]
    assert out["responder_2pt"].tolist() == [True, False, pd.NA, pd.NA]
    assert str(out["responder"].dtype) == "boolean"
    assert a["technique"] == "electro_mixed" and a["n_sessions"] == 2
    assert a["reason"] == ""
    b = _one(out, "B")  # waitlist: index from start_date, no sessions
    assert b["index_date"] == pd.Timestamp("2026-01-15") and b["n_sessions"] == 0
    assert b["technique"] == "none" and b["pct_change"] == 0.0
    c = _one(out, "C")
    assert c["baseline_n"] == 3 and np.isnan(c["baseline_pain"])
    assert c["reason"] == "insufficient_baseline"
    d = _one(out, "D")
    assert d["reason"] == "no_index" and pd.isna(d["index_date"])


def test_hand_calculated_means_with_gaps():
    # index 2026-03-15 (first session). Baseline window 03-01..03-14:
    # entries 03-01:8, 03-05:6, 03-10:7, 03-14:5 (03-15 is not baseline) -> mean 6.5, n 4
    # follow-up: last day 04-10; window 03-28..04-10: entries 04-01:4, 04-05:3, 04-09:2, 04-10:3
    # -> mean 3.0, n 4; 03-20:9 lies outside. change 3.5, pct 100*3.5/6.5
    dates = ["2026-02-27", "2026-03-01", "2026-03-05", "2026-03-10", "2026-03-14", "2026-03-15",
             "2026-03-20", "2026-04-01", "2026-04-05", "2026-04-09", "2026-04-10"]  # fmt: skip
    pains = [10, 8, 6, 7, 5, 9, 9, 4, 3, 2, 3]
    diary = make_diary(patient_id=["p"] * len(dates), date=dates, pain=pains)
    sessions = make_sessions(patient_id=["p"], date=["2026-03-15 16:45"])
    out = patient_outcomes(diary, None, sessions)
    row = out.iloc[0]
    assert row["baseline_pain"] == 6.5 and row["baseline_n"] == 4
    assert row["followup_pain"] == 3.0 and row["followup_n"] == 4
    assert_allclose(row["pct_change"], 100 * 3.5 / 6.5, rtol=1e-12)
    assert row["response_category"] == "substantial"
    assert pd.isna(row["group"]) and row["n_diary_days"] == 11


def test_followup_at_window_and_diary_ending_early():
    # index = 2026-01-15; followup_at=28, followup_days=14 -> window 01-29..02-11
    diary = daily_diary("A", "2026-01-01", [6] * 14 + [5] * 14 + [2] * 14)
    sessions = make_sessions(patient_id=["A"], date=["2026-01-15"])
    out = patient_outcomes(diary, None, sessions, followup_at=28)
    row = out.iloc[0]
    assert row["followup_start"] == pd.Timestamp("2026-01-29")
    assert row["followup_end"] == pd.Timestamp("2026-02-11")
    assert row["followup_pain"] == 2.0
    early = patient_outcomes(diary, None, sessions, followup_at=14)  # window 01-15..01-28
    assert early.iloc[0]["followup_pain"] == 5.0
    # horizon after the diary's end: no follow-up
    late = patient_outcomes(diary, None, sessions, followup_at=60).iloc[0]
    assert late["followup_n"] == 0 and late["reason"] == "insufficient_followup"
    assert pd.isna(late["responder"]) and pd.isna(late["response_category"])


def test_followup_never_reaches_before_index():
    # only 5 days after the index: the follow-up window is cut at the index date
    diary = daily_diary("A", "2026-01-01", [6] * 14 + [1] * 5)
    sessions = make_sessions(patient_id=["A"], date=["2026-01-15"])
    row = patient_outcomes(diary, None, sessions).iloc[0]
    assert row["followup_start"] == pd.Timestamp("2026-01-15")
    assert row["followup_n"] == 5 and row["followup_pain"] == 1.0


def test_zero_baseline_and_reason_order():
    diary = daily_diary("Z", "2026-01-01", [0] * 14 + [1] * 14)
    diary2 = daily_diary("Y", "2026-01-01", [5] * 2 + [np.nan] * 12 + [1] * 2)
    sessions = make_sessions(patient_id=["Z", "Y"], date=["2026-01-15", "2026-01-15"])
    out = patient_outcomes(pd.concat([diary, diary2], ignore_index=True), None, sessions)
    z = _one(out, "Z")
    assert z["change"] == -1.0 and np.isnan(z["pct_change"])
    assert z["reason"] == "zero_baseline"
    # change is known: -1 point is not a 2-point response, but there is no % change
    assert out["responder"].tolist() == [pd.NA, pd.NA]
    assert out["responder_2pt"].tolist() == [pd.NA, False]  # sorted: Y, Z
    y = _one(out, "Y")
    assert y["reason"] == "insufficient_baseline;insufficient_followup"


def test_patients_in_one_file_only_and_no_sessions():
    diary = daily_diary("D1", "2026-01-01", [5] * 5)
    patients = make_patients(patient_id=["P1"], group=["waitlist"], start_date=["2026-01-10"])
    sessions = make_sessions(patient_id=["S1"], date=["2026-01-03"])
    out = patient_outcomes(diary, patients, sessions)
    assert out["patient_id"].tolist() == ["D1", "P1", "S1"]
    assert out["n_diary_days"].tolist() == [5, 0, 0]
    assert out["n_sessions"].tolist() == [0, 0, 1]
    assert out["reason"].tolist() == [
        "no_index",
        "insufficient_baseline;insufficient_followup",
        "insufficient_baseline;insufficient_followup",
    ]
    only_diary = patient_outcomes(diary)
    assert only_diary["technique"].tolist() == ["none"]


def test_empty_diary_gives_empty_frame_with_columns():
    out = patient_outcomes(make_diary())
    assert len(out) == 0 and set(REQUIRED) <= set(out.columns)


def test_unsorted_input_gives_same_result_and_inputs_unchanged(small_clinic):
    diary, patients, sessions = (small_clinic[k] for k in ("diary", "patients", "sessions"))
    copies = [f.copy(deep=True) for f in (diary, patients, sessions)]
    expected = patient_outcomes(diary, patients, sessions)
    shuffled = diary.sample(frac=1.0, random_state=1)
    got = patient_outcomes(shuffled, patients.iloc[::-1], sessions.iloc[::-1])
    pd.testing.assert_frame_equal(got, expected)
    for original, copy in zip((diary, patients, sessions), copies, strict=True):
        pd.testing.assert_frame_equal(original, copy)


def test_threshold_is_configurable():
    diary = daily_diary("A", "2026-01-01", [10] * 14 + [6.8] * 14)  # 32 % better
    sessions = make_sessions(patient_id=["A"], date=["2026-01-15"])
    assert patient_outcomes(diary, None, sessions)["responder"].tolist() == [True]
    out = patient_outcomes(diary, None, sessions, responder_threshold=35.0)
    assert out["responder"].tolist() == [False]
    assert out["response_category"].tolist() == ["moderate"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"baseline_days": 0}, "The 'baseline_days' parameter of patient_outcomes must be an int"),
        ({"min_entries": 1.5}, "The 'min_entries' parameter"),
        ({"followup_at": 0}, "The 'followup_at' parameter"),
        ({"responder_threshold": 120}, "The 'responder_threshold' parameter"),
    ],
)
def test_parameter_checks(kwargs, message):
    with pytest.raises(ValueError, match=message):
        patient_outcomes(make_diary(), **kwargs)


def test_response_category_boundaries():
    pct = pd.Series([-40.0, 0.0, 9.999, 10.0, 29.999, 30.0, 49.999, 50.0, 100.0, np.nan])
    cat = response_category(pct)
    assert list(cat.cat.categories) == list(RESPONSE_CATEGORIES) and cat.cat.ordered
    assert cat.astype("object").tolist()[:-1] == [
        "none", "none", "none", "minimal", "minimal", "moderate", "moderate",
        "substantial", "substantial",
    ]  # fmt: skip
    assert pd.isna(cat.iloc[-1])


def test_cpra_curve_hand_count():
    pct = pd.Series([-10.0, 0.0, 25.0, 30.0, 55.0, np.nan])
    curve = cpra_curve(pct, cutoffs=[0, 30, 50, 100])
    # 5 patients with a % change; >=0: 4, >=30: 2, >=50: 1, >=100: 0
    assert curve["n_patients"].tolist() == [5, 5, 5, 5]
    assert curve["n_responders"].tolist() == [4, 2, 1, 0]
    assert_allclose(curve["share_responding"], [0.8, 0.4, 0.2, 0.0], rtol=1e-12)
    default = cpra_curve(pct)
    assert default["cutoff_pct"].tolist() == list(map(float, range(101)))
    assert default["share_responding"].is_monotonic_decreasing
    empty = cpra_curve(pd.Series([np.nan]), cutoffs=[0])
    assert empty["n_patients"].tolist() == [0] and np.isnan(empty["share_responding"][0])


def test_sample_clinic_recovers_truth(sample_dataset, sample_truth):
    ds = sample_dataset
    out = patient_outcomes(ds.diary, ds.patients, ds.sessions)
    merged = out.merge(
        sample_truth[["patient_id", "responder"]], on="patient_id", suffixes=("", "_true")
    )
    has = merged["responder"].notna()
    assert has.sum() >= 0.8 * len(sample_truth)
    truth = merged.loc[has, "responder_true"].astype(str).str.lower() == "true"
    agree = (merged.loc[has, "responder"].astype(bool) == truth).mean()
    assert agree >= 0.9
    change = out.groupby("group")["change"].mean()
    assert change["acupuncture"] - change["waitlist"] > 1.0
