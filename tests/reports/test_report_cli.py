"""``paindiary report`` end to end: files, exit codes, messages."""

from __future__ import annotations

import subprocess

from analytics.cli import main
from tests.commands import run_paindiary
from tests.demo_clinic import copy_demo_clinic

from .conftest import SAMPLE_DIR, pdf_text


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_paindiary(*args)


def test_patient_and_cohort_reports_are_written(tmp_path, capsys):
    out = tmp_path / "p.pdf"
    assert main(["report", "--patient", "P001", "--out", str(out), "--data", str(SAMPLE_DIR)]) == 0
    assert "Patient P001" in pdf_text(out.read_bytes())
    assert "Wrote the visit report of P001" in capsys.readouterr().out
    cohort = tmp_path / "c.pdf"
    assert main(["report", "--cohort", "--out", str(cohort), "--data", str(SAMPLE_DIR)]) == 0
    assert "Cohort outcomes report" in pdf_text(cohort.read_bytes())


def test_existing_file_is_kept_unless_overwrite(tmp_path):
    out = tmp_path / "p.pdf"
    out.write_bytes(b"keep me")
    r = run("report", "--patient", "P001", "--out", str(out), "--data", str(SAMPLE_DIR))
    assert r.returncode == 1 and "already exists" in r.stderr
    assert out.read_bytes() == b"keep me"
    r = run(
        "report", "--patient", "P001", "--out", str(out), "--data", str(SAMPLE_DIR), "--overwrite"
    )
    assert r.returncode == 0, r.stderr
    assert out.read_bytes().startswith(b"%PDF-")


def test_errors_are_messages_not_tracebacks(tmp_path):
    out = tmp_path / "x.pdf"
    r = run("report", "--patient", "NOPE", "--out", str(out), "--data", str(SAMPLE_DIR))
    assert r.returncode == 1 and "no patient 'NOPE'" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "diary.csv").write_text("patient_id,date,pain\nP1,2026-01-01,11\n")
    r = run("report", "--cohort", "--out", str(out), "--data", str(bad))
    assert r.returncode == 1 and "diary.csv:2: pain:" in r.stderr and not out.exists()
    r = run(
        "report", "--patient", "P1", "--out", str(tmp_path / "no" / "x.pdf"), "--data", str(bad)
    )
    assert r.returncode == 1 and "does not exist" in r.stderr
    r = run("report", "--patient", "P001", "--from", "14/01/2026", "--out", str(out), "--data", ".")
    assert r.returncode == 2 and "YYYY-MM-DD" in r.stderr
    r = run("report", "--cohort", "--visit-12", "--out", str(out), "--data", str(SAMPLE_DIR))
    assert r.returncode == 2
    r = run("report", "--out", str(out), "--data", str(SAMPLE_DIR))
    assert r.returncode == 2
    assert list(tmp_path.glob("*.tmp")) == [] and list(tmp_path.glob(".*.tmp")) == []


def _strip_stamp(text: str) -> str:
    import re

    return re.sub(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", "", text)


def test_db_reports_read_through_the_service_and_are_audited(demo_clinic_kept_dates, tmp_path):
    from analytics.access import LOCAL_OPERATOR
    from analytics.service import Service
    from analytics.store import open_store

    url = copy_demo_clinic(demo_clinic_kept_dates, tmp_path)
    from_db, from_csv = tmp_path / "db.pdf", tmp_path / "csv.pdf"
    args = ["report", "--patient", "P006", "--visit-12", "--to", "2026-11-30"]
    assert main([*args, "--out", str(from_db), "--db", url]) == 0
    assert main([*args, "--out", str(from_csv), "--data", str(SAMPLE_DIR)]) == 0
    # the same rows give the same report, whichever door they came through
    assert _strip_stamp(pdf_text(from_db.read_bytes())) == _strip_stamp(
        pdf_text(from_csv.read_bytes())
    )
    cohort = tmp_path / "cohort.pdf"
    assert main(["report", "--cohort", "--out", str(cohort), "--db", url]) == 0
    with open_store(url) as store:
        log = Service(store, LOCAL_OPERATOR, face="test").audit_log(limit=50)
    rows = log[log["face"] == "cli:report"]
    reports = rows[rows["action"] == "report"]
    assert set(reports["patient_id"]) == {"P006", "*"}
    views = rows[rows["action"] == "view"]
    assert {"P006", "*"} <= set(views["patient_id"])


def test_db_report_of_an_unknown_patient_writes_nothing(demo_clinic_kept_dates, tmp_path):
    url = copy_demo_clinic(demo_clinic_kept_dates, tmp_path)
    out = tmp_path / "x.pdf"
    r = run("report", "--patient", "NOPE", "--out", str(out), "--db", url)
    assert r.returncode == 1 and "no patient 'NOPE'" in r.stderr and not out.exists()
    r = run("report", "--patient", "P001", "--out", str(out), "--db", url, "--data", "x")
    assert r.returncode == 2  # one source or the other


def test_an_account_gets_only_the_reports_of_its_scope(
    demo_clinic_kept_dates, tmp_path, monkeypatch, capsys
):
    import getpass

    from analytics.access import LOCAL_OPERATOR
    from analytics.service import Service
    from analytics.store import open_store

    url = copy_demo_clinic(demo_clinic_kept_dates, tmp_path)
    with open_store(url) as store:
        admin = Service(store, LOCAL_OPERATOR, face="test")
        admin.add_user(
            "dr.rep", role="clinician", password="correct horse battery", must_change_password=False
        )
        admin.assign("dr.rep", ["P001"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": "correct horse battery")
    own, other = tmp_path / "own.pdf", tmp_path / "other.pdf"
    base = ["report", "--db", url, "--as", "dr.rep", "--to", "2026-11-30"]
    assert main([*base, "--patient", "P001", "--out", str(own)]) == 0
    assert main([*base, "--patient", "P006", "--out", str(other)]) == 1
    assert "denied" in capsys.readouterr().err.lower()
    assert not other.exists()
    cohort = tmp_path / "cohort.pdf"
    assert main(["report", "--cohort", "--db", url, "--as", "dr.rep", "--out", str(cohort)]) == 0
    assert "Patients 1 " in pdf_text(cohort.read_bytes())  # the assigned patient only
    with open_store(url) as store:
        log = Service(store, LOCAL_OPERATOR, face="test").audit_log(username="dr.rep", limit=50)
    assert ((log["patient_id"] == "P006") & (log["outcome"] == "denied")).any()
