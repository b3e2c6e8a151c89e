"""End-to-end share link: a clinician creates a link on the Patient chart, a fresh browser
(not signed in) opens it and sees the read-only summary, the clinician revokes it, and the
link is refused. Screenshots (phone 390x844 and desktop) go to ``test-artifacts/e2e/``."""

from __future__ import annotations

import pytest

from tests.waiting import (
    ATTEMPT_MS,
    LIST_OPENS_MS,
    click_until,
    eventually,
    in_view,
    settled,
)

from .test_browser import (  # noqa: F401 - the module's server and browser fixtures
    DESKTOP,
    PHONE,
    TIMEOUT_MS,
    _charts,
    _heading,
    _no_exception,
    _shot,
    _sign_in,
    browser,
    demo,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _open_panel(page, pid: str) -> None:
    click_until(
        page.get_by_text(f"Share {pid}'s summary by link"),
        page.get_by_role("button", name="Create share link"),
    )


def _shared(browser, link: str, context_args: dict, shot: str | None = None):  # noqa: F811
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(link, wait_until="commit")
    _heading(page, "🔗 Shared summary")
    return context, page


def test_a_clinician_shares_a_patient_then_revokes_the_link(demo, browser):  # noqa: F811
    pid = demo.patient_id
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{demo.url}/patient_chart?patient={pid}", wait_until="commit")
        _sign_in(page, demo, demo.clinician)
        _heading(page, "🩺 Patient chart")
        _charts(page, 3)
        _open_panel(page, pid)
        code = page.locator('[data-testid="stCode"]').first
        click_until(page.get_by_role("button", name="Create share link"), code)
        link = code.inner_text().strip()
        assert link.startswith(f"{demo.url}/shared?token="), link
        page.get_by_role("img", name="Scan to open the summary").or_(
            page.locator('[data-testid="stImage"] img')
        ).first.wait_for()
        page.get_by_text("Copy it now").scroll_into_view_if_needed()
        _shot(page, "20_share_panel_desktop")

        # a fresh browser, nobody signed in: the summary and nothing else
        for args, name in ((PHONE, "21_shared_phone"), (DESKTOP, "22_shared_desktop")):
            other, shared = _shared(browser, link, args)
            try:
                shared.get_by_text(pid, exact=False).first.wait_for()
                shared.get_by_text("Baseline pain").first.wait_for()
                _charts(shared, 1)
                shared.get_by_role("button", name="Prepare visit report (PDF)").wait_for()
                _no_exception(shared)
                assert not shared.locator('[data-testid="stSidebarNav"]').count()
                assert not shared.get_by_label("Password", exact=True).count()
                _shot(shared, name)
                if args is PHONE:
                    # the chart's one toolbar button (PNG) sits clear of the title
                    chart = shared.locator('[data-testid="stPlotlyChart"]').first
                    chart.hover()
                    bar = chart.locator(".modebar-btn")
                    bar.first.wait_for(state="attached")
                    titles = {bar.nth(i).get_attribute("data-title") for i in range(bar.count())}
                    assert titles == {"Download plot as a PNG"}, titles
                    chart.screenshot(path=str(_artifact("23_shared_chart_phone")))
            finally:
                other.close()

        # the clinician revokes the link; the panel lists no active link any more
        page.reload(wait_until="commit")
        _heading(page, "🩺 Patient chart")
        _open_panel(page, pid)
        page.get_by_text("Active links").wait_for()
        box = page.locator('[data-testid="stSelectbox"]').filter(has_text="Link to revoke")
        option = page.get_by_role("option").first
        revoke_ready = page.locator("button:enabled", has_text="Revoke")

        def choose_a_link() -> None:
            # a rerun of the page can close the list that the click opened, or lose the choice
            settled(page)
            in_view(page, box)
            click_until(
                box.locator("input"),
                option,
                attempt_ms=LIST_OPENS_MS,
                before_retry=lambda: box.locator("input").press("Escape"),
            )
            option.click(timeout=ATTEMPT_MS)
            revoke_ready.wait_for(timeout=ATTEMPT_MS)

        eventually(choose_a_link)
        click_until(
            page.get_by_role("button", name="Revoke"), page.get_by_text("No active share links.")
        )

        other, refused = _shared(browser, link, PHONE)
        try:
            refused.get_by_text("This share link is not valid").wait_for()
            assert not refused.get_by_text(pid, exact=False).count()
            assert not refused.locator('[data-testid="stPlotlyChart"]').count()
            _shot(refused, "24_shared_refused_phone")
        finally:
            other.close()
    finally:
        context.close()


def _artifact(name: str):
    from .test_browser import ARTIFACTS

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS / f"{name}.png"
