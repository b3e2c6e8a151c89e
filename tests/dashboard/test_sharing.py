"""Share links through the dashboard: created on a page, opened without signing in on the
share page, refused after expiry or revocation, every use in the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest

from analytics.access import LOCAL_OPERATOR, user_from_record
from analytics.errors import AccessDeniedError
from analytics.io import load_dataset
from analytics.pipeline import AnalysisSettings, analysis_diary, analyze
from analytics.service import Service
from analytics.store import open_store, project_root
from dashboard.components import share_panel

from .conftest import new_app, open_page

PID = "P003"


def _service(store, username: str) -> Service:
    return Service(store, user_from_record(store.user_record(username)), face="test")


def _create(url: str, *, days: int = 14, username: str = "dr.a", pid: str = PID) -> str:
    with open_store(url) as store:
        return _service(store, username).create_share_link(pid, days=days)


def _audit(url: str, action: str) -> pd.DataFrame:
    with open_store(url) as store:
        log = Service(store, LOCAL_OPERATOR, face="test").audit_log(limit=1000)
    return log[log["action"] == action]


def _open_link(token: str | None):
    at = new_app()
    if token is not None:
        at.query_params["token"] = token
    return at.run()


def _text(at) -> str:
    parts = (
        [m.value for m in at.markdown] + [e.value for e in at.error] + [t.value for t in at.title]
    )
    parts += [c.value for c in at.caption]
    return "\n".join(str(p) for p in parts)


@pytest.fixture
def clock() -> Iterator[list[dt.datetime]]:
    """Move the share page's clock: set ``clock[0]``."""
    now = [dt.datetime.now(dt.UTC)]
    share_panel._clock = lambda: now[0]
    yield now
    share_panel._clock = None


def test_a_link_opens_the_summary_without_signing_in_and_each_use_is_audited(demo_db):
    token = _create(demo_db)
    for n in (1, 2):
        at = _open_link(token)
        assert not at.exception, at.exception
        text = _text(at)
        assert "Shared summary" in text and PID in text
        assert "Baseline pain" in text
        assert len(at.get("plotly_chart")) == 1
        assert not at.text_input  # no sign-in form
        # nothing of the rest of the app: no menu, no other patient
        assert "P001" not in text and "Sign in" not in text
        uses = _audit(demo_db, "share_use")
        assert len(uses) == n
        assert set(uses["outcome"]) == {"ok"} and set(uses["patient_id"]) == {PID}
        assert set(uses["role"]) == {"share-link"}
    # the token itself is never written to the audit log
    with open_store(demo_db) as store:
        log = Service(store, LOCAL_OPERATOR, face="test").audit_log(limit=1000)
    assert not log.astype(str).apply(lambda c: c.str.contains(token, regex=False)).any().any()


def test_reruns_of_one_visit_are_recorded_once_and_a_revocation_stops_the_next_rerun(demo_db):
    token = _create(demo_db)
    at = _open_link(token)
    for _ in range(3):  # a rerun: a widget touched, a download button clicked
        at.run()
        assert not at.exception and "Baseline pain" in _text(at)
    assert len(_audit(demo_db, "share_use")) == 1
    views = _audit(demo_db, "view")
    assert len(views[views["patient_id"] == PID]) == 1
    with open_store(demo_db) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test")
        svc.revoke_share_link(int(svc.share_links(PID)["link_id"].iloc[0]))
    at.run()
    assert not at.exception
    assert "not valid" in _text(at) and PID not in _text(at)
    assert list(_audit(demo_db, "share_use")["outcome"]) == ["denied", "ok"]


def test_the_shared_numbers_are_the_patients_analysis(demo_db):
    # independent reference: analyze() of the sample clinic (the demo database's rows)
    ds = load_dataset(project_root() / "sample_data")
    daily = analysis_diary(ds.diary, ds.entries)  # P003 logs entries during the day
    po = analyze(ds.patients, daily, ds.sessions, AnalysisSettings()).patient_outcomes
    row = po[po["patient_id"] == PID].iloc[0]
    at = _open_link(_create(demo_db))
    table = next(m.value for m in at.markdown if "Baseline pain" in m.value)
    cells = [c.strip() for c in table.splitlines()[-1].strip("|").split("|")]
    assert cells[0] == f"{row['baseline_pain']:.1f}/10"
    assert cells[1] == f"{row['followup_pain']:.1f}/10"
    assert cells[2] == f"{row['pct_change']:+.0f}%"
    assert cells[3] == str(int((ds.sessions["patient_id"] == PID).sum()))
    # the response in words: the change in pain, whole percent rounded half away from zero
    from decimal import ROUND_HALF_UP, Decimal

    pain = Decimal(repr(-float(row["pct_change"]))).quantize(Decimal(1), ROUND_HALF_UP)
    words = (
        "No change"
        if abs(pain) < 10
        else f"{'Worse' if pain > 0 else 'Improved'} (pain {'+' if pain > 0 else '−'}{abs(pain)}%)"
    )
    assert any(c.value.startswith(f"Response: {words} (category: ") for c in at.caption)


