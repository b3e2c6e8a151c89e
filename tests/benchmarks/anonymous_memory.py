"""Memory of the server under anonymous sign-ins and uploads (the figures in docs/security.md).

``python -m tests.benchmarks.anonymous_memory``

* **40 concurrent anonymous sign-ins**: 40 threads call the dashboard's sign-in
  function (:func:`analytics.access.authenticate`, real argon2id, 64 MiB a check) with
  an unknown username at once, in one process; its resident memory (RSS, psutil,
  sampled every 10 ms) is reported before and at its peak. The bound on password
  checks at once (4 in the process) is what keeps the peak down.
* **20 anonymous uploads**: the app is served (``streamlit run dashboard/app.py``);
  20 browser sessions are opened over the WebSocket without signing in, and each PUTs a
  49 MB file to ``/_stcore/upload_file`` at once, with a valid XSRF token pair (which
  anyone can make). Every PUT must be refused (403); the server's RSS is reported
  before (after one session has loaded the app), at its peak and 5 s after.

The figures are checked against the bounds docs/security.md states (growth above the
start, not absolute RSS, which differs between machines); a figure over its bound
fails the run (exit status 1) with a message that names the bound and what it guards.
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psutil

from analytics.access import CHECKS_IN_FLIGHT

MB = 1024 * 1024

#: Memory of one argon2id check (RFC 9106 low-memory profile), MB.
CHECK_MB = 64
#: docs/security.md: "The sign-ins stay near 4 × 64 MiB above the start whatever their
#: number". One more check at once would add 64 MiB: the peak must stay below that.
SIGN_IN_GROWTH_MB = (CHECKS_IN_FLIGHT + 1) * CHECK_MB
#: The body of one upload of the run, MB.
UPLOAD_MB = 49 * 1000 * 1000 / MB
#: docs/security.md: refused uploads "leave nothing behind" (335 MB after, from 329 MB):
#: less than one upload's body may remain (twenty kept bodies took +980 MB before the gate).
UPLOAD_LEFT_MB = UPLOAD_MB
#: docs/security.md: twenty refused uploads cost their bodies while they are read, 429 MB
#: at the peak from 329 MB (+100 MB); twice that leaves room for a busy machine, and is
#: far under the twenty bodies together (+935 MB).
UPLOAD_PEAK_GROWTH_MB = 2 * (429 - 329)


@contextmanager
def peak_rss(process: psutil.Process) -> Iterator[Callable[[], float]]:
    """Sample ``process``'s RSS every 10 ms; yield a function returning the peak in MB."""
    peak = [process.memory_info().rss]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.01):
            try:
                peak[0] = max(peak[0], process.memory_info().rss)
            except psutil.Error:
                return

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield lambda: peak[0] / MB
    finally:
        done.set()
        thread.join()


def sign_ins(n: int = 40) -> dict[str, float]:
    """RSS in MB of one process before and at the peak of ``n`` concurrent sign-ins."""
    from analytics.access import authenticate
    from analytics.errors import AuthenticationError
    from analytics.store import open_store

    me = psutil.Process()
    with tempfile.TemporaryDirectory() as folder, open_store(f"sqlite:///{folder}/m.db") as store:
        before = me.memory_info().rss / MB

        def attempt(i: int) -> None:
            try:
                authenticate(store, f"nobody-{i}", "a wrong password", face="bench")
            except AuthenticationError:
                pass

        with peak_rss(me) as peak, ThreadPoolExecutor(max_workers=n) as pool:
            list(pool.map(attempt, range(n)))
        return {"before": before, "peak": peak()}


async def _anonymous_upload(url: str, size: int) -> int:
    import requests
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.web.server.starlette.starlette_app_utils import generate_xsrf_token_string

    host = url.split("//", 1)[1]
    async with websockets.connect(
        f"ws://{host}/_stcore/stream", subprotocols=["streamlit"], origin=url, max_size=None
    ) as ws:
        run = BackMsg()
        run.rerun_script.query_string = ""
        await ws.send(run.SerializeToString())
        session_id = ""
        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await asyncio.wait_for(ws.recv(), 60))
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                session_id = msg.new_session.initialize.session_id
            if kind == "script_finished":
                break
        token = generate_xsrf_token_string()
        web = requests.Session()
        web.cookies.set("_streamlit_xsrf", token)
        answer = await asyncio.to_thread(
            web.put,
            f"{url}/_stcore/upload_file/{session_id}/f1",
            files={"file": ("big.csv", b"0" * size, "text/csv")},
            headers={"X-Xsrftoken": token},
            timeout=120,
        )
        return int(answer.status_code)


