"""``paindiary import / export / init-demo`` on SQLite and PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from analytics.cli import main
from analytics.loaders import load_dataset
from analytics.store import open_store, project_root


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
    for t in ("patients", "diary", "sessions"):
        assert_frame_equal(getattr(exported, t), getattr(original, t))

    pid = original.patients["patient_id"].iat[-1]
    assert main(["export", str(tmp_path / "one"), "--db", db_url, "--patient", pid]) == 0
    assert set(pd.read_csv(tmp_path / "one" / "diary.csv")["patient_id"]) == {pid}
    assert main(["export", str(tmp_path / "none"), "--db", db_url, "--patient", "NOPE"]) == 1
    assert "no patient 'NOPE'" in capsys.readouterr().err


def test_import_conflicts_then_update(
    db_url: str, clinic_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
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
    assert main(["import", str(edited), "--db", db_url, "--update", "--actor", "clinician:x"]) == 0
    assert "1 updated" in capsys.readouterr().out
    with open_store(db_url) as s:
        assert s.history("cli")["actor"].iat[-1] == "clinician:x"


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
