"""The app of this checkout as ``make run`` starts it, for the browser tests and benchmarks.

One way to start the app on a free port, wait until it answers, and stop it with
its children: the end-to-end tests and the page benchmark share it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

__all__ = ["ROOT", "AppNotServing", "free_port", "served_app"]

ROOT = Path(__file__).resolve().parents[1]


class AppNotServing(RuntimeError):
    """The app exited, or did not answer its health check in time (with its log)."""


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AppNotServing(f"streamlit exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise AppNotServing(
        f"streamlit did not become healthy within {timeout:.0f} s:\n{log.read_text()}"
    )


@contextlib.contextmanager
def served_app(env: Mapping[str, str], log: Path, *, timeout: float = 90.0) -> Iterator[str]:
    """Serve the app with ``env`` (its output in ``log``); yield its URL, stop it afterwards.

    The server imports this checkout's code (``PYTHONPATH``), whatever the virtual
    environment's editable install points at, and runs like ``make run``: headless, no
    usage statistics, no deploy button.
    """
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dashboard.serve",  # streamlit run dashboard/app.py, the upload gate first
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
                "--client.toolbarMode",
                "minimal",
            ],
            cwd=ROOT,
            env={**env, "PYTHONPATH": str(ROOT)},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log, timeout)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=20)
