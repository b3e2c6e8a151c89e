"""End-to-end on a 390×844 phone: a flare with a rescue medicine added from Log today in a few
taps, then marked ⚡ on the History calendar. Screenshots go to ``test-artifacts/e2e/``."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.waiting import click_until, eventually

from .test_browser import (  # noqa: F401 - the module's server and browser fixtures
    PHONE,
    TIMEOUT_MS,
    _heading,
    _screens,
    _sign_in,
    browser,
    demo,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _assert_flare_mark(day) -> None:
    assert day.evaluate("e => getComputedStyle(e, '::before').content") == '"⚡"'


def test_a_flare_with_a_rescue_medicine_shows_on_the_calendar(demo, browser):  # noqa: F811
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    today = dt.date.today()
    try:
        page.goto(demo.url, wait_until="commit")
        _sign_in(page, demo, demo.patient)
        _heading(page, "📝 Log today")
        opener = page.get_by_text("Add an entry now", exact=False)
        scale = page.locator(".st-key-scale-row-log-now-pain")
        click_until(opener, scale.get_by_role("radio", name="8", exact=True))
        eight = scale.get_by_role("radio", name="8", exact=True)
        assert eight.bounding_box()["height"] >= 44  # a fingertip
        click_until(eight, scale.get_by_role("radio", name="8", exact=True, checked=True))
        flare = page.get_by_text("It is a flare or attack", exact=True)
        click_until(
            flare, page.get_by_role("checkbox", name="It is a flare or attack", checked=True)
        )
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Medicine taken for it")
        click_until(box, page.get_by_role("option", name="ibuprofen", exact=True))
        page.get_by_role("option", name="ibuprofen", exact=True).click()
        save = page.get_by_role("button", name="Save entry", exact=True)
        assert save.bounding_box()["height"] >= 44
        click_until(save, page.get_by_text("ibuprofen taken — we will ask at"))
        _screens(page, "flare_phone_1_saved", most=1)

        page.goto(f"{demo.url}/history", wait_until="commit")
        _heading(page, "🗓️ History")
        shown = page.get_by_text(f"{today:%B %Y}", exact=True)
        if not shown.count():
            click_until(page.locator(".st-key-history-cal-next button"), shown)
        day = page.locator(f".st-key-history-cal-{today.isoformat()} button")
        day.wait_for()
        eventually(lambda: _assert_flare_mark(day))
        _screens(page, "flare_phone_2_calendar", most=1)
    finally:
        context.close()
