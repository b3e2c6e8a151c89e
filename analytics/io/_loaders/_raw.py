"""A loader's file as a :class:`RawTable`: its records, with the header checked.

:func:`read_raw` reads the file and splits it into records (:mod:`._read`) — or says
why it is no table: not UTF-8, empty, a NUL, broken quoting — checks its header
against the table's spec — required, repeated and unknown columns, names that are a
known column only to the eye, another separator — and keeps the rows as text cells
for the cell checks (:mod:`._cells`).
"""

from __future__ import annotations

import csv
import os
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics.contract.schema import TEXT_MAX, TableSpec
from analytics.io._loaders._read import (
    MAX_COLUMNS,
    Records,
    Source,
    csv_records,
    decoded_column,
    fast_records,
    parse_chunk,
    read_arrow,
    read_bytes,
)
from analytics.safe_text import hidden_characters, plain_form

__all__: list[str] = []


@dataclass
class RawTable:
    """A CSV file read as text: header, rows (all str) and their physical lines.

    The rows are either a frame of ``str`` columns, or Arrow's dictionary-encoded
    columns as the CSV reader gave them (``cells``); then the frame is built only
    when asked for, and :meth:`column` decodes one column alone.
    """

    name: str
    header: list[str]
    frame: pd.DataFrame | None  # one column per header name, str cells (None: see cells)
    lines: np.ndarray  # physical line of each row's start (header = 1)
    problems: list[tuple[int, str, str, str]]  # (line, column, value, message)
    warnings: list[str]
    fatal: bool = False  # the file could not be read as a table at all
    overflow: dict[int, list[str]] = field(default_factory=dict)  # line -> cells past the header
    cells: dict[str, Any] = field(default_factory=dict)  # header name -> Arrow dictionary column
    decoded: dict[str, pd.Series] = field(default_factory=dict, repr=False)  # columns of cells

    @property
    def rows(self) -> pd.DataFrame:
        """The rows as a frame of ``str`` columns, one per header name."""
        if self.frame is None:
            self.frame = pd.DataFrame({h: self.column(h) for h in self.header})
        return self.frame

    def column(self, name: str) -> pd.Series:
        """One column's cells as ``str``."""
        if self.frame is None and name in self.cells:
            if name not in self.decoded:
                self.decoded[name] = decoded_column(self.cells[name])
            return self.decoded[name]
        return self.rows[name]


def display_name(source: Source, name: str | None, default: str) -> str:
    """Name a source in messages: ``name``, the file's name, or ``default``."""
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return getattr(source, "name", None) and Path(str(source.name)).name or default


def read_raw(source: Source, spec: TableSpec, name: str, max_bytes: int) -> RawTable:
    """Read a loader's file as a :class:`RawTable`, its header checked against ``spec``.

    A file that cannot be read as a table comes back ``fatal`` with one problem
    saying why; rows with the wrong number of cells are problems (their lines
    negative in ``lines``), the cells past the header's width kept in ``overflow``.
    """
    raw = RawTable(name, [], pd.DataFrame(), np.empty(0, dtype=np.int64), [], [])
    data, error = read_bytes(source, name, max_bytes)
    if error is not None or data is None:
        return _fatal(raw, error or "cannot read the file")
    split = _split(data, spec)
    if isinstance(split, _Unreadable):
        return _fatal(raw, split.message, split.line)
    (header_line, header, lines, columns, broken), arrow_columns = split
    if not header:  # only blank lines
        expected = ",".join(spec.required)
        return _fatal(raw, f"file is empty; it needs at least the header row, e.g. '{expected}'")

    header = [h.strip() for h in header]
    problem, warnings = _check_header(header, header_line, spec, name)
    raw.warnings.extend(warnings)
    if problem is not None:
        return _fatal(raw, problem, header_line)
    width = len(header)
    for line, record in broken.items():
        raw.problems.append((line, "", ",".join(record)[:200], _broken_row(record, width)))
        if len(record) > width:
            raw.overflow[line] = record[width:]
    raw.header = header
    if not len(lines):
        raw.frame = pd.DataFrame({h: pd.Series(dtype="str") for h in header})
    elif arrow_columns is not None:
        raw.frame = None  # built from the Arrow columns only if asked for
        raw.cells = dict(zip(header, arrow_columns, strict=True))
    else:
        raw.frame = pd.DataFrame(dict(zip(header, columns, strict=True)))
    if broken:
        lines = np.where(np.isin(lines, list(broken)), -lines, lines)  # negative: rejected
    raw.lines = lines
    return raw


