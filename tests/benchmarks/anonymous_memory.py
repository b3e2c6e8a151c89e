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

MB = 1024 * 1024


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


def main() -> None:
    """Measure both and print them as the table of docs/security.md."""
    s = sign_ins()
    u = uploads()
    print("| load | RSS before | RSS at peak | after |")
    print("|---|---|---|---|")
    print(f"| 40 concurrent anonymous sign-ins (one process) | {s['before']:.0f} MB "
          f"| {s['peak']:.0f} MB | — |")  # fmt: skip
    print(f"| 20 anonymous 49 MB uploads (server; {u['refused']:.0f} refused with 403) "
          f"| {u['before']:.0f} MB | {u['peak']:.0f} MB | {u['after']:.0f} MB |")  # fmt: skip
    sys.stdout.flush()


if __name__ == "__main__":
    main()
