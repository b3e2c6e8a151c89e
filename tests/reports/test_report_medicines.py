"""Medicines in the visit and visit-12 reports: a patient who logged tramadol today.

P001 of the demo clinic records 0 MME on most days and no named medicine. One day
is added on the report date naming tramadol 100 mg (100 × 0.2 = 20 MME, CDC 2022),
as the entry form saves it; the report must name it with its MME, flag the start
and carry it into the follow-up mean of the secondary table.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.presentation import medicine_notes, range_text
from analytics.reports._data import patient_report_data
from analytics.reports._patient import medicine_rows, patient_report_pdf

from .conftest import NOW, num, pdf_text

PID = "P001"


def _with_tramadol(sample) -> tuple[pd.DataFrame, pd.Timestamp]:
    """The demo diary plus a tramadol day for P001 a few days after its last entry."""
    own = sample.diary[sample.diary["patient_id"] == PID]
    today = own["date"].max() + pd.Timedelta(days=3)
    day = own.iloc[[-1]].copy()
    for col in ("worst_pain", "enjoyment_interference", "activity_interference"):
        day[col] = float("nan")
    day["date"] = today
    day["pain"] = 5.0
    day["medication"] = "tramadol"
    day["medication_dose"] = 100.0
    day["opioid_mme"] = 20.0
    diary = pd.concat([sample.diary, day], ignore_index=True)
    return diary.sort_values(["patient_id", "date"], kind="stable").reset_index(drop=True), today


@pytest.mark.parametrize("visit_12", [False, True])
def test_a_report_names_the_opioid_logged_today_with_its_mme(sample, visit_12):
    diary, today = _with_tramadol(sample)
    data = patient_report_data(
        sample.patients, diary, sample.sessions, PID, end=today, now=NOW, visit_12=visit_12
    )
    text = pdf_text(patient_report_pdf(data))
    assert "Medicines in this period" in text
    day = f"{today.day} {today:%b %Y}"
    # medicine, days taken, dose per day, MME per day, first day, last day
    assert f"tramadol (opioid) 1 100 mg 20 {day} {day}" in text
    assert f"Opioid started: tramadol, first logged on {today:%d %b %Y}" in text
    assert "(20 MME/day)" in text

    # the secondary table: the follow-up mean counts P001's blank days as 0 while no
    # opioid is taken, so the new opioid shows: 20 MME over the diary days of the window
    o = data.outcome
    start, end = o["followup_start"], o["followup_end"]
    own = diary[(diary["patient_id"] == PID) & diary["date"].between(start, end)]
    assert own["opioid_mme"].fillna(0).gt(0).sum() == 1  # only today's tramadol
    expected = 20.0 / len(own)
    assert o["followup_opioid_mme"] == pytest.approx(expected)
    baseline = o["baseline_opioid_mme"]
    assert f"opioid dose, MME per day {num(baseline)} {num(expected)}" in text
    assert "MME per day 0.0 —" not in text


def test_pdf_and_chart_rows_come_from_the_summary(sample):
    diary, today = _with_tramadol(sample)
    data = patient_report_data(sample.patients, diary, sample.sessions, PID, end=today, now=NOW)
    meds = data.medicines
    assert list(meds["medicine"]) == ["tramadol"]
    row = medicine_rows(meds)[0]
    assert row[:4] == ["tramadol (opioid)", "1", range_text(100, 100, "mg"), "20"]
    assert data.medicine_notes[0] == medicine_notes(meds, None)[0]


def test_a_report_without_medicines_says_so(sample):
    data = patient_report_data(sample.patients, sample.diary, sample.sessions, "P006", now=NOW)
    assert data.medicines.empty and data.medicine_notes == ()
    assert "No medicine named in the diary in this period." in pdf_text(patient_report_pdf(data))


def test_a_later_period_lists_only_medicines_taken_in_it(sample):
    diary, today = _with_tramadol(sample)
    data = patient_report_data(
        sample.patients, diary, sample.sessions, PID, start=today, end=today, now=NOW
    )
    assert list(data.medicines["medicine"]) == ["tramadol"]
    before = today - pd.Timedelta(days=1)
    data = patient_report_data(
        sample.patients, diary, sample.sessions, PID, start=before, end=before, now=NOW
    )
    assert data.medicines.empty


def test_the_rise_sentence_carries_both_windows_and_the_rise():
    change = {
        "flag_mme_rose": True,
        "reference": "baseline",
        "reference_start": pd.Timestamp("2026-01-01"),
        "reference_end": pd.Timestamp("2026-01-14"),
        "reference_mme": 30.0,
        "recent_start": pd.Timestamp("2026-01-22"),
        "recent_end": pd.Timestamp("2026-01-28"),
        "recent_mme": 45.0,
        "mme_rise": 15.0,
    }
    empty = pd.DataFrame({"medicine": [], "started": pd.Series([], dtype=bool)})
    assert medicine_notes(empty, change) == (
        "Opioid dose rose: a mean of 45 MME/day from 22 Jan 2026 to 28 Jan 2026, against "
        "30 MME/day in the baseline window (01 Jan 2026 to 14 Jan 2026): +15 MME/day.",
    )
    assert medicine_notes(empty, {**change, "flag_mme_rose": False}) == ()
