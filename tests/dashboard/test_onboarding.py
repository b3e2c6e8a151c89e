"""Onboarding on the pages: a first sign-in link's "choose your password" page, and the
clinician codes of the data mapped to accounts on the Admin page."""

from __future__ import annotations

from analytics import access
from analytics.access import LOCAL_OPERATOR
from analytics.service import Service
from analytics.store import open_store
from dashboard.components.onboarding_panel import NEW_PATIENTS

from .conftest import new_app, open_page, signed_in_app

NEW_PASSWORD = "blue kettle morning walk"


def _invite(url: str, patient_id: str) -> str:
    with open_store(url) as store:
        (invite,) = Service(store, LOCAL_OPERATOR, face="test").invite_patients([patient_id])
    return invite.token


def test_a_first_sign_in_link_chooses_the_password_and_signs_in_once(demo_db):
    token = _invite(demo_db, "P005")
    at = new_app()
    at.query_params["invite"] = token
    at.run()
    assert not at.exception
    assert "p005" in at.markdown[0].value
    at.text_input(key="invite.new").input(NEW_PASSWORD)
    at.text_input(key="invite.again").input(NEW_PASSWORD + "x")
    at.button(key="FormSubmitter:invite.form-Save my password and sign in").click().run()
    assert [e.value for e in at.error] == [
        "The two passwords differ. Type the same password twice."
    ]
    at.text_input(key="invite.again").input(NEW_PASSWORD)
    at.button(key="FormSubmitter:invite.form-Save my password and sign in").click().run()
    assert not at.exception and not at.error
    assert "invite" not in at.query_params
    assert any("Signed in as" in c.value and "p005" in c.value for c in at.caption)
    with open_store(demo_db) as store:
        assert access.authenticate(store, "p005", NEW_PASSWORD, face="test").patient_id == "P005"

    # the link is spent: opened again, it says so in a sentence
    again = new_app()
    again.query_params["invite"] = token
    again.run()
    (error,) = again.error
    assert "was used on" in error.value and "it works once" in error.value
    assert not again.text_input


def test_a_first_sign_in_link_opened_while_signed_in_says_so_and_signs_out_on_request(demo_db):
    token = _invite(demo_db, "P006")
    at = signed_in_app("admin")
    at.query_params["invite"] = token
    at.run()
    assert not at.exception
    (info,) = at.info
    assert "first sign-in link for a new account" in info.value and "admin" in info.value
    assert not at.dataframe  # no page of the signed-in person runs under the link
    at.button(key="invite.sign_out").click().run()
    assert not at.exception
    assert "p006" in at.markdown[0].value  # the link's own page: choose a password
    assert at.text_input(key="invite.new")


def _codes(at):
    (table,) = [d.value for d in at.dataframe if "Clinician code" in d.value.columns]
    return table.set_index("Clinician code")


def test_the_admin_maps_a_clinician_code_and_its_patients_are_assigned(demo_db):
    at = open_page("views/admin.py", user="admin")
    codes = _codes(at)
    assert codes.loc["C02", "Patients"] > 0
    with open_store(demo_db) as store:
        waiting = store.patients_with_code("C02")
    at.selectbox(key="admin.codes.code").set_value("C02")
    at.selectbox(key="admin.codes.clinician").set_value("dr.b")
    at.button(key="FormSubmitter:admin.codes-Map").click().run()
    assert not at.exception and not at.error
    codes = _codes(at)
    assert codes.loc["C02", "Clinician account"] == "dr.b"
    with open_store(demo_db) as store:
        dr_b = store.user_record("dr.b")
        assert set(waiting) <= set(store.assigned_patient_ids(int(dr_b["id"])))


def test_the_new_patients_of_an_import_get_accounts_and_a_sheet_at_once(demo_db):
    at = signed_in_app("admin")
    at.session_state[NEW_PATIENTS] = ["P005", "P006"]  # as an import leaves them
    at.switch_page("views/data_manager.py")
    at.run()
    assert any(s.value == "The 2 new patient(s) of the import" for s in at.subheader)
    at.button(key="onboarding.invite").click().run()
    assert not at.exception and not at.error
    assert at.get("download_button")  # the sheet, offered once
    with open_store(demo_db) as store:
        assert store.user_record("p006")["patient_id"] == "P006"
