"""docs/data-format.md documents the contract exactly as analytics.contract.schema defines it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.contract import ENTRIES, column_table, schema

DOC = (Path(__file__).resolve().parents[2] / "docs" / "data-format.md").read_text()


def doc_table(file_name: str) -> dict[str, list[str]]:
    section = DOC.split(f"## {file_name}")[1].split("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `(\w+)` \| (yes|no|for electro) \| (\w[\w-]*) \|", line)
        if m:
            rows[m.group(1)] = [m.group(2), m.group(3), line]
    return rows


@pytest.mark.parametrize("table", ["patients", "diary", "sessions", "entries"])
def test_every_column_is_documented_with_its_requirement_and_type(table):
    spec = {**schema.TABLES, "entries": ENTRIES}[table]
    rows = doc_table(spec.file_name)
    assert list(rows) == spec.column_names
    kinds = {
        "id": "id",
        "text": "text",
        "number": "number",
        "integer": "integer",
        "date": "date",
        "datetime": "date-time",
        "choice": "choice",
        "list": "list",
    }
    for col in spec.columns:
        required, kind, line = rows[col.name]
        assert (required == "yes") == col.required, col.name
        assert kind == kinds[col.kind], col.name
        for choice in col.choices:
            assert f"`{choice}`" in line, (col.name, choice)
        if col.max_len:
            assert f"{col.max_len} characters" in line, col.name
        if col.kind in ("number", "integer") and col.min is not None and col.max is not None:
            assert f"{col.min:g}–{col.max:g}" in line, col.name


@pytest.mark.parametrize("table", ["patients", "diary", "sessions"])
def test_the_required_column_says_what_the_data_page_says(table):
    """The docs' "required" cell of every column is the column table the Data page shows."""
    rows = doc_table(schema.TABLES[table].file_name)
    described = column_table(table)
    assert [rows[c][0] for c in described["column"]] == described["required"].tolist()


@pytest.mark.parametrize("table", ["patients", "diary", "sessions"])
def test_the_example_files_have_the_contract_header(table):
    spec = schema.TABLES[table]
    section = DOC.split(f"## {spec.file_name}")[1].split("\n## ")[0]
    example = section.split("```csv\n")[1].split("```")[0]
    assert example.splitlines()[0] == ",".join(spec.column_names)
