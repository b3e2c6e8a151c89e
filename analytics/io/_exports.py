"""Writing the data contract's CSV files (the loaders read them back exactly).

Text cells that a spreadsheet would execute as a formula (starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are neutralised with a leading
apostrophe; a cell that already starts with apostrophes before such a character
gets one more, so :func:`analytics.io.restore_cell` can undo exactly what
was added and an export → import round trip is exact.

An export is first a set of files, each a name and its text cells
(:func:`dataset_files` for the contract tables, :func:`table_files` for other
frames such as a de-identified export); those cells then go to a folder
(:func:`write_files`) or into one zip archive (:func:`zip_files`), byte for byte
the same CSV text either way.

Files are written whole or not at all: each goes to a temporary file in the
target folder and is renamed into place only when complete, so an interrupted
export never leaves a truncated CSV that still validates. A target that is a
symbolic link is refused (writing through it could create or replace a file
outside the folder).
"""

from __future__ import annotations

import datetime as dt
import errno
import io
import os
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from analytics.contract import ENTRIES
from analytics.contract.schema import TABLES

__all__ = [
    "neutralise_cell",
    "format_table",
    "write_table",
    "write_tables",
    "write_dataset",
    "check_targets",
    "write_rejects",
    "table_to_csv_bytes",
    "dataset_files",
    "table_files",
    "optional_files",
    "write_files",
    "zip_files",
    "csv_file_bytes",
]

#: The contract tables an export holds, in the order they are written.
_EXPORT_TABLES = ("patients", "diary", "sessions")

_FORMULA_RE = r"^(?='*[=+\-@\t\r])"


def neutralise_cell(values: pd.Series) -> pd.Series:
    """Prefix formula-like text cells with ``'`` (OWASP CSV-injection advice)."""
    return values.str.replace(_FORMULA_RE, "'", regex=True)


def _format_float(values: pd.Series) -> pd.Series:
    # repr gives the shortest text that reads back to the same float; "7.0" -> "7"
    arr = values.to_numpy(dtype=float, na_value=np.nan)
    text = pd.Series([repr(v) for v in arr.tolist()], index=values.index, dtype="str")
    text = text.str.replace(r"\.0$", "", regex=True)
    return text.where(~np.isnan(arr), "")


def format_table(frame: pd.DataFrame, table: str, *, neutralise: bool = True) -> pd.DataFrame:
    """Turn a canonical frame into the text cells of its CSV file.

    Numbers are written in the shortest form that reads back to the same value
    (``7``, ``5.5``), integers without a decimal point, dates ``YYYY-MM-DD`` and
    session times ``YYYY-MM-DDTHH:MM`` (date only at midnight), missing values
    as empty cells.
    """
    spec = ENTRIES if table == ENTRIES.name else TABLES[table]
    out = {}
    for col in spec.columns:
        s = (
            frame[col.name]
            if col.name in frame.columns
            else pd.Series(index=frame.index, dtype=col.dtype)
        )
        if col.kind == "number":
            out[col.name] = _format_float(s)
        elif col.kind == "integer":
            out[col.name] = s.astype("Int64").astype("str").where(s.notna(), "")
        elif col.kind in ("date", "datetime"):
            ts = pd.to_datetime(s)
            text = ts.dt.strftime("%Y-%m-%d")
            if col.kind == "datetime":
                has_time = (ts != ts.dt.normalize()).fillna(False)
                text = text.where(~has_time, ts.dt.strftime("%Y-%m-%dT%H:%M"))
            out[col.name] = text.where(ts.notna(), "")
        else:
            text = s.astype("str").where(s.notna(), "")
            out[col.name] = neutralise_cell(text) if neutralise else text
    return pd.DataFrame(out, index=frame.index)


def _to_csv(cells: pd.DataFrame, target: str | os.PathLike[str] | IO[str]) -> None:
    # CRLF (RFC 4180): the csv writer then quotes every cell holding a CR or LF, so a
    # lone carriage return inside a note survives the round trip.
    cells.to_csv(target, index=False, lineterminator="\r\n", encoding="utf-8")


