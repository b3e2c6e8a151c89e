"""Uploads are kept only for sessions whose signed-in user may import, within a cap.

The gate wraps Streamlit's own upload store; a refused upload is answered 403 with one
sentence and nothing of it is kept (an upload never touches the database). The server
round trip (an anonymous WebSocket session PUTting 49 MB files, all refused) is measured
by ``tests/benchmarks/anonymous_memory.py``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.exceptions import HTTPException
from streamlit import config
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.runtime import Runtime, RuntimeConfig
from streamlit.runtime.caching.storage.dummy_cache_storage import MemoryCacheStorageManager
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.runtime.memory_session_storage import MemorySessionStorage
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from analytics.access import LOCAL_OPERATOR, issue_token, user_from_record
from analytics.service import Service
from analytics.store import open_store, project_root
from dashboard import session
from dashboard.components import upload_gate
from dashboard.components.upload_gate import REFUSED, UploadGate, may_upload

from .conftest import fingerprint

APP = str(project_root() / "dashboard" / "app.py")
PASSWORD = "correct horse battery 7"


def _file(file_id: str, size: int) -> UploadedFileRec:
    return UploadedFileRec(file_id=file_id, name="diary.csv", type="text/csv", data=b"0" * size)


@pytest.fixture
def gated() -> tuple[MemoryUploadedFileManager, UploadGate]:
    store = MemoryUploadedFileManager("/_stcore/upload_file")
    gate = UploadGate(store)
    store.add_file = gate.add_file  # type: ignore[method-assign]
    return store, gate


def test_only_roles_that_may_import_may_upload() -> None:
    assert [may_upload(r) for r in (None, "patient", "clinician", "admin")] == [
        False, False, False, True,
    ]  # fmt: skip


def test_an_anonymous_session_keeps_no_upload(
    gated: tuple[MemoryUploadedFileManager, UploadGate],
) -> None:
    store, _ = gated
    with pytest.raises(HTTPException) as refused:
        store.add_file("anon", _file("f1", 1000))
    assert refused.value.status_code == 403
    assert refused.value.detail == (
        f"{REFUSED} (the session is not signed in as an account that may import)"
    )
    assert store.get_files("anon", ["f1"]) == [] and "anon" not in store.file_storage


def test_a_session_keeps_at_most_its_files_and_bytes(
    gated: tuple[MemoryUploadedFileManager, UploadGate], monkeypatch: pytest.MonkeyPatch
) -> None:
    store, gate = gated
    monkeypatch.setattr(upload_gate, "MAX_FILES", 2)
    monkeypatch.setattr(upload_gate, "MAX_BYTES", 100)
    gate.allow("admin-session", True)
    store.add_file("admin-session", _file("f1", 40))
    store.add_file("admin-session", _file("f2", 40))
    store.add_file("admin-session", _file("f2", 60))  # the same file again replaces it
    with pytest.raises(HTTPException) as too_many:
        store.add_file("admin-session", _file("f3", 1))
    assert too_many.value.detail == f"{REFUSED} (the session keeps 2 files already (at most 2))"
    with pytest.raises(HTTPException) as too_big:
        store.add_file("admin-session", _file("f2", 61))
    assert too_big.value.detail == (
        f"{REFUSED} (the session's files would hold 101 bytes (at most 100))"
    )
    assert [len(f.data) for f in store.get_files("admin-session", ["f1", "f2"])] == [40, 60]
    # signed out (or another account in this tab): its files leave the server
    gate.allow("admin-session", False)
    assert store.get_files("admin-session", ["f1", "f2"]) == []


# ------------------------------------------------------------- a session that ends


class _Handshake:
    """What a browser sent when it opened the WebSocket: the session cookie, if signed in."""

    def __init__(self, token: str | None) -> None:
        self.headers = [("Host", "localhost")]
        self.cookies = {} if token is None else {session.COOKIE: token}
        self.remote_ip = "127.0.0.1"


class _Browser:
    """A browser tab connected to the runtime: it keeps what the server sends it."""

    def __init__(self, token: str | None) -> None:
        self.client_context = _Handshake(token)
        self.sent: list[ForwardMsg] = []

    def write_forward_msg(self, msg: ForwardMsg) -> None:
        self.sent.append(msg)

    def runs_finished(self) -> int:
        return sum(m.WhichOneof("type") == "script_finished" for m in self.sent)


async def _until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Wait (on the runtime's event loop) until ``check()`` holds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class _Served:
    """Streamlit's runtime serving the app, and the sessions (``AppSession``) opened on it."""

    runtime: Runtime
    opened: list[Any] = field(default_factory=list)

    async def run(self, session_id: str, browser: _Browser, query_string: str = "") -> None:
        """Run the app for a tab, as a browser's rerun request does; wait for the run's end."""
        done = browser.runs_finished()
        rerun = BackMsg()
        rerun.rerun_script.query_string = query_string
        self.runtime.handle_backmsg(session_id, rerun)
        await _until(lambda: browser.runs_finished() > done, "the app's run to finish")

    async def open_tab(self, token: str | None, query_string: str = "") -> tuple[str, _Browser]:
        """Connect a tab (signed in when ``token`` is given) and run the app for it once."""
        browser = self.connect(token)
        session_id = self.opened[-1].id
        await self.run(session_id, browser, query_string)
        return session_id, browser

    def connect(self, token: str | None) -> _Browser:
        """Connect a tab (open its WebSocket) without asking for a run of the app."""
        browser = _Browser(token)
        session_id = self.runtime.connect_session(browser, user_info={})
        self.opened.append(self.runtime.get_app_session(session_id))
        return browser


