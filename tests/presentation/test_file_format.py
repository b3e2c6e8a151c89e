"""The import format a clinic downloads: templates with the contract's headers, and an
example clinic that validates and imports with no problem and no warning."""

from __future__ import annotations

import io
import warnings
import zipfile
from pathlib import Path

import pytest

from analytics.contract import column_table
from analytics.contract.schema import TABLES
from analytics.errors import DataQualityWarning
from analytics.io import load_dataset
from analytics.presentation import (
    FILE_TABLES,
    example_clinic,
    example_row,
    example_zip,
    templates_zip,
)
from analytics.store import open_store

FILES = [TABLES[t].file_name for t in FILE_TABLES]


def _members(raw: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _unpack(raw: bytes, folder: Path) -> Path:
    for name, content in _members(raw).items():
        (folder / name).write_bytes(content)
    return folder


def test_templates_hold_the_contract_header_and_no_rows() -> None:
    members = _members(templates_zip())
    assert list(members) == FILES
    for table in FILE_TABLES:
        text = members[TABLES[table].file_name].decode("utf-8")
        assert text.splitlines() == [",".join(TABLES[table].column_names)]


def test_the_templates_are_valid_empty_files(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataQualityWarning)
        ds = load_dataset(_unpack(templates_zip(), tmp_path))
    assert (len(ds.patients), len(ds.diary), len(ds.sessions)) == (0, 0, 0)


def test_the_example_loads_with_no_problem_and_no_warning(tmp_path: Path) -> None:
    members = _members(example_zip())
    assert list(members) == FILES
    for table in FILE_TABLES:
        header = members[TABLES[table].file_name].decode("utf-8").splitlines()[0]
        assert header == ",".join(TABLES[table].column_names)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ds = load_dataset(_unpack(example_zip(), tmp_path))
    assert ds.warnings == () and ds.n_rejected == 0
    assert sorted(ds.patients["patient_id"]) == ["EX01", "EX02", "EX03"]
    assert set(ds.diary["patient_id"]) == set(ds.sessions["patient_id"]) == {"EX01", "EX02", "EX03"}
    # a day, a session and an opioid of each kind the format allows
    assert set(ds.sessions["technique"]) == {"manual", "electro", "auricular"}
    assert ds.diary.groupby("patient_id").size().min() >= 60
    opioid = ds.diary[ds.diary["medication"].notna()]
    assert (opioid["opioid_mme"] == 15).all() and len(opioid)
    assert ds.diary["pain"].between(0, 10).all()
    assert (ds.diary["pain"] == ds.diary["pain"].round()).all()
    assert not ds.diary.duplicated(["patient_id", "date"]).any()


def test_the_example_imports_into_an_empty_clinic(tmp_path: Path) -> None:
    ds = load_dataset(_unpack(example_zip(), tmp_path))
    with open_store(f"sqlite:///{tmp_path / 'clinic.sqlite3'}") as store:
        report = store.import_dataset("test", ds)
    counts = report.to_frame().set_index("table")
    assert counts["inserted"].to_dict() == {
        "patients": 3,
        "diary": len(ds.diary),
        "sessions": len(ds.sessions),
    }
    assert counts["conflicting"].sum() == 0


def test_the_example_is_the_same_at_every_download() -> None:
    assert example_zip() == example_zip()
    assert templates_zip() == templates_zip()


@pytest.mark.parametrize("table", FILE_TABLES)
def test_the_example_row_is_the_first_row_of_the_example_file(table: str) -> None:
    row = example_row(table)
    assert list(row.columns) == TABLES[table].column_names
    frame = getattr(example_clinic(), table)
    assert row.loc[0, "patient_id"] == frame["patient_id"].iloc[0]
    assert len(row) == 1


@pytest.mark.parametrize("table", FILE_TABLES)
def test_the_column_table_follows_the_contract(table: str) -> None:
    spec = TABLES[table]
    described = column_table(table)
    assert list(described["column"]) == spec.column_names
    assert (described["required"] == "yes").tolist() == [c.required for c in spec.columns]
    assert described["holds"].str.len().gt(0).all()
    assert described["allowed"].str.len().gt(0).all()
    for col in spec.columns:
        allowed = described.set_index("column").loc[col.name, "allowed"]
        for choice in col.choices:
            assert choice in allowed, (col.name, choice)
        if col.kind in ("number", "integer") and col.max is not None:
            assert f"from {col.min:g} to {col.max:g}" in allowed, col.name


def test_every_score_has_its_unit_and_the_range_0_to_10() -> None:
    diary = column_table("diary").set_index("column")
    assert diary.loc["pain", "allowed"] == "a number from 0 to 10"
    assert diary.loc["pain", "unit"].startswith("points")
    assert column_table("sessions").set_index("column").loc["frequency_hz", "required"] == (
        "for electro"
    )


def test_an_unknown_file_is_refused_in_a_sentence() -> None:
    with pytest.raises(ValueError, match="must be one of"):
        column_table("visits")
    with pytest.raises(ValueError, match="must be one of"):
        example_row("visits")


def test_units_name_only_contract_columns() -> None:
    from analytics.contract import CONDITIONALLY_REQUIRED, UNITS

    for table, name in [*UNITS, *CONDITIONALLY_REQUIRED]:
        assert name in TABLES[table].column_names, (table, name)
