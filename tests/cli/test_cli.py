"""The `paindiary` command line: validate, exit codes, help."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest

from analytics.cli import build_parser, main
from tests.commands import run_paindiary

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return run_paindiary(*args)


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


TOMORROW = (dt.date.today() + dt.timedelta(days=2)).isoformat()
DIARY_HEAD = "patient_id,date,pain,analgesic_doses,notes\n"
SESSIONS_HEAD = "patient_id,date,technique,frequency_hz,adverse_events\n"

# (file, content, expected first stdout line) for every malformed input the data contract lists
MALFORMED = {
    "wrong delimiter": (
        "diary.csv",
        "patient_id;date;pain\nP1;2026-01-01;1\n",
        "diary.csv:1: this file looks semicolon-separated",
    ),
    "not utf-8": (
        "diary.csv",
        (DIARY_HEAD + "P1,2026-01-01,1,,caf\xe9\n").encode("latin-1"),
        "diary.csv:2: file is not UTF-8 text: byte 0xE9 at offset 63 (line 2, character 21)",
    ),
    "missing required column": (
        "diary.csv",
        "patient_id,pain\nP1,1\n",
        "diary.csv:1: missing required column(s): date; found: patient_id, pain.",
    ),
    "non-numeric": (
        "diary.csv",
        DIARY_HEAD + "P1,2026-01-01,abc,,\n",
        'diary.csv:2: pain: pain is "abc"; pain must be a number from 0 to 10 (use a point',
    ),
    "out of range": (
        "diary.csv",
        DIARY_HEAD + "P1,2026-01-01,10.5,,\n",
        'diary.csv:2: pain: pain is "10.5"; pain must be a number from 0 to 10',
    ),
    "integer as decimal": (
        "diary.csv",
        DIARY_HEAD + "P1,2026-01-01,1,2.0,\n",
        'diary.csv:2: analgesic_doses: analgesic_doses is "2.0"; analgesic_doses must be a '
        "whole number written without a decimal point",
    ),
    "non-ISO date": (
        "diary.csv",
        DIARY_HEAD + "P1,03/01/2026,1,,\n",
        'diary.csv:2: date: date is "03/01/2026"; date must be an ISO 8601 date YYYY-MM-DD',
    ),
    "impossible date": (
        "diary.csv",
        DIARY_HEAD + "P1,2026-02-29,1,,\n",
        'diary.csv:2: date: date is "2026-02-29", which is not a real calendar date',
    ),
    "future date": (
        "diary.csv",
        DIARY_HEAD + f"P1,{TOMORROW},1,,\n",
        f'diary.csv:2: date: date is "{TOMORROW}", in the future; date must not be after today',
    ),
    "duplicate day": (
        "diary.csv",
        DIARY_HEAD + "P1,2026-01-01,1,,\nP1,2026-01-01,2,,\n",
        "diary.csv:2: date: duplicate diary day: the same patient_id and date appear on lines 2, 3",
    ),
    "unknown patient": (
        "diary.csv",
        DIARY_HEAD + "P9,2026-01-01,1,,\n",
        'diary.csv:2: patient_id: patient_id "P9" is not in patients.csv',
    ),
    "electro without frequency": (
        "sessions.csv",
        SESSIONS_HEAD + "P1,2026-01-01,electro,,\n",
        "sessions.csv:2: frequency_hz: electro session without frequency_hz",
    ),
    "frequency on non-electro": (
        "sessions.csv",
        SESSIONS_HEAD + "P1,2026-01-01,manual,2,\n",
        'sessions.csv:2: frequency_hz: frequency_hz is "2" on a non-electro session',
    ),
    "bad frequency text": (
        "sessions.csv",
        SESSIONS_HEAD + "P1,2026-01-01,electro,2 Hz,\n",
        'sessions.csv:2: frequency_hz: frequency_hz is "2 Hz"; it must be a frequency in Hz',
    ),
    "unknown technique": (
        "sessions.csv",
        SESSIONS_HEAD + "P1,2026-01-01,laser,,\n",
        'sessions.csv:2: technique: technique is "laser"; technique must be one of: manual,',
    ),
    "unknown adverse event": (
        "sessions.csv",
        SESSIONS_HEAD + "P1,2026-01-01,manual,,soreness;itching\n",
        "sessions.csv:2: adverse_events: adverse_events has unknown word(s) itching",
    ),
    "text over limit": (
        "diary.csv",
        DIARY_HEAD + "P1,2026-01-01,1,," + "x" * 2001 + "\n",
        "diary.csv:2: notes: notes is longer than 2000 characters",
    ),
    "empty file": ("diary.csv", "", "diary.csv: file is empty; it needs at least the header row"),
    "over size limit": (
        "diary.csv",
        DIARY_HEAD + "P1,2026-01-01,1,,\n" * 60_000,
        "diary.csv: file is larger than the limit of 1 MB",
    ),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_validate_names_file_line_and_column_for_every_malformed_input(tmp_path, case):
    file, content, expected = MALFORMED[case]
    (tmp_path / "patients.csv").write_text("patient_id,condition\nP1,neck_pain\n")
    (tmp_path / "diary.csv").write_text(DIARY_HEAD)
    target = tmp_path / file
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    before = sorted(p.name for p in tmp_path.iterdir())
    result = run("validate", str(tmp_path), "--max-mb", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert result.stdout.splitlines()[0].startswith(expected), result.stdout
    assert "problem" in result.stderr and "Traceback" not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written


def test_validate_header_only_files_are_valid(tmp_path):
    (tmp_path / "diary.csv").write_text(DIARY_HEAD)
    (tmp_path / "sessions.csv").write_text(SESSIONS_HEAD)
    result = run("validate", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("valid: 0 patients, 0 diary days, 0 sessions")
