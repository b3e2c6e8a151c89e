"""``paindiary import / export / init-demo`` on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analytics.access import _auth as auth
from analytics.cli import main
from analytics.io import load_dataset
from analytics.store import open_store, project_root
from tests.store.conftest import SQLITE_ONLY


@pytest.fixture
def db_url(empty_db_url: str) -> str:
    """A database without tables: init-demo makes a new database the demo clinic."""
    return empty_db_url


@pytest.fixture(autouse=True)
def _own_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A key per test (passwords hash cheaply: tests/conftest.py)."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(text))


def _password(monkeypatch: pytest.MonkeyPatch, *answers: str) -> None:
    """Answer getpass prompts in order."""
    replies = iter(answers)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(replies))


def _copy_clinic(src: Path, dst: Path) -> Path:
    dst.mkdir()
    for name in ("patients.csv", "diary.csv", "sessions.csv"):
        shutil.copy(src / name, dst / name)
    return dst


def test_init_demo_is_idempotent(
    db_url: str, clinic_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    out = capsys.readouterr().out
    assert "Created the demo database" in out and "patients" in out
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    assert "nothing was imported" in capsys.readouterr().out
    with open_store(db_url) as s:
        assert s.counts("cli")["patients"] == len(load_dataset(clinic_dir).patients)


def test_init_demo_defaults_to_sample_data_and_paindiary_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PAINDIARY_DB", f"sqlite:///{tmp_path / 'env.sqlite3'}")
    assert main(["init-demo"]) == 0
    assert str(tmp_path / "env.sqlite3") in capsys.readouterr().out
    assert (project_root() / "sample_data" / "diary.csv").exists()


def test_import_export_round_trip(
    db_url: str, clinic_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(clinic_dir), "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "Imported" in out and "inserted" in out
    assert main(["import", str(clinic_dir), "--db", db_url]) == 0  # again: nothing changes
    assert "0 new row(s), 0 updated" in capsys.readouterr().out

    assert main(["export", str(tmp_path / "out"), "--db", db_url]) == 0
    original, exported = load_dataset(clinic_dir), load_dataset(tmp_path / "out")
    for t in ("patients", "diary", "sessions", "entries"):
        assert_frame_equal(getattr(exported, t), getattr(original, t))

    pid = original.patients["patient_id"].iat[-1]
    assert main(["export", str(tmp_path / "one"), "--db", db_url, "--patient", pid]) == 0
    assert set(pd.read_csv(tmp_path / "one" / "diary.csv")["patient_id"]) == {pid}
    assert main(["export", str(tmp_path / "none"), "--db", db_url, "--patient", "NOPE"]) == 1
    assert "no patient 'NOPE'" in capsys.readouterr().err


def test_import_conflicts_then_update(
    db_url: str,
    clinic_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert main(["import", str(clinic_dir), "--db", db_url]) == 0
    edited = _copy_clinic(clinic_dir, tmp_path / "edited")
    lines = (edited / "diary.csv").read_text().splitlines(keepends=True)
    cells = lines[1].split(",")
    cells[2] = "10" if cells[2] != "10" else "0"
    lines[1] = ",".join(cells)
    (edited / "diary.csv").write_text("".join(lines))
    capsys.readouterr()

    assert main(["import", str(edited), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "pain" in err and "--update" in err and "Traceback" not in err
    _stdin(monkeypatch, "boss password 1\n")
    assert main(["user", "add", "boss", "--role", "admin", "--password-stdin", "--own-password",
                 "--db", db_url]) == 0  # fmt: skip
    _password(monkeypatch, "boss password 1")
    assert main(["import", str(edited), "--db", db_url, "--update", "--user", "boss"]) == 0
    assert "1 updated" in capsys.readouterr().out
    with open_store(db_url) as s:
        assert s.history("cli")["actor"].iat[-1] == "boss"
        last = s.audit_log("cli").iloc[-1]
        assert (last["username"], last["role"], last["face"], last["action"]) == (
            "boss",
            "admin",
            "cli:import",
            "import",
        )


@SQLITE_ONLY
def test_invalid_files_and_skip_invalid(
    db_url: str, clinic_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = _copy_clinic(clinic_dir, tmp_path / "bad")
    with (bad / "diary.csv").open("a") as f:
        first = load_dataset(clinic_dir).patients["patient_id"].iat[0]
        f.write(f"{first},2001-01-01,11,,,,,,,,,\n")
    assert main(["import", str(bad), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "diary.csv:" in err and "nothing was written" in err
    with open_store(db_url) as s:
        assert s.counts("cli")["diary"] == 0

    assert main(["import", str(bad), "--db", db_url, "--skip-invalid"]) == 0
    captured = capsys.readouterr()
    assert (bad / "diary.rejects.csv").exists() and "diary.rejects.csv" in captured.err
    assert "2001-01-01" in (bad / "diary.rejects.csv").read_text()


def test_user_errors_are_messages_not_tracebacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"garbage" * 500)
    assert main(["export", str(tmp_path / "out"), "--db", f"sqlite:///{junk}"]) == 1
    assert str(junk) in capsys.readouterr().err
    assert (
        main(["export", str(tmp_path / "out"), "--db", f"sqlite:///{tmp_path / 'missing.sqlite3'}"])
        == 1
    )
    assert "init-demo" in capsys.readouterr().err
    assert (
        main(["import", str(tmp_path / "nowhere"), "--db", f"sqlite:///{tmp_path / 'x.sqlite3'}"])
        == 1
    )
    assert "not a directory" in capsys.readouterr().err


@SQLITE_ONLY
def test_init_demo_moves_the_demo_forward_by_whole_weeks(
    db_url: str, clinic_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import datetime as dt

    source = load_dataset(clinic_dir)
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    assert "weeks forward" in capsys.readouterr().out
    with open_store(db_url) as s:
        stored = s.dataset("test")
    shift = stored.diary["date"] - source.diary["date"]
    days = int(shift.dt.days.iloc[0])
    assert (shift == pd.Timedelta(days=days)).all() and days % 7 == 0
    last = stored.diary["date"].max().date()
    assert dt.date.today() - dt.timedelta(days=7) <= last < dt.date.today()
    assert (stored.sessions["date"] - source.sessions["date"] == pd.Timedelta(days=days)).all()
    starts = stored.patients["start_date"].dropna() - source.patients["start_date"].dropna()
    assert (starts == pd.Timedelta(days=days)).all()


@SQLITE_ONLY
def test_init_demo_keep_dates_imports_exactly(
    db_url: str, clinic_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir), "--keep-dates"]) == 0
    assert "weeks forward" not in capsys.readouterr().out
    with open_store(db_url) as s:
        stored = s.dataset("test")
    source = load_dataset(clinic_dir)
    pd.testing.assert_frame_equal(stored.diary, source.diary)
    pd.testing.assert_frame_equal(stored.sessions, source.sessions)


# --------------------------------------------------------------------------- accounts and demo


@SQLITE_ONLY
def test_init_demo_creates_the_demo_accounts(
    db_url: str, clinic_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    out = capsys.readouterr().out
    ids = sorted(load_dataset(clinic_dir).patients["patient_id"])
    with open_store(db_url) as s:
        assert s.get_setting("demo") == "true"
        users = s.users("test").set_index("username")
        assert users.loc["admin", "role"] == "admin"
        half = (len(ids) + 1) // 2
        a, b = (s.user_record(n) for n in ("clinician-a", "clinician-b"))
        assert a is not None and b is not None
        assert s.assigned_patient_ids(a["id"]) == ids[:half]
        assert s.assigned_patient_ids(b["id"]) == ids[half:]
        assert users.loc[ids[0].lower(), "patient_id"] == ids[0]
        assert len(users) == len(ids) + 3
        listed = auth.demo_accounts(s)
        assert listed is not None and len(listed) == len(ids) + 3
        for account in listed[:3]:
            assert f"{account['username']}" in out and account["password"] in out
        user = auth.authenticate(s, "clinician-b", listed[2]["password"], face="test")
        assert user.role == "clinician"
        assert "$argon2id$" not in out
    # again: nothing new, the same passwords, no new audit rows about accounts
    with open_store(db_url) as s:
        n_audit = len(s.audit_log("test"))
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    again = capsys.readouterr().out
    assert "nothing was imported" in again and listed[0]["password"] in again
    with open_store(db_url) as s:
        assert len(s.audit_log("test")) == n_audit


@SQLITE_ONLY
def test_init_demo_follows_a_new_secret_key(
    db_url: str,
    clinic_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "a" * 40)
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "b" * 40)
    with open_store(db_url) as s:
        assert auth.demo_accounts(s) == []  # the listed passwords would be wrong
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    with open_store(db_url) as s:
        listed = auth.demo_accounts(s)
        assert listed is not None and listed[0]["username"] == "admin"
        assert auth.authenticate(s, "admin", listed[0]["password"]).role == "admin"


@SQLITE_ONLY
def test_init_demo_refuses_a_clinic_database(
    db_url: str, clinic_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(db_url):  # an empty clinic database, created by its owner
        pass
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    err = capsys.readouterr().err
    assert "not created by 'paindiary init-demo'" in err and "nothing was imported" in err
    with open_store(db_url) as s:
        assert s.counts("test")["patients"] == 0 and s.users("test").empty
        assert s.get_setting("demo") is None


@SQLITE_ONLY
def test_importing_patients_into_the_demo_keeps_it_the_demo(
    db_url: str, clinic_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    real = tmp_path / "real"
    real.mkdir()
    (real / "patients.csv").write_text(
        "patient_id,condition,group,start_date,sex,birth_year,clinician_id\nREAL1,knee,,,F,1960,\n"
    )
    (real / "diary.csv").write_text("patient_id,date,pain\nREAL1,2024-01-02,4\n")
    (real / "sessions.csv").write_text("patient_id,date,technique\n")
    assert main(["import", str(real), "--db", db_url]) == 0
    with open_store(db_url) as s:
        assert s.get_setting("demo") == "true"  # a demo from its creation: its pages say so
        assert auth.demo_accounts(s)  # the sign-in page still lists the demo accounts
    capsys.readouterr()
    assert main(["init-demo", "--db", db_url, "--data", str(clinic_dir)]) == 0
    captured = capsys.readouterr()
    assert "refused" not in captured.err and "already holds" in captured.out
    with open_store(db_url) as s:
        assert "real1" not in set(s.users("test")["username"])  # no demo account for REAL1


@SQLITE_ONLY
def test_user_commands(
    db_url: str,
    clinic_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["import", str(clinic_dir), "--db", db_url]) == 0
    pid = load_dataset(clinic_dir).patients["patient_id"].iat[0]
    _password(monkeypatch, "first password", "other password")
    assert main(["user", "add", "doc", "--role", "clinician", "--db", db_url]) == 1
    assert "differ" in capsys.readouterr().err
    _password(monkeypatch, "first password", "first password")
    assert main(["user", "add", "doc", "--role", "clinician", "--db", db_url]) == 0
    _stdin(monkeypatch, "patient password\n")
    assert main(["user", "add", "pat", "--role", "patient", "--patient", pid,
                 "--password-stdin", "--db", db_url]) == 0  # fmt: skip
    _stdin(monkeypatch, "short\n")
    assert main(["user", "add", "x", "--role", "admin", "--password-stdin", "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "8 to 1024 characters" in err and "short" not in err
    assert main(["user", "assign", "doc", pid, "--db", db_url]) == 0
    assert main(["user", "assign", "pat", pid, "--db", db_url]) == 1
    assert "only clinicians" in capsys.readouterr().err
    assert main(["user", "list", "--db", db_url]) == 0
    listing = capsys.readouterr().out
    assert "doc" in listing and "pat" in listing and "argon2" not in listing
    assert "password" not in listing.replace("password_changed_at", "")
    _stdin(monkeypatch, "a new password\n")
    assert main(["user", "passwd", "pat", "--password-stdin", "--db", db_url]) == 0
    assert main(["user", "disable", "pat", "--db", db_url]) == 0
    assert main(["user", "disable", "nobody", "--db", db_url]) == 1
    with open_store(db_url) as s:
        with pytest.raises(auth.AuthenticationError):
            auth.authenticate(s, "pat", "a new password")
        assert auth.authenticate(s, "doc", "first password").role == "clinician"
        admin_rows = s.audit_log("t").query("action == 'user_admin'")
        assert admin_rows["username"].str.startswith("local:").all()
        assert admin_rows["face"].tolist()[:2] == ["cli:user add", "cli:user add"]

    # a clinician may not manage accounts; a wrong password is refused
    _password(monkeypatch, "first password")
    assert main(["user", "list", "--db", db_url, "--user", "doc"]) == 1
    assert "Access denied" in capsys.readouterr().err
    _password(monkeypatch, "wrong password")
    assert main(["user", "list", "--db", db_url, "--user", "doc"]) == 1
    assert "Sign-in refused" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["user", "add", "y", "--role", "root", "--db", db_url])
    assert info.value.code == 2


@SQLITE_ONLY
def test_audit_command(
    db_url: str,
    clinic_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["import", str(clinic_dir), "--db", db_url]) == 0
    pid = load_dataset(clinic_dir).patients["patient_id"].iat[0]
    _stdin(monkeypatch, "clinician password\n")
    assert (
        main(["user", "add", "doc", "--role", "clinician", "--password-stdin", "--db", db_url]) == 0
    )
    with open_store(db_url) as s:
        with pytest.raises(auth.AuthenticationError):
            auth.authenticate(s, "\x1b[31mevil", "whatever password", face="test")
    assert main(["export", str(tmp_path / "one"), "--db", db_url, "--patient", pid]) == 0
    capsys.readouterr()
    assert main(["audit", "--db", db_url]) == 0
    out = capsys.readouterr().out
    assert "login_failed" in out and "import" in out and "user_admin" in out
    assert "export" in out and pid in out
    assert "\x1b" not in out and "\\u001b[31mevil" in out
    assert main(["audit", "--db", db_url, "--user", "doc"]) == 0
    assert "No audit rows match" in capsys.readouterr().out
    assert main(["audit", "--db", db_url, "--limit", "1"]) == 0
    paged = capsys.readouterr().out
    assert "--offset 1" in paged and len(paged.strip().splitlines()) == 3
    assert main(["audit", "--db", db_url, "--since", "not a date"]) == 1
    assert "'since'" in capsys.readouterr().err
    _password(monkeypatch, "clinician password")
    assert main(["audit", "--db", db_url, "--as", "doc"]) == 1
    assert "Access denied" in capsys.readouterr().err


@SQLITE_ONLY
def test_deidentified_export_command(
    db_url: str, clinic_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import", str(clinic_dir), "--db", db_url]) == 0
    assert main(["export", str(tmp_path / "research"), "--db", db_url, "--deidentify"]) == 0
    assert "de-identified" in capsys.readouterr().out
    original = load_dataset(clinic_dir)
    patients = pd.read_csv(tmp_path / "research" / "patients.csv")
    diary = pd.read_csv(tmp_path / "research" / "diary.csv")
    assert len(patients) == len(original.patients) and len(diary) == len(original.diary)
    text = "".join(
        (tmp_path / "research" / f).read_text()
        for f in ("patients.csv", "diary.csv", "sessions.csv")
    )
    for pid in original.patients["patient_id"]:
        assert f"{pid}," not in text
    assert "notes" not in diary.columns and "date" not in diary.columns
    with open_store(db_url) as s:
        last = s.audit_log("t").iloc[-1]
        assert last["action"] == "export" and '"deidentified": true' in last["detail"]
