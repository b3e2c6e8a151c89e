"""End-to-end accounts: an administrator adds a clinician on the Admin page after one
mistake (the form keeps what was typed and says what is wrong under the field), and the
new clinician, signed in on a phone with the password they were given, sees only "Choose a
new password" until they choose their own. Screenshots go to ``test-artifacts/e2e/``."""

from __future__ import annotations

import pytest

from tests.waiting import choose, click_until

from .test_browser import (  # noqa: F401 - the module's server and browser fixtures
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    _heading,
    _no_exception,
    _shot,
    _sign_in,
    browser,
    demo,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

GIVEN = "given at the front desk"


def test_an_admin_adds_a_clinician_who_then_chooses_a_password(demo, browser):  # noqa: F811
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{demo.url}/admin", wait_until="commit")
        _sign_in(page, demo, "admin")
        _heading(page, "🛡️ Admin")
        page.get_by_role("heading", name="Add a user").wait_for()
        page.get_by_role("textbox", name="Username", exact=True).fill("new nurse")
        page.get_by_label("Name (optional)").fill("Nora Nurse")
        choose(page, "Role", "Clinician")
        page.get_by_role("textbox", name="Initial password").fill(GIVEN)
        message = page.get_by_text("'new nurse' has a space", exact=False)
        click_until(page.get_by_role("button", name="Add user"), message)
        assert page.get_by_role("textbox", name="Username", exact=True).input_value() == "new nurse"
        assert page.get_by_label("Name (optional)").input_value() == "Nora Nurse"
        assert page.get_by_role("textbox", name="Initial password").input_value() == GIVEN
        _no_exception(page)
        message.scroll_into_view_if_needed()
        _shot(page, "30_add_user_field_message_desktop")

        page.get_by_role("textbox", name="Username", exact=True).fill("new.nurse")
        added = page.get_by_text("Added new.nurse (Clinician)")
        click_until(page.get_by_role("button", name="Add user"), added)
        assert not message.count()
    finally:
        context.close()

    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{demo.url}/clinic_overview", wait_until="commit")
        _heading(page, "🩺 Pain diary")
        page.get_by_label("Username").fill("new.nurse")
        page.get_by_label("Password", exact=True).fill(GIVEN)
        page.get_by_role("button", name="Sign in", exact=True).click()
        _heading(page, "🔑 Choose a new password")
        assert not page.locator('[data-testid="stDataFrame"]').count()
        _shot(page, "31_choose_a_new_password_phone")
        page.get_by_label("Password you were given").fill(GIVEN)
        page.get_by_label("New password", exact=True).fill("nora's own quiet words")
        page.get_by_label("New password again").fill("nora's own quiet words")
        page.get_by_role("button", name="Save my password").click()
        _heading(page, "🏥 Clinic overview")
        _no_exception(page)
    finally:
        phone.close()
