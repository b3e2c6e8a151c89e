"""The cohort report as a PDF.

Responder rates, waterfall, dose–response, time to response and adverse events of
every patient in the data.

:func:`cohort_report_pdf` lays out a :class:`analytics.reports._data.CohortReportData`;
every number is a value of its ``AnalysisResult``, formatted.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from analytics.presentation import (
    FOLLOWUP_RESPONDER,
    FOLLOWUP_RESPONDERS,
    GROUPING_LABELS,
    HEADACHE_SUMMARY_HEADER,
    MISSING,
    SUSTAINED_RESPONSE,
    SUSTAINED_RESPONSE_RULE,
    adverse_event_benchmark_text,
    adverse_event_label,
    comparison_basis_text,
    emax_text,
    group_summary_cells,
    headache_summary_rows,
    interval_text,
    percent_text,
    too_few_text,
)
from analytics.reports._charts import (
    adverse_events_png,
    dose_response_png,
    kaplan_meier_png,
    responder_rates_png,
    waterfall_png,
)
from analytics.reports._data import CohortReportData
from analytics.reports._pdf import ReportPDF, fmt, fmt_date, fmt_int, fmt_span
from analytics.stats import (
    BENCHMARK_EVENTS_PER_100_SESSIONS,
    BENCHMARK_PCT_PATIENTS_WITH_EVENT,
    TOO_FEW_PATIENTS,
    wilson_interval,
)

__all__ = ["cohort_report_pdf", "responder_rows", "emax_curve_points"]

_GROUPINGS = ("group", "condition", "technique")


def responder_rows(summary: pd.DataFrame, by: str, *, min_group_size: int = 5) -> list[list[str]]:
    """Return the printed rows of one grouping of ``AnalysisResult.group_summary``.

    The cells of :func:`analytics.presentation.group_summary_cells` (the dashboard
    prints the same): a group below ``min_group_size`` shows its counts and
    "too few patients to compare" instead of an interval.
    """
    cells = group_summary_cells(summary, by, min_group_size=min_group_size)
    columns = [
        "group",
        "n_patients",
        "n_evaluable",
        "n_responders",
        "responder_rate",
        "responder_ci",
        "mean_change",
    ]
    return cells[columns].to_numpy().tolist()


def emax_curve_points(fit, max_session: float, n: int = 100):
    """Return the Emax curve on a grid of session numbers 1..max_session, or None."""
    if fit is None or not np.isfinite(fit.emax) or max_session < 1:
        return None
    k = np.linspace(1.0, float(max_session), n)
    return k, fit.predict(k)


def cohort_report_pdf(data: CohortReportData) -> bytes:
    """Lay out the cohort report as PDF bytes (A4)."""
    r = data.result
    pdf = ReportPDF("Cohort outcomes report", f"{data.n_patients} patients", data.generated)
    pdf.add_page()
    _title(pdf, data)
    _summary(pdf, data)
    _waterfall(pdf, data)
    _groupings(pdf, r.group_summary, min_group_size=r.settings.min_group_size)
    _headache(pdf, r.headache_summary, min_group_size=r.settings.min_group_size)
    _dose_response(pdf, data)
    _time_to_response(pdf, data)
    _adverse_events(pdf, data)
    _definitions(pdf, data)
    return bytes(pdf.output())


def _title(pdf: ReportPDF, data: CohortReportData) -> None:
    """Write the title block and the windows the report uses."""
    s = data.result.settings
    pdf.title_block(
        "Cohort outcomes report",
        [
            ("Patients", str(data.n_patients)),
            ("Diary period", fmt_span(data.first_date, data.last_date)),
            ("Diary days", str(data.n_diary_days)),
            ("Generated", fmt_date(data.generated)),
            ("Sessions", str(data.n_sessions)),
            ("Responder rule", f"≥ {s.responder_threshold:g}% less pain"),
        ],
    )
    pdf.paragraph(
        f"Baseline: the {s.baseline_days} days before each patient's first session (or start "
        f"date); follow-up: the last {s.followup_days} days of the diary; each mean needs "
        f"≥ {s.min_entries} diary days.",
        size=7.5,
        color=(90, 90, 90),
    )


def _summary(pdf: ReportPDF, data: CohortReportData) -> None:
    """Write the box of headline figures."""
    r = data.result
    po = r.patient_outcomes
    km = r.kaplan_meier
    any_rate = _any_rate(data)
    fit = r.emax_fit
    pdf.summary_box(
        [
            (
                "Patients with an outcome",
                f"{data.n_evaluable} of {data.n_patients}",
                "baseline and follow-up both valid",
            ),
            *_arm_headlines(po),
            (
                "Mean pain reduction",
                MISSING
                if po["change"].isna().all()
                else f"{fmt(po['change'].mean(), signed=True)} pts",
                f"median % change {percent_text(po['pct_change'].median() / 100, signed=True)}",
            ),
            (
                f"Median days to {SUSTAINED_RESPONSE}",
                MISSING
                if km is None
                else "not reached"
                if math.isnan(km.median)
                else fmt(km.median, 0),
                "Kaplan–Meier estimate",
            ),
            (
                "Adverse events per 100 treatments",
                fmt(any_rate),
                f"benchmark {BENCHMARK_EVENTS_PER_100_SESSIONS:g} per 100 (Bäumler 2021)",
            ),
            (
                "Patients with an adverse event",
                _patients_with_event(data),
                f"benchmark {BENCHMARK_PCT_PATIENTS_WITH_EVENT:g}% of patients per course",
            ),
            (
                "Emax fit (maximum improvement)",
                emax_text(fit, _max_session(data))[0],
                MISSING if fit is None else f"{fit.n_points} patient-sessions",
            ),
        ]
    )


def _arm_headlines(po: pd.DataFrame) -> list[tuple[str, str, str]]:
    """Give the responder headlines by arm: treated patients, then control/waitlist ones."""
    control = po["control"].astype("bool") if "control" in po.columns else po["n_sessions"] == 0
    evaluable = po["responder"].notna()
    responded = po["responder"].fillna(False).astype("bool")
    k, n = int(responded[~control & evaluable].sum()), int((~control & evaluable).sum())
    kc, nc = int(responded[control & evaluable].sum()), int((control & evaluable).sum())
    if n:
        low, high = wilson_interval(k, n)
        treated = (
            percent_text(k / n),
            f"{k} of {n} · 95% CI " + interval_text(low[0], high[0], percent=True),
        )
    else:
        treated = (MISSING, "no treated patient evaluable yet")
    controls = (
        (percent_text(kc / nc), f"{kc} of {nc}, without treatment")
        if nc
        else (MISSING, "no control or waitlist patient")
    )
    label = FOLLOWUP_RESPONDERS.capitalize()
    return [(f"{label}, treated", *treated), (f"{label}, control", *controls)]


def _patients_with_event(data: CohortReportData) -> str:
    """Write the share of patients with at least one adverse event ("—" when unknown)."""
    ae = data.result.adverse_events.set_index("event")
    if "any" not in ae.index:
        return MISSING
    return percent_text(float(ae.loc["any", "pct_patients_with_event"]) / 100)


def _max_session(data: CohortReportData) -> float:
    """Give the highest session number of the dose–response summary (0 when none)."""
    dose = data.result.dose_response_summary
    return float(dose["session_number"].max()) if len(dose) else 0.0


def _any_rate(data: CohortReportData) -> float:
    """Return the cohort's adverse events of any kind per 100 treatments (NaN when none)."""
    ae = data.result.adverse_events.set_index("event")
    return float(ae.loc["any", "events_per_100_sessions"]) if "any" in ae.index else float("nan")


