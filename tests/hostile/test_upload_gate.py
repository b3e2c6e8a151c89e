"""Uploads are kept only for sessions whose signed-in user may import, within a cap.

The gate wraps Streamlit's own upload store; a refused upload is answered 403 with one
sentence and nothing of it is kept (an upload never touches the database). The server
round trip (an anonymous WebSocket session PUTting 49 MB files, all refused) is measured
by ``tests/benchmarks/anonymous_memory.py``.
"""

from __future__ import annotations

import pytest
from starlette.exceptions import HTTPException
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
from streamlit.runtime.uploaded_file_manager import UploadedFileRec

from dashboard.components import upload_gate
from dashboard.components.upload_gate import REFUSED, UploadGate, may_upload


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
