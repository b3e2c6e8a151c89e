"""Every table's download is one server-side, formula-safe, recorded CSV.

Streamlit's toolbar download (unrecorded, formulas left as they were) is switched
off in the app's config; a page's table goes through ``Service.table_csv``, which
writes with the export's own writer and records the file before any byte leaves.
A refused download writes one "denied" row and nothing else. The audit log's own
download (the Admin page's) neutralises what an anonymous visitor typed as a username.
"""

from __future__ import annotations

import csv
import io
import os
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import streamlit as st
from streamlit import config as st_config
from streamlit.testing.v1 import AppTest

from analytics.access import (
    LOCAL_OPERATOR,
    SIGN_IN_REFUSED,
    User,
    authenticate,
    hash_password,
    user_from_record,
)
from analytics.cli import main as cli_main
from analytics.errors import AccessDeniedError, AuthenticationError
from analytics.io import _exports as export_writer
from analytics.io import format_table, restore_cell, write_tables
from analytics.service import Service
from analytics.store import Store, open_store
from dashboard import navigation
from dashboard.components.table_download import (
    DOWNLOAD_LABEL,
    csv_producer,
    file_name,
    shown_columns,
)
from dashboard.data import audit_csv_callable

from ..dashboard.conftest import APP, USERS, demo_db, demo_template, new_app, signed_in_app
from .conftest import audit_trail, fingerprint

__all__ = ["demo_db", "demo_template"]

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


# ------------------------------------- a username typed at the sign-in form, downloaded

#: What an anonymous visitor types as a username: a spreadsheet would run it.
PLANTED_NAME = '=HYPERLINK("http://evil","x")'