def _fatal(raw: RawTable, message: str, line: int = 0) -> RawTable:
    """Mark ``raw`` as a file that cannot be read as a table, saying why."""
    raw.problems.append((line, "", "", message))
    raw.fatal = True
    return raw


def _broken_row(record: list[str], width: int) -> str:
    """Word a row whose number of cells differs from the header's."""
    return f"the row has {len(record)} fields but the header has {width}; " + (
        "a value containing a comma must be enclosed in double quotes"
        if len(record) > width
        else "every row needs one cell per header column (leave optional cells "
        "empty, e.g. 'P1,2026-03-01,5,,')"
    )


def _check_header(
    header: list[str], header_line: int, spec: TableSpec, name: str
) -> tuple[str | None, list[str]]:
    """Check a header (cells stripped) against ``spec``: (the fatal problem or None, warnings)."""
    warnings: list[str] = []
    if len(header) > MAX_COLUMNS:
        return _too_wide(len(header), spec), warnings
    if header_line != 1:
        warnings.append(
            f"{name}: the header is on line {header_line}; blank lines before it were ignored"
        )
    problem = (
        _other_separator(header) or _repeated_columns(header) or _missing_columns(header, spec)
    )
    if problem is not None:
        return problem, warnings
    unknown = [h for h in header if h not in spec.column_names]
    if unknown:
        shown = [
            _label(h) + (f" (did you mean {k}?)" if (k := _near_miss(h, spec.column_names)) else "")
            for h in unknown
        ]
        warnings.append(
            f"{name}: unknown column(s) {', '.join(shown)} were not loaded "
            f"(known columns: {', '.join(spec.column_names)})"
        )
    return None, warnings


def _other_separator(header: list[str]) -> str | None:
    """Say so when a one-cell header holds a semicolon, a tab or a pipe."""
    if len(header) == 1:
        for sep, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in header[0]:
                return (
                    f"this file looks {label}-separated (the header is '{header[0][:80]}'); "
                    "the contract needs comma-separated values: export it again as CSV with a "
                    "comma as the separator"
                )
    return None


def _repeated_columns(header: list[str]) -> str | None:
    """Name the columns a header repeats, if any."""
    dupes = sorted(h for h, n in Counter(header).items() if n > 1)
    if not dupes:
        return None
    return (
        f"the header repeats column(s) {', '.join(map(_label, dupes))}; each column must "
        "appear once"
    )


def _missing_columns(header: list[str], spec: TableSpec) -> str | None:
    """Name the required columns a header lacks, with a hint for near misses."""
    missing = [c for c in spec.required if c not in header]
    if not missing:
        return None
    hints = [
        f"'{h}' must be spelled '{k}' (column names are case-sensitive)"
        for h in header
        if (k := _near_miss(h, missing))
    ] + [hint for h in header if (hint := _hidden_hint(h, missing))]
    return (
        f"missing required column(s): {', '.join(missing)}; found: "
        f"{', '.join(map(_label, header))}. The header of {spec.file_name} must include "
        f"{', '.join(spec.required)}" + (f"; {'; '.join(hints)}" if hints else "")
    )


def _near_miss(name: str, known: Iterable[str]) -> str | None:
    """Guess the known column a header cell was meant to be (case, spaces, dashes), or None."""
    norm = re.sub(r"[\s-]+", "_", name.strip().lower())
    if not name.isascii() or not name.isprintable():
        return None  # invisible or look-alike characters: _hidden_hint words it
    for k in known:
        if norm == k and name != k:
            return k
    return None


def _label(name: str) -> str:
    """Show a header cell as typed, or as its repr when spaces or invisible characters hide it."""
    return name if name and name.strip() == name and name.isprintable() else repr(name)


def _hidden_hint(name: str, known: Iterable[str]) -> str | None:
    """Hint for a header cell that is a known column only to the eye (BOM, look-alikes)."""
    hidden = hidden_characters(name)
    if not hidden:
        return None
    norm = re.sub(r"[\s-]+", "_", plain_form(name).strip().lower())
    for k in known:
        if norm == k:
            return f"{_label(name)} contains {', '.join(hidden)}: type it as '{k}'"
    return None


