"""docs/data-format.md documents the contract exactly as analytics.contract.schema defines it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.contract import schema

DOC = (Path(__file__).resolve().parents[2] / "docs" / "data-format.md").read_text()


def doc_table(file_name: str) -> dict[str, list[str]]:
    section = DOC.split(f"## {file_name}")[1].split("\n## ")[0]
    rows = {}
    for line in section.splitlines():
        m = re.match(r"\| `(\w+)` \| (yes|no|for electro) \| (\w[\w-]*) \|", line)
        if m:
            rows[m.group(1)] = [m.group(2), m.group(3), line]
    return rows


@pytest.mark.parametrize("table", ["patients", "diary", "sessions"])
def test_every_column_is_documented_with_its_requirement_and_type(table):
    spec = schema.TABLES[table]
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
