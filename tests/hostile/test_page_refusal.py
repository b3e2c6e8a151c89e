"""A page a role may not open is refused, recorded once with the page and the role, and
nothing of it is read.

A signed-in person who opens such a page (a deep link, an edited address) sees the
refusal; the page's script never runs. The audit log gets one "denied" view row naming
the page and the role however often the refusal reruns; the rest of the database is as
it was.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.access import LOCAL_OPERATOR
from analytics.presentation import audit_what
from analytics.service import Service
from analytics.store import open_store

from ..dashboard.conftest import PASSWORD, signed_in_app
from .conftest import fingerprint


@pytest.fixture(autouse=True)
def signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)


@pytest.fixture
def small_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "small.sqlite3"
    with open_store(f"sqlite:///{path}") as store:
        store.save_patient("setup", {"patient_id": "P1", "condition": "neck pain"})
        store.save_diary_entry("setup", {"patient_id": "P1", "date": "2024-01-02", "pain": 6})
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        svc.add_user("ann", role="clinician", password=PASSWORD, must_change_password=False)
        svc.add_user(
            "pat", role="patient", password=PASSWORD, patient_id="P1", must_change_password=False
        )
    monkeypatch.setenv("PAINDIARY_DB", f"sqlite:///{path}")
    return path


def _audit_rows(path: Path) -> list[dict]:
    with open_store(f"sqlite:///{path}") as store:
        return store.audit_log("test").to_dict("records")


@pytest.mark.parametrize(
    ("user", "role", "page", "title"),
    [
        ("pat", "patient", "views/admin.py", "Admin"),
        ("ann", "clinician", "views/admin.py", "Admin"),
    ],
)
def test_a_refused_page_is_one_audit_row_naming_the_page_and_the_role(
    small_db: Path, user: str, role: str, page: str, title: str
) -> None:
    at: AppTest = signed_in_app(user)  # issues the sign-in session before the fingerprint
    before, rows_before = fingerprint(small_db), len(_audit_rows(small_db))
    at.switch_page(page)
    at.run()
    assert not at.exception
    assert [t.value for t in at.title] == ["⛔ Not available"]
    assert [e.value for e in at.error] == [
        f"**{title}** is not open to your account (role: {role})."
    ]
    at.run()  # a rerun of the refusal is the same visit: no second row
    assert [t.value for t in at.title] == ["⛔ Not available"]
    after = fingerprint(small_db)
    # nothing but the one audit row: no sign-in session, no read, no repeat counted
    assert {t: v for t, v in after.items() if t != "audit_log"} == {
        t: v for t, v in before.items() if t != "audit_log"
    }
    assert after["audit_log"][0] == before["audit_log"][0] + 1
    new = _audit_rows(small_db)[rows_before:]
    assert len(new) == 1, new  # nothing of the page was read (no "view" row of P1)
    row = new[0]
    assert (row["username"], row["role"], row["action"], row["outcome"]) == (
        user, role, "view", "denied",
    )  # fmt: skip
    assert row["face"] == f"dashboard:{title}" and pd_isna(row["patient_id"])
    detail = json.loads(row["detail"])
    assert (detail["page"], detail["role"]) == (title, role)
    assert audit_what("view", row["detail"], outcome="denied") == (
        f"Denied: view (the page {title} as a {role})"
    )


def pd_isna(value: object) -> bool:
    return value is None or value != value
