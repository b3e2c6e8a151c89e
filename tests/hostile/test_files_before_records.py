"""A report or FHIR bundle appears only after it is recorded in the audit log.

A patient account may see its own rows but not record a cohort report: the command
is refused before it reads a row, says nothing was written, and no file (nor a
temporary one) is left.
"""

from __future__ import annotations

import getpass
from pathlib import Path

import pytest

from analytics.access import LOCAL_OPERATOR
from analytics.errors import AccessDeniedError
from analytics.service import Service
from analytics.store import open_store

from .conftest import fingerprint, run_cli

PASSWORD = "correct horse battery"


@pytest.fixture
def patient_account(db: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    url, path = db
    with open_store(url) as store:
        Service(store, LOCAL_OPERATOR, face="test").add_user(
            "p1", role="patient", patient_id="P1", password=PASSWORD, must_change_password=False
        )
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": PASSWORD)
    return url, path


def _audit_rows(url: str) -> list[tuple[str, str, str]]:
    with open_store(url) as store:
        log = Service(store, LOCAL_OPERATOR, face="test").audit_log(username="p1", limit=50)
    return list(zip(log["action"], log["outcome"], log["patient_id"], strict=True))


def test_a_patient_cohort_report_is_refused_and_no_file_appears(
    patient_account: tuple[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url, path = patient_account
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    before = fingerprint(path)
    code, out, err = run_cli(
        "report", "--cohort", "--db", url, "--as", "p1", "--out", str(out_dir / "c.pdf")
    )
    assert code == 1 and out == ""
    assert (
        err
        == "error: Access denied: a patient's files cover their own diary only. Nothing was written.\n"
    )
    assert list(out_dir.iterdir()) == []  # neither c.pdf nor a temporary file
    after = fingerprint(path)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    rows = _audit_rows(url)
    assert ("report", "denied", "*") in rows
    assert [r for r in rows if r[0] == "view"] == []  # refused before a row was read


@pytest.mark.parametrize("command", ["report", "fhir"])
def test_an_own_file_is_recorded_and_then_written(
    patient_account: tuple[str, Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
) -> None:
    url, _ = patient_account
    out = tmp_path / ("own.pdf" if command == "report" else "own.json")
    code, stdout, err = run_cli(
        command, "--patient", "P1", "--db", url, "--as", "p1", "--out", str(out)
    )
    assert code == 0, err
    assert stdout.startswith("Wrote ") and out.stat().st_size > 0
    action = "report" if command == "report" else "export"
    assert (action, "ok", "P1") in _audit_rows(url)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".own")) == []


@pytest.mark.parametrize("command", ["report", "fhir"])
def test_the_record_is_written_while_the_file_is_not_there_yet(
    patient_account: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    url, _ = patient_account
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / ("own.pdf" if command == "report" else "own.json")
    method = "record_report" if command == "report" else "record_export"
    real = getattr(Service, method)
    seen: list[tuple[bool, list[str]]] = []

    def watched(self: Service, *args: object, **kwargs: object) -> None:
        # at the moment of the record: the file's bytes wait under a temporary name
        seen.append((out.exists(), sorted(p.name for p in folder.iterdir())))
        real(self, *args, **kwargs)

    monkeypatch.setattr(Service, method, watched)
    code, stdout, err = run_cli(
        command, "--patient", "P1", "--db", url, "--as", "p1", "--out", str(out)
    )
    assert code == 0, err
    assert len(seen) == 1
    existed, names = seen[0]
    assert not existed
    assert len(names) == 1 and names[0].startswith(".own") and names[0] != out.name
    assert sorted(p.name for p in folder.iterdir()) == [out.name]


@pytest.mark.parametrize("command", ["report", "fhir"])
def test_a_record_that_fails_leaves_no_file(
    patient_account: tuple[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    url, path = patient_account
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / ("own.pdf" if command == "report" else "own.json")
    method = "record_report" if command == "report" else "record_export"

    def refused(self: Service, *args: object, **kwargs: object) -> None:
        raise AccessDeniedError("Access denied: the record could not be made.")

    monkeypatch.setattr(Service, method, refused)
    before = fingerprint(path)
    code, stdout, err = run_cli(
        command, "--patient", "P1", "--db", url, "--as", "p1", "--out", str(out)
    )
    assert (code, stdout) == (1, "")
    assert err == "error: Access denied: the record could not be made. Nothing was written.\n"
    assert list(folder.iterdir()) == []  # neither the file nor its temporary
    after = fingerprint(path)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
