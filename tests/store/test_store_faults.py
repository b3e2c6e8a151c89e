"""Regression tests from the store review: misuse and races give clear errors, never loss.

Each test names the fault it pins; the store had no test (or the wrong outcome) for it before.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from analytics.cli import main
from analytics.errors import StoreError
from analytics.store import NotFoundError, Store, open_store

ACTOR = "clinician:review"


def _patient(store: Store, pid: str = "P001") -> None:
    store.save_patient(ACTOR, {"patient_id": pid, "condition": "neck_pain"})


# --------------------------------------------------------------------------- opening


@pytest.mark.parametrize("create", [True, False])
def test_a_database_from_a_newer_version_is_refused_unchanged(db_url: str, create: bool) -> None:
    # Before the review create=True let Alembic's CommandError ("Can't locate revision")
    # escape as a traceback, and create=False advised migrating, which cannot work.
    with open_store(db_url) as s:
        _patient(s)
        with s.engine.begin() as conn:
            conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999_future'")
    name = sa.make_url(db_url).render_as_string(hide_password=True)
    name = sa.make_url(db_url).database if db_url.startswith("sqlite") else name
    with pytest.raises(StoreError, match=r"newer version of paindiary.*9999_future") as info:
        open_store(db_url, create=create)
    assert str(name) in str(info.value)
    engine = sa.create_engine(db_url)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == (
                "9999_future"
            )
            assert conn.exec_driver_sql("SELECT count(*) FROM patients").scalar() == 1
    finally:
        engine.dispose()


def test_a_missing_folder_in_a_sqlite_url_is_an_error_not_a_new_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before the review any missing parent folders were created, so a typo such as
    # sqlite:///tmp/clinic.sqlite3 (three slashes: relative) silently opened a new,
    # empty database under the current directory.
    monkeypatch.chdir(tmp_path)
    with pytest.raises(
        StoreError, match=rf"{tmp_path / 'srv'}.*does not exist.*sqlite:////absolute"
    ):
        open_store("sqlite:///srv/paindiary/db.sqlite3")
    assert list(tmp_path.iterdir()) == []
    # an existing folder, relative or absolute, is fine; messages give the absolute path
    with open_store("sqlite:///here.sqlite3") as s:
        assert s.name == str(tmp_path / "here.sqlite3")


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "sqlite:///:memory:"])
def test_in_memory_sqlite_is_refused(url: str) -> None:
    # An in-memory database loses every entry on close (and differs per thread).
    with pytest.raises(StoreError, match="in-memory"):
        open_store(url)


# --------------------------------------------------------------------------- races


def test_editing_a_day_while_another_thread_deletes_it_loses_nothing(store: Store) -> None:
    """A writer replaces a day while another deletes it: every outcome is reported and the
    history is one unbroken chain (each old value is the previous new one) ending in what
    is stored."""
    _patient(store)
    day = dt.date(2024, 5, 1)
    store.save_diary_entry(ACTOR, {"patient_id": "P001", "date": day, "pain": 0.0})
    rounds = 30
    outcomes: dict[str, list[str]] = {"edit": [], "delete": []}
    start = threading.Barrier(2)

    def edit() -> None:
        start.wait(60)
        for k in range(1, rounds + 1):
            entry = {"patient_id": "P001", "date": day, "pain": k / 10}
            outcomes["edit"].append(store.save_diary_entry(ACTOR, entry, replace=True).action)
            time.sleep(0.002)  # yield, so that edits and deletions interleave

    def delete() -> None:
        start.wait(60)
        for _ in range(rounds):
            try:
                store.delete_diary_entry(ACTOR, "P001", day, reason="race test")
                outcomes["delete"].append("deleted")
            except NotFoundError:
                outcomes["delete"].append("not found")
            time.sleep(0.002)

    threads = [threading.Thread(target=edit), threading.Thread(target=delete)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(outcomes["edit"]) == rounds and len(outcomes["delete"]) == rounds
    assert set(outcomes["edit"]) <= {"created", "updated"}
    assert "deleted" in outcomes["delete"]  # the first deletion always finds the day

    chain = store.history(ACTOR, "P001")
    chain = chain[(chain["table"] == "diary") & (chain["key"] == day.isoformat())]
    assert (chain["action"] == "delete").sum() == outcomes["delete"].count("deleted")
    assert (chain["action"] == "update").sum() == outcomes["edit"].count("updated")
    assert (chain["action"] == "create").sum() == 1 + outcomes["edit"].count("created")
    previous_new = None
    for old, new in zip(chain["old"], chain["new"], strict=True):
        old_v = None if isinstance(old, float) else json.loads(old)
        assert old_v == previous_new  # no lost update: every change starts from the last state
        previous_new = None if isinstance(new, float) else json.loads(new)
    stored = store.get_diary_entry(ACTOR, "P001", day)
    assert (stored and stored["pain"]) == (previous_new and previous_new["pain"])


def test_a_session_with_a_time_and_one_without_on_the_same_day_are_two_sessions(
    store: Store,
) -> None:
    # The contract's session key is (patient_id, date-time); a date alone means midnight,
    # exactly as the loader reads sessions.csv. Pinned so that a change is deliberate.
    _patient(store)
    base = {"patient_id": "P001", "technique": "manual"}
    assert store.save_session(ACTOR, {**base, "date": "2024-03-04"}).action == "created"
    assert store.save_session(ACTOR, {**base, "date": "2024-03-04T10:30"}).action == "created"
    same = store.save_session(ACTOR, {**base, "date": "2024-03-04T00:00"})
    assert same.action == "unchanged"
    assert store.sessions(ACTOR)["date"].dt.strftime("%H:%M").tolist() == ["00:00", "10:30"]


# --------------------------------------------------------------------------- CLI


@pytest.fixture
def small_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with open_store(url) as s:
        _patient(s)
        s.save_diary_entry(ACTOR, {"patient_id": "P001", "date": "2024-05-01", "pain": 3})
    return url


def test_export_never_overwrites_existing_csv_files(
    small_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before the review an export silently replaced the CSV files of DIR (which may be
    # the very files a clinic imported from).
    out = tmp_path / "out"
    out.mkdir()
    (out / "diary.csv").write_text("precious\n")
    (out / "readme.txt").write_text("other files are fine\n")
    assert main(["export", str(out), "--db", small_db]) == 1
    err = capsys.readouterr().err
    assert "already holds diary.csv" in err and "nothing was exported" in err
    assert (out / "diary.csv").read_text() == "precious\n"
    assert not (out / "patients.csv").exists()

    fresh = tmp_path / "fresh"
    fresh.mkdir()
    (fresh / "readme.txt").write_text("x")
    assert main(["export", str(fresh), "--db", small_db]) == 0
    assert (fresh / "diary.csv").exists()


def test_export_to_a_file_or_under_a_file_is_a_message(
    small_db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Before the review mkdir's FileExistsError / NotADirectoryError escaped as tracebacks.
    a_file = tmp_path / "a_file"
    a_file.write_text("x")
    assert main(["export", str(a_file), "--db", small_db]) == 1
    assert "is a file, not a directory" in capsys.readouterr().err
    assert main(["export", str(a_file / "sub"), "--db", small_db]) == 1
    err = capsys.readouterr().err
    assert "error:" in err and str(a_file) in err and "Traceback" not in err
    assert a_file.read_text() == "x"