def _check_target(path: Path) -> None:
    if path.is_symlink():
        raise OSError(
            errno.EEXIST,
            "is a symbolic link; nothing was written (an export never writes through a link: "
            "remove the link or choose another folder)",
            str(path),
        )
    if path.exists() and not path.is_file():
        raise OSError(
            errno.EISDIR, "exists and is not a regular file; nothing was written", str(path)
        )


def _write_temp(cells: pd.DataFrame, path: Path) -> Path:
    """``cells`` as CSV in a new temporary file next to ``path``, flushed to disk."""
    _check_target(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            _to_csv(cells, fh)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):  # e.g. a full disk: name the file being written
            raise OSError(
                exc.errno, f"{exc.strerror or exc}; nothing was written", str(path)
            ) from None
        raise
    return Path(tmp)


def _write_files(
    files: list[tuple[pd.DataFrame, Path]], before_rename: Callable[[], None] | None = None
) -> list[Path]:
    """Write every file to a temporary one, then rename them all into place.

    ``before_rename`` runs once every temporary file is complete and before any is
    renamed (e.g. to record the export): when it raises, nothing is put in place.
    """
    temps: list[Path] = []
    try:
        for cells, path in files:
            temps.append(_write_temp(cells, path))
        if before_rename is not None:
            before_rename()
        for (_, path), tmp in zip(files, temps, strict=True):
            _check_target(path)
            os.replace(tmp, path)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return [path for _, path in files]


def write_table(frame: pd.DataFrame, path: str | os.PathLike[str], table: str) -> Path:
    """Write one canonical frame as its contract CSV file; returns the path.

    The file appears whole or not at all (see the module notes); a path that is a
    symbolic link raises OSError and writes nothing.
    """
    path = Path(path)
    return _write_files([(format_table(frame, table), path)])[0]


def write_tables(
    tables: Mapping[str, pd.DataFrame],
    directory: str | os.PathLike[str],
    *,
    before_rename: Callable[[], None] | None = None,
) -> list[Path]:
    """Write frames that are not contract tables (e.g. a de-identified export) as CSV files.

    ``tables`` maps a file stem to its frame; each is written to
    ``<directory>/<stem>.csv`` with formula-like text cells neutralised, every
    file whole or not at all and all renamed into place together (as
    :func:`write_dataset`). The directory is created when missing; a target that
    is a symbolic link raises OSError and nothing is written.
    """
    return write_files(table_files(tables), directory, before_rename=before_rename)


def csv_file_bytes(cells: pd.DataFrame) -> bytes:
    """Return text cells as the UTF-8 bytes of their CSV file (exactly what a write puts on disk)."""
    buf = io.StringIO()
    _to_csv(cells, buf)
    return buf.getvalue().encode("utf-8")


def table_to_csv_bytes(frame: pd.DataFrame, table: str) -> bytes:
    """Write a canonical frame as the contract's CSV file in UTF-8 bytes (for downloads)."""
    return csv_file_bytes(format_table(frame, table))


def dataset_files(dataset) -> dict[str, pd.DataFrame]:
    """Return the files of a Dataset's export: contract file name to its text cells.

    ``patients.csv``, ``diary.csv`` and ``sessions.csv`` in the contract's columns
    (:func:`format_table`, formula-like text neutralised), in that order, then the
    optional ``questionnaires.csv`` and ``entries.csv`` when the dataset holds their rows.
    """
    files = {TABLES[n].file_name: format_table(getattr(dataset, n), n) for n in _EXPORT_TABLES}
    return files | optional_files(dataset)


def optional_files(dataset) -> dict[str, pd.DataFrame]:
    """Return the optional files a Dataset holds rows of: ``questionnaires.csv``, ``entries.csv``.

    Each in its contract's columns, dates as ``YYYY-MM-DD``, formula-like text neutralised.
    """
    files: dict[str, pd.DataFrame] = {}
    answers = getattr(dataset, "questionnaires", None)
    if answers is not None and len(answers):
        files |= table_files(
            {"questionnaires": answers.assign(date=answers["date"].dt.strftime("%Y-%m-%d"))}
        )
    entries = getattr(dataset, "entries", None)
    if entries is not None and len(entries):
        files[ENTRIES.file_name] = format_table(entries, ENTRIES.name)
    return files


