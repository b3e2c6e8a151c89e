"""The loader of the optional ``questionnaires.csv``: one answer a row."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract import QUESTIONNAIRES, answer_problems, empty_answers
from analytics.errors import PROBLEM_COLUMNS
from analytics.io._loaders._cells import check_table
from analytics.io._loaders._raw import RawTable, display_name, read_raw
from analytics.io._loaders._read import OnError, Source
from analytics.io._loaders._rejects import REJECT_COLUMNS
from analytics.io._loaders._text import quote

__all__ = ["read_questionnaires", "folder_questionnaires", "QuestionnaireLoad"]

#: (frame, problems, rejects, warnings, fatal) of one read.
QuestionnaireLoad = tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str], bool]


def _mark_undefined_answers(raw: RawTable) -> None:
    """Reject rows whose item or answer their instrument does not define, with their line."""
    if not {"instrument", "item", "answer"} <= set(raw.header) or not len(raw.lines):
        return
    found = answer_problems(raw.rows)
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


def read_questionnaires(
    source: Source,
    *,
    patients: pd.DataFrame | None,
    on_error: OnError,
    today: dt.date,
    now: dt.datetime,
    max_bytes: int,
    name: str | None = None,
) -> QuestionnaireLoad:
    """Read and check ``questionnaires.csv``: (frame, problems, rejects, warnings, fatal).

    The columns are checked like the other files of the contract; each answer must
    then be an option its instrument's item defines (docs/data-format.md). With
    ``on_error="skip"`` the rejected rows are returned verbatim.
    """
    file_name = display_name(source, name, QUESTIONNAIRES.file_name)
    raw = read_raw(source, QUESTIONNAIRES, file_name, max_bytes)
    if raw.fatal:
        problems = pd.DataFrame([(file_name, *p) for p in raw.problems], columns=PROBLEM_COLUMNS)
        return empty_answers(), problems, pd.DataFrame(columns=REJECT_COLUMNS), raw.warnings, True
    _mark_undefined_answers(raw)
    known = pd.Index(patients["patient_id"]) if patients is not None else None
    frame, problems, rejects, notes = check_table(
        raw, QUESTIONNAIRES, today=today, now=now, known_patients=known
    )
    told = notes.merged + (notes.refused if on_error == "skip" else [])
    return frame, problems, rejects, raw.warnings + told, False


def folder_questionnaires(
    base: Path,
    *,
    patients: pd.DataFrame | None,
    on_error: OnError,
    today: dt.date,
    now: dt.datetime,
    max_bytes: int,
) -> QuestionnaireLoad | None:
    """Read ``questionnaires.csv`` of a folder, or None when the folder has none (it is optional)."""
    path = base / QUESTIONNAIRES.file_name
    if not path.exists() and not path.is_symlink():
        return None
    return read_questionnaires(
        path, patients=patients, on_error=on_error, today=today, now=now, max_bytes=max_bytes
    )