def _waterfall(pdf: ReportPDF, data: CohortReportData) -> None:
    """Write the waterfall of % change per patient."""
    po = data.result.patient_outcomes
    s = data.result.settings
    pdf.heading("Change in pain per patient (waterfall)")
    if po["pct_change"].notna().any():
        pdf.png(waterfall_png(po, threshold=s.responder_threshold), alt="Waterfall of % change")
        pdf.paragraph(
            "One bar per patient with a baseline and a follow-up, best first, coloured by the "
            "IMMPACT category of the % pain reduction (Dworkin 2008).",
            size=7.5,
            color=(90, 90, 90),
        )
    else:
        pdf.paragraph("No patient has both a baseline and a follow-up yet.")


def _groupings(pdf: ReportPDF, gs: pd.DataFrame, *, min_group_size: int) -> None:
    """Write the responder table and chart of each grouping."""
    for by in _GROUPINGS:
        part = gs[gs["group_by"] == by] if "group_by" in gs else gs.iloc[0:0]
        pdf.heading(f"Responders by {GROUPING_LABELS[by].lower()}")
        if part.empty:
            pdf.paragraph("No patients in this grouping.")
            continue
        pdf.data_table(
            [
                GROUPING_LABELS[by],
                "Patients",
                "Evaluable",
                "Responders",
                "Rate",
                "Wilson 95% CI",
                "Mean reduction (points)",
            ],
            responder_rows(part, by, min_group_size=min_group_size),
            widths=(40, 15, 17, 20, 13, 32, 25),
            align=("L", "R", "R", "R", "R", "R", "R"),
            size=8,
        )
        if (part["reason"] == TOO_FEW_PATIENTS).any():
            pdf.paragraph(
                f"A group with fewer than {min_group_size} patients with a baseline and a "
                f"follow-up shows its counts only: {too_few_text(min_group_size)}.",
                size=7.5,
                color=(90, 90, 90),
            )
        if part["responder_rate"].notna().any():
            pdf.png(
                responder_rates_png(part, by="group", grouping=by),
                alt=f"Responder rate by {by}",
            )


