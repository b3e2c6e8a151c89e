"""The audit log on the Admin page: in words, filtered, downloadable; one row per visit."""

from __future__ import annotations

import csv
import io
import json

import pandas as pd
import pytest

from analytics import access
from analytics.errors import AuthenticationError
from analytics.presentation import AUDIT_COLUMN_LABELS
from analytics.store import open_store
from dashboard import data

from .conftest import open_page

_NAMES = {v: k for k, v in AUDIT_COLUMN_LABELS.items()}


def _log(url: str) -> pd.DataFrame:
    with open_store(url) as store:
        return store.audit_log("test")


def _table(at) -> pd.DataFrame:
    return at.dataframe[-1].value.rename(columns=_NAMES)


def _wrong_password(url: str, username: str = "dr.b") -> None:
    with open_store(url) as store, pytest.raises(AuthenticationError):
        access.authenticate(store, username, "not the password", face="test")


def test_one_overview_visit_writes_one_row(demo_db):
    before = len(_log(demo_db))
    at = open_page("views/clinic_overview.py", user="dr.a")
    at.run()  # a rerun of the same visit (a filter, a sort) reads nothing new
    at.run()
    new = _log(demo_db).iloc[before:]
    # one row each for the patients' outcomes, their courses of treatment and the
    # questionnaires due; a rerun of the visit adds none
    assert new[["username", "action", "patient_id"]].values.tolist() == [["dr.a", "view", "*"]] * 3
    assert {json.loads(d)["purpose"] for d in new["detail"]} == {"Clinic overview"}
    open_page("views/clinic_overview.py", user="dr.a")  # another visit: its rows again
    assert len(_log(demo_db)) == before + 6


def test_an_import_preview_is_recorded_once(demo_db):
    at = open_page("views/data_manager.py", user="admin")
    at.session_state["data.section"] = "⬆️ Import CSV"
    at.run()
    text = b"patient_id,date,pain\nP001,2026-11-01,4\nP001,2026-11-02,5\n"
    at.file_uploader(key="data.upload.diary").set_value(("diary.csv", text, "text/csv")).run()
    assert not at.exception
    at.run()
    at.run()
    previews = _log(demo_db).query("action == 'import' and username == 'admin'")
    assert len(previews) == 1
    assert json.loads(previews["detail"].iloc[0])["dry_run"] is True


def test_the_log_says_what_happened_and_keeps_the_detail(demo_db):
    open_page("views/my_progress.py", user="p003")
    at = open_page("views/admin.py", user="admin")
    assert not at.exception
    table = _table(at)
    assert list(table.columns[:2]) == ["at", "what"]
    assert "Viewed the diary of P003 (My progress)" in set(table["what"])
    mine = table[table["what"] == "Viewed the diary of P003 (My progress)"].iloc[0]
    assert json.loads(mine["detail"])["purpose"] == "My progress"  # as recorded, beside it


def test_filters_by_action_user_patient_and_outcome(demo_db):
    open_page("views/my_progress.py", user="p003")
    _wrong_password(demo_db)
    at = open_page("views/admin.py", user="admin")
    at.selectbox(key="admin.audit.action").set_value("login_failed").run()
    table = _table(at)
    assert set(table["action"]) == {"login_failed"}
    assert table["what"].iloc[0].startswith("Sign-in refused: wrong password")
    at.selectbox(key="admin.audit.action").set_value(None)
    at.selectbox(key="admin.audit.patient").set_value("P003").run()
    assert set(_table(at)["patient_id"]) == {"P003"}
    at.selectbox(key="admin.audit.patient").set_value(None)
    at.selectbox(key="admin.audit.user").set_value("p003").run()
    assert set(_table(at)["username"]) == {"p003"}
    at.selectbox(key="admin.audit.user").set_value(None)
    at.selectbox(key="admin.audit.outcome").set_value("failed").run()
    assert set(_table(at)["outcome"]) == {"failed"}


def test_denied_and_failed_quick_filter(demo_db):
    _wrong_password(demo_db)
    open_page("views/admin.py", user="dr.a")  # a refused page
    at = open_page("views/admin.py", user="admin")
    at.toggle(key="admin.audit.problems").set_value(True).run()
    table = _table(at)
    assert set(table["outcome"]) <= {"denied", "failed"} and len(table)
    assert "failed" in set(table["outcome"])
    assert at.selectbox(key="admin.audit.outcome").disabled
    assert at.button(key="admin.audit.prev").disabled  # a new filter starts at the first page


def test_the_download_of_the_filtered_rows_is_recorded(demo_db):
    _wrong_password(demo_db)
    at = open_page("views/admin.py", user="admin")
    at.toggle(key="admin.audit.problems").set_value(True).run()
    assert any(b.key == "admin.audit.download" for b in at.get("download_button"))
    before = len(_log(demo_db))  # showing the button exports nothing
    with open_store(demo_db) as store:
        record = store.user_record("admin")
    assert record is not None
    admin = access.user_from_record(record)
    body = data.audit_csv_callable(admin, outcomes=["denied", "failed"])()
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert rows and {r["outcome"] for r in rows} <= {"denied", "failed"}
    recorded = _log(demo_db).iloc[before:]
    assert recorded[["username", "action", "outcome"]].values.tolist() == [
        ["admin", "export", "ok"]
    ]
    assert json.loads(recorded["detail"].iloc[0])["what"] == "audit log (CSV)"
