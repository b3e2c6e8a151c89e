"""PDF reports a clinician hands on.

The patient visit report, its visit-12 variant and the cohort report (fpdf2
pages, matplotlib charts; no browser).

``_data`` gathers the numbers, ``_patient`` and ``_cohort`` lay them out,
``_charts`` draws the charts in the shared palette (:mod:`analytics.presentation`),
``_pdf`` and ``_style`` hold the page and its fonts. ``_sign_in_sheet`` prints new
patients' first sign-in links with their QR codes, one page each.
"""

from __future__ import annotations

from analytics.reports._cohort import cohort_report_pdf
from analytics.reports._data import (
    VISIT_COUNT,
    VISIT_WINDOW_DAYS,
    CohortReportData,
    PatientReportData,
    Visit12,
    cohort_report_data,
    patient_report_data,
    visit12_evidence,
)
from analytics.reports._patient import patient_report_pdf
from analytics.reports._qr import qr_png, qr_svg
from analytics.reports._sign_in_sheet import SIGN_IN_SHEET_COLUMNS, sign_in_sheet_pdf

__all__ = [
    "CohortReportData",
    "PatientReportData",
    "Visit12",
    "VISIT_COUNT",
    "VISIT_WINDOW_DAYS",
    "cohort_report_data",
    "patient_report_data",
    "visit12_evidence",
    "patient_report_pdf",
    "cohort_report_pdf",
    "qr_png",
    "qr_svg",
    "sign_in_sheet_pdf",
    "SIGN_IN_SHEET_COLUMNS",
]
