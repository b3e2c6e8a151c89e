"""A visit report adds up: status to the report date, one rounding rule, changes in words.

The patient of these tests was made so that every number has a hand calculation:

- baseline (the 14 days before the first session on 15 Jan 2026): 8 entries,
  pain 6, 6, 6, 7, 6, 6, 6, 7 → 50/8 = 6.25 (printed 6.3, not Python's "6.2");
  sleep 4, 4, 4, 3, 4, 4, 4, 3 → 3.75; stress as pain → 6.25;
- 15 Jan – 14 Feb: daily pain 7 (no sleep or stress);
- follow-up (the last 14 days of the diary, 15–28 Feb): 8 entries, pain
  7 × 7 and 8 → 57/8 = 7.125 (printed 7.1); sleep 6 × 7 and 7 → 6.125 (6.1);
  stress 6 → 6.0;
- % change = 100·(6.25 − 7.125)/6.25 = −14 (pain rose 14%: "Worse");
- the report is made on 27 Mar 2026, 27 days after the last entry (28 Feb):
  adherence of the 28 days 28 Feb – 27 Mar = 1/28 = 3.57% → "4%". Counted to the
  last entry instead (1–28 Feb: 14 daily days + 8) it would read 22/28 = 79%.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from matplotlib.dates import date2num

from analytics.reports import patient_report_data, patient_report_pdf
from analytics.reports._charts import pain_trajectory_figure
from analytics.reports._patient import response_words, secondary_rows
from tests.frames import make_diary, make_patients, make_sessions

from .conftest import NOW, pdf_pages, pdf_text

REPORT_DATE = dt.date(2026, 3, 27)
BASELINE_DAYS = ["2026-01-01", "2026-01-03", "2026-01-05", "2026-01-07"] + [
    "2026-01-09",
    "2026-01-11",
    "2026-01-13",
    "2026-01-14",
]
FOLLOWUP_DAYS = ["2026-02-15", "2026-02-17", "2026-02-19", "2026-02-21"] + [
    "2026-02-23",
    "2026-02-25",
    "2026-02-27",
    "2026-02-28",
]
BASELINE_PAIN = [6, 6, 6, 7, 6, 6, 6, 7]
FOLLOWUP_PAIN = [7, 7, 7, 7, 7, 7, 7, 8]
MINUS = "\u2212"


@pytest.fixture(scope="module")
def gap_patient():
    """Patients, diary and sessions of patient G (see the module docstring)."""
    middle = [str(d.date()) for d in pd.date_range("2026-01-15", "2026-02-14")]
    n_mid = len(middle)
    diary = make_diary(
        patient_id=["G"] * (8 + n_mid + 8),
        date=BASELINE_DAYS + middle + FOLLOWUP_DAYS,
        pain=BASELINE_PAIN + [7] * n_mid + FOLLOWUP_PAIN,
        sleep_quality=[4, 4, 4, 3, 4, 4, 4, 3] + [None] * n_mid + [6] * 7 + [7],
        stress=BASELINE_PAIN + [None] * n_mid + [6] * 8,
    )
    sessions = make_sessions(
        patient_id=["G"] * 3,
        date=["2026-01-15 10:00", "2026-01-22 10:00", "2026-01-29 10:00"],
    )
    patients = make_patients(patient_id=["G"])
    return patients, diary, sessions


@pytest.fixture(scope="module")
def report(gap_patient):
    """The report of G made on the report date, and its PDF text."""
    data = patient_report_data(*gap_patient, "G", end=REPORT_DATE, now=NOW)
    return data, pdf_text(patient_report_pdf(data))


def test_the_hand_calculated_means_are_the_reports(report):
    data, _ = report
    o = data.outcome
    assert o["baseline_pain"] == pytest.approx(50 / 8)
    assert o["followup_pain"] == pytest.approx(57 / 8)
    assert o["pct_change"] == pytest.approx(100 * (50 / 8 - 57 / 8) / (50 / 8))
    assert o["pct_change"] == pytest.approx(-14.0)


def test_adherence_and_days_since_count_to_the_report_date(report):
    data, text = report
    last_entry = pd.Timestamp("2026-02-28")
    days_since = (pd.Timestamp(REPORT_DATE) - last_entry).days
    assert days_since == 27
    # the 28 days ending on the report date hold one entry, the last one
    window = pd.date_range(end=pd.Timestamp(REPORT_DATE), periods=28)
    logged = set(pd.to_datetime(BASELINE_DAYS + FOLLOWUP_DAYS))
    share = sum(day in logged for day in window) / 28
    assert share == pytest.approx(1 / 28)
    assert data.days_since_last_entry == days_since
    assert data.outcome["adherence_28d"] == pytest.approx(share)
    assert "Diary adherence, last 28 days 4%" in text  # 3.57% → 4
    assert "Days since the last entry 27" in text
    assert "last entry 28 Feb 2026" in text
    assert "Fewer than half of the 28 days up to 27 Mar 2026 were logged." in text
    assert "No diary entry for 27 days (last on 28 Feb 2026)." in text


def test_the_chart_runs_to_the_report_date(report):
    data, _ = report
    kw = {"sessions": data.sessions, "x_start": data.period_start}
    fig = pain_trajectory_figure(data.diary, x_end=data.as_of, **kw)
    right = fig.axes[0].get_xlim()[1]
    assert right >= date2num(pd.Timestamp(REPORT_DATE))
    assert right - date2num(data.diary["date"].max()) >= 27  # the gap is drawn
    labels = fig.axes[0].get_legend_handles_labels()[1]
    assert "Report date (27 Mar)" in labels
    baseline = (*data.baseline_window, data.outcome["baseline_pain"])
    fig = pain_trajectory_figure(data.diary, baseline=baseline, x_end=data.as_of, **kw)
    assert "Baseline mean (6.3)" in fig.axes[0].get_legend_handles_labels()[1]  # 6.25
    # without the report date the axis ends near the last diary day
    plain = pain_trajectory_figure(data.diary, **kw).axes[0].get_xlim()[1]
    assert plain < date2num(pd.Timestamp(REPORT_DATE)) - 20


def test_a_14_percent_worsening_reads_worse_not_no_improvement(report):
    _, text = report
    page = text
    assert "Worse (pain +14%)" in page
    assert "No improvement (< 10%) Sessions" not in page  # the summary box's old note
    # the points beside the two printed means are their difference: 6.3 − 7.1 = −0.8
    # (the unrounded −0.875 would print −0.9)
    assert "Baseline pain (0-10) 6.3" in page
    assert "Follow-up pain (0-10) 7.1" in page
    assert f"{MINUS}0.8 pts · {MINUS}14%" in page
    assert "0.8 points higher, 14% more pain" in page
    assert "Pain is worse than before treatment" in page


def test_secondary_rows_add_up_from_the_printed_values(report):
    data, text = report
    rows = {r[0].split(" (")[0]: r for r in secondary_rows(data.outcome)}
    # sleep 3.75 → 6.125 prints 3.8 → 6.1, change 3.8 − 6.1 = −2.3 (not −2.4 of 3.75 − 6.125)
    assert rows["sleep quality"][1:] == ["3.8", "6.1", f"{MINUS}2.3", "better"]
    # stress 6.25 → 6.0 prints 6.3 (half away from zero), change +0.3
    assert rows["stress"][1:] == ["6.3", "6.0", "+0.3", "better"]
    assert f"3.8 6.1 {MINUS}2.3" in text


@pytest.mark.parametrize(
    ("pct_reduction", "category", "words"),
    [
        (-14.0, "none", "Worse (pain +14%)"),
        (5.0, "none", "No change"),
        (-5.0, "none", "No change"),
        (32.0, "moderate", f"Improved (pain {MINUS}32%), IMMPACT moderate"),
        (None, None, "not evaluable"),
    ],
)
def test_response_words(pct_reduction, category, words):
    assert response_words(pct_reduction, category) == words


def test_the_definitions_state_the_rules(report):
    _, text = report
    assert "ending on the report date" in text
    assert "smaller than 10% of the baseline" in text
    assert "rounded half away from zero" in text


def test_visit12_report_counts_to_the_report_date_too(gap_patient):
    data = patient_report_data(*gap_patient, "G", end=REPORT_DATE, now=NOW, visit_12=True)
    page1 = pdf_pages(patient_report_pdf(data))[0]
    assert "Diary adherence, last 28 days 4%" in page1
    assert "Days since the last entry 27" in page1
