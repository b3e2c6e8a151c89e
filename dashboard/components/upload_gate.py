"""Who may upload files to the server, and how much: a gate in front of Streamlit's upload store.

Streamlit accepts a file at ``PUT /_stcore/upload_file/<session>/<file>`` from any open
browser session, signed in or not, and keeps it in memory until the session ends. The
gate wraps the server's upload store (``add_file``) once per process, so a file is kept
only for a session whose signed-in user may import (the policy's ``import`` row), and at
most :data:`MAX_FILES` files and :data:`MAX_BYTES` bytes per session; any other upload is
answered ``403`` and nothing of it is kept. The router tells the gate, on every run, who
the session belongs to (:func:`allow`); a session not yet seen, signed out, or of a role
that may not import, may upload nothing.

When a session ends, its files leave the server and the gate forgets it: Streamlit's own
shutdown of the session (``Runtime.close_session``: ``AppSession.shutdown`` calls the
store's ``remove_session_files``) goes through the gate. A tab that was closed is kept
for a reconnect for ``server.disconnectedSessionTTL`` seconds and then dropped without
that shutdown (Streamlit 1.67), so its files would stay for the life of the process: on
every run, the gate releases the files of sessions that have not been connected for
that long (:meth:`UploadGate.release_idle`).

Streamlit reads a request's body (at most ``server.maxUploadSize``) before it can be
refused; the proxy in front of the app limits what reaches it
(docs/operations.md: ``client_max_body_size`` and a request rate for ``/_stcore/upload_file``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from analytics.service import POLICY

__all__ = [
    "MAX_FILES",
    "MAX_BYTES",
    "REFUSED",
    "may_upload",
    "allow",
    "UploadGate",
    "install",
    "gate_every_new_store",
]

#: Files one browser session may keep uploaded at once (an import is three CSV files).
MAX_FILES = 6
#: Bytes one browser session may keep uploaded at once.
MAX_BYTES = 150 * 1024 * 1024
#: The answer to a refused upload.
REFUSED = "Uploads are for signed-in accounts that may import data, within the session's limit."


def may_upload(role: str | None) -> bool:
    """Tell whether an account of ``role`` may upload files (it may import a dataset)."""
    return role is not None and POLICY["import"].scope(role) is not None


class UploadGate:
    """Which sessions may upload, and the files they keep; wraps an upload store's ``add_file``.

    Parameters
    ----------
    store : streamlit's ``MemoryUploadedFileManager`` (or any object with ``add_file``
        and ``file_storage``)
    """

    def __init__(self, store: Any, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._add = store.add_file
        self._remove = store.remove_session_files
        self._clock = clock
        self._lock = threading.Lock()
        self._allowed: set[str] = set()
        self._idle_since: dict[str, float] = {}

    def allow(self, session_id: str, allowed: bool) -> None:
        """Let ``session_id`` upload (or not); a session no longer allowed loses its files."""
        with self._lock:
            was = session_id in self._allowed
            if allowed:
                self._allowed.add(session_id)
            else:
                self._allowed.discard(session_id)
        if was and not allowed:
            self._remove(session_id)

    def remove_session_files(self, session_id: str) -> None:
        """Drop the files of a session that ended and forget it (it may upload nothing more)."""
        with self._lock:
            self._allowed.discard(session_id)
            self._idle_since.pop(session_id, None)
        self._remove(session_id)

    def release_idle(self, connected: Callable[[str], bool], ttl: float) -> list[str]:
        """End, for the gate, every session not ``connected`` for ``ttl`` seconds; return them.

        Each such session's files are dropped and it is forgotten
        (:meth:`remove_session_files`), as Streamlit does not when it drops a
        disconnected session after ``server.disconnectedSessionTTL``.
        """
        now = self._clock()
        ended = []
        with self._lock:
            for session_id in {*self._store.file_storage, *self._allowed}:
                if connected(session_id):
                    self._idle_since.pop(session_id, None)
                elif now - self._idle_since.setdefault(session_id, now) >= ttl:
                    ended.append(session_id)
        for session_id in ended:
            self.remove_session_files(session_id)
        return ended

    def refusal(self, session_id: str, file: Any) -> str | None:
        """Return why ``file`` may not be kept for ``session_id`` (None: it may)."""
        with self._lock:
            if session_id not in self._allowed:
                return "the session is not signed in as an account that may import"
        kept = {
            k: v
            for k, v in self._store.file_storage.get(session_id, {}).items()
            if k != file.file_id
        }
        if len(kept) + 1 > MAX_FILES:
            return f"the session keeps {len(kept)} files already (at most {MAX_FILES})"
        size = sum(len(f.data) for f in kept.values()) + len(file.data)
        if size > MAX_BYTES:
            return f"the session's files would hold {size} bytes (at most {MAX_BYTES})"
        return None

    def add_file(self, session_id: str, file: Any) -> None:
        """Keep ``file`` for ``session_id``, or refuse it with HTTP 403 (nothing kept)."""
        from starlette.exceptions import HTTPException

        reason = self.refusal(session_id, file)
        if reason is not None:
            raise HTTPException(status_code=403, detail=f"{REFUSED} ({reason})")
        self._add(session_id=session_id, file=file)


_GATE: UploadGate | None = None
_INSTALL = threading.Lock()


def install() -> UploadGate | None:
    """Put the gate in front of this server's upload store (once); None outside a server."""
    global _GATE
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    with _INSTALL:
        store: Any = (
            Runtime.instance().uploaded_file_mgr
        )  # the in-memory store: add_file, file_storage
        if _GATE is None or _GATE._store is not store:
            _GATE = _gate(store)
        return _GATE


def _gate(store: Any) -> UploadGate:
    """Put a new gate in front of ``store``; files it kept before go (call under ``_INSTALL``)."""
    gate = UploadGate(store)
    store.add_file = gate.add_file
    store.remove_session_files = gate.remove_session_files
    # files kept before the gate was put in place go too
    for session_id in list(store.file_storage):
        store.remove_session_files(session_id)
    return gate


def gate_every_new_store() -> None:
    """Gate each upload store Streamlit makes from now on, as it is made.

    Called by the app's launcher (``python -m dashboard.serve``, what ``make run``
    starts) before the server is built, so that the gate is in place before the
    server accepts its first upload, not only from the first run of a page.
    """
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

    made = MemoryUploadedFileManager.__init__
    if getattr(made, "gated", False):
        return

    def gated_init(self: Any, *args: Any, **kwargs: Any) -> None:
        global _GATE
        made(self, *args, **kwargs)
        with _INSTALL:
            _GATE = _gate(self)

    gated_init.gated = True  # type: ignore[attr-defined]
    MemoryUploadedFileManager.__init__ = gated_init  # type: ignore[method-assign]


def allow(session_id: str | None, role: str | None) -> None:
    """Tell the gate who this session is: it may upload when ``role`` may import."""
    gate = install()
    if gate is not None and session_id:
        gate.allow(session_id, may_upload(role))
        from streamlit import config
        from streamlit.runtime import Runtime

        ttl = float(config.get_option("server.disconnectedSessionTTL"))
        gate.release_idle(Runtime.instance().is_active_session, ttl)
