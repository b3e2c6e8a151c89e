"""Waiting, in browser tests, for the state a test asserts.

Streamlit draws a page over a websocket, and a click can start a rerun that redraws the
page: a single read right after a click may see the page before it is drawn, and a click
that lands during a rerun may be lost. So a browser test never sleeps for a fixed time and
never reads the page once: it polls for the text or element it expects, with a timeout,
and repeats a click until the page shows what the click does.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator, Page
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

__all__ = [
    "ATTEMPT_MS",
    "LIST_OPENS_MS",
    "TIMEOUT_MS",
    "choose",
    "click_until",
    "eventually",
    "in_view",
    "session_kept",
    "settled",
]

T = TypeVar("T")

#: How long a browser test waits for one expected state.
TIMEOUT_MS = 60_000

#: How long one click is given to show its effect before it is repeated.
ATTEMPT_MS = 8_000

#: How long a click on a select box is given to open its list before it is clicked again:
#: a list opens at once or not at all (a window that had to scroll to the box sometimes
#: drops the click).
LIST_OPENS_MS = 3_000

_POLL_S = 0.1


def eventually(check: Callable[[], T], *, timeout_ms: float = TIMEOUT_MS) -> T:
    """Call ``check`` until it passes (returns without an AssertionError); return its value.

    After ``timeout_ms`` the last failure is raised, so the message is the assertion's own.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        try:
            return check()
        except (AssertionError, PlaywrightError):
            if time.monotonic() >= deadline:
                raise
        time.sleep(_POLL_S)


def _shown(locator: Locator) -> bool:
    return locator.first.is_visible()


def click_until(
    target: Locator,
    shown: Locator,
    *,
    timeout_ms: float = TIMEOUT_MS,
    attempt_ms: float = ATTEMPT_MS,
    before_retry: Callable[[], Any] | None = None,
) -> None:
    """Click ``target`` until ``shown`` is visible.

    A click lost in a rerun is clicked again; ``before_retry`` undoes a half-done attempt
    (for example, presses Escape to close a list that a rerun left open).
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        if _shown(shown):
            return
        try:
            target.first.click(timeout=attempt_ms)
            shown.first.wait_for(timeout=attempt_ms)
            return
        except PlaywrightTimeoutError:
            if time.monotonic() >= deadline:
                raise
            if before_retry is not None:
                before_retry()


def settled(page: Page, *, timeout_ms: float = TIMEOUT_MS) -> None:
    """Wait until the app's script run has finished (nothing left to redraw on the page)."""
    page.wait_for_function(
        "document.querySelector('[data-test-script-state]')"
        "?.getAttribute('data-test-script-state') === 'notRunning'",
        timeout=timeout_ms,
    )


def session_kept(page: Page, *, timeout_ms: float = TIMEOUT_MS) -> None:
    """Wait until the browser keeps the session cookie a sign-in writes.

    The cookie is written by a small component after the signed-in page is drawn; a
    navigation (``goto``, a reload, a deep link) that comes before it opens the sign-in
    form again. A test that navigates after signing in waits for it first.
    """
    from dashboard.session import COOKIE

    def kept() -> None:
        names = {c["name"] for c in page.context.cookies()}
        assert COOKIE in names, f"no {COOKIE} cookie yet: {sorted(names)}"

    eventually(kept, timeout_ms=timeout_ms)


def in_view(page: Page, target: Locator) -> None:
    """Scroll ``target`` into view and let the page handle the scroll before going on.

    A select box closes its list when the page scrolls: a click that has to scroll to the
    box first opens the list, then the scroll closes it again (a lost click that costs
    the wait for its effect). Scrolled beforehand, the click opens a list that stays.
    """
    target.first.scroll_into_view_if_needed()
    page.evaluate(
        "() => new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"
    )


def choose(
    page: Page,
    label: str,
    option: str,
    *,
    within: Locator | None = None,
    timeout_ms: float = TIMEOUT_MS,
) -> None:
    """Choose ``option`` in the select box ``label`` (the first on the page, or ``within``
    a part of it) and wait until the box shows it.

    Once the page has finished its rerun, the box is clicked until its list shows the
    option, the option is clicked, and the box must then show it; a rerun that closed the
    list or lost the choice starts it again.
    """
    scope = page.locator("body") if within is None else within
    box = scope.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    wanted = page.get_by_role("option", name=option, exact=True)

    def chosen() -> None:  # the box's text without its label, and its input's value
        label = box.locator('[data-testid="stWidgetLabel"]').first.inner_text()
        shown = box.inner_text().replace(label, "", 1) + box.locator("input").first.input_value()
        assert option in shown, (label, shown)

    def attempt() -> None:
        settled(page)
        in_view(page, box)
        click_until(
            box.locator("input").first,
            wanted,
            timeout_ms=ATTEMPT_MS,
            attempt_ms=LIST_OPENS_MS,
            before_retry=lambda: page.keyboard.press("Escape"),
        )
        wanted.first.click(timeout=ATTEMPT_MS)
        eventually(chosen, timeout_ms=ATTEMPT_MS)

    eventually(attempt, timeout_ms=timeout_ms)