def _headache(pdf: ReportPDF, summary: pd.DataFrame, *, min_group_size: int) -> None:
    """Write the 50 % responders of headache days by group; nothing without headache patients."""
    if summary.empty:
        return
    pdf.heading("Headache days: 50% responders by group")
    pdf.data_table(
        list(HEADACHE_SUMMARY_HEADER),
        headache_summary_rows(summary, min_group_size=min_group_size),
        widths=(24, 16, 15, 17, 11, 24, 20, 35),
        align=("L", "R", "R", "R", "R", "R", "R", "L"),
        size=7.5,
    )
    pdf.paragraph(
        "Patients with migraine or tension-type headache, or whose diary marks headache days. "
        "Headache days per 4 weeks are scaled to the days logged in the 28 days before the "
        "start and the last 28 days; a responder has at least 50% fewer (International "
        "Headache Society guidelines).",
        size=7.5,
        color=(90, 90, 90),
    )


def _dose_response(pdf: ReportPDF, data: CohortReportData) -> None:
    """Write the dose–response chart and the Emax fit."""
    r = data.result
    fit = r.emax_fit
    pdf.heading("Dose–response: change from baseline by session number")
    dose = r.dose_response_summary
    if len(dose):
        top = float(dose["session_number"].max())
        pdf.png(
            dose_response_png(
                dose.rename(columns={"n_patients": "n"}),
                emax=emax_curve_points(fit, top),
                emax_label="Emax fit E(k) = Emax·k/(k50 + k)",
            ),
            alt="Dose–response with Emax fit",
        )
    if fit is None:
        pdf.paragraph(
            "The Emax curve could not be fitted: "
            + "; ".join(
                n.removeprefix("Emax fit skipped: ") for n in data.notes or ("too few points",)
            )
        )
    else:
        pdf.paragraph(
            emax_text(fit, _max_session(data))[1]
            + " Points: mean change of the patients with that many sessions (95% CI), shown "
            "with ≥ 3 patients.",
            size=8.5,
        )


