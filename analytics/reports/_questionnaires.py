"""The questionnaire parts of the patient reports: the score table and the composite responder.

The words are :mod:`analytics.presentation`'s (the patient chart shows the same
table); the numbers are the report data's (:func:`analytics.reports.patient_report_data`).
"""

from __future__ import annotations

from analytics.presentation import composite_lines, questionnaire_panel
from analytics.reports._data import VISIT_COUNT, PatientReportData, Visit12
from analytics.reports._pdf import ReportPDF

__all__ = ["questionnaire_section", "composite_block"]

_GREY = (90, 90, 90)


def questionnaire_section(pdf: ReportPDF, data: PatientReportData) -> None:
    """Print the questionnaire scores: baseline, latest, change and its importance."""
    pdf.heading("Outcome questionnaires")
    panel = questionnaire_panel(data.questionnaires, data.sessions)
    if panel.empty:
        pdf.paragraph("No questionnaire answered up to the report's date.")
        return
    pdf.data_table(
        [
            "Questionnaire",
            "Score",
            "Baseline",
            "Latest",
            "Change since baseline",
            "Meaningful change?",
        ],
        panel.to_numpy().tolist(),
        widths=(15, 19, 13, 19, 13, 21),
        align=("L", "L", "L", "L", "L", "L"),
        size=7.5,
    )
    pdf.paragraph(
        "Baseline: the first answer of each score. Change: from baseline to the latest answer, "
        "better or worse whichever way the score runs (PHQ-4: lower is better; PSFS: higher "
        "is better). Meaningful: the "
        "improvement reaches the instrument's published minimal important difference (PSFS "
        "2 points, Stratford 1995); a global impression of change (PGIC) of much or very much "
        "improved is a responder answer (Farrar 2001).",
        size=7.5,
        color=_GREY,
    )


def composite_block(pdf: ReportPDF, v: Visit12, *, threshold: float) -> None:
    """Print the composite responder after the first sessions, naming its two methods."""
    if v.composite is None:
        return
    verdict, methods = composite_lines(v.composite, threshold=threshold)
    pdf.paragraph(verdict, size=9.5, style="B")
    pdf.bullets(methods, size=8.5)
    pdf.paragraph(
        f"Pain after the first {VISIT_COUNT} sessions; questionnaires answered up to the "
        "report's date. IMMPACT asks that a responder be defined by at least two methods "
        "(Dworkin RH et al. J Pain 2008;9:105-121): pain reduction of at least 30% (Farrar "
        "2001) and an improvement in function or the patient's global impression of change.",
        size=7.5,
        color=_GREY,
    )