def test_a_formula_typed_as_a_username_is_neutralised_in_the_admin_s_audit_download(
    clinic: tuple[Store, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, path = clinic
    url = f"sqlite:///{path}"
    store.add_user(
        "setup", username="root", role="admin", password_hash=hash_password("admin password 12")
    )
    trail = audit_trail(url)
    with pytest.raises(AuthenticationError) as refused:
        authenticate(store, PLANTED_NAME, "not the password", face="dashboard:login")
    assert str(refused.value) == SIGN_IN_REFUSED
    [planted] = audit_trail(url)[len(trail) :]
    # the name is recorded as typed (printable ASCII is kept; no look-alike to name)
    assert (planted.username, planted.action, planted.outcome, planted.detail) == (
        PLANTED_NAME, "login_failed", "failed", {"reason": "unknown user"},
    )  # fmt: skip

    # the admin downloads the whole log through what the Admin page's button calls
    monkeypatch.setenv("PAINDIARY_DB", url)
    record = store.user_record("root")
    assert record is not None
    before = fingerprint(path)
    trail = audit_trail(url)
    downloaded = audit_csv_callable(user_from_record(record))()

    rows = list(csv.DictReader(io.StringIO(downloaded.decode("utf-8"), newline="")))
    [row] = [r for r in rows if r["action"] == "login_failed"]
    assert row["username"] == "'" + PLANTED_NAME
    assert not any(v.startswith("=") for r in rows for v in r.values())
    # byte for byte what the CLI's CSV writer makes of the same cells: the cells as
    # recorded (the neutralising quote taken off again), written by analytics.io
    cells = pd.read_csv(io.BytesIO(downloaded), dtype="str", keep_default_na=False)
    assert cells["username"].tolist().count(PLANTED_NAME) == 0
    recorded = cells.apply(restore_cell)
    assert recorded["username"].tolist().count(PLANTED_NAME) == 1
    [written] = write_tables({"audit": recorded}, tmp_path / "cli")
    assert written.read_bytes() == downloaded

    # the download is recorded, once, and nothing else changed
    after = fingerprint(path)
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    [export] = audit_trail(url)[len(trail) :]
    assert (export.username, export.action, export.outcome) == ("root", "export", "ok")
    assert export.detail["what"] == "audit log (CSV)"
    assert export.detail["n_rows"] == len(rows)


# ------------------------------------------------ every table of every page: its button

#: The chart's patient (dr.a's first), given an active share link so that its table shows.
CHART_PATIENT = "P001"

#: Tables whose file is another button of the page: (page, first column) -> that key.
OTHER_DOWNLOAD = {
    # "Download these rows (CSV)": every matching row, not only the page of 50 shown;
    # recorded and formula-safe (Service.audit_log_csv)
    ("views/admin.py", "When (UTC)"): "admin.audit.download",
}

#: Tables of accounts and links, not of a patient's rows, shown without a download of their
#: own (each entry must still match a table without one, so an entry goes as soon as its
#: table gains the button).
NO_DOWNLOAD = {
    ("views/patient_chart.py", "Made by"): "the patient's share links (components/share_panel.py)",
    ("views/admin.py", "Username"): "the accounts (views/admin.py)",
    ("views/admin.py", "Clinician code"): "clinician codes (components/onboarding_panel.py)",
    ("views/admin.py", "Made by"): "the clinic's share links (components/share_link_review.py)",
}


@pytest.fixture
def demo(demo_db: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The demo clinic (``$PAINDIARY_DB``) with an active share link of the chart's patient.

    Returns the link's token.
    """
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)
    with open_store(demo_db) as s:
        record = s.user_record(USERS["clinician"])
        assert record is not None
        return str(
            Service(s, user_from_record(record), face="test:setup").create_share_link(
                CHART_PATIENT, days=7
            )
        )


def _tables(at: AppTest) -> list[tuple[Any, Any]]:
    """Every table of the page, with the element drawn right after it in its container.

    A display table carries no key in Streamlit 1.67 (only a selectable one does), so a
    table's button is found where ``data_table`` draws it: next, in the same container.
    """
    found: list[tuple[Any, Any]] = []

    def walk(block: Any) -> None:
        children = [block.children[i] for i in sorted(block.children)]
        for i, node in enumerate(children):
            if node.type == "dataframe":
                found.append((node, children[i + 1] if i + 1 < len(children) else None))
            elif getattr(node, "children", None) is not None:
                walk(node)

    walk(at._tree)
    return found


def _open(page: str, token: str) -> AppTest:
    if page == "views/shared.py":  # the share link's page, nobody signed in
        at = new_app()
        at.query_params["token"] = token
    else:
        role = next(p for p in navigation.PAGES if p.script == page).roles[0]
        at = signed_in_app(USERS[role])
        at.session_state["chart.patient"] = CHART_PATIENT
        at.switch_page(page)
    return at.run()


#: Pages that show tables of the demo clinic (the test below must find them there).
SHOW_TABLES = {
    "views/history.py", "views/clinic_overview.py", "views/patient_chart.py",
    "views/treatment_response.py", "views/admin.py", "views/shared.py",
}  # fmt: skip


@pytest.mark.parametrize("page", [*(p.script for p in navigation.PAGES), "views/shared.py"])
def test_every_table_of_a_page_has_its_recorded_download(demo: str, page: str) -> None:
    at = _open(page, demo)
    assert not at.exception
    buttons = {b.key for b in at.download_button}
    tables = _tables(at)
    assert (page in SHOW_TABLES) == any(not t.value.empty for t, _ in tables)
    seen = set()
    for table, after in tables:
        name = (page, str(table.value.columns[0]))
        seen.add(name)
        if table.value.empty:  # nothing to download: data_table draws no button
            assert not (after is not None and after.type == "download_button")
        elif name in NO_DOWNLOAD:
            assert not (after is not None and after.type == "download_button"), name
        elif name in OTHER_DOWNLOAD:
            assert OTHER_DOWNLOAD[name] in buttons
        else:
            assert after is not None and after.type == "download_button", name
            assert after.label == DOWNLOAD_LABEL and after.key.endswith(".csv")
            if table.key is not None:  # a selectable table: the button is keyed for it
                assert after.key == f"{table.key}.csv"
    listed = {n for n in (*NO_DOWNLOAD, *OTHER_DOWNLOAD) if n[0] == page}
    assert listed <= seen  # no entry outlives its table


def test_the_served_app_turns_the_table_toolbar_download_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the config files Streamlit reads for `streamlit run dashboard/app.py`, in its order
    # (later ones win), folded as it folds them; no environment variable overrides them
    monkeypatch.setattr(st_config, "_main_script_path", APP)
    client: dict[str, Any] = {}
    for found in map(Path, st_config.get_config_files("config.toml")):
        if found.is_file():
            client.update(tomllib.loads(found.read_text("utf-8")).get("client", {}))
    assert (client["disableDataExport"], client["toolbarMode"]) == (True, "minimal")
    overrides = {"STREAMLIT_CLIENT_DISABLE_DATA_EXPORT", "STREAMLIT_CLIENT_TOOLBAR_MODE"}
    assert not overrides & set(os.environ)
