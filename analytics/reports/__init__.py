"""PDF reports a clinician hands on: the patient visit report, its visit-12
variant and the cohort report (fpdf2 pages, matplotlib charts; no browser).

:mod:`analytics.reports.data` gathers the numbers, :mod:`analytics.reports.patient`
and :mod:`analytics.reports.cohort` lay them out, :mod:`analytics.reports.charts`
draws the charts in the dashboard's colours (:mod:`analytics.reports.style`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the eager imports, for type checkers only
    from .data import (
        CohortReportData,
        PatientReportData,
        Visit12,
        cohort_report_data,
        patient_report_data,
        visit12_evidence,
    )

#: Names loaded from :mod:`analytics.reports.data` on first use, so that building the
#: command line (``paindiary --help``) does not import the statistics.
_FROM_DATA = frozenset(
    {
        "CohortReportData",
        "PatientReportData",
        "Visit12",
        "cohort_report_data",
        "patient_report_data",
        "visit12_evidence",
    }
)

__all__ = [
    "CohortReportData",
    "PatientReportData",
    "Visit12",
    "cohort_report_data",
    "patient_report_data",
    "visit12_evidence",
    "patient_report_pdf",
    "cohort_report_pdf",
]


def patient_report_pdf(data: PatientReportData, *, share_url: str | None = None) -> bytes:
    """The patient report as PDF bytes (:func:`analytics.reports.patient.patient_report_pdf`)."""
    from .patient import patient_report_pdf as build

    return build(data, share_url=share_url)


def cohort_report_pdf(data: CohortReportData) -> bytes:
    """The cohort report as PDF bytes (:func:`analytics.reports.cohort.cohort_report_pdf`)."""
    from .cohort import cohort_report_pdf as build

    return build(data)


def __getattr__(name: str) -> Any:
    if name not in _FROM_DATA:
        raise AttributeError(f"module 'analytics.reports' has no attribute {name!r}")
    value = getattr(importlib.import_module(".data", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value
