"""The clinic's export as one zip (``Service.export_zip``): the very files ``paindiary export``
writes, one set of de-identified codes across them, recorded once per download."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from analytics import access
from analytics.access import (
    DEID_DIARY_COLUMNS,
    DEID_PATIENT_COLUMNS,
    DEID_SESSION_COLUMNS,
    LOCAL_OPERATOR,
)
from analytics.cli import main
from analytics.errors import StoreError
from analytics.io import load_dataset
from analytics.service import Service
from analytics.store import Store, open_store

FILES = ["patients.csv", "diary.csv", "sessions.csv"]
#: An export year in which a person born in 1930 is 90 or over and one born in 1990 is not.
BORN_OLD, BORN_YOUNG = 1930, 1990


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A data directory of this test's own (passwords hash cheaply: tests/conftest.py)."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """A small clinic with the awkward cases: a person of 90 or over, a patient without a
    clinician, a session with a time of day, text a spreadsheet would run as a formula."""
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    with open_store(url) as s:
        people = [
            ("P1", BORN_OLD, "C01", "knee pain"),
            ("P2", BORN_YOUNG, "C02", '=HYPERLINK("http://x","y")'),
            ("P3", 1960, None, "+neck pain"),
        ]
        for pid, born, clinician, condition in people:
            s.save_patient(
                "setup",
                {"patient_id": pid, "condition": condition, "group": "@home",
                 "start_date": "2024-01-10", "sex": "F", "birth_year": born,
                 "clinician_id": clinician},
            )  # fmt: skip
            for d in range(5, 15):
                s.save_diary_entry(
                    "setup",
                    {"patient_id": pid, "date": f"2024-01-{d:02d}", "pain": 3 + d % 4,
                     "notes": f"note of {pid}"},
                )  # fmt: skip
            s.save_session(
                "setup",
                {"patient_id": pid, "date": "2024-01-10T09:30", "technique": "manual",
                 "points": "LI4;ST36", "practitioner": "Dr Who", "pain_before": 6, "pain_after": 4},
            )  # fmt: skip
    yield url


def _members(payload: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def _frames(members: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    return {
        name.removesuffix(".csv"): pd.read_csv(io.BytesIO(raw), dtype="str", keep_default_na=False)
        for name, raw in members.items()
    }


def _same_codes(monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    """Seed every de-identification of this test with ``seed`` (the CLI has no --seed)."""
    real = access.deidentify

    def seeded(dataset: Any, *, rng: Any = None, today: Any = None) -> Any:
        return real(dataset, rng=seed, today=today)

    monkeypatch.setattr(access, "deidentify", seeded)


def _exports(store: Store) -> pd.DataFrame:
    log = store.audit_log("test")
    return log[log["action"] == "export"]


@pytest.mark.parametrize("deidentify", [True, False], ids=["deidentified", "identified"])
def test_the_zip_holds_byte_for_byte_what_paindiary_export_writes(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, deidentify: bool
) -> None:
    _same_codes(monkeypatch, seed=2026)
    flag = ["--deidentify"] if deidentify else []
    assert main(["export", str(tmp_path / "cli"), "--db", db_url, *flag]) == 0
    with open_store(db_url) as store:
        payload = Service(store, LOCAL_OPERATOR, face="test").export_zip(deidentify=deidentify)
    members = _members(payload)
    assert list(members) == FILES
    assert sorted(p.name for p in (tmp_path / "cli").iterdir()) == sorted(FILES)
    for name, raw in members.items():
        assert raw == (tmp_path / "cli" / name).read_bytes(), name


def test_the_deidentified_zip_joins_on_one_code_and_carries_days_not_dates(db_url: str) -> None:
    with open_store(db_url) as store:
        admin = Service(store, LOCAL_OPERATOR, face="test")
        members = _members(admin.export_zip(deidentify=True))
        stored = store.dataset("test")
    t = _frames(members)
    assert t["patients"].columns.tolist() == DEID_PATIENT_COLUMNS
    assert t["diary"].columns.tolist() == DEID_DIARY_COLUMNS
    assert t["sessions"].columns.tolist() == DEID_SESSION_COLUMNS
    assert [len(t[n]) for n in ("patients", "diary", "sessions")] == [3, 30, 3]
    codes = t["patients"]["patient_code"]
    assert codes.str.fullmatch(r"R[0-9a-f]{10}").all() and codes.is_unique
    for name in ("diary", "sessions"):
        assert (t[name]["patient_code"] != "").all(), name
        assert set(t[name]["patient_code"]) <= set(codes), name  # every row joins
        assert t[name]["day"].str.fullmatch(r"-?\d+").all(), name
    # one code per patient across the three files: the joined rows are each patient's own
    joined = t["diary"].merge(t["patients"], on="patient_code", validate="many_to_one")
    per_patient = joined.groupby("patient_code").size()
    assert sorted(per_patient) == sorted(stored.diary.groupby("patient_id").size())
    assert sorted(pd.to_numeric(t["diary"]["day"]).unique().tolist()) == list(range(-5, 5))
    assert (t["sessions"]["day"] == "0").all()  # 2024-01-10 09:30 is the index date
    # no id, date, time, note or practitioner anywhere
    text = b"".join(members.values()).decode()
    for secret in ("P1", "P2", "P3", "note of", "Dr Who", "2024", "09:30", "C01", "C02"):
        # as a value of its own: a random code may hold the same letters ("C025367")
        assert not re.search(rf"(?<![0-9A-Za-z]){re.escape(secret)}(?![0-9A-Za-z])", text), secret
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    # the age-90 marker and the clinician codes
    patients = t["patients"].set_index("condition")
    old = patients.loc["knee pain"]
    assert (old["age_90_or_over"], old["birth_year"]) == ("True", "")
    young = patients.loc['\'=HYPERLINK("http://x","y")']  # neutralised, as on disk
    assert (young["age_90_or_over"], young["birth_year"]) == ("False", str(BORN_YOUNG))
    assert young["clinician_code"] != old["clinician_code"]
    assert all(
        re.fullmatch(r"C[0-9a-f]{6}", c) for c in (old["clinician_code"], young["clinician_code"])
    )
    assert patients.loc["'+neck pain", "clinician_code"] == ""
    assert (t["patients"]["group"] == "'@home").all()


def test_the_identified_zip_is_the_import_format(db_url: str, tmp_path: Path) -> None:
    with open_store(db_url) as store:
        members = _members(Service(store, LOCAL_OPERATOR, face="test").export_zip())
        stored = store.dataset("test")
    for name, raw in members.items():
        (tmp_path / name).write_bytes(raw)
    again = load_dataset(tmp_path)  # the loader restores the neutralised cells exactly
    for name in ("patients", "diary", "sessions"):
        pd.testing.assert_frame_equal(
            getattr(again, name).reset_index(drop=True),
            getattr(stored, name).reset_index(drop=True),
            check_dtype=False,
        )


def test_each_zip_is_recorded_once_and_only_when_its_bytes_leave(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_store(db_url) as store:
        admin = Service(store, LOCAL_OPERATOR, face="test")
        admin.export_zip(deidentify=True)
        admin.export_zip()
        rows = _exports(store)
        assert len(rows) == 2
        details = [json.loads(d) for d in rows["detail"]]
        assert [d["deidentified"] for d in details] == [True, False]
        assert all(d["format"] == "zip" and d["patients"] == 3 for d in details)
        assert set(rows["patient_id"]) == {"*"}

        def refuse(*args: Any, **kwargs: Any) -> None:
            raise StoreError("Could not record the export: the database is read-only")

        monkeypatch.setattr(store, "record_audit", refuse)
        with pytest.raises(StoreError, match="record the export"):
            admin.export_zip(deidentify=True)
