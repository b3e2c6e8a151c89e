"""Sessions dated inside the baseline window are counted and said on the patient's notes.

Hand count: patient ``late`` starts on 2026-01-15 (an explicit start date), so its
baseline window is 2026-01-01..2026-01-14; its sessions on 01-05 and 01-14 fall
inside, 01-20 does not: 2. Patient ``usual`` starts at its first session: 0.
"""

from __future__ import annotations

import pandas as pd

from analytics.pipeline import summarize_patient
from analytics.presentation import quality_notes
from analytics.stats import patient_outcomes
from tests.frames import daily_diary, make_patients, make_sessions


def _clinic():
    patients = make_patients(
        patient_id=["late", "usual"],
        condition=["neck_pain", "neck_pain"],
        start_date=[pd.Timestamp("2026-01-15"), pd.NaT],
    )
    diary = pd.concat(
        [daily_diary(p, "2026-01-01", [6.0] * 40) for p in ("late", "usual")], ignore_index=True
    )
    sessions = make_sessions(
        patient_id=["late"] * 3 + ["usual"] * 2,
        date=pd.to_datetime(["2026-01-05", "2026-01-14", "2026-01-20", "2026-01-15", "2026-01-22"]),
        technique=["manual"] * 5,
    )
    return patients, diary, sessions


def test_sessions_inside_the_baseline_window_are_counted():
    patients, diary, sessions = _clinic()
    out = patient_outcomes(diary, patients, sessions).set_index("patient_id")
    assert out["sessions_in_baseline"].to_dict() == {"late": 2, "usual": 0}
    assert str(out["sessions_in_baseline"].dtype) == "int64"


def test_the_patient_summary_carries_it_and_the_notes_say_it():
    patients, diary, sessions = _clinic()
    summary = summarize_patient(patients, diary, sessions, patient_id="late")
    row = summary.outcome_row()
    assert row is not None and row["sessions_in_baseline"] == 2
    assert (
        "2 sessions fell inside the baseline window: the baseline is not treatment-free, so the "
        "change may understate the effect of treatment." in quality_notes(row)
    )
    other = summarize_patient(patients, diary, sessions, patient_id="usual").outcome_row()
    assert not any("baseline window" in note for note in quality_notes(other))
