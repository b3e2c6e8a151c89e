"""Command-line inputs a person can get wrong: an empty patient id, an output that
is not a regular file. Each is one sentence, exit code 1 or 2, and nothing written."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.commands import run_paindiary

from .conftest import fingerprint

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


EMPTY_ID = "a patient id cannot be empty; give one such as P001"
CONTROL_ID = "a patient id cannot contain control characters (a tab, a line break)"


@pytest.mark.parametrize("command", ["report", "fhir"])
@pytest.mark.parametrize("given,why", [("", EMPTY_ID), ("   ", EMPTY_ID), ("P0\t01", CONTROL_ID)])
def test_an_empty_or_garbled_patient_id_is_a_usage_error(
    tmp_path: Path, command: str, given: str, why: str
) -> None:
    out = tmp_path / "out.file"
    r = run_paindiary(command, "--patient", given, "--out", str(out), "--data", str(SAMPLE))
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines()[-1] == f"paindiary {command}: error: argument --patient: {why}"
    assert "Traceback" not in r.stderr
    assert not out.exists()


@pytest.mark.parametrize("given,why", [("", EMPTY_ID), ("   ", EMPTY_ID), ("P0\t01", CONTROL_ID)])
def test_fhir_import_into_an_empty_or_garbled_patient_id_is_a_usage_error(
    tmp_path: Path, db: tuple[str, Path], given: str, why: str
) -> None:
    url, db_file = db
    bundle = tmp_path / "bundle.json"
    bundle.write_text('{"resourceType": "Bundle", "type": "collection", "entry": []}')
    before = fingerprint(db_file)
    r = run_paindiary("fhir-import", str(bundle), "--patient", given, "--db", url)
    assert (r.returncode, r.stdout) == (2, "")
    assert r.stderr.splitlines()[-1] == f"paindiary fhir-import: error: argument --patient: {why}"
    assert "Traceback" not in r.stderr
    assert fingerprint(db_file) == before


def test_the_database_url_is_printed_with_its_password_masked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PAINDIARY_DB", "postgresql+psycopg://ana:S3cretPW@db.clinic.lan/clinic")
    r = run_paindiary("db", "url")
    assert (r.returncode, r.stdout, r.stderr) == (
        0,
        "postgresql+psycopg://ana:***@db.clinic.lan/clinic\n",
        "",
    )
    r = run_paindiary("db", "url", "--db", "postgresql://bo:pw%40x@db/c?sslpassword=k3y")
    assert r.stdout == "postgresql://bo:***@db/c?sslpassword=***\n"


def _pipe(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def _link(tmp_path: Path) -> Path:
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    path = tmp_path / "link.pdf"
    path.symlink_to(target)
    return path


def _folder(tmp_path: Path) -> Path:
    path = tmp_path / "folder.pdf"
    path.mkdir()
    return path


@pytest.mark.parametrize("make", [_pipe, _link, _folder], ids=["pipe", "link", "folder"])
@pytest.mark.parametrize("command", ["report", "fhir"])
def test_an_output_that_is_not_a_regular_file_is_refused_even_with_overwrite(
    tmp_path: Path, make, command: str
) -> None:
    out = make(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    r = run_paindiary(
        command, "--patient", "P001", "--out", str(out), "--data", str(SAMPLE), "--overwrite"
    )
    assert r.returncode == 1 and r.stdout == ""
    assert r.stderr == (
        f"error: {out} is not a regular file (it is a link, a folder, a device or a pipe); "
        "nothing was written. Write to a new file name or to a regular file.\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if out.is_symlink():
        assert out.resolve().read_text() == "keep me"


STDIN = "give it on one line of standard input with --password-stdin"


def _without_input(tmp_path: Path, args: list[str], url: str) -> subprocess.CompletedProcess[str]:
    """``paindiary ARGS --db URL`` with no terminal (a new session) and an empty stdin."""
    return subprocess.run(
        [sys.executable, "-m", "analytics.cli", *args, "--db", url],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        start_new_session=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )


def _ended(done: subprocess.CompletedProcess[str], how: str) -> None:
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.splitlines()[-1] == (
        f"error: no password was given (the input ended); nothing was done: {how}."
    )
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "command,how",
    [
        (["user", "add", "newadmin", "--role", "admin"], f"type it at a terminal, or {STDIN}"),
        (["export", "OUT", "--as", "admin"], "run the command at a terminal to type it"),
    ],
    ids=["user-add", "sign-in"],
)
def test_a_password_prompt_whose_input_ends_is_one_sentence(
    tmp_path: Path,
    db: tuple[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    command: list[str],
    how: str,
) -> None:
    # what getpass does when the input ends (shown for real, in a process without a
    # terminal, by the init test below)
    def ended(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr(getpass, "getpass", ended)
    url, db_file = db
    args = [a.replace("OUT", str(tmp_path / "out")) for a in command]
    before = fingerprint(db_file)
    _ended(run_paindiary(*args, "--db", url), how)
    assert fingerprint(db_file) == before
    assert not (tmp_path / "out").exists()


def test_init_whose_password_input_ends_creates_no_database(tmp_path: Path) -> None:
    # a real process without a terminal (a new session) and an empty standard input
    db_file = tmp_path / "clinic.sqlite3"
    _ended(
        _without_input(tmp_path, ["init"], f"sqlite:///{db_file}"),
        f"type it at a terminal, or {STDIN}",
    )
    assert not db_file.exists()


@pytest.mark.parametrize("command", ["report", "fhir"])
def test_an_output_under_a_file_is_named_as_such(tmp_path: Path, command: str) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    out = a_file / "out.file"
    r = run_paindiary(command, "--patient", "P001", "--out", str(out), "--data", str(SAMPLE))
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"error: {a_file} is a file, not a folder, so out.file cannot be written in it; "
        "nothing was written. Choose a folder for the file.\n"
    )
    assert a_file.read_text() == "keep me"


def test_an_export_under_a_file_says_so_in_a_sentence(tmp_path: Path, db: tuple[str, Path]) -> None:
    url, db_file = db
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    before = fingerprint(db_file)
    r = run_paindiary("export", str(a_file / "out"), "--db", url)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        f"error: {a_file} is a file, not a folder, so {a_file / 'out'} cannot be made; nothing "
        "was exported.\n"
    )
    assert a_file.read_text() == "keep me"
    assert fingerprint(db_file) == before  # not even an export record


def test_an_operating_system_error_is_a_sentence() -> None:
    from analytics.cli._output import os_error_text

    raw = NotADirectoryError(20, os.strerror(20), "notes.txt/out")
    assert os_error_text(raw) == (
        "notes.txt/out: a part of this path is a file, not a folder; choose a folder. "
        "Nothing more was done."
    )
    full = OSError(28, os.strerror(28), "out/diary.csv")
    assert os_error_text(full) == (
        "out/diary.csv: the disk is full; free some space and try again. Nothing more was done."
    )
    # a reason the product wrote itself is kept as written
    own = OSError(28, "No space left on device; nothing was written", "out/diary.csv")
    assert os_error_text(own) == "out/diary.csv: No space left on device; nothing was written"


@pytest.mark.parametrize(
    "name,why",
    [
        ("bad name!", "'bad name!' has a space."),
        (
            "\u0430dmin",
            "'\u0430dmin' has the letter '\u0430' (CYRILLIC SMALL LETTER A), which is not one of a to z.",
        ),
    ],
    ids=["space", "look-alike"],
)
def test_a_username_out_of_the_safe_set_is_refused_before_the_password_is_asked(
    db: tuple[str, Path], monkeypatch: pytest.MonkeyPatch, name: str, why: str
) -> None:
    def asked(prompt: str = "") -> str:
        raise AssertionError(f"the password was asked for first: {prompt!r}")

    monkeypatch.setattr(getpass, "getpass", asked)
    url, db_file = db
    before = fingerprint(db_file)
    done = run_paindiary("user", "add", name, "--role", "admin", "--db", url)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr == (
        "error: Usernames have 1 to 64 letters, digits, dots, dashes or underscores (an e-mail "
        f"address for single sign-on may also have one @); {why} Nothing was written.\n"
    )  # no password prompt came first
    assert fingerprint(db_file) == before


@pytest.mark.parametrize("command", ["report", "fhir"])
def test_a_device_node_is_never_replaced(command: str) -> None:
    before = os.stat("/dev/null")
    r = run_paindiary(
        command, "--patient", "P001", "--out", "/dev/null", "--data", str(SAMPLE), "--overwrite"
    )
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (
        "error: /dev/null is not a regular file (it is a link, a folder, a device or a pipe); "
        "nothing was written. Write to a new file name or to a regular file.\n"
    )
    after = os.stat("/dev/null")
    assert (after.st_ino, after.st_rdev, after.st_mode) == (
        before.st_ino,
        before.st_rdev,
        before.st_mode,
    )