@pytest.fixture
def server_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, str]]:
    """(database file, the admin's sign-in token); the app's ``$PAINDIARY_DB``."""
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)
    path = tmp_path / "clinic.sqlite3"
    url = f"sqlite:///{path}"
    monkeypatch.setenv("PAINDIARY_DB", url)
    with open_store(url) as store:
        Service(store, LOCAL_OPERATOR, face="test:setup").add_user(
            "admin", role="admin", password=PASSWORD, must_change_password=False
        )
        record = store.user_record("admin")
        assert record is not None
        token = issue_token(store, user_from_record(record), clock=session._clock)
    yield path, token


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Any]]:
    """Run ``scenario(runtime)`` in Streamlit's own runtime serving the app, then stop it.

    The runtime is the one ``streamlit run`` builds (the in-memory upload store, the
    WebSocket session manager); tabs are connected to it as its WebSocket handler does.
    """
    watcher = config.get_option("server.fileWatcherType")
    config.set_option("server.fileWatcherType", "none")
    monkeypatch.setattr(upload_gate, "_GATE", None)

    def serve(scenario: Callable[[_Served], Awaitable[None]]) -> None:
        async def main() -> None:
            served = _Served(
                Runtime(
                    RuntimeConfig(
                        script_path=APP,
                        media_file_storage=MemoryMediaFileStorage("/media"),
                        uploaded_file_manager=MemoryUploadedFileManager("/_stcore/upload_file"),
                        cache_storage_manager=MemoryCacheStorageManager(),
                        session_storage=MemorySessionStorage(),
                    )
                )
            )
            await served.runtime.start()
            try:
                await scenario(served)
            finally:
                served.runtime.stop()
                await served.runtime.stopped
                # a session's script thread closes its own event loop when its last run
                # has unwound, through this loop: wait for it, or the loop leaks
                await _until(
                    lambda: all(s._script_event_loop.is_closed() for s in served.opened),
                    "every session's script event loop to close",
                )

        try:
            asyncio.run(main())
        finally:
            Runtime._instance = None

    try:
        yield serve
    finally:
        config.set_option("server.fileWatcherType", watcher)


def _refused_for(store: Any, session_id: str) -> str:
    with pytest.raises(HTTPException) as refused:
        store.add_file(session_id, _file("f3", 10))
    assert refused.value.status_code == 403
    return str(refused.value.detail)


NOT_SIGNED_IN = f"{REFUSED} (the session is not signed in as an account that may import)"


def test_a_closed_session_leaves_no_file_and_the_gate_forgets_it(
    server_db: tuple[Path, str], runtime: Callable[..., None]
) -> None:
    db_file, token = server_db
    seen: dict[str, Any] = {}

    async def scenario(served: _Served) -> None:
        server = served.runtime
        admin, _ = await served.open_tab(token)
        store = server.uploaded_file_mgr
        assert isinstance(store, MemoryUploadedFileManager)
        store.add_file(admin, _file("f1", 40))  # the gate the app's run put in front
        store.add_file(admin, _file("f2", 60))
        assert [len(f.data) for f in store.get_files(admin, ["f1", "f2"])] == [40, 60]
        seen["before"] = fingerprint(db_file)
        server.close_session(admin)  # AppSession.shutdown -> remove_session_files
        assert admin not in store.file_storage
        assert store.get_files(admin, ["f1", "f2"]) == []
        # a new session given the same id (session_id_override) starts as a stranger
        assert _refused_for(store, admin) == NOT_SIGNED_IN
        assert admin not in store.file_storage
        seen["after"] = fingerprint(db_file)

    runtime(scenario)
    assert seen["after"] == seen["before"]  # an upload never touches the database


