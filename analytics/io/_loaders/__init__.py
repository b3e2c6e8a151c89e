"""Loaders: the only code in paindiary that parses CSV.

Each loader reads one file of the data contract (docs/data-format.md), checks
every cell lazily — all problems are collected before anything is raised — and
returns a canonical frame (see :mod:`analytics.contract.schema`). A file either loads
whole or raises one :class:`~analytics.errors.DataValidationError` listing every
problem with file, physical line, column, value and how to fix it; with
``on_error="skip"`` the valid rows load and the rejected rows are returned
verbatim with their line number and reason (nothing is dropped silently).
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from analytics.checks import check_choice
from analytics.contract import (
    ENTRIES,
    QUESTIONNAIRES,
    Dataset,
    empty_answers,
    empty_entries,
    empty_frame,
)
from analytics.contract.schema import TABLES, TableSpec
from analytics.errors import PROBLEM_COLUMNS, DataQualityWarning, DataValidationError
from analytics.io._loaders._cells import check_table
from analytics.io._loaders._optional import OptionalLoad, folder_optional, read_optional
from analytics.io._loaders._raw import RawTable, display_name, read_raw
from analytics.io._loaders._read import DEFAULT_MAX_BYTES, OnError, Source, read_bytes

# the two record splitters stay importable from here (tests compare their results)
from analytics.io._loaders._read import csv_records as csv_records
from analytics.io._loaders._read import fast_records as fast_records
from analytics.io._loaders._rejects import EXTRA_CELLS, REJECT_COLUMNS
from analytics.io._loaders._text import restore_cell
from analytics.safe_text import visible

__all__ = [
    "load_patients",
    "load_diary",
    "load_sessions",
    "load_dataset",
    "load_questionnaires",
    "load_entries",
    "validate_records",
    "restore_cell",
    "DEFAULT_MAX_BYTES",
    "read_bytes",
    "REJECT_COLUMNS",
    "EXTRA_CELLS",
    "raise_problems",
    "today_and_now",
]

#: How many problems the exception message shows (all are in ``.problems``).
MESSAGE_PROBLEMS = 10


# --------------------------------------------------------------------------- public API


def _visible_messages(problems: pd.DataFrame) -> pd.DataFrame:
    """Problems whose file names and messages show invisible characters as escapes."""
    out = problems
    for col in ("file", "message"):
        text = out[col].astype("str")
        hidden = np.fromiter((not t.isprintable() for t in text), dtype=bool, count=len(text))
        if hidden.any():
            out = out.copy() if out is problems else out
            out.loc[hidden, col] = text[hidden].map(visible)
    return out


def raise_problems(problems: pd.DataFrame) -> None:
    problems = _visible_messages(problems)
    n = len(problems)
    files = ", ".join(dict.fromkeys(problems["file"]))
    shown = []
    for row in problems.head(MESSAGE_PROBLEMS).itertuples(index=False):
        where = f"{row.file} line {row.line}" if row.line else f"{row.file}"
        col = f" {row.column}:" if row.column and not row.message.startswith(row.column) else ""
        shown.append(f"  {where}:{col} {row.message}")
    more = f"\n  ... and {n - MESSAGE_PROBLEMS} more" if n > MESSAGE_PROBLEMS else ""
    message = (
        f"{n} problem{'s' if n != 1 else ''} in {files}; nothing was loaded:\n"
        + "\n".join(shown)
        + more
        + "\nFix the rows above (docs/data-format.md describes every column) or load with "
        "on_error='skip' / --skip-invalid to load the valid rows and write the rejected ones to a "
        "rejects file."
    )
    raise DataValidationError(message, problems.reset_index(drop=True))


def today_and_now(today: dt.date | None) -> tuple[dt.date, dt.datetime]:
    if today is None:
        now = dt.datetime.now()
        return now.date(), now
    return today, dt.datetime.combine(today, dt.time(23, 59, 59))


def _load(
    table: str,
    source: Source,
    *,
    patients: pd.DataFrame | None,
    on_error: OnError,
    today: dt.date | None,
    max_bytes: int,
    name: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str], bool]:
    """Read and check one file: (frame, problems, rejects, warnings, fatal)."""
    spec = TABLES[table]
    file_name = display_name(source, name, spec.file_name)
    raw = read_raw(source, spec, file_name, max_bytes)
    if raw.fatal:
        problems = pd.DataFrame([(file_name, *p) for p in raw.problems], columns=PROBLEM_COLUMNS)
        problems = _visible_messages(problems)
        return (
            empty_frame(table),
            problems,
            pd.DataFrame(columns=REJECT_COLUMNS),
            raw.warnings,
            True,
        )
    d, now = today_and_now(today)
    known = pd.Index(patients["patient_id"]) if patients is not None else None
    frame, problems, rejects, notes = check_table(raw, spec, today=d, now=now, known_patients=known)
    # conflicting repeats are problems; with "skip" their rows are left out, and a note says so
    told = notes.merged + (notes.refused if on_error == "skip" else [])
    return frame, _visible_messages(problems), rejects, raw.warnings + told, False


def _single(
    table: str,
    source: Source,
    *,
    patients: pd.DataFrame | None,
    on_error: OnError,
    today: dt.date | None,
    max_bytes: int,
    name: str | None,
    func: str,
) -> pd.DataFrame:
    check_choice(on_error, "on_error", func, ("raise", "skip"))
    frame, problems, rejects, warns, fatal = _load(
        table,
        source,
        patients=patients,
        on_error=on_error,
        today=today,
        max_bytes=max_bytes,
        name=name,
    )
    for w in warns:
        warnings.warn(visible(w), DataQualityWarning, stacklevel=3)
    if len(problems) and (on_error == "raise" or fatal):
        raise_problems(problems)
    if len(rejects):
        warnings.warn(
            f"{len(rejects)} row(s) of {problems['file'].iat[0]} were rejected and not loaded; "
            "see .attrs['rejects']",
            DataQualityWarning,
            stacklevel=3,
        )
        frame.attrs["rejects"] = rejects
        frame.attrs["problems"] = problems
    return frame


def load_patients(
    source: Source,
    *,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pd.DataFrame:
    r"""Load ``patients.csv``.

    Parameters
    ----------
    source : path or file object
        The CSV file (bytes or text file object; UTF-8 with or without BOM).
    on_error : {"raise", "skip"}
        ``"raise"`` (default): any problem raises one DataValidationError listing
        all of them. ``"skip"``: valid rows load; rejected rows are in
        ``frame.attrs["rejects"]`` (columns ``line``, ``reason`` and the raw
        cells) and a DataQualityWarning says how many.
    today : datetime.date, optional
        The date future dates are checked against (default: today).
    max_bytes : int
        Files larger than this are refused before being read (default 200 MB).
    name : str, optional
        File name used in messages (default: the path's name or ``patients.csv``).

    Returns
    -------
    pandas.DataFrame
        The canonical ``patients`` frame (see :mod:`analytics.contract.schema`).

    Raises
    ------
    DataValidationError
        With a ``problems`` frame (file, line, column, value, message).

    Examples
    --------
    >>> import io
    >>> load_patients(io.StringIO("patient_id,condition\nP1,neck_pain\n"))["condition"].tolist()
    ['neck_pain']
    """
    return _single(
        "patients",
        source,
        patients=None,
        on_error=on_error,
        today=today,
        max_bytes=max_bytes,
        name=name,
        func="load_patients",
    )


def load_diary(
    source: Source,
    *,
    patients: pd.DataFrame | None = None,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pd.DataFrame:
    r"""Load ``diary.csv`` (at most one row per patient per day).

    Parameters are those of :func:`load_patients`, plus ``patients``: a canonical
    patients frame; when given, every ``patient_id`` must be in it.

    Returns
    -------
    pandas.DataFrame
        The canonical ``diary`` frame, sorted by patient_id and date.

    Examples
    --------
    >>> import io, datetime
    >>> csv_text = "patient_id,date,pain\nP1,2026-03-01,6\nP1,2026-03-02,5.5\n"
    >>> load_diary(io.StringIO(csv_text), today=datetime.date(2026, 3, 2))["pain"].tolist()
    [6.0, 5.5]
    """
    return _single(
        "diary",
        source,
        patients=patients,
        on_error=on_error,
        today=today,
        max_bytes=max_bytes,
        name=name,
        func="load_diary",
    )


def load_sessions(
    source: Source,
    *,
    patients: pd.DataFrame | None = None,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pd.DataFrame:
    """Load ``sessions.csv`` (one row per treatment session).

    Parameters are those of :func:`load_diary`.

    Returns
    -------
    pandas.DataFrame
        The canonical ``sessions`` frame, sorted by patient_id and date.
    """
    return _single(
        "sessions",
        source,
        patients=patients,
        on_error=on_error,
        today=today,
        max_bytes=max_bytes,
        name=name,
        func="load_sessions",
    )


def load_dataset(
    directory: str | os.PathLike[str],
    *,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Dataset:
    """Load ``patients.csv``, ``diary.csv`` and ``sessions.csv`` from a directory.

    ``diary.csv`` is required; a missing ``patients.csv`` or ``sessions.csv``
    loads as an empty frame with a DataQualityWarning. When ``patients.csv`` is
    present, diary and session rows must name known patients. Problems of all
    three files are collected before anything is raised.

    Parameters
    ----------
    directory : path
    on_error, today, max_bytes
        As in :func:`load_patients`. With ``"skip"``, ``Dataset.rejects`` holds the
        rejected rows per table (a rejected patient makes its diary rows and
        sessions rejected too, as unknown patients).

    Returns
    -------
    Dataset

    Raises
    ------
    DataValidationError
        Listing every problem of every file; nothing is loaded.
    FileNotFoundError
        When ``directory`` does not exist.
    """
    check_choice(on_error, "on_error", "load_dataset", ("raise", "skip"))
    base = Path(directory)
    if not base.is_dir():
        raise FileNotFoundError(f"{base} is not a directory; give the folder holding diary.csv")
    frames, problems, rejects, notes, any_fatal = _load_folder(
        base, on_error=on_error, today=today, max_bytes=max_bytes
    )
    for spec in (QUESTIONNAIRES, ENTRIES):
        loaded = _folder_optional(
            base, spec, frames, on_error=on_error, today=today, max_bytes=max_bytes
        )
        if loaded is not None:
            frames[spec.name], more, rejected, told, fatal = loaded
            problems = pd.concat([problems, more], ignore_index=True) if len(more) else problems
            rejects.update({spec.name: rejected} if len(rejected) else {})
            notes.extend(told)
            any_fatal |= fatal
    if len(problems) and (on_error == "raise" or any_fatal):
        raise_problems(problems)
    for w in notes:
        warnings.warn(visible(w), DataQualityWarning, stacklevel=2)
    if rejects:
        n = sum(len(r) for r in rejects.values())
        warnings.warn(f"{n} row(s) were rejected and not loaded", DataQualityWarning, stacklevel=2)
    return Dataset(
        patients=frames["patients"],
        diary=frames["diary"],
        sessions=frames["sessions"],
        rejects=rejects,
        warnings=tuple(visible(w) for w in notes),
        questionnaires=frames.get("questionnaires", empty_answers()),
        entries=frames.get("entries", empty_entries()),
    )


def _folder_optional(
    base: Path,
    spec: TableSpec,
    frames: dict[str, pd.DataFrame],
    *,
    on_error: OnError,
    today: dt.date | None,
    max_bytes: int,
) -> OptionalLoad | None:
    """Read an optional file of a folder, its patients checked when patients.csv loaded."""
    d, now = today_and_now(today)
    patients = frames["patients"] if (base / TABLES["patients"].file_name).exists() else None
    return folder_optional(
        base, spec, patients=patients, on_error=on_error, today=d, now=now, max_bytes=max_bytes
    )


def load_questionnaires(
    source: Source,
    *,
    patients: pd.DataFrame | None = None,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pd.DataFrame:
    r"""Load ``questionnaires.csv`` (one answer a row; see docs/data-format.md).

    Parameters are those of :func:`load_diary`. Besides the column rules, each answer
    must be an option of its instrument's item (docs/questionnaires.md).

    Returns
    -------
    pandas.DataFrame
        Columns ``patient_id``, ``date``, ``instrument``, ``item``, ``answer`` (Int64),
        sorted by them.

    Raises
    ------
    DataValidationError
        With a ``problems`` frame (file, line, column, value, message).

    Examples
    --------
    >>> import io, datetime
    >>> text = "patient_id,date,instrument,item,answer\nP1,2026-03-01,pgic,pgic,2\n"
    >>> load_questionnaires(io.StringIO(text), today=datetime.date(2026, 3, 2))["answer"].tolist()
    [2]
    """
    return _load_optional(
        source, QUESTIONNAIRES, "load_questionnaires", patients, on_error, today, max_bytes, name
    )


def load_entries(
    source: Source,
    *,
    patients: pd.DataFrame | None = None,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    name: str | None = None,
) -> pd.DataFrame:
    r"""Load ``entries.csv`` (entries logged at any time of day; see docs/data-format.md).

    Parameters are those of :func:`load_diary`. Besides the column rules, each time must
    be HH:MM, a duration belongs to a flare and a rescue answer to a named medicine.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`analytics.contract.ENTRIES`, sorted by patient, date, time.

    Raises
    ------
    DataValidationError
        With a ``problems`` frame (file, line, column, value, message).

    Examples
    --------
    >>> import io, datetime
    >>> text = "patient_id,date,time,pain,flare\nP1,2026-03-01,14:30,7,yes\n"
    >>> load_entries(io.StringIO(text), today=datetime.date(2026, 3, 2))["pain"].tolist()
    [7.0]
    """
    return _load_optional(
        source, ENTRIES, "load_entries", patients, on_error, today, max_bytes, name
    )


def _load_optional(
    source: Source,
    spec: TableSpec,
    func: str,
    patients: pd.DataFrame | None,
    on_error: OnError,
    today: dt.date | None,
    max_bytes: int,
    name: str | None,
) -> pd.DataFrame:
    """Load one optional file alone; warn of its rejected rows or raise its problems."""
    check_choice(on_error, "on_error", func, ("raise", "skip"))
    d, now = today_and_now(today)
    frame, problems, rejects, warns, fatal = read_optional(
        source,
        spec,
        patients=patients,
        on_error=on_error,
        today=d,
        now=now,
        max_bytes=max_bytes,
        name=name,
    )
    for w in warns:
        warnings.warn(visible(w), DataQualityWarning, stacklevel=2)
    if len(problems) and (on_error == "raise" or fatal):
        raise_problems(problems)
    if len(rejects):
        warnings.warn(
            f"{len(rejects)} {spec.row_word} row(s) were rejected and not loaded",
            DataQualityWarning,
            stacklevel=2,
        )
        frame.attrs["rejects"] = rejects
    return frame


def _missing_file(table: str, base: Path) -> tuple[pd.DataFrame | None, str | None]:
    """Word a file missing from ``base``: a problem for the diary, a note for the others."""
    file_name = TABLES[table].file_name
    if table != "diary":
        return None, f"no {file_name} in {base}; loaded as empty"
    problem = pd.DataFrame(
        [(file_name, 0, "", "", f"no {file_name} in {base}; it is required")],
        columns=PROBLEM_COLUMNS,
    )
    return problem, None


def _load_folder(
    base: Path, *, on_error: OnError, today: dt.date | None, max_bytes: int
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame, dict[str, pd.DataFrame], list[str], bool]:
    """Read and check the three files of a folder: (frames, problems, rejects, notes, fatal).

    The patients file is read first: when it loads, diary rows and sessions must name
    its patients.
    """
    all_problems: list[pd.DataFrame] = []
    rejects: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    patients: pd.DataFrame | None = None
    any_fatal = False
    for table in ("patients", "diary", "sessions"):
        path = base / TABLES[table].file_name
        if not path.exists() and not path.is_symlink():  # a broken link gets its own message
            problem, note = _missing_file(table, base)
            if problem is not None:
                all_problems.append(problem)
                any_fatal = True
            if note is not None:
                notes.append(note)
            frames[table] = empty_frame(table)
            continue
        frame, problems, rej, warns, fatal = _load(
            table,
            path,
            patients=patients,
            on_error=on_error,
            today=today,
            max_bytes=max_bytes,
            name=None,
        )
        any_fatal |= fatal
        notes.extend(warns)
        if len(problems):
            all_problems.append(problems)
        if len(rej):
            rejects[table] = rej
        if table == "patients" and not fatal:
            # with on_error="skip", diary rows and sessions of a rejected patient row are
            # rejected as unknown patients rather than loaded without their patient
            patients = frame
        frames[table] = frame
    problems = (
        pd.concat(all_problems, ignore_index=True)
        if all_problems
        else pd.DataFrame(columns=PROBLEM_COLUMNS)
    )
    return frames, problems, rejects, notes, any_fatal


def _cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        ts = pd.Timestamp(value)
        if kind == "datetime" and (ts.hour or ts.minute):
            return ts.strftime("%Y-%m-%dT%H:%M")
        return ts.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, (bool, np.bool_)):
        return str(value)
    if isinstance(value, (float, np.floating)):
        text = repr(float(value))
        return text[:-2] if text.endswith(".0") and kind == "number" else text
    if isinstance(value, (list, tuple, set)):
        return ";".join(str(v) for v in value)
    return str(value)


def validate_records(
    table: Literal["patients", "diary", "sessions"],
    records: Iterable[Mapping[str, Any]],
    *,
    patients: pd.DataFrame | None = None,
    today: dt.date | None = None,
    file: str = "<form>",
    where: Callable[[list[int]], str] | None = None,
) -> pd.DataFrame:
    """Validate records from a form or an API with exactly the CSV rules.

    Values may be Python objects (int, float, date, datetime, str, None) or text;
    each record is checked as if it were a CSV row. ``line`` in problems is the
    1-based record number. A diary record naming an opioid and its dose without
    ``opioid_mme`` gets its MME (:func:`analytics.contract.medication_mme`); a
    diary day given twice with the same values is kept once with a
    DataQualityWarning, whose words for the records ``where`` gives (default
    ``<file> lines 1 and 3``).

    Returns
    -------
    pandas.DataFrame
        A canonical frame of the records.

    Raises
    ------
    DataValidationError
        When any record breaks the contract; nothing is returned.
    """
    spec = TABLES[table]
    recs = list(records)
    unknown = sorted({k for r in recs for k in r} - set(spec.column_names))
    if unknown:
        raise DataValidationError(
            f"{file}: unknown field(s) {', '.join(unknown)}",
            pd.DataFrame(
                [(file, 0, u, "", f"{u} is not a field of {table}") for u in unknown],
                columns=PROBLEM_COLUMNS,
            ),
        )
    header = spec.column_names
    rows = [[_cell_text(r.get(c), spec.column(c).kind) for c in header] for r in recs]
    raw = RawTable(
        file,
        header,
        pd.DataFrame(rows, columns=header, dtype="str")
        if rows
        else pd.DataFrame({h: pd.Series(dtype="str") for h in header}),
        np.arange(1, len(rows) + 1, dtype=np.int64),
        [],
        [],
    )
    d, now = today_and_now(today)
    known = pd.Index(patients["patient_id"]) if patients is not None else None
    frame, problems, _, notes = check_table(
        raw, spec, today=d, now=now, known_patients=known, where=where
    )
    if len(problems):
        raise_problems(problems)
    for note in notes.merged:
        warnings.warn(visible(note), DataQualityWarning, stacklevel=2)
    return frame
