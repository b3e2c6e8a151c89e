"""The audit log an admin reads: words, filters in SQL, repeated refusals counted, the CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics import access
from analytics.access import LOCAL_OPERATOR
from analytics.contract import Dataset
from analytics.errors import AccessDeniedError, AuthenticationError
from analytics.io import validate_records
from analytics.presentation import audit_table, audit_what
from analytics.service import SHARE_DENIAL_WINDOW, Service
from analytics.store import Store, open_store

PASSWORD = "correct horse battery 7"


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "audit-tests-" + "k" * 32)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'clinic.sqlite3'}") as s:
        s.import_dataset(
            "test:setup",
            Dataset(
                patients=validate_records("patients", [{"patient_id": "P1", "condition": "neck"}]),
                diary=validate_records(
                    "diary", [{"patient_id": "P1", "date": "2024-02-01", "pain": 3}]
                ),
                sessions=validate_records("sessions", []),
            ),
        )
        local = Service(s, LOCAL_OPERATOR, face="test:setup")
        local.add_user("admin", role="admin", password=PASSWORD, must_change_password=False)
        local.add_user("ann", role="clinician", password=PASSWORD, must_change_password=False)
        local.assign("ann", ["P1"])
        yield s


def _as(store: Store, name: str) -> Service:
    record = store.user_record(name)
    assert record is not None
    return Service(store, access.user_from_record(record), face="test")


# --------------------------------------------------------------------------- words


@pytest.mark.parametrize(
    ("action", "detail", "patient", "outcome", "words"),
    [
        (
            "view",
            {"purpose": "My progress"},
            "P003",
            "ok",
            "Viewed the diary of P003 (My progress)",
        ),
        ("login", {}, None, "ok", "Signed in"),
        (
            "login_failed",
            {"reason": "wrong password (2 in a row)"},
            None,
            "failed",
            "Sign-in refused: wrong password (2 in a row)",
        ),
        (
            "export",
            {"deidentified": True, "format": "zip"},
            "*",
            "ok",
            "Exported the clinic, de-identified (zip)",
        ),
        (
            "view",
            {"purpose": "Clinic overview", "n_patients": 30},
            "*",
            "ok",
            "Viewed the outcomes of 30 patient(s) (Clinic overview)",
        ),  # fmt: skip
        (
            "user_admin",
            {"op": "assign", "clinician": "ann", "patient_ids": ["P1", "P2"]},
            None,
            "ok",
            "Assigned 2 patient(s) to ann",
        ),  # fmt: skip
        (
            "share_use",
            {"reason": "revoked", "link_id": 3},
            "P1",
            "denied",
            "Share link to P1 refused: revoked",
        ),  # fmt: skip
        (
            "import",
            {"dry_run": True, "counts": {"diary": {"inserted": 2, "updated": 0}}},
            "*",
            "ok",
            "Previewed an import: it would add 2 new row(s), 0 changed",
        ),  # fmt: skip
    ],
)
def test_each_row_says_what_happened(action, detail, patient, outcome, words) -> None:
    assert audit_what(action, json.dumps(detail), patient_id=patient, outcome=outcome) == words


def test_a_counted_repeat_says_how_many_times() -> None:
    said = audit_what(
        "share_use", '{"reason": "expired"}', patient_id="P1", outcome="denied", n_times=4
    )
    assert said == "Share link to P1 refused: expired — 4 times"


def test_unreadable_detail_still_gives_words() -> None:
    assert audit_what("logout", "not json") == "Signed out"
    assert audit_what("something_new", None) == "something_new"


# --------------------------------------------------------------------------- filters in SQL


def test_filters_by_action_and_outcome_in_the_query(store: Store) -> None:
    with pytest.raises(AuthenticationError):
        access.authenticate(store, "ann", "wrong password", face="test")
    with pytest.raises(AccessDeniedError):
        _as(store, "ann").users()
    admin = _as(store, "admin")
    problems = admin.audit_log(outcomes=["denied", "failed"], limit=None)
    assert set(problems["outcome"]) == {"denied", "failed"}
    assert set(problems["username"]) == {"ann"}
    assert admin.audit_log(action="login_failed")["action"].tolist() == ["login_failed"]
    assert set(admin.audit_log(action="user_admin", limit=None)["outcome"]) == {"ok", "denied"}
    with pytest.raises(ValueError, match="'outcomes' parameter of Store.audit_log"):
        admin.audit_log(outcomes=["refused"])


# --------------------------------------------------------------------------- repeated refusals


def _share_uses(store: Store) -> list[dict]:
    log = store.audit_log("test", action="share_use")
    return log[["outcome", "n_times", "detail"]].to_dict("records")


def test_repeated_refusals_of_a_link_are_one_row_with_a_count(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ann = _as(store, "ann")
    token = ann.create_share_link("P1", days=3)
    link_id = int(ann.share_links("P1")["link_id"].iloc[0])
    ann.revoke_share_link(link_id)
    before = len(store.audit_log("test"))
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            Service.for_share_link(store, token)
    assert len(store.audit_log("test")) == before + 1  # one row, counted
    (row,) = _share_uses(store)
    assert row["outcome"] == "denied" and row["n_times"] == 5
    assert json.loads(row["detail"]) == {"reason": "revoked", "link_id": link_id}
    shown = audit_table(store.audit_log("test", action="share_use"))["what"].iloc[0]
    assert shown == "Share link to P1 refused: revoked — 5 times"
    # the row stays as it was written: the log is append-only, the count lives beside it
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    later = now + SHARE_DENIAL_WINDOW + dt.timedelta(seconds=1)
    monkeypatch.setattr("analytics.store._history.utcnow", lambda: later)
    with pytest.raises(AuthenticationError):
        Service.for_share_link(store, token)
    assert [r["n_times"] for r in _share_uses(store)] == [5, 1]  # a new window, a new row


def test_another_link_or_reason_is_another_row(store: Store) -> None:
    ann = _as(store, "ann")
    tokens = [ann.create_share_link("P1", days=3) for _ in range(2)]
    for link_id in ann.share_links("P1")["link_id"]:
        ann.revoke_share_link(int(link_id))
    for token in [*tokens, *tokens]:
        with pytest.raises(AuthenticationError):
            Service.for_share_link(store, token)
    assert [r["n_times"] for r in _share_uses(store)] == [2, 2]
    Service(store, LOCAL_OPERATOR, face="test").disable_user("ann")
    fresh = Service(store, LOCAL_OPERATOR, face="test")
    fresh.add_user("bob", role="clinician", password=PASSWORD, must_change_password=False)
    fresh.assign("bob", ["P1"])
    bob_token = _as(store, "bob").create_share_link("P1", days=3)
    store.set_disabled("test", "bob")  # behind the service's back: the link is not revoked
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            Service.for_share_link(store, bob_token)
    reasons = [(json.loads(r["detail"])["reason"], r["n_times"]) for r in _share_uses(store)]
    assert reasons == [("revoked", 2), ("revoked", 2), ("creator lost access", 3)]


# --------------------------------------------------------------------------- the CSV


def test_the_csv_holds_the_filtered_rows_formula_safe_and_is_recorded(store: Store) -> None:
    with pytest.raises(AuthenticationError):
        access.authenticate(store, '=HYPERLINK("http://x")', "whatever password", face="test")
    admin = _as(store, "admin")
    body = admin.audit_log_csv(outcomes=["failed"])
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8"))))
    assert [r["action"] for r in rows] == ["login_failed"]
    assert rows[0]["username"].startswith("'=HYPERLINK")  # a spreadsheet shows it as text
    assert rows[0]["what"] == "Sign-in refused: no such account"
    assert list(rows[0])[:2] == ["at", "what"]
    recorded = admin.audit_log(action="export", limit=1).iloc[0]
    assert recorded["username"] == "admin" and recorded["outcome"] == "ok"
    detail = json.loads(recorded["detail"])
    assert detail["what"] == "audit log (CSV)" and detail["n_rows"] == 1
    assert detail["filters"] == {"outcomes": "['failed']"}


def test_the_csv_is_for_admins_and_a_refusal_is_recorded(store: Store) -> None:
    with pytest.raises(AccessDeniedError):
        _as(store, "ann").audit_log_csv()
    last = store.audit_log("test", newest_first=True, limit=1).iloc[0]
    assert (last["username"], last["action"], last["outcome"]) == ("ann", "export", "denied")


@pytest.mark.parametrize(
    ("action", "detail", "patient", "outcome", "words"),
    [
        ("view", {}, "P040", "denied", "Denied: view of P040"),
        (
            "export",
            {"what": "outcomes.csv"},
            "*",
            "denied",
            "Denied: export of all patients in reach (outcomes.csv)",
        ),  # fmt: skip
        (
            "edit",
            {"call": "save_diary_entry", "date": "2026-01-02", "result": "inserted"},
            "P1",
            "ok",
            "Saved the diary day 2026-01-02 of P1 (inserted)",
        ),  # fmt: skip
        ("export", {"what": "my diary (CSV)"}, "P003", "ok", "Exported my diary (CSV) for P003"),
        (
            "view",
            {"purpose": "Treatment response", "n_patients": 3, "diary": 90},
            "*",
            "ok",
            "Viewed the diaries of 3 patient(s) (Treatment response)",
        ),  # fmt: skip
    ],
)
def test_refusals_edits_and_files_in_words(action, detail, patient, outcome, words) -> None:
    assert audit_what(action, detail, patient_id=patient, outcome=outcome) == words
