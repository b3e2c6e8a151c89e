"""Stored text on the dashboard (AppTest): shown as text, never as markup; secrets masked."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from analytics.access import LOCAL_OPERATOR
from analytics.service import Service
from analytics.store import open_store, project_root
from dashboard.text import shown
from dashboard.views.login import SIGN_IN_UNAVAILABLE

from ..dashboard.conftest import PASSWORD, signed_in_app
from .clinic_text import hostile_texts, write_hostile_clinic
from .conftest import fingerprint, run_cli
from .test_store_faults import data_part

APP = str(project_root() / "dashboard" / "app.py")
BASE = "http://127.0.0.1:9"


@pytest.fixture(autouse=True)
def signing_key(monkeypatch: pytest.MonkeyPatch) -> None:
    """Sign session tokens with a test key, not the key file in the data directory."""
    monkeypatch.setenv("PAINDIARY_SECRET_KEY", "hostile-tests-" + "k" * 32)


@pytest.fixture
def hostile_db(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> Path:
    db_file = tmp_path / "hostile.sqlite3"
    url = f"sqlite:///{db_file}"
    code, _, err = run_cli("import", str(write_hostile_clinic(tmp_path / "c", BASE)), "--db", url)
    assert code == 0, err
    _add_admin(url)
    monkeypatch.setenv("PAINDIARY_DB", url)
    return db_file


def _add_admin(url: str) -> None:
    with open_store(url) as store:
        Service(store, LOCAL_OPERATOR, face="test:setup").add_user(
            "admin", role="admin", password=PASSWORD, must_change_password=False
        )


def _open(page: str, **state: str) -> AppTest:
    """``page`` as the admin sees it, signed in."""
    at = signed_in_app("admin")
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page(page)
    at.run()
    assert not at.exception
    return at


def _all_text(at: AppTest) -> list[str]:
    kinds = ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader")
    return [str(e.value) for kind in kinds for e in at.get(kind)]


def _active_markup(texts: list[str], stored: str) -> list[str]:
    """Texts in which ``stored`` appears unescaped (as markup a renderer would act on)."""
    return [t for t in texts if stored in t]


def test_patient_chart_shows_stored_text_as_text(hostile_db):
    before = data_part(fingerprint(hostile_db))  # viewing writes only sign-in and audit rows
    at = _open("views/patient_chart.py", **{"chart.patient": "H1"})
    texts = _all_text(at)
    header = next(t for t in texts if t.startswith("**H1**"))
    text = hostile_texts(BASE)
    assert header == (
        f"**H1** · {shown(text['condition'].replace('_', ' '))} · group {shown(text['group'])}"
        f" · clinician {shown(text['clinician_id'])}"
    )
    for value in text.values():
        assert _active_markup(texts, value) == []
        assert _active_markup(texts, f"({BASE}") == []
    assert data_part(fingerprint(hostile_db)) == before


def _labels(spec: dict) -> list[str]:
    out = []
    for trace in spec["data"]:
        for key in ("y", "x", "name", "text", "customdata"):
            value = trace.get(key)
            if isinstance(value, str):
                out.append(value)
            elif isinstance(value, list):
                out.extend(v for v in value if isinstance(v, str))
    return out


def test_chart_labels_show_plotly_markup_as_text(hostile_db):
    at = _open("views/treatment_response.py")
    labels = [lab for c in at.get("plotly_chart") for lab in _labels(json.loads(c.proto.spec))]
    text = hostile_texts(BASE)
    assert shown(text["group"], "chart") in labels  # the responders-by-group bar
    assert all("<a " not in lab and "<img" not in lab for lab in labels)


def test_data_page_shows_the_columns_it_did_not_load(empty_db_url):
    at = _open("views/data_manager.py")
    upload = b"patient_id,date,pain,Mood,sleep quality\nP1,2026-01-01,5,3,4\n"
    patients = b"patient_id,condition\nP1,neck_pain\n"
    at.file_uploader(key="data.upload.patients").set_value(("patients.csv", patients, "text/csv"))
    at.file_uploader(key="data.upload.diary").set_value(("diary.csv", upload, "text/csv")).run()
    assert not at.exception
    warnings = [str(w.value) for w in at.warning]
    assert warnings == [
        shown(
            "diary.csv: unknown column(s) Mood (did you mean mood?), sleep quality (did you mean "
            "sleep_quality?) were not loaded (known columns: patient_id, date, pain, worst_pain, "
            "enjoyment_interference, activity_interference, sleep_quality, mood, stress, "
            "analgesic_doses, opioid_mme, notes, medication, medication_dose, headache, body_regions)"
        )
    ]


def test_an_upload_with_markup_in_its_header_is_shown_as_text(empty_db_url):
    at = _open("views/data_manager.py")
    evil = "![x](http://127.0.0.1:9/leak.png)"
    upload = f"patient_id,date,pain,{evil}\nP1,2026-01-01,5,1\n".encode()
    at.file_uploader(key="data.upload.patients").set_value(
        ("patients.csv", b"patient_id,condition\nP1,neck_pain\n", "text/csv")
    )
    at.file_uploader(key="data.upload.diary").set_value(("diary.csv", upload, "text/csv")).run()
    texts = _all_text(at)
    assert _active_markup(texts, evil) == []
    assert any(shown(evil) in t for t in texts)


@pytest.fixture
def empty_db_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    _add_admin(url)
    monkeypatch.setenv("PAINDIARY_DB", url)
    return url


def test_the_database_error_box_masks_the_password(monkeypatch):
    secret = "Pa55-w0rd"
    monkeypatch.setenv(
        "PAINDIARY_DB", f"postgresql+psycopg://ana:{secret}@127.0.0.1:9/c?password={secret}"
    )
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    [box] = at.error
    # a visitor is told in one sentence; the server's log holds the (masked) details
    assert str(box.value) == SIGN_IN_UNAVAILABLE
    assert secret not in str(box.value) and "postgresql" not in str(box.value)


def test_imported_uploads_leave_the_page(empty_db_url):
    at = _open("views/data_manager.py")
    at.file_uploader(key="data.upload.patients").set_value(
        ("patients.csv", b"patient_id,condition\nP1,neck_pain\n", "text/csv")
    ).run()
    at.button(key="data.import").click().run()
    assert not at.exception
    assert "Imported: 1 new" in " ".join(str(s.value) for s in at.success)
    keys = sorted(u.key for u in at.get("file_uploader"))
    assert keys == ["data.upload.diary.1", "data.upload.patients.1", "data.upload.sessions.1"]
    assert all(not u.value for u in at.get("file_uploader"))


def test_a_60000_column_upload_is_refused_with_one_message(empty_db_url):
    at = _open("views/data_manager.py")
    header = ",".join(["patient_id", "date", "pain"] + [f"c{i}" for i in range(59_997)])
    at.file_uploader(key="data.upload.diary").set_value(
        ("diary.csv", (header + "\nP1,2026-01-01,5\n").encode(), "text/csv")
    ).run()
    assert not at.exception
    problems = at.dataframe[0].value
    assert problems["message"].tolist() == [
        "the header has 60,000 columns; at most 1,000 are accepted (diary.csv has 16 known "
        "columns): check that this is the right file and that it is comma-separated"
    ]
