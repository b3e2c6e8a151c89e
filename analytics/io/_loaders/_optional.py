"""The loader of the optional files: questionnaires.csv and entries.csv.

``questionnaires.csv`` holds one answer a row, ``entries.csv`` the entries logged at any
time of day; each is checked like the other files, then by its own rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract import (
    answer_problems,
    empty_answers,
    empty_entries,
    entry_problems,
)
from analytics.contract.schema import TableSpec
from analytics.errors import PROBLEM_COLUMNS
from analytics.io._loaders._cells import check_table
from analytics.io._loaders._raw import RawTable, display_name, read_raw
from analytics.io._loaders._read import OnError, Source
from analytics.io._loaders._rejects import REJECT_COLUMNS
from analytics.io._loaders._text import quote

__all__ = ["read_optional", "folder_optional", "OptionalLoad"]

#: (frame, problems, rejects, warnings, fatal) of one read.
OptionalLoad = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str], bool]

#: Per optional file: the columns its own rule needs, the rule, and its empty frame.
_Rule = tuple[set[str], Callable[[pd.DataFrame], pd.DataFrame], Callable[[], pd.DataFrame]]
_RULES: dict[str, _Rule] = {
    "questionnaires": ({"instrument", "item", "answer"}, answer_problems, empty_answers),
    "entries": ({"time"}, entry_problems, empty_entries),
}


def _mark_rule_problems(raw: RawTable, table: str) -> None:
    """Reject rows that break the file's own rule (beyond the column checks), with their line."""
    needed, rule, _ = _RULES[table]
    if not needed <= set(raw.header) or not len(raw.lines):
        return
    found = rule(raw.rows)
    if found.empty:
        return
    found = found[raw.lines[found["row"].to_numpy(dtype="int64")] > 0]
    for row in found.itertuples(index=False):
        line = int(raw.lines[row.row])
        raw.problems.append(
            (line, row.column, row.value, row.message.replace("{value}", quote(row.value)))
        )
    positions = found["row"].to_numpy()
    raw.lines[positions] = -np.abs(raw.lines[positions])


def read_optional(
    source: Source,
    spec: TableSpec,
    *,
    patients: pd.DataFrame | None,
    on_error: OnError,
    today: dt.date,
    now: dt.datetime,
    max_bytes: int,
    name: str | None = None,
) -> OptionalLoad:
    """Read and check an optional file of the contract: (frame, problems, rejects, warnings, fatal).

    The columns are checked like the other files of the contract, then the file's own
    rule (docs/data-format.md). With ``on_error="skip"`` the rejected rows are returned
    verbatim.
    """
    file_name = display_name(source, name, spec.file_name)
    raw = read_raw(source, spec, file_name, max_bytes)
    if raw.fatal:
        problems = pd.DataFrame([(file_name, *p) for p in raw.problems], columns=PROBLEM_COLUMNS)
        empty = _RULES[spec.name][2]()
        return empty, problems, pd.DataFrame(columns=REJECT_COLUMNS), raw.warnings, True
    _mark_rule_problems(raw, spec.name)
    known = pd.Index(patients["patient_id"]) if patients is not None else None
    frame, problems, rejects, notes = check_table(
        raw, spec, today=today, now=now, known_patients=known
    )
    told = notes.merged + (notes.refused if on_error == "skip" else [])
    return frame, problems, rejects, raw.warnings + told, False


def folder_optional(
    base: Path,
    spec: TableSpec,
    *,
    patients: pd.DataFrame | None,
    on_error: OnError,
    today: dt.date,
    now: dt.datetime,
    max_bytes: int,
) -> OptionalLoad | None:
    """Read an optional file of a folder, or None when the folder has none."""
    path = base / spec.file_name
    if not path.exists() and not path.is_symlink():
        return None
    return read_optional(
        path, spec, patients=patients, on_error=on_error, today=today, now=now, max_bytes=max_bytes
    )