def table_files(tables: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Return the files of frames that are not contract tables: ``<stem>.csv`` to its cells.

    Every column is kept as it is; text cells that a spreadsheet would run as a
    formula are neutralised (:func:`neutralise_cell`); numbers, booleans and
    missing values are left to the CSV writer.
    """
    files = {}
    for stem, frame in tables.items():
        cells = frame.copy()
        for col in cells.columns:
            if cells[col].dtype == object or pd.api.types.is_string_dtype(cells[col]):
                text = cells[col].astype("str").where(cells[col].notna())
                cells[col] = neutralise_cell(text)
        files[f"{stem}.csv"] = cells
    return files


def write_files(
    files: Mapping[str, pd.DataFrame],
    directory: str | os.PathLike[str],
    *,
    before_rename: Callable[[], None] | None = None,
) -> list[Path]:
    """Write files (a name to its text cells, as :func:`dataset_files` returns) into a folder.

    The directory is created when missing. Every file is written to a temporary
    file first and all are renamed into place together once complete; a target
    that is a symbolic link raises OSError and nothing is written.
    ``before_rename`` runs when the temporary files are complete, before any is
    renamed; if it raises, no file is put in place. Returns the paths written.
    """
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True)
    targets = [(cells, base / name) for name, cells in files.items()]
    for _, path in targets:  # a link among the targets is refused before anything is written
        _check_target(path)
    return _write_files(targets, before_rename)


def zip_files(files: Mapping[str, pd.DataFrame], *, when: dt.datetime | None = None) -> bytes:
    """Return files (a name to its text cells) as the bytes of one zip archive.

    Each member holds exactly the bytes :func:`write_files` would write to a file
    of that name, at the top of the archive, compressed (deflate), readable by
    its owner only when unpacked (mode 0600).

    Parameters
    ----------
    files : mapping of str to pandas.DataFrame
        File name to its text cells, as :func:`dataset_files` or :func:`table_files`
        return them.
    when : datetime.datetime, optional
        The members' modification time; default now (local time, as zip keeps it).

    Returns
    -------
    bytes
    """
    stamp = (when or dt.datetime.now()).timetuple()[:6]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, cells in files.items():
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o100600 << 16  # a regular file, owner read/write
            archive.writestr(info, csv_file_bytes(cells))
    return buf.getvalue()


def check_targets(directory: str | os.PathLike[str]) -> None:
    """Raise OSError, naming the file, when a contract file in ``directory`` is a link.

    Lets a caller refuse an export before doing anything else (reading, auditing).
    """
    base = Path(directory)
    for name in _EXPORT_TABLES:
        _check_target(base / TABLES[name].file_name)


def write_dataset(
    dataset,
    directory: str | os.PathLike[str],
    *,
    before_rename: Callable[[], None] | None = None,
) -> list[Path]:
    """Write ``patients.csv``, ``diary.csv`` and ``sessions.csv`` of a Dataset.

    All three are written to temporary files first and renamed into place only
    when every one is complete; a target that is a symbolic link raises OSError
    before anything is written. ``before_rename`` runs when the temporary files
    are complete, before any is renamed; if it raises, no file is put in place.
    """
    return write_files(dataset_files(dataset), directory, before_rename=before_rename)


def write_rejects(
    rejects: Mapping[str, pd.DataFrame], directory: str | os.PathLike[str]
) -> list[Path]:
    """Write rejected rows as ``<table>.rejects.csv`` (line, reason, raw cells).

    The raw cells are written as they were read, except that formula-like cells —
    header cells included — are neutralised (a leading ``'``) so opening the file
    in a spreadsheet is safe. Each file is written whole or not at all.
    """
    base = Path(directory)
    base.mkdir(parents=True, exist_ok=True)
    files = []
    for table, frame in rejects.items():
        if not len(frame):
            continue
        cells = frame.astype("str").where(frame.notna(), "")
        for c in cells.columns[1:]:
            cells[c] = neutralise_cell(cells[c])
        header = neutralise_cell(pd.Series([str(c) for c in cells.columns], dtype="str"))
        # positional names: a neutralised header cell may equal another column's name
        cells = pd.DataFrame(cells.to_numpy(), columns=header.tolist())
        files.append((cells, base / f"{table}.rejects.csv"))
    return _write_files(files)
