"""End-to-end audit log: an administrator narrows the log to refusals and failures and
downloads those rows as a CSV file; the file holds them in words, and the download is
itself recorded. Screenshots go to ``test-artifacts/e2e/``."""

from __future__ import annotations

import csv

import pytest

from tests.waiting import ATTEMPT_MS, click_until, eventually, settled

from .test_browser import (  # noqa: F401 - the module's server and browser fixtures
    DESKTOP,
    TIMEOUT_MS,
    _heading,
    _no_exception,
    _shot,
    _sign_in,
    browser,
    demo,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _audit_exports(db: str) -> int:
    from analytics.store import open_store

    with open_store(db) as store:
        log = store.audit_log("e2e:check", username="admin", action="export")
    return int(log["detail"].str.contains("audit log (CSV)", regex=False).sum())


def test_an_admin_downloads_the_denied_and_failed_rows(demo, browser):  # noqa: F811
    from analytics import access
    from analytics.errors import AuthenticationError
    from analytics.store import open_store

    with open_store(demo.db) as store, pytest.raises(AuthenticationError):
        access.authenticate(store, "nobody.here", "not a password", face="e2e")
    before = _audit_exports(demo.db)
    context = browser.new_context(**DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{demo.url}/admin", wait_until="commit")
        _sign_in(page, demo, "admin")
        _heading(page, "🛡️ Admin")
        toggle = page.get_by_text("Denied and failed only", exact=True)
        click_until(page.get_by_role("tab", name="📜 Audit log"), toggle)
        settled(page)
        box = page.locator('[data-testid="stCheckbox"]').filter(has_text="Denied and failed only")
        outcome = page.locator('[data-testid="stSelectbox"]').filter(has_text="Outcome")

        def filtered() -> None:  # the page redrawn with the filter on: "Outcome" greyed out
            if not box.locator("input").is_checked():
                toggle.click()  # again, if a rerun lost the click
            assert outcome.locator("input").is_disabled()

        assert not outcome.locator("input").is_disabled()  # the filter starts off
        eventually(filtered)
        # the table draws on a canvas: its cells are in the page but not "visible"
        refused = page.get_by_text("Sign-in refused: no such account")
        eventually(lambda: _assert_equal(min(refused.count(), 1), 1))
        settled(page)
        button = page.get_by_role("button", name="Download these rows (CSV)")
        download = _download(page, button)
        assert download.value.suggested_filename.startswith("paindiary-audit-")
        with open(download.value.path(), encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        assert rows and {r["outcome"] for r in rows} <= {"denied", "failed"}
        assert "Sign-in refused: no such account" in {r["what"] for r in rows}
        eventually(lambda: _assert_equal(_audit_exports(demo.db), before + 1))
        _shot(page, "40_audit_denied_and_failed_desktop")
        _no_exception(page)
    finally:
        context.close()


def _download(page, button):
    """Click ``button`` until its download starts (a click during a rerun can be lost)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    for _ in range(TIMEOUT_MS // ATTEMPT_MS):
        try:
            with page.expect_download(timeout=ATTEMPT_MS) as download:
                button.click()
            download.value  # noqa: B018 - raises if no download started
            return download
        except PlaywrightTimeoutError:
            settled(page)
    raise AssertionError("the download never started")


def _assert_equal(got: int, expected: int) -> None:
    assert got == expected
