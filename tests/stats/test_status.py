"""Status as of a date: known answers on an inline diary with a fixed date.

Patient ``a`` (index date 2026-01-15, its first session):

- baseline 2026-01-01..01-14 at pain 6 (14 entries);
- pain 3 every day 01-15..01-24 (10 entries), pain 4 on 01-28, pain 2 on 01-30,
  then one entry, pain 7, on 02-20;
- sessions on 01-15 (soreness; bruising), 01-22 (dizziness) and 01-29 (none).

Hand calculations as of D = 2026-02-05 (7-day window, >= 4 entries; 14-day
follow-up, >= 4 entries; 28 recent days; not logging from 7 days):

- last entry on or before D: 01-30, 6 days before D -> still logging;
- current window 01-30..02-05 holds 1 entry -> current mean NaN, n 1;
- latest valid trailing mean: on 01-30 the window 01-24..01-30 holds 3 entries
  (too few); on 01-28 the window 01-22..01-28 holds 3, 3, 3, 4 -> 13/4 = 3.25;
- recent adverse events in 01-09..02-05: 2 (01-15) + 1 (01-22) = 3;
- adherence over 01-09..02-05: 6 + 10 + 2 = 18 entries / 28 days;
- most recent valid follow-up: the 14 days ending 01-30, i.e. 01-17..01-30,
  entries 8 x 3 + 4 + 2 = 30 over 10 -> 3.0;
- the strict follow-up is the last 14 days of the diary, 02-07..02-20, with 1
  entry: not valid, whatever D is.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.pipeline import AnalysisSettings, analyze, per_patient
from analytics.stats import STATUS_COLUMNS, patient_status
from tests.frames import daily_diary, make_patients, make_sessions

NAN = float("nan")


@pytest.fixture
def clinic():
    pains = [6.0] * 14 + [3.0] * 10 + [NAN] * 3 + [4.0, NAN, 2.0] + [NAN] * 20 + [7.0]
    diary = daily_diary("a", "2026-01-01", pains)
    sessions = make_sessions(
        patient_id=["a", "a", "a"],
        date=["2026-01-15 09:00", "2026-01-22 09:00", "2026-01-29 09:00"],
        adverse_events=["soreness;bruising", "dizziness", None],
    )
    patients = make_patients(
        patient_id=["a", "b"], group=["acupuncture", "waitlist"], start_date=[None, "2026-01-20"]
    )
    return patients, diary, sessions


def _row(table: pd.DataFrame, pid: str) -> pd.Series:
    return table.set_index("patient_id").loc[pid]


def test_status_as_of_a_fixed_date(clinic):
    patients, diary, sessions = clinic
    settings = AnalysisSettings(as_of="2026-02-05")
    po = per_patient(patients, diary, sessions, settings)["patient_outcomes"]
    a = _row(po, "a")
    ts = pd.Timestamp
    assert a["status_date"] == ts("2026-02-05")
    assert a["last_entry_date"] == ts("2026-01-30")
    assert a["days_since_last_entry"] == 6 and not a["not_logging"]
    assert np.isnan(a["current_mean"]) and a["current_n"] == 1
    assert a["last_valid_mean"] == pytest.approx(13 / 4)
    assert a["last_valid_mean_date"] == ts("2026-01-28")
    assert a["n_recent_adverse_events"] == 3
    assert a["adherence_28d"] == pytest.approx(18 / 28)
    assert a["flag_recent_adverse_event"]
    assert a["recent_followup_pain"] == pytest.approx(3.0)
    assert a["recent_followup_n"] == 10
    assert (a["recent_followup_start"], a["recent_followup_end"]) == (
        ts("2026-01-17"),
        ts("2026-01-30"),
    )
    # the strict windows, for every patient
    assert (a["baseline_start"], a["baseline_end"]) == (ts("2026-01-01"), ts("2026-01-14"))
    assert (a["followup_start"], a["followup_end"]) == (ts("2026-02-07"), ts("2026-02-20"))
    assert np.isnan(a["followup_pain"]) and a["followup_n"] == 1
    assert a["baseline_pain"] == pytest.approx(6.0)
    # b: in the patients file with a start date, no diary and no sessions
    b = _row(po, "b")
    assert b["status_date"] == ts("2026-02-05") and b["not_logging"]
    assert pd.isna(b["days_since_last_entry"]) and pd.isna(b["last_entry_date"])
    assert (b["baseline_start"], b["baseline_end"]) == (ts("2026-01-06"), ts("2026-01-19"))
    assert b["current_n"] == 0 and b["n_recent_adverse_events"] == 0


def test_not_logging_from_the_configured_number_of_days(clinic):
    patients, diary, sessions = clinic
    for as_of, days, expected in [
        ("2026-02-06", 7, True),
        ("2026-02-05", 7, False),
        ("2026-02-05", 6, True),
    ]:
        settings = AnalysisSettings(as_of=as_of, not_logging_days=days)
        po = per_patient(patients, diary, sessions, settings)["patient_outcomes"]
        assert bool(_row(po, "a")["not_logging"]) is expected, (as_of, days)


def test_recent_adverse_events_count_back_from_as_of(clinic):
    patients, diary, sessions = clinic
    for recent, expected in [(28, 3), (21, 1), (14, 0)]:
        settings = AnalysisSettings(as_of="2026-02-05", recent_days=recent)
        po = per_patient(patients, diary, sessions, settings)["patient_outcomes"]
        assert _row(po, "a")["n_recent_adverse_events"] == expected, recent


def test_without_as_of_status_is_at_each_patients_last_entry(clinic):
    patients, diary, sessions = clinic
    po = per_patient(patients, diary, sessions)["patient_outcomes"]
    a = _row(po, "a")
    assert a["status_date"] == pd.Timestamp("2026-02-20") and a["days_since_last_entry"] == 0
    # the latest valid follow-up is still the one ending 01-30
    assert a["recent_followup_end"] == pd.Timestamp("2026-01-30")
    assert a["recent_followup_pain"] == pytest.approx(3.0)


def test_current_mean_equals_the_mean_of_the_window_when_valid(clinic):
    patients, diary, sessions = clinic
    po = per_patient(patients, diary, sessions, AnalysisSettings(as_of="2026-01-24"))
    a = _row(po["patient_outcomes"], "a")
    # window 01-18..01-24: seven entries at pain 3
    assert a["current_mean"] == pytest.approx(3.0) and a["current_n"] == 7
    assert a["last_valid_mean_date"] == pd.Timestamp("2026-01-24")


def test_patient_status_columns_and_empty_input():
    from analytics.contract import empty_frame

    out = patient_status(empty_frame("diary"), None, pd.Series(dtype="datetime64[ns]"))
    assert list(out.columns) == list(STATUS_COLUMNS)
    with pytest.raises(ValueError, match="'min_entries' parameter of patient_status"):
        patient_status(empty_frame("diary"), None, pd.Series(dtype="float64"), min_entries=9)


def test_as_of_checks_its_value():
    with pytest.raises(ValueError, match="'as_of' parameter of AnalysisSettings must be a date"):
        AnalysisSettings(as_of="yesterday-ish")
    assert AnalysisSettings(as_of="2026-02-05").as_of == pd.Timestamp("2026-02-05")


def test_trial_style_columns_do_not_move_with_as_of(sample_dataset):
    """Baseline, follow-up, change and response are the same whatever the status date."""
    ds = sample_dataset
    settings = AnalysisSettings(n_boot=50)
    plain = analyze(ds.patients, ds.diary, ds.sessions, settings)
    dated = analyze(
        ds.patients, ds.diary, ds.sessions, AnalysisSettings(n_boot=50, as_of="2026-08-01")
    )
    moving = {"adherence_28d", "flag_low_adherence", "flag_recent_adverse_event", "flags"}
    moving |= {c for c in STATUS_COLUMNS if c != "patient_id"}
    strict = [c for c in plain.patient_outcomes.columns if c not in moving]
    assert "followup_pain" in strict and "days_to_response" in strict
    pd.testing.assert_frame_equal(dated.patient_outcomes[strict], plain.patient_outcomes[strict])
    for name in ("group_summary", "group_comparison", "time_to_response", "dose_response"):
        pd.testing.assert_frame_equal(getattr(dated, name), getattr(plain, name))
