"""A patient's own pain just before and after a session: only the empty items change.

The clinic is the one of test_service.py: the patient account "pat" is P1.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.errors import ConflictError, NotFoundError
from analytics.store import Store, open_store
from tests.service.test_service import _build, _log, _service

WHEN = "2024-01-16T10:00"
SESSION = {
    "patient_id": "P1", "date": WHEN, "technique": "electro", "frequency_hz": "2/100",
    "points": "LI4;ST36", "needles": 8, "retention_min": 25, "practitioner": "Dr Who",
    "pain_after": 4,
}  # fmt: skip


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "clinic.sqlite3"
    _build(path)
    with open_store(f"sqlite:///{path}") as s:
        s.save_session("clinician:ann", SESSION)
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "clinic.sqlite3"
    shutil.copy(template, path)
    with open_store(f"sqlite:///{path}") as s:
        yield s


def _stored(store: Store) -> dict:
    frame = store.sessions("test", "P1")
    return frame[frame["date"] == WHEN].iloc[0].to_dict()


def test_the_answer_fills_the_empty_item_and_keeps_every_other_value(store: Store) -> None:
    before = _stored(store)
    result = _service(store, "pat").answer_session_pain(WHEN, pain_before=7)
    assert result.action == "updated"
    after = _stored(store)
    assert after["pain_before"] == 7.0
    changed = {k for k in after if str(after[k]) != str(before[k])}
    assert changed == {"pain_before"}  # the clinician's 4 after, points, needles... unchanged
    # who entered it is kept in the history, and the write is audited as the patient's
    history = store.history("test", "P1")
    last = history.iloc[-1]
    assert (last["actor"], last["action"], last["table"]) == ("pat", "update", "sessions")
    row = _log(store).iloc[-1]
    assert (row["username"], row["action"], row["outcome"]) == ("pat", "edit", "ok")
    assert '"answer_session_pain"' in row["detail"] and "pain_before" in row["detail"]


def test_a_stored_score_is_never_replaced_and_the_refusal_is_recorded(store: Store) -> None:
    before = _stored(store)
    with pytest.raises(ConflictError, match=r"pain just after the session .* \(4/10\)"):
        _service(store, "pat").answer_session_pain(WHEN, pain_before=2, pain_after=9)
    assert str(_stored(store)) == str(before)  # nothing written, not even the empty item
    assert _log(store).iloc[-1]["outcome"] == "failed"


def test_a_score_is_a_whole_number_from_0_to_10(store: Store) -> None:
    service = _service(store, "pat")
    for value in (11, -1, 6.5, True, "5"):
        with pytest.raises(ValueError, match=r"'pain_before' parameter .* int in \[0, 10\]"):
            service.answer_session_pain(WHEN, pain_before=value)  # type: ignore[arg-type]


def test_an_unknown_session_is_named_in_a_sentence(store: Store) -> None:
    with pytest.raises(NotFoundError, match="No session of patient P1 on 17 Jan 2024 at 10:00"):
        _service(store, "pat").answer_session_pain("2024-01-17T10:00", pain_after=3)
    with pytest.raises(ValueError, match="Got neither"):
        _service(store, "pat").answer_session_pain(WHEN)
