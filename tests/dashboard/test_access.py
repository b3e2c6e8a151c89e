"""Sign-in, roles and refusals of the dashboard, run with AppTest.

Who may open which page, what happens to a person who edits session state, a
query parameter or a widget key to reach another patient, reloads (a new session
with the cookie), signs out, walks away (idle expiry, with a fake clock), or signs
in through single sign-on (a faked ``st.user``); and what the audit log records.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from analytics.access import LOCAL_OPERATOR, SIGN_IN_REFUSED
from analytics.access import _auth as auth
from analytics.service import Service
from analytics.store import open_store
from dashboard import data, session
from dashboard.text import shown

from .conftest import (
    ALLOWED,
    DR_A,
    DR_B,
    EVERY_PAGE,
    PASSWORD,
    USERS,
    new_app,
    open_page,
    sign_in,
)

REFUSED = "⛔ Not available"
SSO_SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "test-cookie-secret-that-is-long-enough",
        "client_id": "paindiary",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
    }
}


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _shows_no_data(at) -> None:
    assert not at.dataframe
    assert not at.get("plotly_chart")
    assert not at.metric


def _audit(url: str, **filters) -> pd.DataFrame:
    with open_store(url) as store:
        return Service(store, LOCAL_OPERATOR, face="test:check").audit_log(limit=1000, **filters)


def _reload(at, monkeypatch: pytest.MonkeyPatch):
    """A new browser session that sends the cookie the old one set (a reload)."""
    cookie = at.session_state[session._COOKIE_STATE]["token"]
    monkeypatch.setattr(
        session, "_request_cookies", lambda: {session.COOKIE: cookie} if cookie else {}
    )
    return new_app()


class FakeClock:
    """UTC now, moved forward by the test."""

    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC).replace(tzinfo=None)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=minutes)


# ------------------------------------------------------------------ sign-in


def test_app_opens_on_the_login_page_without_data(demo_db):
    at = new_app().run()
    assert not at.exception
    assert at.title[0].value == "🩺 Pain diary"
    assert at.text_input(key="login.username")
    assert not at.sidebar.button
    _shows_no_data(at)
    # not the demo: no accounts listed
    assert not at.expander


@pytest.mark.parametrize(
    ("username", "password"),
    [("admin", "wrong password 1"), ("nobody-here", PASSWORD), ("", PASSWORD)],
)
def test_failed_sign_in_never_says_whether_the_user_exists(demo_db, username, password):
    at = sign_in(new_app().run(), username, password)
    assert not at.exception
    if username:
        assert _texts(at.error) == SIGN_IN_REFUSED
    else:
        assert "Enter your username" in _texts(at.error)
    assert at.title[0].value == "🩺 Pain diary"
    _shows_no_data(at)


def test_five_wrong_passwords_lock_the_account(demo_db):
    at = new_app().run()
    for _ in range(5):
        sign_in(at, "dr.a", "wrong password 1")
    sign_in(at, "dr.a", PASSWORD)  # right password, but locked
    assert _texts(at.error) == SIGN_IN_REFUSED
    assert at.title[0].value == "🩺 Pain diary"
    log = _audit(demo_db, username="dr.a")
    assert (log["action"] == "lockout").sum() == 1
    # another account is not affected
    sign_in(at, "dr.b", PASSWORD)
    assert at.title[0].value == "🏥 Clinic overview"


def test_the_demo_lists_its_accounts_on_the_login_page(demo_db):
    with open_store(demo_db) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        svc.add_user(
            "demo.dr", role="clinician", password=auth.demo_password("demo.dr"),
            must_change_password=False,
        )  # fmt: skip
        svc.assign("demo.dr", ["P010"])
        store.set_setting("test:setup", "demo", "true")
        store.set_setting("test:setup", "demo_accounts", json.dumps(["demo.dr"]))
    at = new_app().run()
    accounts = at.dataframe[0].value
    assert accounts["username"].tolist() == ["demo.dr"]
    # the listed password signs in
    sign_in(at, "demo.dr", accounts["password"].iloc[0])
    assert at.title[0].value == "🏥 Clinic overview"
    assert at.selectbox(key="overview.target").options == ["P010"]  # an ended course


@pytest.mark.parametrize("role", ["patient", "clinician", "admin"])
def test_sign_in_opens_the_role_home_page(demo_db, role):
    at = sign_in(new_app().run(), USERS[role])
    assert not at.exception
    home = {
        "patient": "📝 Log today",
        "clinician": "🏥 Clinic overview",
        "admin": "🏥 Clinic overview",
    }
    assert at.title[0].value == home[role]
    assert f"Signed in as **{shown(USERS[role])}**" in _texts(at.caption)
    links = [link.proto.label for link in at.get("page_link")]
    assert links[-1] == "Sign out"  # the top row's last link; no side panel for it


# ------------------------------------------------------------------ role x page matrix


@pytest.mark.parametrize("role", ["patient", "clinician", "admin"])
@pytest.mark.parametrize("page_path", EVERY_PAGE)
def test_role_page_matrix(demo_db, role, page_path):
    at = open_page(page_path, user=USERS[role])
    assert not at.exception, at.exception
    if page_path in ALLOWED[role]:
        assert at.title[0].value != REFUSED
    else:
        assert at.title[0].value == REFUSED
        _shows_no_data(at)
        assert not at.text_input and not at.get("file_uploader")
    if role == "patient":
        # patients never get the analysis settings
        assert not at.sidebar.number_input and not at.sidebar.slider


def test_clinicians_record_sessions_but_never_import_or_export(demo_db):
    at = open_page("views/data_manager.py", user="dr.a")
    assert len(at.tabs) == 1
    assert not at.get("download_button")
    assert not at.get("file_uploader")
    at = open_page("views/data_manager.py", user="admin")
    assert len(at.tabs) == 3
    assert not at.get("download_button")  # the button exists while the Export tab is open
    at.session_state["data.section"] = "⬇️ Export CSV"
    at.run()
    assert len(at.get("download_button")) == 1


# ------------------------------------------------------------------ tampering


def test_a_patient_editing_session_state_stays_themselves(demo_db):
    at = open_page("views/log_today.py", user="p003")
    for key, value in (
        ("patient_id", "P001"),
        ("role", "clinician"),
        ("chart.patient", "P001"),
        ("data.rows", None),
    ):
        at.session_state[key] = value
    at.run()
    assert "Diary of patient **P003**" in _texts(at.caption)
    at.pills(key="log.pain").set_value(4)
    at.button(key="FormSubmitter:log.form-Save").click().run()
    with open_store(demo_db) as store:
        assert store.get_diary_entry("test:check", "P001", dt.date.today()) is None
        assert store.get_diary_entry("test:check", "P003", dt.date.today())["pain"] == 4.0
    at.switch_page("views/patient_chart.py").run()
    assert at.title[0].value == REFUSED
    _shows_no_data(at)


def test_a_patient_with_a_query_parameter_sees_only_their_own_data(demo_db):
    at = new_app()
    at.query_params["patient"] = "P001"
    at.run()
    sign_in(at, "p003")
    at.switch_page("views/my_progress.py").run()
    assert not at.exception
    fig = at.get("plotly_chart")[0].proto.spec
    assert "P001" not in fig
    assert not any("P001" in str(m.value) for m in at.markdown)
    views = _audit(demo_db, username="p003")
    read = views[(views["action"] == "view") & (views["outcome"] == "ok")]
    assert set(read["patient_id"]) == {"P003"}  # the refused pages are denied rows, no reads


def test_a_forged_token_in_session_state_gets_the_login_page(demo_db):
    at = open_page("views/log_today.py", user="p003")
    token = at.session_state[session._TOKEN]
    at.session_state[session._TOKEN] = token[:-4] + (
        "AAAA" if not token.endswith("AAAA") else "BBBB"
    )
    at.run()
    assert at.title[0].value == "🩺 Pain diary"
    _shows_no_data(at)


def test_a_clinician_asking_for_an_unassigned_patient_by_id_is_refused(demo_db):
    # a link with another clinician's patient
    at = new_app()
    at.query_params["patient"] = DR_B[0]
    at.run()
    sign_in(at, "dr.a")
    at.switch_page("views/patient_chart.py").run()
    # st.switch_page drops the query string: ask again through the widget key
    at.session_state["chart.patient"] = DR_B[0]
    at.run()
    assert not at.exception
    assert "not one of your patients" in _texts(at.error)
    assert not at.get("plotly_chart") and not at.metric
    assert DR_B[0] not in at.selectbox[0].options
    denied = _audit(demo_db, username="dr.a")
    denied = denied[denied["outcome"] == "denied"]
    assert DR_B[0] in set(denied["patient_id"])


def test_a_patient_editing_widget_keys_of_clinician_pages_is_refused(demo_db):
    at = open_page("views/log_today.py", user="p003")
    at.session_state["overview.target"] = "P001"
    at.session_state["data.s.patient"] = "P001"
    at.session_state["chart.pick.P001"] = "P001"
    for page_path in ("views/patient_chart.py", "views/data_manager.py"):
        at.switch_page(page_path).run()
        assert at.title[0].value == REFUSED
        _shows_no_data(at)
    at.switch_page("views/my_progress.py").run()
    assert "P001" not in at.get("plotly_chart")[0].proto.spec
    views = _audit(demo_db, username="p003")
    read = views[(views["action"] == "view") & (views["outcome"] == "ok")]
    assert set(read["patient_id"]) == {"P003"}  # the refused pages are denied rows, no reads


def test_the_other_clinician_never_sees_the_patient(demo_db):
    at = open_page("views/clinic_overview.py", user="dr.b")
    assert "P003" not in set(at.dataframe[0].value["patient_id"])
    at.switch_page("views/data_manager.py").run()
    assert "P003" not in at.selectbox(key="data.s.patient").options
    at.switch_page("views/treatment_response.py").run()
    assert f"of {len(DR_B)} patients have a baseline" in _texts(at.caption)


# ------------------------------------------------------------------ reload, logout, idle


def test_a_reload_keeps_the_user_and_the_page(demo_db, monkeypatch):
    at = open_page("views/my_progress.py", user="p003")
    again = _reload(at, monkeypatch).run()
    assert not again.exception
    # same person (the landing page of the URL "/" is their home)
    assert again.title[0].value == "📝 Log today"
    assert "Diary of patient **P003**" in _texts(again.caption)


def test_a_deep_link_after_a_reload_opens_that_page(demo_db, monkeypatch):
    at = open_page("views/my_progress.py", user="p003")
    again = _reload(at, monkeypatch).run()
    again.switch_page("views/my_progress.py").run()
    assert again.title[0].value == "📈 My progress"
    again.switch_page("views/clinic_overview.py").run()
    assert again.title[0].value == REFUSED
    _shows_no_data(again)


def test_a_deep_link_before_sign_in_shows_the_login_then_the_page(demo_db):
    at = new_app().switch_page("views/treatment_response.py").run()  # /treatment_response
    assert at.title[0].value == "🩺 Pain diary"
    _shows_no_data(at)
    sign_in(at, "dr.a")
    assert at.title[0].value == "📊 Treatment response"


def test_sign_out_revokes_the_token(demo_db, monkeypatch):
    at = open_page("views/log_today.py", user="p003")
    token = at.session_state[session._TOKEN]
    at.switch_page("views/sign_out.py").run()
    assert at.title[0].value == "🩺 Pain diary"
    assert "signed out" in _texts(at.info)
    # the old token, sent again by a browser that kept the cookie, is refused
    monkeypatch.setattr(session, "_request_cookies", lambda: {session.COOKIE: token})
    again = new_app().run()
    assert again.title[0].value == "🩺 Pain diary"
    _shows_no_data(again)
    log = _audit(demo_db, username="p003")
    assert (log["action"] == "logout").sum() == 1


def test_sign_out_after_a_reload_says_so_and_stays_signed_out(demo_db, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(session, "_clock", clock)
    at = open_page("views/log_today.py", user="p003")
    clock.advance(2)
    again = _reload(at, monkeypatch).run()  # the cookie's token is renewed at once
    assert again.session_state[session._TOKEN] != at.session_state[session._TOKEN]
    again.switch_page("views/sign_out.py").run()
    assert again.title[0].value == "🩺 Pain diary"
    assert "You are signed out." in _texts(again.info)
    again.run()  # the request still carries the old cookie: it signs nobody in
    assert again.title[0].value == "🩺 Pain diary"


def test_idle_expiry_and_renewal(demo_db, monkeypatch):
    clock = FakeClock()
    monkeypatch.setattr(session, "_clock", clock)
    at = open_page("views/log_today.py", user="p003")
    # activity every 20 minutes keeps the session alive
    for _ in range(3):
        clock.advance(20)
        at.run()
        assert at.title[0].value == "📝 Log today"
    # 31 minutes without activity end it
    clock.advance(31)
    at.run()
    assert at.title[0].value == "🩺 Pain diary"
    assert "30 minutes without activity" in _texts(at.info)
    _shows_no_data(at)


def test_changing_the_password_ends_older_sessions(demo_db, monkeypatch):
    at = open_page("views/account.py", user="p003")
    old = at.session_state[session._TOKEN]
    at.text_input(key="account.current").input(PASSWORD)
    at.text_input(key="account.new").input("a brand new password")
    at.text_input(key="account.again").input("a brand new password")
    at.button(key="FormSubmitter:account.password-Change password").click().run()
    assert not at.exception
    assert "Password changed" in _texts(at.success)
    assert at.title[0].value == "👤 Account"  # this session goes on with a new token
    monkeypatch.setattr(session, "_request_cookies", lambda: {session.COOKIE: old})
    again = new_app().run()
    assert again.title[0].value == "🩺 Pain diary"
    sign_in(again, "p003", "a brand new password")
    assert again.title[0].value == "📝 Log today"


# ------------------------------------------------------------------ single sign-on


def _sso_app(email: str):
    at = new_app()
    at.secrets = SSO_SECRETS
    at.user = {"is_logged_in": True, "email": email, "name": "Dr Test"}
    return at


def test_single_sign_on_takes_the_role_from_the_user_table(demo_db):
    with open_store(demo_db) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        svc.add_user(
            "dr.c@clinic.example", role="clinician", password=PASSWORD, must_change_password=False
        )
        svc.assign("dr.c@clinic.example", ["P005", "P006"])
    at = _sso_app("Dr.C@clinic.example").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "🏥 Clinic overview"
    assert sorted(at.selectbox(key="overview.target").options) == ["P005", "P006"]
    at.switch_page("views/admin.py").run()
    assert at.title[0].value == REFUSED


def test_single_sign_on_without_an_account_is_refused(demo_db):
    at = _sso_app("stranger@example.org").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "🩺 Pain diary"
    _shows_no_data(at)


def test_login_page_offers_single_sign_on_when_configured(demo_db):
    at = new_app()
    at.secrets = SSO_SECRETS
    at.user = {"is_logged_in": False}
    at.run()
    assert at.button(key="login.sso")
    assert at.text_input(key="login.username")  # patients keep the password form


# ------------------------------------------------------------------ audit


def test_the_login_page_and_the_account_page_record_no_view(demo_db):
    new_app().run()
    assert _audit(demo_db).query("action == 'view'").empty
    at = new_app().switch_page("views/account.py").run()  # a deep link to the account page
    sign_in(at, "p003")
    assert at.title[0].value == "👤 Account"
    at.run()
    log = _audit(demo_db, username="p003")
    assert log["action"].tolist() == ["login"]


def test_a_page_visit_is_one_audited_view_with_its_purpose(demo_db):
    at = open_page("views/my_progress.py", user="p003")
    at.segmented_control(key="progress.range").set_value("All").run()  # a rerun, same visit
    log = _audit(demo_db, username="p003")
    views = log[(log["action"] == "view") & log["face"].str.contains("My progress")]
    assert len(views) == 1
    assert views["patient_id"].tolist() == ["P003"]


def test_a_clinician_chart_view_is_recorded_for_that_patient(demo_db):
    at = open_page("views/clinic_overview.py", user="dr.a")
    at.selectbox(key="overview.target").set_value("P007").run()
    at.button(key="overview.open").click().run()
    log = _audit(demo_db, username="dr.a")
    views = log[log["action"] == "view"]
    assert "P007" in set(views["patient_id"])
    assert "*" in set(views["patient_id"])  # the overview's cohort read


def test_a_clinic_export_is_recorded_when_the_file_is_produced_not_rendered(demo_db):
    at = open_page("views/data_manager.py", user="admin")
    at.session_state["data.section"] = "⬇️ Export CSV"
    at.run()
    assert len(at.get("download_button")) == 1
    log = _audit(demo_db, username="admin")
    assert not (log["action"] == "export").any()
    # Streamlit calls the button's deferred data function when the person clicks; call it
    # the same way (a real click is in tests/e2e)
    with open_store(demo_db) as store:
        admin = auth.user_from_record(store.user_record("admin"))
    payload = data.export_zip_callable(admin)()
    assert payload.startswith(b"PK")
    exports = _audit(demo_db, username="admin").query("action == 'export'")
    assert len(exports) == 1
    assert exports["patient_id"].tolist() == ["*"]


def test_a_patient_download_is_recorded_on_click(demo_db):
    at = open_page("views/my_progress.py", user="p003")
    assert not _audit(demo_db, username="p003").query("action == 'export'").size
    at.download_button(key="progress.download").click().run()
    exports = _audit(demo_db, username="p003").query("action == 'export'")
    assert exports["patient_id"].tolist() == ["P003"]


# ------------------------------------------------------------------ clinicians' scope


def test_treatment_response_of_a_clinician_covers_their_patients(demo_db):
    at = open_page("views/treatment_response.py", user="dr.a")
    assert f"of {len(DR_A)} patients have a baseline" in _texts(at.caption)
    at = open_page("views/treatment_response.py", user="admin")
    assert "of 60 patients have a baseline" in _texts(at.caption)


def test_a_chart_visit_reads_the_questionnaires_due_once_and_asks_the_scope_again(demo_db):
    at = open_page("views/patient_chart.py", user="dr.a")
    at.run()  # reruns of the same visit show the list read first
    at.run()
    log = _audit(demo_db, username="dr.a")
    due = log[(log["action"] == "view") & log.astype(str).sum(axis=1).str.contains("due")]
    assert len(due) == 1
    (pid,) = set(due["patient_id"])
    with open_store(demo_db) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test:setup")
        svc.unassign("dr.a", [pid])
    at.run()  # the patient left dr.a's scope: the rerun is refused, not shown from the visit
    assert not at.exception
    refused = _audit(demo_db, username="dr.a", outcomes=["denied"])
    assert pid in set(refused["patient_id"])
