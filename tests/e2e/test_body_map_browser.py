"""End-to-end body map on a 390×844 phone: a patient marks two regions with fingertip-sized
pills, saves the day, and the regions are stored with it and drawn on the small map."""

from __future__ import annotations

import pytest

from tests.waiting import ATTEMPT_MS, click_until, eventually, settled

from .test_browser import (  # noqa: F401 - the module's server and browser fixtures
    PHONE,
    TIMEOUT_MS,
    _heading,
    _no_exception,
    _screens,
    _sign_in,
    browser,
    demo,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _stored_regions(db: str, patient_id: str) -> str | None:
    import datetime as dt

    from analytics.store import open_store

    with open_store(db) as store:
        entry = store.get_diary_entry("test:check", patient_id, dt.date.today())
    return None if entry is None else entry.get("body_regions")


def _assert_tall(box: dict | None) -> None:
    assert box is not None and box["height"] >= 44 and box["width"] >= 44, box


def test_a_patient_marks_two_regions_on_a_phone(demo, browser):  # noqa: F811
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(demo.url, wait_until="commit")
        _sign_in(page, demo, demo.patient)
        _heading(page, "📝 Log today")
        question = page.get_by_text("Where does it hurt today?").first
        panel = page.locator('[class*="st-key-body-map-log"]')
        low_back = panel.locator("button", has_text="Lower back")
        click_until(question, low_back)
        neck = panel.locator("button", has_text="Neck")
        for pill in (low_back, neck):
            eventually(lambda pill=pill: _assert_tall(pill.bounding_box()))

        def both_marked() -> None:  # a click that a rerun lost is made again, once settled
            settled(page)
            for pill in (low_back, neck):
                if pill.get_attribute("aria-pressed") != "true":
                    pill.click(timeout=ATTEMPT_MS)
                    settled(page)
            assert [p.get_attribute("aria-pressed") for p in (low_back, neck)] == ["true"] * 2

        eventually(both_marked)
        _screens(page, "body_map_phone_1_marked", most=2)
        scale = page.locator('[data-testid="stButtonGroup"]').first
        five = scale.get_by_role("radio", name="5", exact=True)
        if not scale.get_by_role("radio", checked=True).count():
            click_until(five, scale.get_by_role("radio", name="5", exact=True, checked=True))
        saved = page.get_by_text("Saved: pain").or_(page.get_by_text("You already logged"))
        click_until(page.get_by_role("button", name="Save", exact=True), saved)
        if page.get_by_text("You already logged").count():
            click_until(
                page.get_by_role("button", name="Save these changes", exact=True),
                page.get_by_text("Replaced your entry"),
            )
        eventually(lambda: _assert_regions(_stored_regions(demo.db, demo.patient_id)))
        page.get_by_text("Marked: Neck, lower back").wait_for()
        _screens(page, "body_map_phone_2_saved", most=2)
        _no_exception(page)
    finally:
        context.close()


def _assert_regions(value: str | None) -> None:
    assert value is not None and {"neck", "low_back"} <= set(value.split(";")), value
