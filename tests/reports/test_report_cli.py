"""``paindiary report`` end to end: files, exit codes, messages."""

from __future__ import annotations

import subprocess
import sys

from analytics.cli import main

from .conftest import ROOT, SAMPLE_DIR, pdf_text


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


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
