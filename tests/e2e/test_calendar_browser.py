"""End-to-end History calendar on a 390×844 phone: a week stays one row of fingertip-sized
days, a changed day carries its ✏️ mark, and a tap opens the day with its values; the list
below keeps the ✏️ column in view. A flare with a rescue medicine, added from Log today in a
few taps, is marked ⚡ on the calendar. Screenshots go to ``test-artifacts/e2e/``."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.waiting import choose, click_until, eventually

from .test_browser import (  # noqa: F401 - the module's server and browser fixtures
    PHONE,
    TIMEOUT_MS,
    _assert_page_uncovered,
    _heading,
    _no_exception,
    _screens,
    _sign_in,
    browser,
    demo,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_WEEK_ROW = """(el) => {
    const row = el.closest('[data-testid="stHorizontalBlock"]');
    return Array.from(row.querySelectorAll('button')).map((b) => {
        const r = b.getBoundingClientRect();
        return [r.left, r.top, r.right, r.height];
    });
}"""


def _day_to_open(db: str, patient_id: str) -> tuple[dt.date, dt.date, float, float]:
    """Change the pain of the day before the newest: return it, the newest, old and new pain."""
    from analytics.store import open_store

    with open_store(db) as store:
        diary = store.dataset("e2e:check").diary
        days = pd.DatetimeIndex(diary.loc[diary["patient_id"] == patient_id, "date"]).sort_values()
        newest, day = days[-1].date(), days[-2].date()
        entry = store.get_diary_entry("e2e:check", patient_id, day)
        old = float(entry["pain"])
        pain = (old + 1) % 11
        store.save_diary_entry("e2e:setup", {**entry, "pain": pain}, replace=True)
    return day, newest, old, pain


def test_a_tapped_day_opens_on_a_phone_with_its_changed_mark(demo, browser):  # noqa: F811
    day, newest, old, pain = _day_to_open(demo.db, demo.patient_id)
    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    width = PHONE["viewport"]["width"]
    try:
        page.goto(f"{demo.url}/history", wait_until="commit")
        _sign_in(page, demo, demo.patient)
        _heading(page, "🗓️ History")
        _heading(page, f"{newest:%A %d %B %Y}")  # the newest day is open at first
        if (day.year, day.month) != (newest.year, newest.month):
            click_until(
                page.locator(".st-key-history-cal-previous button"),
                page.get_by_text(f"{day:%B %Y}", exact=True),
            )
        button = page.locator(f".st-key-history-cal-{day.isoformat()} button")
        button.wait_for()
        eventually(lambda: _assert_page_uncovered(page, "🗓️ History"))
        # the day's week: seven days side by side, on screen, each a fingertip tall (once
        # the calendar's style has arrived with the page)
        eventually(lambda: _assert_one_row(button.evaluate(_WEEK_ROW), width))
        eventually(lambda: _assert_pencil(button))
        _screens(page, "calendar_phone_1_month", most=2)

        opened = page.get_by_role("heading", name=f"{day:%A %d %B %Y} ✏️")
        click_until(button, opened)
        box = opened.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width
        if day >= dt.date.today() - dt.timedelta(days=7):  # the back-fill period: the form
            scale = page.locator('[data-testid="stButtonGroup"]').first
            eventually(
                lambda: scale.get_by_role(
                    "radio", name=f"{pain:g}", exact=True, checked=True
                ).first.wait_for(timeout=1000)
            )
        else:
            page.get_by_text(f"pain {pain:g}/10").first.wait_for()
        page.get_by_text(f"average pain {old:g}/10 → {pain:g}/10").wait_for()
        # the list below: the ✏️ column is the first, pinned, so a phone never cuts it off
        header = page.locator('[data-testid="stDataFrame"] [role="columnheader"]').first
        eventually(lambda: _assert_header(header.inner_text(), "✏️"))
        _screens(page, "calendar_phone_2_day_opened", most=3)
        _no_exception(page)
    finally:
        context.close()


def _assert_pencil(button) -> None:
    assert button.evaluate("e => getComputedStyle(e, '::after').content") == '"✏️"'


def _assert_tall(element) -> None:
    box = element.bounding_box()
    assert box is not None and box["height"] >= 44, box  # a fingertip


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
        eventually(lambda: _assert_tall(eight))  # once the page's style has arrived
        click_until(eight, scale.get_by_role("radio", name="8", exact=True, checked=True))
        flare = page.get_by_text("It is a flare or attack", exact=True)
        click_until(
            flare, page.get_by_role("checkbox", name="It is a flare or attack", checked=True)
        )
        choose(page, "Medicine taken for it", "ibuprofen")
        save = page.get_by_role("button", name="Save entry", exact=True)
        eventually(lambda: _assert_tall(save))
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


def _assert_header(got: str, expected: str) -> None:
    assert got.strip() == expected, got


def _assert_one_row(cells: list[list[float]], width: int) -> None:
    assert 1 <= len(cells) <= 7, cells  # a first or last week may hold fewer days
    assert len({round(top) for _, top, _, _ in cells}) == 1, cells
    assert all(left >= 0 and right <= width for left, _, right, _ in cells), cells
    assert all(height >= 44 for *_, height in cells), cells
