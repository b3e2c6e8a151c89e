"""The cohort report: responder rates with Wilson CIs, Emax, Kaplan–Meier, adverse events."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from statsmodels.stats.proportion import proportion_confint

from analytics.presentation import group_label
from analytics.reports._cohort import cohort_report_pdf
from analytics.reports._data import cohort_report_data

from .conftest import NOW, num, pdf_pages, pdf_text, render_page1


@pytest.fixture(scope="module")
def cohort(sample):
    data = cohort_report_data(sample.patients, sample.diary, sample.sessions, now=NOW)
    return data, cohort_report_pdf(data)


def test_overall_responder_rate_matches_statsmodels_wilson(cohort, sample):
    data, pdf = cohort
    po = data.result.patient_outcomes
    n_eval = int(po["responder"].notna().sum())
    n_resp = int(po["responder"].fillna(False).astype(bool).sum())
    low, high = proportion_confint(n_resp, n_eval, alpha=0.05, method="wilson")
    assert (data.n_evaluable, data.n_responders) == (n_eval, n_resp)
    assert data.responder_ci_low == pytest.approx(low)
    assert data.responder_ci_high == pytest.approx(high)
    page1 = pdf_pages(pdf)[0]
    assert f"Patients {sample.patients['patient_id'].nunique()}" in page1
    assert f"{n_resp} of {n_eval} · 95% CI {num(100 * low, 0)}% to {num(100 * high, 0)}%" in page1


def test_every_subgroup_row_prints_the_analytics_numbers(cohort):
    data, pdf = cohort
    text = pdf_text(pdf)
    gs = data.result.group_summary
    size = data.result.settings.min_group_size
    assert (gs["n_evaluable"] < size).any()  # the sample clinic has small conditions
    for row in gs.itertuples(index=False):
        label = group_label(row.group_by, row.group)
        if row.n_evaluable < size:
            # counts only: the sentence instead of an interval (the table wraps it)
            assert np.isnan(row.responder_ci_low)
            ci = "too few patients"
        else:
            ci = f"{num(100 * row.responder_ci_low, 0)}% to {num(100 * row.responder_ci_high, 0)}%"
        line = (
            f"{label} {row.n_patients} {row.n_evaluable} {row.n_responders} "
            f"{num(100 * row.responder_rate, 0)}% {ci}"
        )
        assert line in text, line
    assert f"counts only: too few patients to compare (n < {size} per group)" in text


def test_emax_kaplan_meier_and_adverse_events_are_reported(cohort):
    data, pdf = cohort
    text = pdf_text(pdf)
    fit = data.result.emax_fit
    assert f"Emax = {num(fit.emax, 2)} points" in text
    assert f"k50 = {num(fit.k50, 2)} sessions" in text
    km = data.result.kaplan_meier
    assert f"{km.n_events} of {km.n} patients responded" in text
    ae = data.result.adverse_events.set_index("event").loc["any"]
    rate = 100 * ae["n_events"] / ae["n_sessions"]  # by hand
    assert f"{num(rate)} events per 100 treatments" in text
    assert "published 9.4 per 100" in text


def test_cohort_page_one_renders(cohort, tmp_path):
    _, pdf = cohort
    path = tmp_path / "cohort.pdf"
    path.write_bytes(pdf)
    with Image.open(render_page1(path, tmp_path / "p1")) as img:
        pixels = np.asarray(img.convert("L"))
    assert (pixels[250:500] < 128).mean() > 0.01


def test_group_names_are_drawn_literally_in_charts(sample):
    patients = sample.patients.copy()
    patients.loc[patients["group"] == "waitlist", "group"] = "$\\frac{1}{$ wait"
    data = cohort_report_data(patients, sample.diary, sample.sessions, now=NOW)
    text = pdf_text(cohort_report_pdf(data))  # mathtext would raise on the unbalanced brace
    assert "$\\frac{1}{$ wait" in text


def test_a_clinic_without_outcomes_gets_a_report_with_empty_states(sample):
    few = sample.diary[sample.diary["patient_id"] == "P001"].head(2)
    data = cohort_report_data(sample.patients.iloc[0:1], few, sample.sessions.iloc[0:0], now=NOW)
    assert data.n_evaluable == 0 and data.result.emax_fit is None
    text = pdf_text(cohort_report_pdf(data))
    assert "no patient evaluable yet" in text
    assert "No patient has both a baseline and a follow-up yet." in text
    assert "The Emax curve could not be fitted: An Emax curve needs" in text


def test_the_definitions_name_what_group_differences_are_adjusted_for(cohort):
    _, pdf = cohort
    text = " ".join(pdf_text(pdf).split())
    assert (
        "Pain differences between groups: follow-up pain adjusted for baseline pain (ANCOVA)."
        in text
    )
