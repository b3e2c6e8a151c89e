"""The patient visit report and its visit-12 variant: numbers, layout, notes, hostile text."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from analytics.pipeline import AnalysisSettings, analyze
from analytics.reports._data import VISIT_COUNT, patient_report_data, visit12_evidence
from analytics.reports._patient import patient_report_pdf, secondary_rows

from .conftest import NOW, num, pdf_pages, pdf_text, render_page1

DEMO_PATIENTS = ["P001", "P006", "P012", "P030"]
#: The date the key-number reports are made to.
REPORT_DATE = dt.date(2026, 11, 30)


@pytest.fixture(scope="module")
def clinic_result(sample):
    """The clinic-wide analysis with its status as of the report's date: the report's numbers must equal its rows."""
    settings = AnalysisSettings(as_of=REPORT_DATE)
    return analyze(sample.patients, sample.diary, sample.sessions, settings)


def _report(sample, pid, **kw):
    data = patient_report_data(sample.patients, sample.diary, sample.sessions, pid, now=NOW, **kw)
    return data, patient_report_pdf(data)


@pytest.mark.parametrize("pid", DEMO_PATIENTS)
def test_key_numbers_equal_the_clinic_analysis(sample, clinic_result, pid):
    data, pdf = _report(sample, pid, end=REPORT_DATE)
    row = clinic_result.patient_outcomes.set_index("patient_id").loc[pid]
    pages = pdf_pages(pdf)
    page1 = pages[0]
    assert pdf.startswith(b"%PDF-")
    assert f"Patient {pid}" in page1
    assert f"Baseline pain (0-10) {num(row['baseline_pain'])}" in page1
    assert f"Follow-up pain (0-10) {num(row['followup_pain'])}" in page1
    if pd.notna(row["change"]):
        # the points are the difference of the two means as printed
        shown = float(num(row["baseline_pain"])) - float(num(row["followup_pain"]))
        assert f"{num(shown, signed=True)} pts · {num(row['pct_change'], 0, signed=True)}%" in page1
    n_sessions = int((sample.sessions["patient_id"] == pid).sum())
    assert f"Sessions so far {n_sessions}" in page1
    assert f"Diary adherence, last 28 days {num(100 * row['adherence_28d'], 0)}%" in page1
    days = (pd.Timestamp(REPORT_DATE) - row["last_date"]).days
    assert f"Days since the last entry {days}" in page1
    assert data.outcome["baseline_n"] == row["baseline_n"]


def test_secondary_outcomes_say_better_or_worse_by_the_measures_direction():
    outcome = {
        "baseline_sleep_quality": 4.0,
        "followup_sleep_quality": 6.0,
        "change_sleep_quality": -2.0,  # slept better
        "baseline_stress": 4.0,
        "followup_stress": 6.0,
        "change_stress": -2.0,  # more stress: worse
        "baseline_opioid_mme": 10.0,
        "followup_opioid_mme": 10.0,
        "change_opioid_mme": 0.0,
    }
    rows = {r[0].split(" (")[0]: r for r in secondary_rows(outcome)}
    assert rows["sleep quality"][1:] == ["4.0", "6.0", "\u22122.0", "better"]
    assert rows["stress"][4] == "worse"
    assert rows["opioid dose, MME per day"][4] == "no change"
    assert "PEG score" not in rows


def test_session_table_lists_every_session_in_words(sample):
    pid = "P012"
    data, pdf = _report(sample, pid)
    text = pdf_text(pdf)
    s = sample.sessions[sample.sessions["patient_id"] == pid]
    assert len(data.sessions) == len(s)
    first = s.iloc[0]
    assert "Electroacupuncture (EA)" in text or "Manual" in text
    for point in str(first["points"]).split(";"):
        assert point in text
    if s["adverse_events"].notna().any():
        word = str(s["adverse_events"].dropna().iloc[0]).split(";")[0]
        assert word.capitalize() in text


def test_page_one_renders_to_png(sample, tmp_path):
    _, pdf = _report(sample, "P006", visit_12=True)
    path = tmp_path / "report.pdf"
    path.write_bytes(pdf)
    png = render_page1(path, tmp_path / "page1")
    with Image.open(png) as img:
        assert img.size == pytest.approx((496, 702), abs=2)  # A4 at 60 dpi
        pixels = np.asarray(img.convert("L"))
    # ink in the chart area (middle of the page), not a blank page
    assert (pixels[300:550] < 128).mean() > 0.01


def test_notes_appear_only_when_asked_for(sample_copy):
    from analytics.io import load_dataset

    diary = (sample_copy / "diary.csv").read_text().splitlines()
    sessions = (sample_copy / "sessions.csv").read_text().splitlines()
    pid = "P006"
    secret_d, secret_s = "Zebra diary secret 4711", "Quokka session secret 0815"
    i = next(i for i, line in enumerate(diary) if line.startswith(pid + ","))
    cells = diary[i].split(",")
    cells[diary[0].split(",").index("notes")] = secret_d  # the notes column, by name
    diary[i] = ",".join(cells)
    j = next(j for j, line in enumerate(sessions) if line.startswith(pid + ","))
    sessions[j] = ",".join(sessions[j].split(",")[:11] + [secret_s])
    (sample_copy / "diary.csv").write_text("\n".join(diary) + "\n")
    (sample_copy / "sessions.csv").write_text("\n".join(sessions) + "\n")
    ds = load_dataset(sample_copy)
    notes = pd.concat(
        [
            ds.diary.loc[ds.diary["patient_id"] == pid, "notes"],
            ds.sessions.loc[ds.sessions["patient_id"] == pid, "notes"],
        ]
    ).dropna()
    assert {secret_d, secret_s} <= set(notes)

    data, pdf = _report(ds, pid)
    assert "notes" not in data.diary.columns and "notes" not in data.sessions.columns
    text = pdf_text(pdf)
    for note in notes:
        assert note not in text
    assert secret_d.encode() not in pdf and secret_s.encode() not in pdf

    _, with_notes = _report(ds, pid, include_notes=True)
    text = pdf_text(with_notes)
    assert secret_d in text and secret_s in text


def test_stored_text_is_data_not_layout_or_markup(sample):
    patients = sample.patients.copy()
    row = patients["patient_id"] == "P006"
    hostile_group = "$\\frac{1}{$ **b** <b>x</b> {nb}"
    patients.loc[row, "group"] = hostile_group
    patients.loc[row, "condition"] = "Ω" * 3 + "x" * 197
    patients.loc[row, "clinician_id"] = "Dr. Müller\n\u202eevil\tline 漢"
    data = patient_report_data(patients, sample.diary, sample.sessions, "P006", now=NOW)
    pdf = patient_report_pdf(data)
    page1 = pdf_pages(pdf)[0]
    assert "Group $\\frac{1}{$ **b** <b>x</b> {nb}" in page1
    # the override is shown, not obeyed; no glyph in the font: a visible "?"
    assert "Dr. Müller \\u202eevil line ?" in page1
    assert "ΩΩΩxxx" in page1
    assert "…" in page1  # the 200-character condition is cut, not spilled over the page
    plain = patient_report_pdf(
        patient_report_data(sample.patients, sample.diary, sample.sessions, "P006", now=NOW)
    )
    assert len(pdf_pages(pdf)) == len(pdf_pages(plain))  # no page more than without it


def test_a_period_limits_what_is_listed_and_as_of_limits_every_number(sample):
    pid = "P006"
    s = sample.sessions[sample.sessions["patient_id"] == pid].sort_values("date")
    cut = s["date"].iloc[5].normalize()
    start = s["date"].iloc[2].normalize()
    data = patient_report_data(
        sample.patients, sample.diary, sample.sessions, pid, start=start, end=cut, now=NOW
    )
    assert data.n_sessions == 6
    assert list(data.sessions["session_number"]) == [3, 4, 5, 6]
    assert data.diary["date"].min() >= start and data.diary["date"].max() <= cut
    # the follow-up ends on the last diary day on or before the report date
    d = sample.diary[(sample.diary["patient_id"] == pid) & (sample.diary["date"] <= cut)]
    assert data.outcome["followup_end"] == d["date"].max()
    with pytest.raises(ValueError, match="after its end"):
        patient_report_data(
            sample.patients, sample.diary, sample.sessions, pid, start=cut, end=start, now=NOW
        )
    with pytest.raises(LookupError):
        patient_report_data(sample.patients, sample.diary, sample.sessions, "NOPE", now=NOW)


def _hand_visit12(sample, pid, settings):
    """The visit-12 evidence computed by hand, independently of the analytics."""
    s = sample.sessions[sample.sessions["patient_id"] == pid].sort_values("date")
    d = sample.diary[sample.diary["patient_id"] == pid]
    p = sample.patients.set_index("patient_id").loc[pid]
    index = p["start_date"] if pd.notna(p["start_date"]) else s["date"].iloc[0].normalize()
    base = d[
        (d["date"] >= index - pd.Timedelta(days=14)) & (d["date"] <= index - pd.Timedelta(days=1))
    ]
    s12 = s["date"].iloc[VISIT_COUNT - 1].normalize()
    end = d.loc[(d["date"] >= index) & (d["date"] <= s12), "date"].max()
    start = max(end - pd.Timedelta(days=13), index)
    fu = d[(d["date"] >= start) & (d["date"] <= end)]
    b, f = base["pain"].mean(), fu["pain"].mean()
    return b, len(base), f, len(fu), start, end, 100 * (b - f) / b


def test_visit12_evidence_matches_a_hand_calculation(sample):
    settings = AnalysisSettings()
    n = sample.sessions.groupby("patient_id").size()
    checked = {True: 0, False: 0}
    for pid in n[n >= VISIT_COUNT].index:
        b, nb, f, nf, start, end, pct = _hand_visit12(sample, pid, settings)
        if nb < 4 or nf < 4:
            continue
        p = sample.patients[sample.patients["patient_id"] == pid]
        d = sample.diary[sample.diary["patient_id"] == pid]
        s = sample.sessions[sample.sessions["patient_id"] == pid]
        v = visit12_evidence(p, d, s, settings)
        assert v.baseline_pain == pytest.approx(b) and v.baseline_n == nb
        assert v.followup_pain == pytest.approx(f) and v.followup_n == nf
        assert (v.followup_start, v.followup_end) == (start, end)
        assert v.pct_change == pytest.approx(pct)
        assert v.demonstrated == (pct >= 30)
        checked[bool(v.demonstrated)] += 1
    assert checked[True] >= 1 and checked[False] >= 1


def test_visit12_report_states_the_verdict_with_its_evidence(sample):
    n = sample.sessions.groupby("patient_id").size()
    settings = AnalysisSettings()
    answered = sorted(set(sample.questionnaires["patient_id"]))
    for pid in n[n >= VISIT_COUNT].index.intersection(answered):
        p = sample.patients[sample.patients["patient_id"] == pid]
        v = visit12_evidence(
            p,
            sample.diary[sample.diary["patient_id"] == pid],
            sample.sessions[sample.sessions["patient_id"] == pid],
            settings,
        )
        if v.demonstrated:
            break
    _, pdf = _report(sample, pid, visit_12=True, questionnaires=sample.questionnaires)
    page1 = pdf_pages(pdf)[0]
    assert "Visit-12 improvement report" in page1
    assert "Improvement demonstrated: YES" in page1
    assert f"{num(v.baseline_pain)} {v.baseline_n}" in page1
    assert f"{num(v.followup_pain)} {v.followup_n}" in page1
    # the composite responder, by hand: pain, and the latest PSFS mean at least 2 points
    # above the first, or the latest PGIC "much" or "very much improved" (1-2)
    mine = sample.questionnaires[sample.questionnaires["patient_id"] == pid]
    psfs = mine[mine["instrument"] == "psfs"].groupby("date")["answer"].mean()
    pgic = mine[mine["instrument"] == "pgic"].sort_values("date")["answer"]
    function = len(psfs) > 1 and psfs.iloc[-1] - psfs.iloc[0] >= 2
    impression = len(pgic) > 0 and pgic.iloc[-1] <= 2
    text = " ".join(pdf_text(pdf).split())
    verdict = "yes" if function or impression else "no"
    assert f"Responder by two methods (IMMPACT): {verdict}." in text
    assert "Method 1, pain: diary pain reduced by at least 30% — yes." in text
    assert "Method 2, function or global impression:" in text
    assert "Outcome questionnaires" in text and "Meaningful change?" in text


def test_visit12_before_the_twelfth_session_cannot_be_assessed(sample):
    n = sample.sessions.groupby("patient_id").size()
    pid = n[(n < VISIT_COUNT) & (n > 0)].index[0]
    data, pdf = _report(sample, pid, visit_12=True)
    assert data.visit12.demonstrated is None
    assert f"only {n[pid]} of 12 sessions so far" in pdf_pages(pdf)[0]


def test_a_patient_without_diary_still_gets_a_report(sample):
    patients = pd.concat(
        [
            sample.patients,
            pd.DataFrame({"patient_id": ["NEW1"], "condition": ["neck_pain"]}).astype(
                {"patient_id": "str", "condition": "str"}
            ),
        ],
        ignore_index=True,
    )
    data = patient_report_data(patients, sample.diary, sample.sessions, "NEW1", now=NOW)
    assert data.outcome is None
    text = pdf_text(patient_report_pdf(data))
    assert "no diary entries" in text


def test_a_later_period_keeps_the_first_session_and_the_baseline_line(sample):
    pid = "P030"
    s = sample.sessions[sample.sessions["patient_id"] == pid].sort_values("date")
    start = s["date"].iloc[3].normalize()
    data, pdf = _report(sample, pid, start=start)
    assert data.first_session == s["date"].iloc[0]
    page1 = pdf_pages(pdf)[0]
    first = s["date"].iloc[0]
    assert f"Sessions so far {len(s)} first {first.day} {first:%b %Y}" in page1


def test_a_migraine_patient_report_has_its_headache_days(sample, clinic_result):
    # P004 (migraine): headache days per 4 weeks from the clinic-wide row, to one decimal
    row = clinic_result.patient_outcomes.set_index("patient_id").loc["P004"]
    _, pdf = _report(sample, "P004", end=REPORT_DATE)
    text = " ".join(pdf_text(pdf).split())
    assert (
        f"Headache days per 4 weeks: {num(row['baseline_headache_days'])} before, "
        f"{num(row['followup_headache_days'])} at follow-up" in text
    )
    assert "a 50% responder" in text and "not a 50% responder" not in text
    assert "Flares" not in text  # without entries during the day, nothing on flares
    _, other = _report(sample, "P001", end=REPORT_DATE)  # neuropathic pain
    assert "Headache days" not in pdf_text(other)
    # with P004's entries (sample_data/entries.csv), the flare line the chart shows
    data, flared = _report(sample, "P004", end=REPORT_DATE, entries=sample.entries)
    assert data.flares["n_flares"].tolist() == [10]
    assert (
        "Flares and rescue medicine Flares per 4 weeks: 2.3 before, 0.0 at follow-up (2.3 "
        "fewer). 10 flares in 15 entries. Median flare 5 h 10 min (10 with a duration). "
        "Rescue medicine helped 10 of 10 answered uses (10 taken)."
    ) in " ".join(pdf_text(flared).split())
