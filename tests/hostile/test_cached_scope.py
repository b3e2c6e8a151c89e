"""A patient unassigned while their chart is open is gone at the clinician's next run.

The patient chart keeps the rows it read for the visit (one audited read, reruns reuse
them). Scope is checked again on every run before those rows are shown: when an admin
unassigns the patient behind the clinician's back, the next rerun (any click) shows the
refusal instead of the rows, records a denied "view", and changes nothing else.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.access import LOCAL_OPERATOR, User, user_from_record
from analytics.errors import DataQualityWarning
from analytics.service import Service
from analytics.store import Store, open_store

from ..dashboard.conftest import PASSWORD, signed_in_app
from .conftest import fingerprint

#: What the patient chart says for a patient outside the user's scope.
REFUSED = (
    "This patient is not one of your patients (or does not exist). Choose one of "
    "your patients below."
)
#: The audit table: the one that may change when a read is refused.
AUDIT = "audit_log"


@pytest.fixture
def clinic(db: tuple[str, Path], monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The hostile clinic (P1, P2) with an admin and a clinician, ann, who has both."""
    url, path = db
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)
    monkeypatch.setenv("PAINDIARY_DB", url)
    with open_store(url) as store, warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        local = Service(store, LOCAL_OPERATOR, face="test:setup")
        local.add_user("admin", role="admin", password=PASSWORD, must_change_password=False)
        local.add_user("ann", role="clinician", password=PASSWORD, must_change_password=False)
        local.assign("ann", ["P1", "P2"])
    yield path


def _as(store: Store, name: str) -> Service:
    record = store.user_record(name)
    assert record is not None
    user: User = user_from_record(record)
    return Service(store, user, face="test")


def _audit_rows(path: Path) -> list[dict]:
    with open_store(f"sqlite:///{path}") as store:
        return store.audit_log("test", limit=None).to_dict("records")


def _shown_text(at: AppTest) -> str:
    parts = [*at.markdown, *at.caption, *at.info, *at.error, *at.metric]
    return "\n".join(str(e.value) for e in parts)


def test_an_unassigned_patient_s_open_chart_is_refused_at_the_next_run(clinic: Path) -> None:
    at = signed_in_app("ann")
    at.switch_page("views/patient_chart.py")
    at.run()
    assert not at.exception
    # the chart of P1 is open, its rows read once for the visit
    assert at.markdown[0].value == "**P1** · neck pain · group acupuncture · clinician C01"
    assert "Last diary entry: 02 January 2026 · pain 5/10 · 2 diary days" in [
        c.value for c in at.caption
    ]
    assert at.metric
    # the admin takes P1 away, outside the clinician's browser session
    with open_store(f"sqlite:///{clinic}") as store:
        _as(store, "admin").unassign("ann", ["P1"])
    before, rows_before = fingerprint(clinic), len(_audit_rows(clinic))

    at.run()  # the clinician's next click
    assert not at.exception
    assert [e.value for e in at.error] == [REFUSED]
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe
    assert "P1" not in _shown_text(at)
    assert at.selectbox(key="chart.pick.refused").options == ["P2"]
    after = fingerprint(clinic)
    assert {t: v for t, v in after.items() if t != AUDIT} == {
        t: v for t, v in before.items() if t != AUDIT
    }
    new = _audit_rows(clinic)[rows_before:]
    assert len(new) == 1, new
    row = new[0]
    assert (row["username"], row["role"], row["action"], row["patient_id"], row["outcome"]) == (
        "ann", "clinician", "view", "P1", "denied",
    )  # fmt: skip
    assert row["face"] == "dashboard:Patient chart"
    assert json.loads(row["detail"]) == {"call": "patient_dataset"}
