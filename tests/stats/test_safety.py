"""Tests of analytics.stats; expected values are hand calculations written next to them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analytics.contract.schema import ADVERSE_EVENTS
from analytics.stats import (
    BENCHMARK_EVENTS_PER_100_SESSIONS,
    BENCHMARK_PCT_PATIENTS_WITH_EVENT,
    EVENT_LIST_COLUMNS,
    RATE_COLUMNS,
    adverse_event_list,
    adverse_event_rates,
)
from tests.frames import make_patients, make_sessions


def check_columns(frame, spec):
    assert list(frame.columns) == list(spec)
    for name, dtype in spec.items():
        assert str(frame[name].dtype) == dtype, name


@pytest.fixture
def sessions():
    # 10 sessions of 4 patients:
    #   A: 4 sessions, events "soreness;bruising" and "soreness"
    #   B: 3 sessions, one "dizziness;soreness;soreness" (soreness listed twice = once)
    #   C: 2 sessions, none
    #   D: 1 session, "bleeding"
    return make_sessions(
        patient_id=["A", "A", "A", "A", "B", "B", "B", "C", "C", "D"],
        date=[
            "2026-01-08",
            "2026-01-01",
            "2026-01-15",
            "2026-01-22",
            "2026-01-02",
            "2026-01-09 10:00",
            "2026-01-09 08:00",
            "2026-01-03",
            "2026-01-10",
            "2026-01-04",
        ],
        adverse_events=[
            "soreness",
            "soreness;bruising",
            None,
            None,
            None,
            "dizziness;soreness;soreness",
            None,
            None,
            None,
            "bleeding",
        ],
    )


def test_rates_hand_calculated(sessions):
    before = sessions.copy()
    r = adverse_event_rates(sessions)
    pd.testing.assert_frame_equal(sessions, before)
    check_columns(r, RATE_COLUMNS)
    assert r["event"].tolist() == list(ADVERSE_EVENTS) + ["any"]
    r = r.set_index("event")
    # soreness: A twice, B once -> 3 events / 10 sessions = 30 per 100; 2 of 4 patients = 50%
    assert r.loc["soreness", "n_events"] == 3
    assert r.loc["soreness", "events_per_100_sessions"] == pytest.approx(30.0)
    assert r.loc["soreness", "n_patients_with_event"] == 2
    assert r.loc["soreness", "pct_patients_with_event"] == pytest.approx(50.0)
    # any: soreness 3 + bruising 1 + dizziness 1 + bleeding 1 = 6 events -> 60 per 100;
    # patients with any: A, B, D = 3 of 4 = 75%
    assert r.loc["any", "n_events"] == 6
    assert r.loc["any", "events_per_100_sessions"] == pytest.approx(60.0)
    assert r.loc["any", "n_patients_with_event"] == 3
    assert r.loc["any", "pct_patients_with_event"] == pytest.approx(75.0)
    assert (r["n_sessions"] == 10).all() and (r["n_patients"] == 4).all()
    assert r.loc["fainting", "n_events"] == 0 and r.loc["fainting", "pct_patients_with_event"] == 0
    assert r.loc["any", "benchmark_per_100"] == BENCHMARK_EVENTS_PER_100_SESSIONS == 9.4
    assert r.loc["any", "benchmark_pct_patients"] == BENCHMARK_PCT_PATIENTS_WITH_EVENT == 9.31
    assert r.drop(index="any")[["benchmark_per_100", "benchmark_pct_patients"]].isna().all().all()


def test_rates_restricted_to_patients(sessions):
    # Patients B, C, E: E has no sessions and is not in the denominator.
    patients = make_patients(patient_id=["B", "C", "E"])
    r = adverse_event_rates(sessions, patients=patients).set_index("event")
    # 5 sessions (B 3, C 2); events dizziness + soreness = 2 -> 40 per 100; 1 of 2 patients
    assert r.loc["any", "n_sessions"] == 5 and r.loc["any", "n_events"] == 2
    assert r.loc["any", "events_per_100_sessions"] == pytest.approx(40.0)
    assert r.loc["any", "n_patients"] == 2
    assert r.loc["any", "pct_patients_with_event"] == pytest.approx(50.0)


def test_rates_without_sessions():
    r = adverse_event_rates(make_sessions())
    check_columns(r, RATE_COLUMNS)
    assert len(r) == len(ADVERSE_EVENTS) + 1
    assert (r["n_sessions"] == 0).all() and r["events_per_100_sessions"].isna().all()
    assert r["pct_patients_with_event"].isna().all()


def test_rates_no_events_and_unknown_words():
    s = make_sessions(patient_id=["A", "A"], date=["2026-01-01", "2026-01-02"])
    r = adverse_event_rates(s).set_index("event")
    assert r.loc["any", "n_events"] == 0 and r.loc["any", "pct_patients_with_event"] == 0.0
    # words outside the contract's list count as "other" (canonical frames never have them)
    s = pd.DataFrame({"patient_id": ["A"], "adverse_events": [" Soreness ; itching"]})
    r = adverse_event_rates(s).set_index("event")
    assert r.loc["soreness", "n_events"] == 1 and r.loc["other", "n_events"] == 1


def test_event_list(sessions):
    out = adverse_event_list(sessions)
    check_columns(out, EVENT_LIST_COLUMNS)
    assert out["patient_id"].tolist() == ["A", "A", "A", "B", "B", "D"]
    assert out["event"].tolist() == [
        "soreness",
        "bruising",
        "soreness",
        "dizziness",
        "soreness",
        "bleeding",
    ]
    # B's session at 10:00 is the third (08:00 on the same day is the second)
    assert out["session_number"].tolist() == [1, 1, 2, 3, 3, 1]
    assert out["date"].iloc[3] == pd.Timestamp("2026-01-09 10:00")
    assert out["session_date"].iloc[3] == pd.Timestamp("2026-01-09")
    assert out["technique"].tolist() == ["manual"] * 6
    empty = adverse_event_list(make_sessions())
    assert len(empty) == 0
    check_columns(empty, EVENT_LIST_COLUMNS)


def test_event_count_agrees_with_session_response(sessions):
    from analytics.stats import session_response
    from tests.frames import make_diary

    r = session_response(make_diary(), sessions)
    assert r["n_adverse_events"].sum() == 6
    counts = adverse_event_list(sessions).groupby(["patient_id", "session_number"]).size()
    got = r.set_index(["patient_id", "session_number"])["n_adverse_events"]
    assert_allclose(got[got > 0].sort_index(), counts.sort_index())


def test_sample_clinic(sample_dataset):
    ds = sample_dataset
    r = adverse_event_rates(ds.sessions, patients=ds.patients).set_index("event")
    listed = adverse_event_list(ds.sessions)
    assert r.loc["any", "n_events"] == len(listed)
    assert r.loc["any", "n_sessions"] == len(ds.sessions)
    assert r.drop(index="any")["n_events"].sum() == r.loc["any", "n_events"]
    assert np.isfinite(r.loc["any", "events_per_100_sessions"])


def test_counts_equal_a_crosstab_of_the_listed_events() -> None:
    # independent reference: pandas' crosstab of (patient, event) over the distinct
    # words of each session, words outside the contract's list counted as "other"
    from analytics.contract.schema import ADVERSE_EVENTS
    from analytics.stats import COUNT_COLUMNS, adverse_event_counts

    rng = np.random.default_rng(11)
    words = [*ADVERSE_EVENTS, "Itching", " soreness ", "", "dizzy", "BRUISING"]
    sessions = pd.DataFrame(
        {
            "patient_id": rng.choice(["p1", "p2", "p3", "p4"], 300),
            "adverse_events": [
                None if rng.random() < 0.3 else ";".join(rng.choice(words, rng.integers(1, 4)))
                for _ in range(300)
            ],
        }
    )
    long = []
    for row, text in enumerate(sessions["adverse_events"]):
        seen = set()
        for word in [] if pd.isna(text) else str(text).split(";"):
            word = word.strip().lower()
            if word:
                seen.add(word if word in ADVERSE_EVENTS else "other")
        long += [(sessions["patient_id"].iloc[row], event) for event in seen]
    ref = pd.crosstab(*zip(*long, strict=True)).reindex(columns=list(ADVERSE_EVENTS), fill_value=0)
    got = adverse_event_counts(sessions).set_index("patient_id")
    for event in ADVERSE_EVENTS:
        assert got[f"n_{event}"].tolist() == ref[event].reindex(got.index, fill_value=0).tolist()
    assert got["n_events"].tolist() == ref.sum(axis=1).reindex(got.index).tolist()
    assert got["n_sessions"].tolist() == sessions["patient_id"].value_counts().sort_index().tolist()
    empty = adverse_event_counts(sessions.iloc[:0])
    assert empty.empty and dict(empty.dtypes.astype(str)) == dict(COUNT_COLUMNS)
