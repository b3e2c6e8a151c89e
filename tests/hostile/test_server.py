"""The dashboard as a clinician starts it: ``streamlit run dashboard/app.py``, no flags.

The server is started from a folder outside the project with no command-line
flags (only ``STREAMLIT_SERVER_PORT``, because the default port may be taken), so
the safe defaults come from ``dashboard/.streamlit/config.toml`` alone:

* a WebSocket handshake on ``/_stcore/stream`` whose Host names another machine
  (DNS rebinding) is refused, and one from another Origin too; localhost works;
* a page showing stored markdown, links and image URLs makes no request to the
  URLs they name: a local HTTP server counts every request it gets while a real
  Chromium renders the patient chart and the treatment-response charts.
"""

from __future__ import annotations

import base64
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.store import project_root
from dashboard.text import NO_LINK
from tests.app_server import free_port
from tests.waiting import TIMEOUT_MS, click_until, eventually, settled

from .clinic_text import write_hostile_clinic
from .conftest import fingerprint
from .test_store_faults import data_part

pytestmark = [pytest.mark.browser, pytest.mark.slow]


#: A free port, not a fixed one: another test run on this machine may serve on any port.
PORT = free_port()
APP = project_root() / "dashboard" / "app.py"
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
ARTIFACTS = project_root() / "test-artifacts" / "hostile"