def test_a_closed_tab_keeps_its_files_for_a_reconnect_only(
    server_db: tuple[Path, str], runtime: Callable[..., None]
) -> None:
    db_file, token = server_db
    seen: dict[str, Any] = {}

    async def scenario(served: _Served) -> None:
        server = served.runtime
        admin, _ = await served.open_tab(token)
        store = server.uploaded_file_mgr
        assert isinstance(store, MemoryUploadedFileManager)
        gate = upload_gate._GATE
        assert gate is not None
        now = [0.0]
        gate._clock = lambda: now[0]
        store.add_file(admin, _file("f1", 40))
        seen["before"] = fingerprint(db_file)
        # the tab is closed: Streamlit keeps the session for a reconnect, then drops it
        # after server.disconnectedSessionTTL without shutting it down
        server.disconnect_session(admin)
        other, browser = await served.open_tab(None)  # any run looks at the gate
        assert [len(f.data) for f in store.get_files(admin, ["f1"])] == [40]
        now[0] += float(config.get_option("server.disconnectedSessionTTL"))
        await served.run(other, browser)
        assert admin not in store.file_storage
        assert _refused_for(store, admin) == NOT_SIGNED_IN
        seen["after"] = fingerprint(db_file)

    runtime(scenario)
    assert seen["after"] == seen["before"]


# ------------------------------------------------------ before the first run of the app


def test_an_upload_before_any_run_of_the_app_is_kept_nowhere(
    server_db: tuple[Path, str], runtime: Callable[..., None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``python -m dashboard.serve`` (``make run``) does before the server is built."""
    monkeypatch.setattr(  # undone after the test: the class is shared by the other tests
        MemoryUploadedFileManager, "__init__", MemoryUploadedFileManager.__init__
    )
    upload_gate.gate_every_new_store()

    async def scenario(served: _Served) -> None:
        served.connect(None)  # a fresh server; the client never asks for a run
        anon = served.opened[-1].id
        assert served.runtime.is_active_session(anon)  # Streamlit's PUT handler takes it
        store = served.runtime.uploaded_file_mgr
        assert isinstance(store, MemoryUploadedFileManager)
        assert _refused_for(store, anon) == NOT_SIGNED_IN
        assert anon not in store.file_storage

    runtime(scenario)


def test_the_launcher_puts_the_gate_in_place_before_streamlit_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from streamlit.web import cli

    from dashboard import serve

    monkeypatch.setattr(MemoryUploadedFileManager, "__init__", MemoryUploadedFileManager.__init__)
    started: list[list[str]] = []

    def streamlit_main(*, args: list[str], prog_name: str, standalone_mode: bool) -> None:
        store = MemoryUploadedFileManager("/_stcore/upload_file")  # as the server makes it
        gate = upload_gate._GATE
        assert gate is not None and gate._store is store  # gated as it was made
        assert _refused_for(store, "any-session") == NOT_SIGNED_IN
        started.append(args)

    monkeypatch.setattr(upload_gate, "_GATE", None)
    monkeypatch.setattr(cli, "main", streamlit_main)
    assert serve.main(["--server.port", "8999"]) == 0
    assert started == [["run", str(serve.APP), "--server.port", "8999"]]


def test_the_first_run_of_any_kind_drops_earlier_uploads_and_gates_the_next(
    server_db: tuple[Path, str], runtime: Callable[..., None]
) -> None:
    db_file, _ = server_db
    seen: dict[str, Any] = {}

    async def scenario(served: _Served) -> None:
        server = served.runtime
        store = server.uploaded_file_mgr
        assert isinstance(store, MemoryUploadedFileManager)
        served.connect(None)  # opens the WebSocket, never asks for a run
        anon = served.opened[-1].id
        store.add_file(anon, _file("f1", 40))  # no run yet, started as streamlit run: no gate
        seen["before"] = fingerprint(db_file)
        # the app's first run is a share link's, which stops before the menu is built
        await served.open_tab(None, query_string="token=not-a-real-link")
        assert anon not in store.file_storage
        assert store.get_files(anon, ["f1"]) == []
        assert _refused_for(store, anon) == NOT_SIGNED_IN
        assert anon not in store.file_storage
        seen["after"] = fingerprint(db_file)

    runtime(scenario)
    # an upload never touches the database (the share link's refusal is an audit row)
    assert {t: v for t, v in seen["after"].items() if t != "audit_log"} == {
        t: v for t, v in seen["before"].items() if t != "audit_log"
    }