def _time_to_response(pdf: ReportPDF, data: CohortReportData) -> None:
    """Write the Kaplan–Meier curve of time to response."""
    km = data.result.kaplan_meier
    pdf.heading(f"Time to {SUSTAINED_RESPONSE} (Kaplan–Meier)")
    if km is None:
        pdf.paragraph("No patient with a start of treatment and a baseline.")
    else:
        pdf.png(kaplan_meier_png(km.table), alt="Kaplan–Meier curve of time to response")
        median = "not reached" if math.isnan(km.median) else f"{fmt(km.median, 0)} days"
        pdf.paragraph(
            f"{km.n_events} of {km.n} patients reached a {SUSTAINED_RESPONSE} "
            f"({SUSTAINED_RESPONSE_RULE}); median time to it: {median}. Patients who had not "
            "are counted until the end of their diary (censored). A different rule from a "
            f"{FOLLOWUP_RESPONDER} (the follow-up mean against baseline).",
            size=8.5,
        )


def _adverse_events(pdf: ReportPDF, data: CohortReportData) -> None:
    """Write the adverse events against the published benchmark."""
    r = data.result
    any_rate = _any_rate(data)
    pdf.heading("Adverse events against the published benchmark")
    rates = r.adverse_events
    shown = rates[(rates["n_events"] > 0) | (rates["event"] == "any")]
    pdf.data_table(
        ["Event", "Events", "Sessions", "Per 100 treatments", "Patients affected", "% of patients"],
        [
            [
                adverse_event_label(x.event),
                fmt_int(x.n_events),
                fmt_int(x.n_sessions),
                fmt(x.events_per_100_sessions),
                f"{x.n_patients_with_event} of {x.n_patients}",
                percent_text(x.pct_patients_with_event / 100),
            ]
            for x in shown.itertuples(index=False)
        ],
        widths=(30, 14, 16, 22, 22, 18),
        align=("L", "R", "R", "R", "R", "R"),
        size=8,
    )
    if len(shown) and rates["n_sessions"].iloc[0] > 0:
        pdf.png(adverse_events_png(shown), alt="Adverse events per 100 treatments")
    any_row = rates[rates["event"] == "any"]
    if not math.isnan(any_rate):
        pdf.paragraph(
            adverse_event_benchmark_text(
                any_rate,
                any_row["pct_patients_with_event"].iloc[0] if len(any_row) else None,
                per_100_benchmark=BENCHMARK_EVENTS_PER_100_SESSIONS,
                pct_benchmark=BENCHMARK_PCT_PATIENTS_WITH_EVENT,
            )
            + " Routine records usually under-report, so a lower rate is not evidence of "
            "greater safety.",
            size=8.5,
        )


def _definitions(pdf: ReportPDF, data: CohortReportData) -> None:
    """Write the definitions the report uses."""
    s = data.result.settings
    pdf.heading("Definitions used")
    pdf.bullets(
        [
            "Pain reduction = baseline − follow-up mean pain (0-10 NRS), positive = better; "
            "% = 100 × reduction / baseline.",
            f"Responder: % reduction ≥ {s.responder_threshold:g}%; rate with the Wilson score "
            "95% interval.",
            "IMMPACT categories (Dworkin 2008): < 10% none, 10–29% minimal, 30–49% moderate, "
            "≥ 50% substantial.",
            "Technique: each patient's predominant technique band (EA low < 20 Hz, medium "
            "20–49 Hz, high ≥ 50 Hz, mixed a/b Hz).",
            "Dose–response: change from baseline by cumulative session number; Emax curve "
            "E(k) = Emax·k/(k50 + k) fitted to every patient-session.",
            f"Time to {SUSTAINED_RESPONSE}: days from the start of treatment until the 7-day mean "
            "first stays ≤ 70% of baseline for 7 days; Kaplan–Meier with log(−log) Greenwood "
            f"95% CI. A {FOLLOWUP_RESPONDER}: % reduction of the follow-up mean ≥ the "
            "responder rule.",
            "Adverse events: events per 100 sessions; a session with two events counts two.",
            comparison_basis_text(s.adjust_columns, s.completers_at),
        ],
        size=8.5,
    )
