"""End-to-end: a real Chromium drives ``streamlit run`` on the demo clinic.

The fixture creates a demo database with ``paindiary init-demo``, starts the app on
a free localhost port and stops it afterwards. Screenshots go to
``test-artifacts/e2e/`` (git-ignored). Streamlit renders over a websocket, so the
test waits for elements (headings, ``stPlotlyChart .main-svg``), never for
``networkidle``.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.store import project_root

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
ROOT = project_root()
ARTIFACTS = ROOT / "test-artifacts" / "e2e"
TIMEOUT_MS = 60_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"streamlit did not become healthy within {timeout:.0f} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of ``streamlit run dashboard/app.py`` on a temp demo database."""
    tmp = tmp_path_factory.mktemp("e2e")
    db = f"sqlite:///{tmp / 'demo.sqlite3'}"
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [str(bin_dir / "paindiary"), "init-demo", "--db", db],
        check=True,
        cwd=ROOT,
        capture_output=True,
        timeout=300,
    )
    port = _free_port()
    log = tmp / "streamlit.log"
    env = {**os.environ, "PAINDIARY_DB": db, "PAINDIARY_DATA_DIR": str(tmp)}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(bin_dir / "streamlit"),
                "run",
                "dashboard/app.py",
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
                # like `make run`: no deploy button in the toolbar
                "--client.toolbarMode",
                "minimal",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make system-deps' (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _heading(page, text: str) -> None:
    page.get_by_role("heading", name=text).first.wait_for(timeout=TIMEOUT_MS)


def _charts(page) -> None:
    page.locator('[data-testid="stPlotlyChart"] .main-svg').first.wait_for(timeout=TIMEOUT_MS)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_log_a_day_then_review_as_clinician(app_url, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(app_url, wait_until="commit")
        _heading(page, "📝 Log today")
        # pain 5 in the first pills group (average pain; pills are radio buttons), then Save
        pills = page.locator('[data-testid="stButtonGroup"]').first
        pills.get_by_role("radio", name="5", exact=True).wait_for()
        _shot(page, "01_log_today")
        pills.get_by_role("radio", name="5", exact=True).click()
        page.get_by_role("button", name="Save", exact=True).click()
        page.get_by_text("Saved: pain 5/10").wait_for()
        _shot(page, "02_saved")

        # My progress shows today's entry
        page.get_by_role("link", name="My progress").click()
        _heading(page, "📈 My progress")
        _charts(page)
        page.get_by_text(f"Last diary day: {dt.date.today():%d %B %Y}").wait_for()
        _shot(page, "03_my_progress")

        # clinician: overview, then a patient's chart
        page.locator('[data-testid="stSidebar"]').get_by_text("🩺 Clinician").click()
        _heading(page, "🏥 Clinic overview")
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        _shot(page, "04_clinic_overview")

        page.get_by_role("button", name="Open patient chart").click()
        _heading(page, "🩺 Patient chart")
        _charts(page)
        page.get_by_role("heading", name="Sessions").wait_for()
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= 4"
        )
        _shot(page, "05_patient_chart")

        page.get_by_role("link", name="Treatment response").click()
        _heading(page, "📊 Treatment response")
        _charts(page)
        page.wait_for_function(
            "document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= 6"
        )
        _shot(page, "06_treatment_response")
        assert not page.locator('[data-testid="stException"]').count()
    finally:
        context.close()
