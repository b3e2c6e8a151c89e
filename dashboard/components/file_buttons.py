"""Download components: the visit and visit-12 PDFs, the FHIR bundle and the cohort PDF.

A file is built only when the person asks for it: a "Prepare" button builds it
(with a spinner), records it in the audit log through the service (``record_report``
for a PDF, ``record_export`` for a FHIR bundle) and keeps the bytes in this browser
session; a download button then hands them over. Rendering a page builds and
records nothing.

The numbers of a patient file come from :func:`analytics.reports.patient_report_data`
(the reports library's one summary of a patient, the same ``analyze`` row the pages
show); the rows are the ones the page already read through the service.

Free-text notes are left out unless the "include free-text notes" box is ticked;
then they appear in the PDFs and the FHIR bundle alike.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from analytics.contract import empty_answers, empty_entries

__all__ = [
    "PatientRows",
    "patient_rows",
    "visit_pdf",
    "fhir_bytes",
    "cohort_pdf",
    "patient_files",
    "cohort_file",
]

#: Recorder of a produced file: ``record(what, report=True|False)``.
Recorder = Callable[..., None]


@dataclass(frozen=True)
class PatientRows:
    """Canonical frames of one patient (``analytics.contract.schema``), as a report reads them.

    ``questionnaires``: the canonical answers (empty when none were read); ``entries``:
    the entries during the day (empty when none were read).
    """

    patients: pd.DataFrame
    diary: pd.DataFrame
    sessions: pd.DataFrame
    questionnaires: pd.DataFrame = field(default_factory=empty_answers)
    entries: pd.DataFrame = field(default_factory=empty_entries)


def patient_rows(data: Any, questionnaires: pd.DataFrame | None = None) -> PatientRows:
    """Return the canonical frames of a :class:`dashboard.data.ClinicData` or a ``Dataset``.

    ``questionnaires``: the patient's answers read through the service (default:
    those of a ``Dataset``, else none).
    """
    sessions = data.sessions
    if "technique_band" in sessions.columns:
        sessions = sessions.drop(columns="technique_band")
    if questionnaires is None:
        questionnaires = getattr(data, "questionnaires", None)
    if questionnaires is None:
        questionnaires = empty_answers()
    entries = getattr(data, "entries", None)
    return PatientRows(
        data.patients,
        data.diary,
        sessions,
        questionnaires,
        entries if entries is not None else empty_entries(),
    )


def visit_pdf(
    rows: PatientRows,
    patient_id: str,
    *,
    settings: Any,
    include_notes: bool = False,
    visit_12: bool = False,
    share_url: str | None = None,
) -> bytes:
    """Build the visit (or visit-12) report of ``patient_id`` as PDF bytes.

    ``share_url``: the share link the report is made from (printed with its QR code).
    """
    from analytics.reports import patient_report_data, patient_report_pdf

    report = patient_report_data(
        rows.patients,
        rows.diary,
        rows.sessions,
        patient_id,
        settings=settings,
        include_notes=include_notes,
        visit_12=visit_12,
        questionnaires=rows.questionnaires,
        entries=rows.entries,
    )
    return patient_report_pdf(report, share_url=share_url)


def fhir_bytes(
    rows: PatientRows, patient_id: str, *, include_notes: bool = False, settings: Any = None
) -> bytes:
    """Build the FHIR R4 bundle (type collection) of ``patient_id`` as UTF-8 JSON.

    ``settings`` (the clinic's) give the patient identifier system and the shared fields.
    """
    from analytics.io import bundle_json, patient_bundle
    from analytics.settings import AnalysisSettings, fhir_patient_fields

    settings = settings if settings is not None else AnalysisSettings()
    bundle = patient_bundle(
        rows.patients,
        rows.diary,
        rows.sessions,
        patient_id,
        include_notes=include_notes,
        identifier_system=settings.fhir_identifier_system,
        patient_fields=fhir_patient_fields(settings.fhir_patient_fields),
    )
    return bundle_json(bundle).encode("utf-8")


def cohort_pdf(rows: PatientRows, *, settings: Any) -> bytes:
    """Build the cohort report of ``rows`` (the patients the user may see) as PDF bytes."""
    from analytics.reports import cohort_report_data, cohort_report_pdf

    return cohort_report_pdf(
        cohort_report_data(rows.patients, rows.diary, rows.sessions, settings=settings)
    )


# --------------------------------------------------------------------------- components

_KINDS: dict[str, tuple[str, str, str]] = {
    # kind: (label, file suffix, mime)
    "visit": ("Visit report (PDF)", "visit_report.pdf", "application/pdf"),
    "visit12": ("Visit-12 report (PDF)", "visit12_report.pdf", "application/pdf"),
    "fhir": ("FHIR R4 bundle (JSON)", "fhir_bundle.json", "application/fhir+json"),
}


def _safe(text: str) -> str:
    """``text`` as a file-name part (letters, digits, ``-`` and ``_`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", str(text))[:40] or "patient"


def _what(kind: str, notes: bool) -> str:
    what = {"visit": "visit report (PDF)", "visit12": "visit-12 report (PDF)"}.get(
        kind, "FHIR R4 bundle"
    )
    return what + (" with notes" if notes else "")


def _file_button(
    key: str,
    label: str,
    signature: tuple[Any, ...],
    produce: Callable[[], bytes],
    record: Callable[[], None],
    *,
    file_name: str,
    mime: str,
) -> None:
    """Show a "Prepare" button that builds and records the file, then its download button."""
    made = st.session_state.get(key)
    if made is not None and made[0] == signature:
        st.download_button(
            f"Download {label}",
            made[1],
            file_name=file_name,
            mime=mime,
            key=f"{key}.download",
            icon="⬇️",
            on_click="ignore",
            width="stretch",
        )
        return
    if st.button(f"Prepare {label}", key=f"{key}.prepare", icon="📄", width="stretch"):
        with st.spinner(f"Preparing the {label.split(' (')[0].lower()}…"):
            content = produce()
        record()
        st.session_state[key] = (signature, content)
        st.rerun()


def patient_files(
    rows: PatientRows,
    patient_id: str,
    *,
    settings: Any,
    record: Recorder,
    key: str,
    allow_notes: bool = True,
    kinds: tuple[str, ...] = ("visit", "visit12", "fhir"),
    share_url: str | None = None,
    labels: Mapping[str, str] | None = None,
    note: str = "",
) -> None:
    """Buttons that prepare and download the patient's report PDFs and FHIR bundle.

    Parameters
    ----------
    rows : PatientRows
        The patient's rows, already read through the service for this page.
    record : callable
        ``record(what, report=bool)``; called once per file produced.
    allow_notes : bool
        Offer the "include free-text notes" box (off by default).
    labels : mapping, optional
        A label per kind in place of the clinician's ("report for my doctor (PDF)"
        on a patient's page); ``note`` is a line printed under the buttons.
    """
    st.subheader("Reports and exports")
    notes = False
    if allow_notes:
        notes = st.checkbox(
            "Include free-text notes",
            value=False,
            key=f"{key}.notes",
            help="Diary and session notes then appear in every file alike.",
        )
    stamp = dt.date.today().isoformat()
    signature = (
        patient_id, notes, len(rows.diary), len(rows.sessions), len(rows.questionnaires),
        str(settings), stamp,
    )  # fmt: skip
    columns = st.columns(len(kinds))
    for column, kind in zip(columns, kinds, strict=True):
        label, suffix, mime = _KINDS[kind]
        label = (labels or {}).get(kind, label)

        def produce(kind: str = kind) -> bytes:
            if kind == "fhir":
                return fhir_bytes(rows, patient_id, include_notes=notes, settings=settings)
            return visit_pdf(
                rows,
                patient_id,
                settings=settings,
                include_notes=notes,
                visit_12=kind == "visit12",
                share_url=share_url,
            )

        def done(kind: str = kind) -> None:
            record(_what(kind, notes), report=kind != "fhir")

        with column:
            _file_button(
                f"{key}.{kind}",
                label,
                signature,
                produce,
                done,
                file_name=f"{_safe(patient_id)}_{suffix}",
                mime=mime,
            )
    if note:
        st.caption(note)
    if notes:
        st.caption("⚠️ The files include the free-text notes.")


def cohort_file(rows: PatientRows, *, settings: Any, record: Recorder, key: str) -> None:
    """Show a button that prepares and downloads the cohort report PDF of ``rows``."""
    stamp = dt.date.today().isoformat()
    signature = (len(rows.patients), len(rows.diary), len(rows.sessions), str(settings), stamp)
    _file_button(
        f"{key}.cohort",
        "cohort report (PDF)",
        signature,
        lambda: cohort_pdf(rows, settings=settings),
        lambda: record("cohort report (PDF)", report=True),
        file_name=f"cohort_report_{stamp}.pdf",
        mime="application/pdf",
    )


# --------------------------------------------------------------------------- page sections


def patient_section(
    user: Any,
    patient_id: str,
    *,
    settings: Any,
    purpose: str,
    labels: Mapping[str, str] | None = None,
    note: str = "",
    kinds: tuple[str, ...] = ("visit", "visit12", "fhir"),
) -> None:
    """Show the end of a patient page: report/FHIR downloads and the share-link panel.

    The rows are the ones the page read for this visit (no second audited read);
    every file is recorded for ``user`` when it is produced. ``labels`` and
    ``note`` word the buttons for the reader and ``kinds`` chooses the files
    (:func:`patient_files`).
    """
    from dashboard import data
    from dashboard.components import share_panel

    view = data.patient_view(user, patient_id, purpose=purpose)

    def record(what: str, *, report: bool) -> None:
        data.record_file(user, what, patient_id, report=report, purpose=purpose)

    key = f"files.{purpose}.{patient_id}"
    st.divider()
    patient_files(
        patient_rows(view.data, data.questionnaire_answers(user, patient_id, purpose=purpose)),
        patient_id,
        settings=settings,
        record=record,
        key=key,
        labels=labels,
        note=note,
        kinds=kinds,
    )
    share_panel.share_panel(user, patient_id, purpose=purpose, key=f"share.{purpose}.{patient_id}")


def cohort_section(user: Any, *, settings: Any, purpose: str) -> None:
    """Offer the cohort report PDF of the patients ``user`` may see (a clinician's assigned ones)."""
    from dashboard import data

    rows = patient_rows(data.cohort(user, purpose=purpose))

    def record(what: str, *, report: bool) -> None:
        data.record_file(user, what, None, report=report, purpose=purpose)

    st.divider()
    st.subheader("Cohort report")
    st.caption(
        "Every table on this page downloads as CSV from its toolbar (⬇ at its top right); "
        "every chart as PNG from the camera button at its right edge."
    )
    cohort_file(rows, settings=settings, record=record, key=f"files.{purpose}")
