"""``paindiary user map-clinician`` and ``user invite``, and the new patients after an import."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pypdf
import pytest

from analytics import access
from analytics.cli import main
from analytics.service import Service
from analytics.store import open_store


@pytest.fixture(autouse=True)
def _own_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A data directory and key of this test's own (passwords hash cheaply: tests/conftest.py)."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)
    monkeypatch.setenv("PAINDIARY_URL", "https://diary.clinic.example/")
    monkeypatch.setenv("PAINDIARY_CLINIC_NAME", "Riverside pain clinic")


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    with open_store(url) as s:
        for pid in ("P1", "P2"):
            s.save_patient(
                "setup", {"patient_id": pid, "condition": "knee pain", "clinician_id": "C01"}
            )
        s.add_user(
            "setup", username="ann", role="clinician",
            password_hash=access.hash_password("a long enough password"),
        )  # fmt: skip
    return url


def test_map_import_then_invite_with_a_sign_in_sheet(
    db: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["user", "map-clinician", "C01", "ann", "--db", db]) == 0
    assert capsys.readouterr().out == (
        "Mapped clinician code C01 to ann: imports assign its new patients to ann; "
        "2 stored patient(s) assigned now.\n"
    )
    folder = tmp_path / "new"
    folder.mkdir()
    (folder / "patients.csv").write_text(
        "patient_id,condition,clinician_id\nP3,neck pain,C01\nP4,neck pain,C02\n"
    )
    (folder / "diary.csv").write_text("patient_id,date,pain\nP3,2024-01-02,5\n")
    assert main(["import", str(folder), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "2 new patient(s): P3, P4." in out
    assert "Assigned by their clinician codes: 1 to ann." in out
    assert "1 with clinician code C02, not mapped yet: paindiary user map-clinician C02" in out
    assert "paindiary user invite --without-account --out sign-in-sheets.pdf" in out

    # links are not printed by default: they are written to the sheet
    assert main(["user", "invite", "P3", "--db", db]) == 1
    assert "Give --out sheet.pdf" in capsys.readouterr().err
    sheet = tmp_path / "sheet.pdf"
    assert main(["user", "invite", "--without-account", "--out", str(sheet), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "4 first sign-in link(s)" in out and "4 account(s) made" in out
    assert "invite=" not in out
    pages = pypdf.PdfReader(io.BytesIO(sheet.read_bytes())).pages
    assert len(pages) == 4
    text = pages[2].extract_text()
    assert "Riverside pain clinic" in text and "p3" in text
    token = re.search(r"https://diary\.clinic\.example/\?invite=([\w-]+)", text)
    assert token is not None
    with open_store(db) as s:
        assert Service.invite_account(s, token.group(1)) == "p3"
        log = s.audit_log("test")
    assert not log["detail"].str.contains(token.group(1), regex=False).any()
