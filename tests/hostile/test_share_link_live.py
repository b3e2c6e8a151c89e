"""A share-link service kept from before its link died answers nothing more.

``Service.for_share_link`` checks the link when it builds the service; every governed
call of that service checks it again, as of the call: not revoked, not expired, its
creator still active and still allowed to share the patient. A service built while the
link worked (a page's download button keeps one) then refuses with the link's own
sentence, records the refusal ("share_use", denied, with its reason; repeats counted on
one row) and changes nothing else. The shared page shows that sentence, no traceback.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.testing.v1 import AppTest

from analytics.access import LOCAL_OPERATOR, User, hash_password, user_from_record
from analytics.errors import AuthenticationError
from analytics.service import SHARE_LINK_REFUSED, Service
from analytics.store import Store, open_store
from dashboard.components.table_download import DOWNLOAD_LABEL
from tests.dashboard.test_export_zip import deferred_downloads, press

from ..dashboard.conftest import new_app
from .conftest import fingerprint

#: The tables a refused call may change: the audit row and its count.
AUDIT = ("audit_log", "audit_repeats")
#: A table as a page shows it, to download through the service.
TABLE = pd.DataFrame({"date": ["2024-01-02"], "pain": [6]})
#: The shared page's table download button and its file buttons.
CSV_KEY = "shared.sessions.csv"


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@pytest.fixture
def clinic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Store, Path]]:
    """P1 (a diary day, a session) and P2; ann, a clinician who has both; pat, P1 herself."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)
    path = tmp_path / "clinic.sqlite3"
    monkeypatch.setenv("PAINDIARY_DB", f"sqlite:///{path}")
    with open_store(f"sqlite:///{path}") as s:
        for pid in ("P1", "P2"):
            s.save_patient("setup", {"patient_id": pid, "condition": "neck pain"})
            s.save_diary_entry("setup", {"patient_id": pid, "date": "2024-01-02", "pain": 6})
        s.save_session(
            "setup",
            {"patient_id": "P1", "date": "2024-01-03", "technique": "manual", "points": "LI4"},
        )
        h = hash_password("clinic test password 1")
        s.add_user("setup", username="ann", role="clinician", password_hash=h)
        s.add_user("setup", username="pat", role="patient", patient_id="P1", password_hash=h)
        s.assign("setup", "ann", ["P1", "P2"])
        yield s, path


def _as(store: Store, name: str) -> Service:
    record = store.user_record(name)
    assert record is not None
    user: User = user_from_record(record)
    return Service(store, user, face="test")


def _link_id(store: Store, patient_id: str) -> int:
    return int(store.share_links("test", patient_id)["link_id"].iloc[0])