def _decode(data: bytes | str) -> tuple[str | None, str | None, int]:
    """Text of the file, or an error message and the line it points at."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff"), None, 0
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8"), None, 0
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        byte = data[exc.start : exc.start + 1].hex().upper()
        return (
            None,
            (
                f"file is not UTF-8 text: byte 0x{byte} at offset {exc.start} (line {line}, "
                f"character {col}) cannot be decoded; save the file as 'CSV UTF-8' "
                "(Excel: File > Save As > CSV UTF-8; LibreOffice: character set Unicode (UTF-8))"
            ),
            line,
        )


def _header_width(text: str) -> tuple[int, int]:
    """Cells and physical line of the first non-blank line, without splitting the rows."""
    start = re.match("[\r\n]*", text).end()  # type: ignore[union-attr]
    end = text.find("\n", start)
    first = text[start : end if end >= 0 else len(text)]
    record = parse_chunk(first)
    width = len(record) if record is not None else first.count(",") + 1
    return width, len(re.findall("\r\n|\r|\n", text[:start])) + 1


def _unclosed_quote_line(text: str) -> int | None:
    """Physical line of the double quote that opens a value never closed, or None.

    Walks the quotes once: a quote right after a closing one is an escaped inner
    quote ("") and keeps the value open from its first quote.
    """
    inside = False
    opened = closed = -2
    for m in re.finditer('"', text):
        pos = m.start()
        if inside:
            inside, closed = False, pos
        else:
            inside = True
            if pos != closed + 1:
                opened = pos
    if not inside:
        return None
    return len(re.findall("\r\n|\r|\n", text[:opened])) + 1


def _too_wide(width: int, spec: TableSpec) -> str:
    """Say that a header is too wide to be a file of ``spec``."""
    return (
        f"the header has {width:,} columns; at most {MAX_COLUMNS:,} are accepted ("
        f"{spec.file_name} has {len(spec.columns)} known columns): check that this is the "
        "right file and that it is comma-separated"
    )


@dataclass
class _Unreadable:
    """Why a file cannot be read as a table, and the line it points at (0: none)."""

    message: str
    line: int = 0


def _split(data: bytes | str, spec: TableSpec) -> tuple[Records, list[Any] | None] | _Unreadable:
    """Split a file into records numbered by physical line, or say why it cannot be.

    Arrow's reader takes the bytes of most files (:func:`read_arrow`); the text paths
    read the rest and word their problems. Returns the records and, when Arrow's
    reader took the file, its dictionary-encoded columns (the records then hold none).
    """
    if isinstance(data, bytes):
        arrow = read_arrow(data)
        if arrow is not None:
            return arrow
    # bytes were tried by Arrow already; a text source has not been
    parsed = _text_records(data, spec, arrow=not isinstance(data, bytes))
    return parsed if isinstance(parsed, _Unreadable) else (parsed, None)


def _text_records(data: bytes | str, spec: TableSpec, *, arrow: bool) -> Records | _Unreadable:
    """Decode a file and split it with :func:`fast_records`, else :func:`csv_records`."""
    expected = ",".join(spec.required)
    text, error, bad_line = _decode(data)
    if error is not None or text is None:
        return _Unreadable(error or "cannot decode the file", bad_line)
    if not text.strip():
        return _Unreadable(
            f"file is empty; it needs at least the header row, e.g. '{expected}' "
            "(see docs/data-format.md)"
        )
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        return _Unreadable(
            f"file contains a NUL character (line {line}, character {col}), so it is not a "
            "plain-text CSV file (UTF-16 text or a spreadsheet file?); save it as 'CSV UTF-8'",
            line,
        )
    width, first_line = _header_width(text)
    if width > MAX_COLUMNS:
        return _Unreadable(_too_wide(width, spec), first_line)
    parsed = fast_records(text, arrow=arrow)
    if parsed is not None:
        return parsed
    try:
        return csv_records(text)
    except csv.Error as exc:
        return _broken_quoting(exc, text)


def _broken_quoting(exc: csv.Error, text: str) -> _Unreadable:
    """Word the csv module's error on a file, at the line where the quote opened."""
    line = getattr(exc, "line_num", 0)
    if "field larger" in str(exc) or "unexpected end of data" in str(exc):
        line = _unclosed_quote_line(text) or line  # where the quote opened
    if "field larger than field limit" in str(exc):
        return _Unreadable(
            f"a value starting on or before this line is longer than "
            f"{csv.field_size_limit():,} characters, far more than any column "
            f"allows (notes: at most {TEXT_MAX}); usually a double quote that is "
            "never closed has swallowed the rest of the file",
            line,
        )
    return _Unreadable(
        f"the CSV quoting is broken near here ({exc}); a value containing commas, "
        "quotes or line breaks must be enclosed in double quotes, with inner quotes "
        'doubled ("")',
        line,
    )
