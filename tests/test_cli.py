"""The `paindiary` command line: validate, exit codes, help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from analytics.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *args], capture_output=True, text=True, cwd=ROOT
    )


def test_every_subcommand_has_help():
    parser = build_parser()
    commands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(commands) >= {"validate", "analyze", "import", "export", "init-demo"}
    for name in commands:
        with pytest.raises(SystemExit) as info:
            main([name, "--help"])
        assert info.value.code == 0


def test_usage_errors_exit_2():
    assert run().returncode == 2
    assert run("validate").returncode == 2
    assert run("frobnicate").returncode == 2


def test_validate_sample_data_exits_0():
    result = run("validate", "sample_data")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: ")


def test_validate_bad_data_lists_problems_and_exits_1(tmp_path):
    (tmp_path / "patients.csv").write_text("patient_id,condition\nP1,neck_pain\n")
    (tmp_path / "diary.csv").write_text(
        "patient_id,date,pain\nP1,2026-01-01,11\nP1,14/01/2026,3\nP2,2026-01-02,3\n"
    )
    (tmp_path / "sessions.csv").write_text(
        "patient_id,date,technique,frequency_hz\nP1,2026-01-01,electro,\n"
    )
    result = run("validate", str(tmp_path))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines == [
        'diary.csv:2: pain: pain is "11"; pain must be a number from 0 to 10',
        'diary.csv:3: date: date is "14/01/2026"; date must be an ISO 8601 date YYYY-MM-DD '
        "(e.g. 2026-03-14); day/month order is never guessed",
        'diary.csv:4: patient_id: patient_id "P2" is not in patients.csv; add the patient there first '
        "or correct the id",
        "sessions.csv:2: frequency_hz: electro session without frequency_hz; give the stimulation "
        "frequency in Hz, e.g. 2, 100 or 2/100 (dense-disperse)",
    ]
    assert "4 problems in 2 files" in result.stderr
    assert "Traceback" not in result.stderr


def test_validate_reports_unknown_columns_as_warnings(tmp_path):
    (tmp_path / "diary.csv").write_text("patient_id,date,pain,colour\nP1,2026-01-01,1,red\n")
    result = run("validate", str(tmp_path))
    assert result.returncode == 0
    assert "unknown column(s) colour" in result.stderr


def test_validate_missing_directory_is_a_clear_error(tmp_path):
    result = run("validate", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert "is not a directory" in result.stderr and "Traceback" not in result.stderr


def test_validate_semicolon_file(tmp_path):
    (tmp_path / "diary.csv").write_text("patient_id;date;pain\nP1;2026-01-01;1\n")
    result = run("validate", str(tmp_path))
    assert result.returncode == 1
    assert "diary.csv:1: this file looks semicolon-separated" in result.stdout