def _others(print_: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
    return {t: v for t, v in print_.items() if t not in AUDIT}


def _denials(store: Store) -> list[tuple[str, int, dict[str, Any]]]:
    log = store.audit_log("test", action="share_use", outcomes=["denied"], limit=None)
    return [(r.patient_id, int(r.n_times), json.loads(r.detail)) for r in log.itertuples()]


def _admin(store: Store) -> Service:
    return Service(store, LOCAL_OPERATOR, face="test")


def _expire(store: Store, link_id: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Move the service's clock one second past the link's expiry."""
    link = store.share_link(link_id=link_id)
    assert link is not None
    later = link["expires_at"] + dt.timedelta(seconds=1)
    monkeypatch.setattr("analytics.service._sharing.utcnow", lambda: later)


#: How a link dies: (creator, what is done to it, the reason its next use records).
#: "store" does it behind the service's back (no revocation); "admin" through the
#: service, which revokes the creator's links (so the reason is "revoked").
Kill = Callable[[Store, int, pytest.MonkeyPatch], object]
DEATHS: dict[str, tuple[str, Kill, str]] = {
    "unassign, store": ("ann", lambda s, i, m: s.unassign("setup", "ann", ["P1"]), "creator lost access"),
    "unassign, admin": ("ann", lambda s, i, m: _admin(s).unassign("ann", ["P1"]), "revoked"),
    "disable clinician, store": ("ann", lambda s, i, m: s.set_disabled("setup", "ann"), "creator lost access"),
    "disable clinician, admin": ("ann", lambda s, i, m: _admin(s).disable_user("ann"), "revoked"),
    "disable patient, store": ("pat", lambda s, i, m: s.set_disabled("setup", "pat"), "creator lost access"),
    "disable patient, admin": ("pat", lambda s, i, m: _admin(s).disable_user("pat"), "revoked"),
    "revoke, store": ("ann", lambda s, i, m: s.revoke_share_link("setup", i, _utcnow()), "revoked"),
    "revoke, admin": ("ann", lambda s, i, m: _admin(s).revoke_share_link(i), "revoked"),
    "expire": ("pat", lambda s, i, m: _expire(s, i, m), "expired"),
}  # fmt: skip

#: The governed calls a kept service is asked, each as a page or a face makes it.
CALLS: dict[str, Callable[[Service], Any]] = {
    "patient_dataset": lambda svc: svc.patient_dataset("P1", purpose="shared summary"),
    "table_csv": lambda svc: svc.table_csv(TABLE, "sessions of P1", patient_id="P1"),
    "record_report": lambda svc: svc.record_report("visit report (PDF)", patient_id="P1"),
    "record_export": lambda svc: svc.record_export("FHIR R4 bundle", patient_id="P1"),
}


@pytest.mark.parametrize("death", list(DEATHS))
def test_a_kept_service_answers_nothing_once_its_link_died(
    clinic: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch, death: str
) -> None:
    store, path = clinic
    creator, kill, reason = DEATHS[death]
    token = _as(store, creator).create_share_link("P1", days=7)
    link_id = _link_id(store, "P1")
    svc = Service.for_share_link(store, token)
    assert len(svc.patient_dataset("P1", purpose="t").diary) == 1  # it works while alive
    kill(store, link_id, monkeypatch)
    before = fingerprint(path)
    for name, call in CALLS.items():
        with pytest.raises(AuthenticationError) as refused:
            call(svc)
        assert str(refused.value) == SHARE_LINK_REFUSED, name
    after = fingerprint(path)
    assert _others(after) == _others(before)
    assert after["audit_log"][0] == before["audit_log"][0] + 1  # one row, counted
    assert _denials(store) == [("P1", len(CALLS), {"reason": reason, "link_id": link_id})]
    views = store.audit_log("test", action="view", limit=None)
    assert len(views) == 1  # the one read while the link was alive


def test_a_live_link_s_service_answers_every_call_and_the_checks_record_nothing(
    clinic: tuple[Store, Path],
) -> None:
    store, _ = clinic
    token = _as(store, "ann").create_share_link("P1", days=7)
    svc = Service.for_share_link(store, token)
    n_rows = len(store.audit_log("test", limit=None))
    for _ in range(2):
        assert len(CALLS["patient_dataset"](svc).sessions) == 1
        assert CALLS["table_csv"](svc).decode("utf-8").splitlines() == ["date,pain", "2024-01-02,6"]
        CALLS["record_report"](svc)
        CALLS["record_export"](svc)
    new = store.audit_log("test", limit=None).iloc[n_rows:]
    assert new["action"].tolist() == ["view", "export", "report", "export"] * 2
    assert set(new["outcome"]) == {"ok"} and set(new["face"]) == {svc.face}


def test_a_link_that_expires_while_its_service_is_kept_is_refused_as_of_each_call(
    clinic: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, _ = clinic
    token = _as(store, "pat").create_share_link("P1", days=1)
    link = store.share_link(link_id=_link_id(store, "P1"))
    assert link is not None
    # built while it worked, at a moment the caller chose: the calls check the clock
    svc = Service.for_share_link(store, token, now=link["expires_at"] - dt.timedelta(hours=1))
    svc.record_export("a file", patient_id="P1")
    clock = [link["expires_at"] - dt.timedelta(seconds=1)]
    monkeypatch.setattr("analytics.service._sharing.utcnow", lambda: clock[0])
    svc.record_export("a file", patient_id="P1")  # a second before: it works
    clock[0] = link["expires_at"]  # the moment it expires: it no longer opens
    with pytest.raises(AuthenticationError) as refused:
        svc.record_export("a file", patient_id="P1")
    assert str(refused.value) == SHARE_LINK_REFUSED
    assert _denials(store) == [("P1", 1, {"reason": "expired", "link_id": int(link["id"])})]


# --------------------------------------------------------------------------- the shared page


def _open(token: str) -> AppTest:
    at = new_app()
    at.query_params["token"] = token
    at.run()
    assert not at.exception, at.exception
    return at


def _page_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


def _assert_refused(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["🔗 Shared summary"]
    assert [e.value for e in at.error] == [SHARE_LINK_REFUSED]
    assert not at.markdown and not at.dataframe and not at.get("plotly_chart")
    assert not at.get("download_button") and not at.button


def _files(store: Store) -> list[tuple[str, str]]:
    log = store.audit_log("test", limit=None)
    rows = log[log["action"].isin(["export", "report"])]
    return list(zip(rows["action"], rows["outcome"], strict=True))


def test_the_shared_page_s_table_pdf_and_fhir_work_while_the_link_lives(
    clinic: tuple[Store, Path],
) -> None:
    store, _ = clinic
    token = _as(store, "ann").create_share_link("P1", days=7)
    with deferred_downloads() as managers:
        at = _open(token)
        assert "P1" in _page_text(at)
        button = at.download_button(key=CSV_KEY)
        assert button.proto.label == DOWNLOAD_LABEL
        sessions = pd.read_csv(io.BytesIO(press(button, managers)))
        assert sessions["date"].tolist() == ["2024-01-03"] and len(sessions) == 1
        for kind in ("visit", "fhir"):
            at.button(key=f"shared.files.{kind}.prepare").click().run()
            assert not at.exception, at.exception
            made = at.session_state[f"shared.files.{kind}"][1]
            assert made.startswith(b"%PDF" if kind == "visit" else b"{")
            assert at.download_button(key=f"shared.files.{kind}.download")
    assert _files(store) == [("export", "ok"), ("report", "ok"), ("export", "ok")]
    assert _denials(store) == []


@pytest.mark.parametrize(
    "then",
    ["the table's download", "the visit report", "the FHIR bundle", "a rerun"],
)
def test_an_open_shared_page_gives_nothing_once_its_link_is_revoked(
    clinic: tuple[Store, Path], then: str
) -> None:
    store, path = clinic
    token = _as(store, "ann").create_share_link("P1", days=7)
    link_id = _link_id(store, "P1")
    with deferred_downloads() as managers:
        at = _open(token)
        button = at.download_button(key=CSV_KEY)
        store.revoke_share_link("setup", link_id, _utcnow())  # behind the open page's back
        before = fingerprint(path)
        # the click: Streamlit runs the button's producer (kept from the run before)
        with pytest.raises(MediaFileStorageError) as failed:
            press(button, managers)
        cause = failed.value.__cause__
        assert isinstance(cause, AuthenticationError) and str(cause) == SHARE_LINK_REFUSED
        if then == "the table's download":
            at.download_button(key=CSV_KEY).click().run()
        elif then == "a rerun":
            at.run()
        else:
            kind = "visit" if then == "the visit report" else "fhir"
            at.button(key=f"shared.files.{kind}.prepare").click().run()
    _assert_refused(at)
    assert _others(fingerprint(path)) == _others(before)
    assert _files(store) == []  # no file of the patient was made
    assert [(n, d["reason"]) for _, n, d in _denials(store)] == [(2, "revoked")]


def test_a_link_that_dies_during_a_run_leaves_only_the_refusal_on_the_page(
    clinic: tuple[Store, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, path = clinic
    token = _as(store, "pat").create_share_link("P1", days=1)
    link_id = _link_id(store, "P1")
    at = _open(token)
    at.button(key="shared.files.visit.prepare").click()
    # the run builds the service (link alive), then the link expires before the report
    # is recorded: no traceback, none of the summary, no file
    real = Service.record_report

    def expire_first(self: Service, *args: Any, **kwargs: Any) -> None:
        _expire(store, link_id, monkeypatch)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Service, "record_report", expire_first)
    before = fingerprint(path)
    at.run()
    _assert_refused(at)
    assert "shared.files.visit" not in at.session_state  # the report was not handed over
    assert _others(fingerprint(path)) == _others(before)
    assert _files(store) == []
    assert [d["reason"] for _, _, d in _denials(store)] == ["expired"]
