"""Report, FHIR and cohort downloads on the pages: built and recorded only when asked for,
valid files, notes only when the box is ticked, and scoped to the user's patients."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from fhir.resources.R4B.bundle import Bundle
from pypdf import PdfReader

from analytics.access import LOCAL_OPERATOR
from analytics.io import load_dataset
from analytics.pipeline import AnalysisSettings, analyze
from analytics.service import Service
from analytics.store import open_store, project_root
from dashboard.components import file_buttons

from .conftest import DR_A, open_page

PID = "P001"
DIARY_NOTE = "did my exercises"  # a note of P001 in sample_data
SESSION_NOTE = "de qi achieved"


def _files(url: str) -> pd.DataFrame:
    with open_store(url) as store:
        log = Service(store, LOCAL_OPERATOR, face="test").audit_log(limit=1000)
    return log[log["action"].isin(["report", "export"])]


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


def _prepare(at, key: str):
    at.button(key=f"{key}.prepare").click().run()
    assert not at.exception, at.exception
    signature, content = at.session_state[key]
    return content


@pytest.fixture(scope="module")
def sample():
    ds = load_dataset(project_root() / "sample_data")
    return file_buttons.PatientRows(ds.patients, ds.diary, ds.sessions)


def test_rendering_the_pages_records_no_file(demo_db):
    for page, user in (
        ("views/patient_chart.py", "dr.a"),
        ("views/treatment_response.py", "dr.a"),
        ("views/my_progress.py", "p003"),
    ):
        at = open_page(page, user=user)
        assert not at.exception, at.exception
        at.run()  # a rerun (a widget, a reload) records nothing either
    assert _files(demo_db).empty


def test_the_patient_chart_prepares_a_visit_report_and_records_it_once(demo_db):
    at = open_page("views/patient_chart.py", user="dr.a")
    key = f"files.Patient chart.{PID}.visit"
    content = _prepare(at, key)
    text = _pdf_text(content)
    assert PID in text
    assert DIARY_NOTE not in text and SESSION_NOTE not in text
    # the key number equals the page's analysis (the same per-patient summary)
    ds = load_dataset(project_root() / "sample_data")
    row = analyze(ds.patients, ds.diary, ds.sessions, AnalysisSettings()).patient_outcomes
    row = row[row["patient_id"] == PID].iloc[0]
    assert f"{row['baseline_pain']:.1f}" in text
    # now a download button hands over the same bytes; no second record on reruns
    assert at.get("download_button")
    at.run()
    files = _files(demo_db)
    assert len(files) == 1
    assert files.iloc[0]["action"] == "report" and files.iloc[0]["patient_id"] == PID
    assert files.iloc[0]["username"] == "dr.a"
    assert "visit report (PDF)" in files.iloc[0]["detail"]


def test_notes_appear_in_every_file_only_when_ticked(demo_db):
    at = open_page("views/patient_chart.py", user="dr.a")
    base = f"files.Patient chart.{PID}"
    assert at.checkbox(key=f"{base}.notes").value is False
    plain = json.loads(_prepare(at, f"{base}.fhir"))
    Bundle.model_validate(plain)
    assert DIARY_NOTE not in json.dumps(plain)
    at.checkbox(key=f"{base}.notes").check().run()
    # the files made without notes are not offered for the new choice
    assert at.button(key=f"{base}.fhir.prepare")
    with_notes = json.loads(_prepare(at, f"{base}.fhir"))
    Bundle.model_validate(with_notes)
    assert DIARY_NOTE in json.dumps(with_notes)
    pdf = _pdf_text(_prepare(at, f"{base}.visit12"))
    assert DIARY_NOTE in pdf and PID in pdf
    details = list(_files(demo_db)["detail"])
    assert sum("with notes" in d for d in details) == 2
    assert len(details) == 3


def test_a_patient_downloads_their_own_report(demo_db):
    at = open_page("views/my_progress.py", user="p003")
    content = _prepare(at, "files.My progress.P003.visit")
    assert "P003" in _pdf_text(content)
    files = _files(demo_db)
    assert list(files["patient_id"]) == ["P003"] and list(files["username"]) == ["p003"]


def test_the_cohort_report_covers_the_clinicians_patients_only(demo_db):
    at = open_page("views/treatment_response.py", user="dr.a")
    text = _pdf_text(_prepare(at, "files.Treatment response.cohort"))
    assert f"{len(DR_A)} patients" in text
    files = _files(demo_db)
    assert list(files["patient_id"]) == ["*"] and list(files["action"]) == ["report"]


def test_the_admins_cohort_report_covers_everyone(demo_db):
    at = open_page("views/treatment_response.py", user="admin")
    assert "60 patients" in _pdf_text(_prepare(at, "files.Treatment response.cohort"))


def test_producers_give_valid_files(sample):
    pdf = file_buttons.visit_pdf(sample, "P001", settings=AnalysisSettings(), visit_12=True)
    assert pdf[:5] == b"%PDF-" and "P001" in _pdf_text(pdf)
    bundle = Bundle.model_validate_json(file_buttons.fhir_bytes(sample, "P001"))
    assert bundle.type == "collection"
    kinds = {e.resource.get_resource_type() for e in bundle.entry}
    assert {"Patient", "Observation", "Procedure"} <= kinds
    n_obs = sum(
        1
        for e in bundle.entry
        if e.resource.get_resource_type() == "Observation"
        and any(c.code == "72514-3" for c in e.resource.code.coding)
    )
    assert n_obs == int((sample.diary["patient_id"] == "P001").sum())


def test_the_share_page_downloads_are_recorded_for_the_link(demo_db):
    from .test_sharing import _create, _open_link

    token = _create(demo_db)
    at = _open_link(token)
    assert not at.checkbox  # no notes through a share link
    content = _prepare(at, "shared.files.visit")
    text = _pdf_text(content)
    assert "P003" in text
    # the PDF made from a share carries the link and its QR code on page 1
    assert "Made from a read-only share link" in text
    assert "/shared?token=" in text.replace("\n", "")
    assert len(PdfReader(io.BytesIO(content)).pages[0].images) >= 2  # chart and QR code
    files = _files(demo_db)
    assert list(files["role"]) == ["share-link"] and list(files["patient_id"]) == ["P003"]
    assert files.iloc[0]["username"].startswith("share-link:")


def test_a_plain_report_has_no_share_block(sample):
    pdf = file_buttons.visit_pdf(sample, "P001", settings=AnalysisSettings())
    assert "share link" not in _pdf_text(pdf)
    shared = file_buttons.visit_pdf(
        sample, "P001", settings=AnalysisSettings(), share_url="http://host/shared?token=abc"
    )
    assert "share link" in _pdf_text(shared)
    reader = PdfReader(io.BytesIO(shared))
    assert len(reader.pages[0].images) == len(PdfReader(io.BytesIO(pdf)).pages[0].images) + 1
