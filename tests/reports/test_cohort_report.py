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
    # the headline is the treated arm's; the control arm is named beside it, never mixed in
    treated = po[~po["control"].astype(bool) & po["responder"].notna()]
    k, n = int(treated["responder"].astype(bool).sum()), len(treated)
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    controls = po[po["control"].astype(bool) & po["responder"].notna()]
    kc, nc = int(controls["responder"].astype(bool).sum()), len(controls)
    assert 0 < nc and n + nc == n_eval
    assert (
        f"Responders at follow-up, treated {num(100 * k / n, 0)}% {k} of {n} · 95% CI "
        f"{num(100 * low, 0)}% to {num(100 * high, 0)}%"
    ) in page1
    assert f"Responders at follow-up, control {num(100 * kc / nc, 0)}% {kc} of {nc}" in page1


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
    # 80 % of the maximum after 4·k50 = 3.1 sessions, within the 15 observed: a plateau
    assert f"at most {num(fit.emax, 1)} points less pain" in text
    assert f"half of it after {num(fit.k50, 1)} sessions" in text
    km = data.result.kaplan_meier
    assert f"{km.n_events} of {km.n} patients reached a sustained response" in text
    ae = data.result.adverse_events.set_index("event").loc["any"]
    rate = 100 * ae["n_events"] / ae["n_sessions"]  # by hand
    joined = " ".join(text.split())
    assert (
        f"Per treatment: {num(rate)} events per 100 treatments, below the published 9.4 per "
        "100 treatments." in joined
    )
    share = 100 * ae["n_patients_with_event"] / ae["n_patients"]
    assert f"Per patient: {num(share, 0)}% of patients had at least one event" in joined
    assert "published 9.31% of patients per course" in joined


def test_emax_at_the_edge_of_its_range_says_no_plateau():
    from analytics.presentation import emax_text
    from analytics.stats import EmaxFit

    edge = EmaxFit(10.0, 41.0, 66.0, 30.0, 200, True, 1.0, "per_patient")
    assert emax_text(edge, 15)[0] == "no plateau within the data"
    # a fit inside its range whose 80 % point (4·k50 = 20) lies past session 15
    late = EmaxFit(3.0, 5.0, 0.5, 1.0, 200, True, 1.0, "per_patient")
    assert emax_text(late, 15)[0] == "no plateau within the data"
    assert emax_text(late, 20)[0] == "3.0 points"


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
    assert "no treated patient evaluable yet" in text
    assert "No patient has both a baseline and a follow-up yet." in text
    assert "The Emax curve could not be fitted: An Emax curve needs" in text


def test_the_definitions_name_what_group_differences_are_adjusted_for(cohort):
    _, pdf = cohort
    text = " ".join(pdf_text(pdf).split())
    assert (
        "Pain differences between groups: follow-up pain adjusted for baseline pain (ANCOVA)."
        in text
    )


def test_headache_responders_by_group_print_the_analytics_numbers(cohort):
    data, pdf = cohort
    text = " ".join(pdf_text(pdf).split())
    hs = data.result.headache_summary
    assert len(hs) and "Headache days: 50% responders by group" in text
    for row in hs.itertuples(index=False):
        line = f"{row.group} {row.n_headache_patients} {row.n_evaluable} {row.n_responders}"
        assert line in text, line