async def _uploads(url: str, n: int, size: int) -> list[int]:
    return list(await asyncio.gather(*(_anonymous_upload(url, size) for _ in range(n))))


def uploads(n: int = 20, size: int = 49 * 1000 * 1000) -> dict[str, float]:
    """Server RSS in MB before, at the peak of, and after ``n`` anonymous uploads."""
    from tests.app_server import served_app

    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "PAINDIARY_DB": f"sqlite:///{folder}/clinic.db",
            "PAINDIARY_SECRET_KEY": "bench-" + "k" * 40,
            "PYTHONPATH": str(root),
        }
        with served_app(env, Path(folder) / "server.log") as url:
            server = next(
                p for p in psutil.Process().children(recursive=True)
                if "streamlit" in " ".join(p.cmdline())
            )  # fmt: skip
            asyncio.run(_uploads(url, 1, 1))  # one session first: the app is loaded
            before = server.memory_info().rss / MB
            with peak_rss(server) as peak:
                codes = asyncio.run(_uploads(url, n, size))
            time.sleep(5)
            after = server.memory_info().rss / MB
    if set(codes) != {403}:
        raise SystemExit(f"an anonymous upload was not refused: {codes}")
    return {"before": before, "peak": peak(), "after": after, "refused": float(len(codes))}


def over_bounds(s: dict[str, float], u: dict[str, float]) -> list[str]:
    """Return a sentence for each figure over the bound docs/security.md states (none: all within)."""
    problems = []
    grown = s["peak"] - s["before"]
    if grown >= SIGN_IN_GROWTH_MB:
        problems.append(
            f"40 concurrent sign-ins grew the process by {grown:.0f} MB at the peak, at least "
            f"{SIGN_IN_GROWTH_MB} MB ({CHECKS_IN_FLIGHT + 1} password checks of {CHECK_MB} MB): "
            f"more than CHECKS_IN_FLIGHT = {CHECKS_IN_FLIGHT} checks ran at once."
        )
    grown = u["peak"] - u["before"]
    if grown >= UPLOAD_PEAK_GROWTH_MB:
        problems.append(
            f"20 refused uploads grew the server by {grown:.0f} MB at the peak, at least "
            f"{UPLOAD_PEAK_GROWTH_MB} MB (twice the +100 MB docs/security.md measured): "
            "refused bodies are held together or kept."
        )
    left = u["after"] - u["before"]
    if left >= UPLOAD_LEFT_MB:
        problems.append(
            f"20 refused uploads left the server {left:.0f} MB larger 5 s later, at least one "
            f"upload's body ({UPLOAD_LEFT_MB:.0f} MB): a refused upload was kept."
        )
    return problems


def main() -> None:
    """Measure both, print them as the table of docs/security.md, and check the bounds."""
    s = sign_ins()
    u = uploads()
    print("| load | RSS before | RSS at peak | after |")
    print("|---|---|---|---|")
    print(f"| 40 concurrent anonymous sign-ins (one process) | {s['before']:.0f} MB "
          f"| {s['peak']:.0f} MB | — |")  # fmt: skip
    print(f"| 20 anonymous 49 MB uploads (server; {u['refused']:.0f} refused with 403) "
          f"| {u['before']:.0f} MB | {u['peak']:.0f} MB | {u['after']:.0f} MB |")  # fmt: skip
    sys.stdout.flush()
    problems = over_bounds(s, u)
    if problems:
        raise SystemExit("Over the bounds of docs/security.md:\n" + "\n".join(problems))
    print(
        f"Within the bounds of docs/security.md: sign-ins +{s['peak'] - s['before']:.0f} MB "
        f"(< {SIGN_IN_GROWTH_MB}), uploads +{u['peak'] - u['before']:.0f} MB at the peak "
        f"(< {UPLOAD_PEAK_GROWTH_MB}) and +{u['after'] - u['before']:.0f} MB after "
        f"(< {UPLOAD_LEFT_MB:.0f})."
    )


if __name__ == "__main__":
    main()