def test_an_expired_link_is_refused_and_the_refusal_audited(demo_db, clock):
    token = _create(demo_db, days=1)
    clock[0] = dt.datetime.now(dt.UTC) + dt.timedelta(hours=23)
    at = _open_link(token)
    assert not at.exception and "Baseline pain" in _text(at)
    clock[0] = dt.datetime.now(dt.UTC) + dt.timedelta(days=1, minutes=1)
    at = _open_link(token)
    assert not at.exception, at.exception
    assert "not valid" in _text(at) and PID not in _text(at)
    assert not at.get("plotly_chart")
    uses = _audit(demo_db, "share_use")
    assert list(uses["outcome"]) == ["denied", "ok"]  # newest first


def test_a_revoked_link_is_refused(demo_db):
    token = _create(demo_db)
    assert "Baseline pain" in _text(_open_link(token))
    with open_store(demo_db) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test")
        link_id = int(svc.share_links(PID)["link_id"].iloc[0])
        svc.revoke_share_link(link_id)
    at = _open_link(token)
    assert not at.exception
    assert "not valid" in _text(at) and PID not in _text(at)
    assert list(_audit(demo_db, "share_use")["outcome"]) == ["denied", "ok"]


@pytest.mark.parametrize("token", ["x" * 43, "short", ""])
def test_unknown_tokens_reveal_nothing(demo_db, token):
    at = _open_link(token)
    assert not at.exception
    text = _text(at)
    assert "not valid" in text
    assert not at.get("plotly_chart") and "Baseline pain" not in text


def test_the_share_path_without_a_token_is_refused(demo_db):
    at = new_app()
    at.query_params["token"] = ""
    at.run()
    assert "not valid" in _text(at)


def test_a_clinician_creates_lists_and_revokes_a_link_on_the_patient_chart(demo_db):
    at = open_page("views/patient_chart.py", user="dr.a")
    assert not at.exception, at.exception
    key = "share.Patient chart.P001"
    assert at.number_input(key=f"{key}.days").value == share_panel.DEFAULT_DAYS
    at.number_input(key=f"{key}.days").set_value(30)
    at.button(key=f"{key}.create").click().run()
    assert not at.exception, at.exception
    shown_links = [c.value for c in at.code]
    assert len(shown_links) == 1 and "/shared?token=" in shown_links[0]
    token = shown_links[0].split("token=")[1]
    created = _audit(demo_db, "share_create")
    assert list(created["patient_id"]) == ["P001"] and list(created["username"]) == ["dr.a"]
    with open_store(demo_db) as store:
        links = Service(store, LOCAL_OPERATOR, face="test").share_links("P001")
    assert len(links) == 1
    expires = pd.Timestamp(links["expires_at"].iloc[0])
    expires = expires.tz_localize("UTC") if expires.tzinfo is None else expires
    days = (expires - pd.Timestamp.now(tz="UTC")).total_seconds() / 86400
    assert 29.9 < days <= 30
    # the token is shown once: the next run no longer shows it, the table lists the link
    at.run()
    assert not at.code
    assert len(at.dataframe[-1].value) == 1
    assert "Shared summary" in _text(_open_link(token))
    at.selectbox(key=f"{key}.pick").select(int(links["link_id"].iloc[0])).run()
    at.button(key=f"{key}.revoke").click().run()
    assert not at.exception, at.exception
    assert "No active share links." in _text(at)
    assert list(_audit(demo_db, "share_revoke")["patient_id"]) == ["P001"]
    assert "not valid" in _text(_open_link(token))


def test_a_patient_shares_their_own_summary_from_my_progress(demo_db):
    at = open_page("views/my_progress.py", user="p003")
    assert not at.exception, at.exception
    key = f"share.My progress.{PID}"
    at.button(key=f"{key}.create").click().run()
    assert not at.exception, at.exception
    token = at.code[0].value.split("token=")[1]
    assert list(_audit(demo_db, "share_create")["username"]) == ["p003"]
    assert PID in _text(_open_link(token))


def test_a_clinician_cannot_share_a_patient_outside_their_list(demo_db):
    with open_store(demo_db) as store:
        svc = _service(store, "dr.a")
        with pytest.raises(AccessDeniedError):
            svc.create_share_link("P040")
    assert list(_audit(demo_db, "share_create")["outcome"]) == ["denied"]


def test_the_qr_code_is_made_locally():
    svg = share_panel.qr_svg("http://localhost:8501/shared?token=abc")
    assert svg.lstrip().startswith("<svg") and "<path" in svg
    png = share_panel.qr_png("http://localhost:8501/shared?token=abc")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