class _Counter(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def counter() -> Iterator[tuple[str, list[str]]]:
    """(base URL, requests seen) of a local HTTP server standing in for the outside world."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Counter.requests
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, counter) -> Iterator[Path]:
    """``streamlit run dashboard/app.py`` with no flags, on a hostile clinic; its database file."""
    base, _ = counter
    tmp = tmp_path_factory.mktemp("served")
    db_file = tmp / "hostile.sqlite3"
    capsys_free = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics.cli",
            "import",
            str(write_hostile_clinic(tmp / "clinic", base)),
            "--db",
            f"sqlite:///{db_file}",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert capsys_free.returncode == 0, capsys_free.stderr
    added = subprocess.run(
        [
            sys.executable,
            "-m",
            "analytics.cli",
            "user",
            "add",
            "admin",
            "--role",
            "admin",
            "--own-password",
        ]
        + ["--password-stdin", "--db", f"sqlite:///{db_file}"],
        input=ADMIN_PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PAINDIARY_DATA_DIR": str(tmp)},
    )
    assert added.returncode == 0, added.stderr
    elsewhere = tmp / "elsewhere"  # not the project folder: its .streamlit/ is not read
    elsewhere.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")},
        "STREAMLIT_SERVER_PORT": str(PORT),
        "PAINDIARY_DB": f"sqlite:///{db_file}",
        "PAINDIARY_DATA_DIR": str(tmp),
        "HOME": str(tmp),  # no user-level ~/.streamlit/config.toml either
    }
    log = tmp / "streamlit.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "streamlit"), "run", str(APP)],
            cwd=elsewhere,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"http://localhost:{PORT}/_stcore/health", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"streamlit did not start:\n{log.read_text()}")
                time.sleep(0.5)
        yield db_file
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)


ADMIN_PASSWORD = "hostile admin 7 password"


def _handshake(host: str, origin: str) -> str:
    """Status line of a WebSocket handshake on /_stcore/stream with these headers."""
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: {host}\r\n"
        "Upgrade: websocket\r\n"
        "Connection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: streamlit\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", PORT), timeout=10) as sock:
        sock.sendall(request.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0].decode()


@pytest.mark.parametrize(
    "host,origin",
    [
        ("attacker.example:{port}", "http://attacker.example:{port}"),  # DNS rebinding
        ("attacker.example", "http://attacker.example"),
        ("localhost.attacker.example:{port}", "http://localhost.attacker.example:{port}"),
        ("localhost:{port}", "http://attacker.example"),  # a foreign page, local Host
        ("user:pw@localhost:{port}", "http://localhost:{port}"),
    ],
)
def test_a_websocket_from_another_host_or_origin_is_refused(app, host, origin):
    host, origin = host.format(port=PORT), origin.format(port=PORT)
    assert _handshake(host, origin) == "HTTP/1.1 403 Forbidden"


@pytest.mark.parametrize("host", ["localhost:{port}", "127.0.0.1:{port}"])
def test_a_websocket_from_this_machine_is_accepted(app, host):
    host = host.format(port=PORT)
    assert _handshake(host, f"http://{host}") == "HTTP/1.1 101 Switching Protocols"


def test_the_server_listens_on_the_loopback_interface_only(app):
    listening = subprocess.run(
        ["ss", "-ltnH", f"sport = :{PORT}"], capture_output=True, text=True, check=True
    ).stdout.split("\n")
    local = {line.split()[3].rsplit(":", 1)[0] for line in listening if line.strip()}
    assert local and local <= {"127.0.0.1", "[::1]"}, local


def test_usage_statistics_are_off(app):
    with urllib.request.urlopen(f"http://localhost:{PORT}/_stcore/host-config", timeout=10) as r:
        assert r.status == 200
    from streamlit import config  # the options a fresh process reads from the file

    text = (APP.parent / ".streamlit" / "config.toml").read_text()
    assert "gatherUsageStats = false" in text
    assert config.get_option("browser.gatherUsageStats") is not None


def test_stored_markup_makes_no_outside_request(app, counter):
    base, requests = counter
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run 'make system-deps' (installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    before = data_part(fingerprint(app))  # signing in and viewing write only sign-in and audit rows
    requests.clear()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"http://localhost:{PORT}/", wait_until="commit")
            page.get_by_label("Username").fill("admin")
            page.get_by_label("Password", exact=True).fill(ADMIN_PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.get_by_role("heading", name="🏥 Clinic overview").wait_for()
            click_until(
                page.get_by_role("button", name="Open patient chart"),
                page.get_by_role("heading", name="🩺 Patient chart"),
            )
            # the header line is shown with its markup as plain text (polled: the page
            # may still be drawing when the heading appears)
            page.get_by_text("OVERDOSE ALERT", exact=False).first.wait_for()

            def markup_shown_as_text() -> None:
                main = page.locator('[data-testid="stMain"]')
                shown_text = main.inner_text().replace(NO_LINK, "")
                assert f"group [Session expired, log in again]({base}/login) ![g](" in shown_text
                assert ":red[OVERDOSE ALERT] $x^2$" in shown_text
                assert f'<img src="{base}/leak-img.png">' in shown_text

            eventually(markup_shown_as_text)
            settled(page)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "patient_chart.png"), full_page=True)
            assert page.locator('[data-testid="stMarkdown"] img').count() == 0
            assert page.locator(f'[data-testid="stMarkdown"] a[href^="{base}"]').count() == 0
            click_until(
                page.get_by_role("link", name="Treatment response"),
                page.get_by_role("heading", name="📊 Treatment response"),
            )
            page.wait_for_function(
                "document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .main-svg').length >= 2"
            )
            settled(page)
            assert page.locator(f'.main-svg a[href^="{base}"]').count() == 0
            page.screenshot(path=str(ARTIFACTS / "treatment_response.png"), full_page=True)
            # every image of the drawn page has loaded or failed, and the browser asked
            # for nothing at the outside address (its own record of the requests it made)
            page.wait_for_function("[...document.images].every((img) => img.complete)")
            asked = page.evaluate(
                "performance.getEntriesByType('resource').map((e) => e.name)"
                f".filter((u) => u.startsWith('{base}'))"
            )
            assert asked == []
        finally:
            browser.close()
    assert requests == []
    assert data_part(fingerprint(app)) == before


def test_no_request_reached_the_counter_at_all(counter):
    _, requests = counter
    assert requests == []
