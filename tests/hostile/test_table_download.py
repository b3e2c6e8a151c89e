"""Every table's download is one server-side, formula-safe, recorded CSV.

Streamlit's toolbar download (unrecorded, formulas left as they were) is switched
off in the app's config; a page's table goes through ``Service.table_csv``, which
writes with the export's own writer and records the file before any byte leaves.
A refused download writes one "denied" row and nothing else.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st

from analytics.access import LOCAL_OPERATOR, User, hash_password, user_from_record
from analytics.cli import main as cli_main
from analytics.errors import AccessDeniedError
from analytics.io import _exports as export_writer
from analytics.io import format_table
from analytics.service import Service
from analytics.store import Store, open_store
from dashboard.components.table_download import csv_producer, file_name, shown_columns

from .conftest import fingerprint

ROOT = Path(__file__).resolve().parents[2]
PLANTED = pd.DataFrame(
    {
        "Day": ["2024-01-02", "2024-01-03"],
        "Pain": [6, 5],
        "Note": ['=HYPERLINK("http://evil.example","x")', "@SUM(1+1)"],
    }
)


@pytest.fixture
def clinic(tmp_path: Path) -> Iterator[tuple[Store, Path]]:
    path = tmp_path / "clinic.sqlite3"
    with open_store(f"sqlite:///{path}") as s:
        for pid in ("P1", "P2"):
            s.save_patient("setup", {"patient_id": pid, "condition": "neck pain"})
        h = hash_password("clinic test password 1")
        s.add_user("setup", username="ann", role="clinician", password_hash=h)
        s.add_user("setup", username="pat", role="patient", patient_id="P1", password_hash=h)
        s.assign("setup", "ann", ["P1"])
        yield s, path


def _as(store: Store, name: str) -> Service:
    record = store.user_record(name)
    assert record is not None
    user: User = user_from_record(record)
    return Service(store, user, face="dashboard:History")


def _exports(store: Store) -> pd.DataFrame:
    log = store.audit_log("test")
    return log[log["action"] == "export"]


def test_the_toolbar_download_is_off_for_every_table() -> None:
    config = tomllib.loads((ROOT / "dashboard/.streamlit/config.toml").read_text("utf-8"))
    assert config["client"]["disableDataExport"] is True


def test_a_table_download_is_formula_safe_and_recorded_before_it_leaves(
    clinic: tuple[Store, Path],
) -> None:
    store, _ = clinic
    data = _as(store, "pat").table_csv(PLANTED, "diary history of P1", patient_id="P1")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows == [
        ["Day", "Pain", "Note"],
        ["2024-01-02", "6", '\'=HYPERLINK("http://evil.example","x")'],
        ["2024-01-03", "5", "'@SUM(1+1)"],
    ]
    exports = _exports(store)
    assert len(exports) == 1
    row = exports.iloc[0]
    assert (row["username"], row["patient_id"], row["outcome"]) == ("pat", "P1", "ok")
    assert "diary history of P1" in row["detail"] and "2 rows" in row["detail"]
    assert PLANTED["Note"].iloc[0].startswith("=")  # the shown frame is left as it was


@pytest.mark.parametrize(
    ("who", "patient", "message"),
    [
        ("pat", None, "Access denied: a patient's files cover their own diary only."),
        (
            "ann",
            "P2",
            "Access denied: ann may reach the patients assigned to you only, not patient 'P2'. "
            "Ask an administrator if this is wrong.",
        ),
    ],
)
def test_a_refused_table_download_writes_one_denied_row_and_no_bytes(
    clinic: tuple[Store, Path], who: str, patient: str | None, message: str
) -> None:
    store, path = clinic
    before = fingerprint(path)
    with pytest.raises(AccessDeniedError) as refused:
        _as(store, who).table_csv(PLANTED, "a table", patient_id=patient)
    assert str(refused.value) == message
    after = fingerprint(path)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    assert after["audit_log"][0] == before["audit_log"][0] + 1
    denied = store.audit_log("test").iloc[-1]
    assert (denied["username"], denied["action"], denied["outcome"]) == (who, "export", "denied")


def test_the_file_holds_the_columns_as_shown() -> None:
    frame = pd.DataFrame({"day": ["d"], "pain": [3], "session_date": ["x"], "raw": [1]})
    config = {
        "day": st.column_config.TextColumn("Day"),
        "pain": st.column_config.NumberColumn("Pain", format="%g"),
        "session_date": None,
    }
    assert list(shown_columns(frame, config).columns) == ["Day", "Pain", "raw"]
    assert list(frame.columns) == ["day", "pain", "session_date", "raw"]
    assert file_name("Diary history of P003", today=pd.Timestamp("2026-01-02").date()) == (
        "paindiary-diary-history-of-p003-2026-01-02.csv"
    )


# ------------------------------------------------- one writer for the CLI and the page

#: Diary notes a spreadsheet would run, and how both files must hold them.
HOSTILE_NOTES = {
    '=HYPERLINK("http://evil.example","x")': '\'=HYPERLINK("http://evil.example","x")',
    "+1 better": "'+1 better",
    "-2 worse": "'-2 worse",
    "@SUM(1+1)": "'@SUM(1+1)",
    "\tTAB": "'\tTAB",
    "\rCR": "'\rCR",
    "plain": "plain",
}


def test_a_table_download_is_written_by_the_cli_export_s_own_functions(
    clinic: tuple[Store, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, path = clinic
    for day, note in enumerate(HOSTILE_NOTES, start=2):
        store.save_diary_entry(
            "setup", {"patient_id": "P1", "date": f"2024-01-{day:02d}", "pain": 5, "notes": note}
        )
    diary = store.patient_dataset("setup", "P1").diary
    # the neutraliser and the CSV writer of analytics.io, watched where they are defined
    phase, calls = [""], {"neutralise_cell": set(), "_to_csv": set()}
    for name in calls:
        real = getattr(export_writer, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            calls[_name].add(phase[0])
            return _real(*args, **kwargs)

        monkeypatch.setattr(export_writer, name, spy)
    before = fingerprint(path)

    phase[0] = "paindiary export"
    out = tmp_path / "export"
    assert cli_main(["export", str(out), "--db", f"sqlite:///{path}", "--patient", "P1"]) == 0
    exported = (out / "diary.csv").read_bytes()
    phase[0] = "table download"
    # the page's table as the dashboard's download button makes it: the same cells,
    # not yet neutralised, through the page's own producer and the service
    shown = format_table(diary, "diary", neutralise=False)
    produce = csv_producer(
        shown, "diary of P1", patient_id="P1", purpose="Patient chart", service=_as(store, "ann")
    )
    downloaded = produce()

    assert calls == {
        "neutralise_cell": {"paindiary export", "table download"},
        "_to_csv": {"paindiary export", "table download"},
    }
    assert downloaded == exported  # byte for byte
    rows = list(csv.DictReader(io.StringIO(downloaded.decode("utf-8"), newline="")))
    assert [r["notes"] for r in rows] == list(HOSTILE_NOTES.values())
    after = fingerprint(path)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    assert after["audit_log"][0] == before["audit_log"][0] + 2  # both recorded
    recorded = _exports(store)[["username", "patient_id", "outcome"]].tail(2)
    assert recorded.to_dict("records") == [
        {"username": LOCAL_OPERATOR.username, "patient_id": "P1", "outcome": "ok"},
        {"username": "ann", "patient_id": "P1", "outcome": "ok"},
    ]
