"""Loaders: the only code in paindiary that parses CSV.

Each loader reads one file of the data contract (docs/data-format.md), checks
every cell lazily — all problems are collected before anything is raised — and
returns a canonical frame (see :mod:`analytics.schema`). A file either loads
whole or raises one :class:`~analytics.errors.DataValidationError` listing every
problem with file, physical line, column, value and how to fix it; with
``on_error="skip"`` the valid rows load and the rejected rows are returned
verbatim with their line number and reason (nothing is dropped silently).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

from ._common import check_choice, empty_frame
from .errors import PROBLEM_COLUMNS, DataQualityWarning, DataValidationError
from .schema import (
    DATE_DTYPE,
    PATIENT_ID_RE,
    POINT_RE,
    TABLES,
    TEXT_MAX,
    ColumnSpec,
    TableSpec,
)

__all__ = [
    "Dataset",
    "load_patients",
    "load_diary",
    "load_sessions",
    "load_dataset",
    "validate_records",
    "restore_cell",
    "DEFAULT_MAX_BYTES",
    "REJECT_COLUMNS",
    "EXTRA_CELLS",
]

#: Files larger than this are refused before they are read whole (200 MB).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
#: Leading columns of a rejects frame; the raw cells of the row follow.
REJECT_COLUMNS = ["line", "reason"]
#: Rejects column holding, as CSV text, the cells of a row beyond the header's width.
EXTRA_CELLS = "extra_cells"
#: How many problems the exception message shows (all are in ``.problems``).
MESSAGE_PROBLEMS = 10

OnError = Literal["raise", "skip"]
Source = str | os.PathLike[str] | IO[bytes] | IO[str]

_NUMBER_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_INT_RE = r"^[+-]?\d+$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME_RE = r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2})?$"
_FREQ_RE = re.compile(r"^(\d+(?:\.\d+)?)(?:/(\d+(?:\.\d+)?))?$")
# A cell our exporter neutralised: one extra leading apostrophe before a formula trigger.
_NEUTRALISED_RE = r"^'(?='*[=+\-@\t\r])"
_MISSING = ("", "NA")
#: Largest whole number accepted where the schema sets no maximum (SQL INTEGER).
_INT_MAX = 2**31 - 1
#: Dates outside this range are refused as implausible (and would not fit datetime64[ns]).
_DATE_MIN = pd.Timestamp("1900-01-01")
_DATE_MAX = pd.Timestamp("2199-12-31 23:59")
#: How many lines a duplicate-row message lists.
_DUPLICATE_LINES = 5


def _to_float(text: pd.Series, ok: np.ndarray) -> pd.Series:
    """float64 of the cells where ``ok`` (already checked against _NUMBER_RE), else NaN.

    Arrow's string-to-double cast parses correctly rounded, like Python's float();
    pandas.to_numeric is the fallback. ``+ 0.0`` turns ``-0`` into 0.
    """
    cells = text.where(ok)
    try:
        import pyarrow as pa
        import pyarrow.compute as pc

        arr = pc.cast(pa.array(cells, from_pandas=True), pa.float64())
        values = arr.to_numpy(zero_copy_only=False)
    except (ImportError, ValueError, TypeError):  # pragma: no cover - ArrowInvalid is a ValueError
        values = pd.to_numeric(cells, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return pd.Series(values + 0.0, index=text.index, dtype="float64")


@dataclass(frozen=True)
class Dataset:
    """The three canonical frames of a clinic, plus what loading them reported.

    Attributes
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical frames (see :mod:`analytics.schema`).
    rejects : dict of str to pandas.DataFrame
        Only with ``on_error="skip"``: per table name, the rejected rows verbatim
        with columns ``line`` (physical line of the row's start), ``reason`` and
        the raw cells as text (a row shorter than the header is padded with empty
        cells; the cells of a longer row past the header's width are in a last
        column ``extra_cells``, written as CSV text).
    warnings : tuple of str
        Non-fatal remarks (unknown columns that were not loaded, missing
        optional files).
    """

    patients: pd.DataFrame
    diary: pd.DataFrame
    sessions: pd.DataFrame
    rejects: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    @property
    def n_rejected(self) -> int:
        """Total number of rejected rows."""
        return int(sum(len(r) for r in self.rejects.values()))


# --------------------------------------------------------------------------- raw reading


@dataclass
class _Raw:
    """A CSV file read as text: header, rows (all str) and their physical lines."""

    name: str
    header: list[str]
    rows: pd.DataFrame  # one column per header name, str cells
    lines: np.ndarray  # physical line of each row's start (header = 1)
    problems: list[tuple[int, str, str, str]]  # (line, column, value, message)
    warnings: list[str]
    fatal: bool = False  # the file could not be read as a table at all
    overflow: dict[int, list[str]] = field(default_factory=dict)  # line -> cells past the header


def _display_name(source: Source, name: str | None, default: str) -> str:
    if name:
        return name
    if isinstance(source, (str, os.PathLike)):
        return Path(source).name
    return getattr(source, "name", None) and Path(str(source.name)).name or default


def _read_bytes(source: Source, name: str, max_bytes: int) -> tuple[bytes | str | None, str | None]:
    """Read the whole source, refusing it before reading when it is over the limit."""
    limit_msg = (
        f"file is larger than the limit of {max_bytes / 1024 / 1024:g} MB; split it into "
        "smaller files or raise the limit (max_bytes / --max-mb)"
    )
    if isinstance(source, (str, os.PathLike)):
        try:
            size = os.path.getsize(source)
        except OSError as exc:
            return None, f"cannot read the file: {exc.strerror or exc}"
        if size > max_bytes:
            return None, limit_msg
        try:
            with open(source, "rb") as fh:
                return fh.read(), None
        except OSError as exc:
            return None, f"cannot read the file: {exc.strerror or exc}"
    data = source.read(max_bytes + 1)
    if len(data) > max_bytes:
        return None, limit_msg
    return data, None


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


_Records = tuple[int, list[str], np.ndarray, list[pd.Series], dict[int, list[str]]]


def _parse_chunk(chunk: str) -> list[str] | None:
    """Physical lines parsed alone as exactly one CSV record ([] when blank), or None.

    None means the text is not one complete record on its own: a quoted value runs
    past its end, the quoting is broken, or it holds several records.
    """
    reader = csv.reader(io.StringIO(chunk, newline=""), strict=True)
    try:
        records = list(reader)
    except csv.Error:
        return None
    if len(records) > 1:
        return None
    return records[0] if records else []


#: How many physical lines one quoted value may span on the fast path.
_MAX_SPAN = 200


def _is_blank(record: list[str]) -> bool:
    return not record or (len(record) == 1 and not record[0].strip())


def _str_series(values: Any) -> pd.Series:
    return pd.Series(pd.array(values, dtype="str"))


def _fit(record: list[str], width: int) -> list[str]:
    return (record + [""] * width)[:width]


def _fast_records(text: str) -> _Records | None:
    """Split a file whose records are all one physical line each, in bulk.

    Returns ``(header_line, header, lines, columns, broken)`` like
    :func:`_csv_records`, or None when the file does not qualify (a quoted value
    spans lines, a lone carriage return, broken quoting, pyarrow unavailable); the
    csv-module path then reads it and words the exact message. Lines without a
    quote are split on commas with Arrow; the few lines with quotes are parsed one
    by one with the csv module, which must accept each of them on its own — then
    every record is exactly one physical line, as the csv module would read it.
    """
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pandas' str dtype ships with pyarrow here
        return None
    has_cr = "\r" in text
    if has_cr and text.count("\r") != text.count("\r\n"):
        return None  # a lone CR is a line break to the csv module: keep its numbering
    physical = text.split("\n")  # lines keep the CR of a CRLF
    if physical[-1] == "":
        physical.pop()
    start = 0
    header: list[str] | None = None
    while start < len(physical):
        header = _parse_chunk(physical[start])
        if header is None:
            return None
        if not _is_blank(header):
            break
        start += 1
    if header is None or _is_blank(header) or len(header) < 2:
        return None
    width = len(header)
    body = pa.array(physical[start + 1 :], type=pa.string())
    if has_cr:
        body = pc.replace_substring_regex(body, "\r$", "")
    quoted = pc.match_substring(body, '"').to_numpy(zero_copy_only=False)
    commas = pc.count_substring(body, ",").to_numpy(zero_copy_only=False)
    simple = ~quoted & (commas == width - 1)
    first = start + 2  # physical line of body[0]

    other_lines: list[int] = []
    other_rows: list[list[str]] = []
    broken: dict[int, list[str]] = {}
    consumed = -1  # last body index taken by a quoted value spanning lines
    n_body = len(body)
    for i in np.flatnonzero(~simple).tolist():
        if i <= consumed:
            continue
        line = physical[start + 1 + i]
        if quoted[i]:
            record = _parse_chunk(line)
            end = i
            while record is None and end + 1 < min(n_body, i + _MAX_SPAN):
                end += 1  # a quoted value may go on over the next lines: parse them together
                record = _parse_chunk("\n".join(physical[start + 1 + i : start + 2 + end]))
            if record is None:
                return None  # broken quoting: the csv-module path words the message
            simple[i + 1 : end + 1] = False
            consumed = end
        else:
            record = line.removesuffix("\r").split(",")
        if _is_blank(record):
            continue
        if len(record) != width:
            broken[first + i] = record
            record = _fit(record, width)
        other_lines.append(first + i)
        other_rows.append(record)

    sub = body.filter(pa.array(simple))
    flat = pc.split_pattern(sub, ",").flatten()
    offsets = np.arange(len(sub), dtype=np.int64) * width
    columns = [_str_series(flat.take(pa.array(offsets + j))) for j in range(width)]
    lines = np.flatnonzero(simple).astype(np.int64) + first
    if other_rows:
        extra = list(zip(*other_rows, strict=True))
        lines = np.concatenate([lines, np.asarray(other_lines, dtype=np.int64)])
        order = np.argsort(lines, kind="stable")
        lines = lines[order]
        columns = [
            pd.concat([col, _str_series(list(extra[j]))], ignore_index=True)
            .iloc[order]
            .reset_index(drop=True)
            for j, col in enumerate(columns)
        ]
    return start + 1, header, lines, columns, broken


def _csv_records(text: str) -> _Records:
    """Read records with the csv module, numbering each by its first physical line.

    Returns ``(header_line, header, lines, columns, broken)``: the header's line and
    cells, the physical line of every non-blank row, one str Series per header
    column (rows with the wrong field count padded or cut to fit) and those rows'
    original cells by line. Raises csv.Error on broken quoting.
    """
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    numbered = []
    prev = 0
    try:
        for record in reader:
            numbered.append((prev + 1, record))
            prev = reader.line_num
    except csv.Error as exc:
        exc.line_num = reader.line_num  # type: ignore[attr-defined]
        raise
    numbered = [(n, r) for n, r in numbered if not _is_blank(r)]
    if not numbered:
        return 0, [], np.empty(0, dtype=np.int64), [], {}
    header_line, header = numbered[0]
    width = len(header)
    rows = []
    broken: dict[int, list[str]] = {}
    for n, r in numbered[1:]:
        if len(r) != width:
            broken[n] = r
            r = _fit(r, width)
        rows.append(r)
    lines = np.asarray([n for n, _ in numbered[1:]], dtype=np.int64)
    cols = list(zip(*rows, strict=True)) if rows else [()] * width
    return header_line, header, lines, [_str_series(list(c)) for c in cols], broken


def _near_miss(name: str, known: Iterable[str]) -> str | None:
    """The known column a header cell was probably meant to be (case, spaces, dashes)."""
    norm = re.sub(r"[\s-]+", "_", name.strip().lower())
    for k in known:
        if norm == k and name != k:
            return k
    return None


def _label(name: str) -> str:
    return name if name and name.strip() == name else repr(name)


def _read_raw(source: Source, spec: TableSpec, name: str, max_bytes: int) -> _Raw:
    raw = _Raw(name, [], pd.DataFrame(), np.empty(0, dtype=np.int64), [], [])

    def fatal(message: str, line: int = 0, column: str = "", value: str = "") -> _Raw:
        raw.problems.append((line, column, value, message))
        raw.fatal = True
        return raw

    data, error = _read_bytes(source, name, max_bytes)
    if error is not None or data is None:
        return fatal(error or "cannot read the file")
    text, error, bad_line = _decode(data)
    if error is not None or text is None:
        return fatal(error or "cannot decode the file", line=bad_line)
    expected = ",".join(spec.required)
    if not text.strip():
        return fatal(
            f"file is empty; it needs at least the header row, e.g. '{expected}' "
            "(see docs/data-format.md)"
        )
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        col = nul - (text.rfind("\n", 0, nul) + 1) + 1
        return fatal(
            f"file contains a NUL character (line {line}, character {col}), so it is not a "
            "plain-text CSV file (UTF-16 text or a spreadsheet file?); save it as 'CSV UTF-8'",
            line=line,
        )

    parsed = _fast_records(text)
    if parsed is None:
        try:
            parsed = _csv_records(text)
        except csv.Error as exc:
            line = getattr(exc, "line_num", 0)
            if "field larger than field limit" in str(exc):
                return fatal(
                    f"a value starting on or before this line is longer than "
                    f"{csv.field_size_limit():,} characters, far more than any column allows "
                    f"(notes: at most {TEXT_MAX}); usually a double quote that is never closed "
                    "has swallowed the rest of the file",
                    line=line,
                )
            return fatal(
                f"the CSV quoting is broken near here ({exc}); a value containing commas, quotes "
                'or line breaks must be enclosed in double quotes, with inner quotes doubled ("")',
                line=line,
            )
    header_line, header, lines, columns, broken = parsed
    if not header:  # only blank lines
        return fatal(f"file is empty; it needs at least the header row, e.g. '{expected}'")

    header = [h.strip() for h in header]
    if header_line != 1:
        raw.warnings.append(
            f"{name}: the header is on line {header_line}; blank lines before it were ignored"
        )
    if len(header) == 1:
        for sep, label in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in header[0]:
                return fatal(
                    f"this file looks {label}-separated (the header is '{header[0][:80]}'); "
                    "the contract needs comma-separated values: export it again as CSV with a "
                    "comma as the separator",
                    line=header_line,
                )
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        return fatal(
            f"the header repeats column(s) {', '.join(map(_label, dupes))}; each column must "
            "appear once",
            line=header_line,
        )
    missing = [c for c in spec.required if c not in header]
    if missing:
        hints = [
            f"'{h}' must be spelled '{k}' (column names are case-sensitive)"
            for h in header
            if (k := _near_miss(h, missing))
        ]
        return fatal(
            f"missing required column(s): {', '.join(missing)}; found: "
            f"{', '.join(map(_label, header))}. The header of {spec.file_name} must include "
            f"{', '.join(spec.required)}" + (f"; {'; '.join(hints)}" if hints else ""),
            line=header_line,
        )
    unknown = [h for h in header if h not in spec.column_names]
    if unknown:
        shown = [
            _label(h) + (f" (did you mean {k}?)" if (k := _near_miss(h, spec.column_names)) else "")
            for h in unknown
        ]
        raw.warnings.append(
            f"{name}: unknown column(s) {', '.join(shown)} were not loaded "
            f"(known columns: {', '.join(spec.column_names)})"
        )

    width = len(header)
    for line, record in broken.items():
        raw.problems.append(
            (
                line,
                "",
                ",".join(record)[:200],
                f"the row has {len(record)} fields but the header has {width}; "
                + (
                    "a value containing a comma must be enclosed in double quotes"
                    if len(record) > width
                    else "every row needs one cell per header column (leave optional cells "
                    "empty, e.g. 'P1,2026-03-01,5,,')"
                ),
            )
        )
        if len(record) > width:
            raw.overflow[line] = record[width:]
    raw.header = header
    raw.rows = (
        pd.DataFrame(dict(zip(header, columns, strict=True)))
        if len(lines)
        else (pd.DataFrame({h: pd.Series(dtype="str") for h in header}))
    )
    if broken:
        lines = np.where(np.isin(lines, list(broken)), -lines, lines)  # negative: rejected
    raw.lines = lines
    return raw


# --------------------------------------------------------------------------- cell checks


def _quote(value: str) -> str:
    value = value if len(value) <= 60 else value[:57] + "..."
    return f'"{value}"' if value.strip() == value and value else repr(value)


def restore_cell(values: pd.Series) -> pd.Series:
    """Undo the exporter's formula-injection neutralisation (one leading ``'``)."""
    quoted = values.str.startswith("'").fillna(False)
    if not quoted.any():
        return values
    out = values.copy()
    out[quoted] = values[quoted].str.replace(_NEUTRALISED_RE, "", regex=True)
    return out


def _csv_line(cells: list[str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow(cells)
    return buf.getvalue()


def _line_list(lines: pd.Series) -> str:
    shown = ", ".join(map(str, lines.iloc[:_DUPLICATE_LINES]))
    more = len(lines) - _DUPLICATE_LINES
    return f"{shown} and {more} more" if more > 0 else shown


def _fmt_range(spec: ColumnSpec, max_value: float | None) -> str:
    what = "a whole number" if spec.kind == "integer" else "a number"
    lo, hi = spec.min, max_value
    if lo is not None and hi is not None:
        return f"{what} from {lo:g} to {hi:g}"
    if lo is not None:
        return f"{what} >= {lo:g}"
    return what


class _Checker:
    """Collects problems for one table, vectorised per column."""

    def __init__(self, raw: _Raw, spec: TableSpec, today: dt.date, now: dt.datetime) -> None:
        self.raw = raw
        self.spec = spec
        self.today = today
        self.now = now
        self.n = len(raw.rows)
        self.bad = raw.lines < 0  # rows already rejected while reading
        self.problems: list[pd.DataFrame] = []
        self.out: dict[str, pd.Series] = {}

    def add(
        self, mask: np.ndarray | pd.Series, column: str, values: pd.Series, message: str | pd.Series
    ) -> None:
        mask = np.asarray(mask, dtype=bool) & (self.raw.lines > 0)  # not rows broken at reading
        if not mask.any():
            return
        self.bad |= mask
        vals = values[mask].astype("str").str.slice(0, 200)
        msg = message[mask] if isinstance(message, pd.Series) else message
        if isinstance(msg, str) and "{value}" in msg:
            msg = vals.map(lambda v, m=msg: m.replace("{value}", _quote(v)))
        self.problems.append(
            pd.DataFrame(
                {
                    "line": np.abs(self.raw.lines[mask]),
                    "column": column,
                    "value": vals.to_numpy(),
                    "message": np.asarray(msg) if isinstance(msg, pd.Series) else msg,
                }
            )
        )

    def cells(self, col: str) -> tuple[pd.Series, pd.Series]:
        """Stripped cell text and a missing mask for one column (all-missing if absent)."""
        if col in self.raw.rows.columns:
            s = self.raw.rows[col].reset_index(drop=True)
        else:
            s = pd.Series([""] * self.n, dtype="str")
        stripped = s.str.strip()
        missing = stripped.isin(_MISSING).to_numpy()
        return s, pd.Series(missing)

    def check_column(self, spec: ColumnSpec) -> None:
        name = spec.name
        original, missing_s = self.cells(name)
        missing = missing_s.to_numpy()
        text = original.str.strip()
        if spec.required:
            self.add(missing, name, original, f"{name} is empty; {name} is required")
        present = ~missing
        kind = spec.kind
        if kind == "id":
            text = restore_cell(text)
            ok = text.str.fullmatch(PATIENT_ID_RE.pattern).fillna(False).to_numpy()
            self.add(
                present & ~ok,
                name,
                original,
                f"{name} is {{value}}; {name} must be 1-64 characters of letters, digits, '.', '_' or '-'",
            )
            self.out[name] = text.where(present)
        elif kind == "text":
            # free text keeps its spaces; labels are stripped
            val = original if name == "notes" else text
            val = restore_cell(val)
            if spec.max_len is not None:
                too_long = present & (val.str.len().to_numpy() > spec.max_len)
                self.add(
                    too_long,
                    name,
                    original,
                    f"{name} is longer than {spec.max_len} characters; shorten it to at most {spec.max_len}",
                )
            self.out[name] = val.where(present)
        elif kind in ("number", "integer"):
            max_value = spec.max
            if name == "birth_year":
                max_value = float(self.today.year)
            is_num = text.str.fullmatch(_NUMBER_RE).fillna(False).to_numpy()
            self.add(
                present & ~is_num,
                name,
                original,
                f"{name} is {{value}}; {name} must be {_fmt_range(spec, max_value)}"
                + (
                    " (use a point, not a comma, as the decimal separator)"
                    if kind == "number"
                    else ""
                ),
            )
            nums = _to_float(text, present & is_num)
            if kind == "integer":
                is_int = text.str.fullmatch(_INT_RE).fillna(False).to_numpy()
                self.add(
                    present & is_num & ~is_int,
                    name,
                    original,
                    f"{name} is {{value}}; {name} must be a whole number written without a decimal "
                    f"point ({_fmt_range(spec, max_value)})",
                )
            finite = np.isfinite(nums.to_numpy(dtype=float, na_value=np.nan))
            out_of_range = present & is_num & ~finite
            if spec.min is not None:
                out_of_range |= (nums < spec.min).fillna(False).to_numpy()
            if max_value is not None:
                out_of_range |= (nums > max_value).fillna(False).to_numpy()
            self.add(
                out_of_range,
                name,
                original,
                f"{name} is {{value}}; {name} must be {_fmt_range(spec, max_value)}",
            )
            if kind == "integer" and max_value is None:
                # the database stores whole numbers as 32-bit INTEGER
                self.add(
                    (nums > _INT_MAX).fillna(False).to_numpy() & ~out_of_range,
                    name,
                    original,
                    f"{name} is {{value}}, which is too large; the largest whole number "
                    f"accepted is {_INT_MAX}",
                )
            if kind == "integer":
                ints = nums.where(finite & (nums <= _INT_MAX).to_numpy()).round()
                self.out[name] = ints.astype("Float64").astype("Int64")
            else:
                self.out[name] = nums.astype("float64")
        elif kind in ("date", "datetime"):
            pattern = _DATE_RE if kind == "date" else _DATETIME_RE
            form = "YYYY-MM-DD" if kind == "date" else "YYYY-MM-DD or YYYY-MM-DDTHH:MM"
            shape_ok = text.str.fullmatch(pattern).fillna(False).to_numpy()
            self.add(
                present & ~shape_ok,
                name,
                original,
                f"{name} is {{value}}; {name} must be an ISO 8601 date {form} (e.g. 2026-03-14); "
                "day/month order is never guessed",
            )
            cand = text.where(present & shape_ok)
            has_time = cand.str.contains("T", regex=False).fillna(False)
            parsed = pd.Series(pd.NaT, index=text.index, dtype=DATE_DTYPE)
            plausible = np.ones(self.n, dtype=bool)
            for part, form_ in ((~has_time, "%Y-%m-%d"), (has_time, "%Y-%m-%dT%H:%M")):
                if part.any():
                    when = pd.to_datetime(cand[part], format=form_, errors="coerce")
                    inside = (when >= _DATE_MIN) & (when <= _DATE_MAX)
                    plausible[part.to_numpy()] = (inside | when.isna()).to_numpy()
                    parsed[part] = when.where(inside).astype(DATE_DTYPE)
            impossible = present & shape_ok & parsed.isna().to_numpy() & plausible
            self.add(
                impossible,
                name,
                original,
                f"{name} is {{value}}, which is not a real calendar date or time; check the day, month and hour",
            )
            self.add(
                ~plausible,
                name,
                original,
                f"{name} is {{value}}; dates must lie between {_DATE_MIN.date()} and "
                f"{_DATE_MAX.date()} (check the year)",
            )
            if name != "start_date":
                if kind == "date":
                    future = (parsed > pd.Timestamp(self.today)).fillna(False).to_numpy()
                    limit = f"today ({self.today.isoformat()})"
                else:
                    day_after = pd.Timestamp(self.today) + pd.Timedelta(days=1)
                    future = (
                        (
                            ((~has_time) & (parsed >= day_after))
                            | (has_time & (parsed > pd.Timestamp(self.now)))
                        )
                        .fillna(False)
                        .to_numpy()
                    )
                    limit = "now"
                self.add(
                    future,
                    name,
                    original,
                    f"{name} is {{value}}, in the future; {name} must not be after {limit}",
                )
            self.out[name] = parsed
        elif kind == "choice":
            ok = text.isin(spec.choices).to_numpy()
            self.add(
                present & ~ok,
                name,
                original,
                f"{name} is {{value}}; {name} must be one of: {', '.join(spec.choices)}",
            )
            self.out[name] = text.where(present)
        elif kind == "list":
            items = text.where(present).str.split(";")
            exploded = items.explode().astype("str").str.strip()
            unknown = exploded[exploded.notna() & (exploded != "") & ~exploded.isin(spec.choices)]
            bad_rows = np.zeros(self.n, dtype=bool)
            bad_rows[unknown.index.unique().to_numpy()] = True
            words = unknown.groupby(level=0).agg(", ".join).reindex(range(self.n))
            msg = (
                f"{name} has unknown word(s) "
                + words.fillna("")
                + f"; use ';'-separated words from: {', '.join(spec.choices)}"
            )
            self.add(bad_rows, name, original, msg)
            clean = exploded[exploded.notna() & (exploded != "")]
            joined = clean.groupby(level=0).agg(";".join).reindex(range(self.n))
            self.out[name] = joined.astype("str").where(joined.notna())
        else:  # pragma: no cover - schema kinds are closed
            raise AssertionError(kind)

    def check_points(self) -> None:
        if "points" not in self.out:
            return
        original, _ = self.cells("points")
        pts = self.out["points"]
        exploded = pts.str.split(";").explode().astype("str").str.strip()
        exploded = exploded[exploded.notna()]
        bad = exploded[~exploded.str.fullmatch(POINT_RE.pattern).fillna(False)]
        mask = np.zeros(self.n, dtype=bool)
        mask[bad.index.unique().to_numpy()] = True
        codes = (
            bad.groupby(level=0).agg(lambda s: ", ".join(repr(x) for x in s)).reindex(range(self.n))
        )
        msg = (
            "points has code(s) that are not acupoint codes: "
            + codes.fillna("")
            + "; use ';'-separated codes like LI4;ST36;SP6 (letters then a number, optional -L or -R)"
        )
        self.add(mask, "points", original, msg)
        cleaned = exploded.groupby(level=0).agg(";".join).reindex(range(self.n))
        self.out["points"] = cleaned.astype("str").where(cleaned.notna() & (cleaned != ""))

    def check_frequency(self) -> None:
        if "frequency_hz" not in self.out or "technique" not in self.out:
            return
        original, _ = self.cells("frequency_hz")
        freq = self.out["frequency_hz"]
        tech = self.out["technique"]
        electro = (tech == "electro").fillna(False).to_numpy()
        has = freq.notna().to_numpy()
        self.add(
            electro & ~has,
            "frequency_hz",
            original,
            "electro session without frequency_hz; give the stimulation frequency in Hz, "
            "e.g. 2, 100 or 2/100 (dense-disperse)",
        )
        self.add(
            tech.notna().to_numpy() & ~electro & has,
            "frequency_hz",
            original,
            "frequency_hz is {value} on a non-electro session; leave it empty unless technique is electro",
        )
        parts = freq.str.extract(_FREQ_RE)
        a = pd.to_numeric(parts[0], errors="coerce")
        b = pd.to_numeric(parts[1], errors="coerce")
        shape_bad = has & parts[0].isna().to_numpy()
        in_range = (a.between(0.5, 200)) & (b.isna() | b.between(0.5, 200))
        range_bad = has & ~shape_bad & ~in_range.to_numpy()
        self.add(
            shape_bad,
            "frequency_hz",
            original,
            "frequency_hz is {value}; it must be a frequency in Hz like 2 or 100, or two frequencies a/b like 2/100",
        )
        self.add(
            range_bad,
            "frequency_hz",
            original,
            "frequency_hz is {value}; each frequency must be between 0.5 and 200 Hz",
        )

    def check_unique(self, key: tuple[str, ...], what: str) -> None:
        if not key or any(k not in self.out for k in key):
            return
        frame = pd.DataFrame({k: self.out[k] for k in key})
        valid_key = frame.notna().all(axis=1).to_numpy()
        dup = frame.duplicated(keep=False).to_numpy() & valid_key
        if not dup.any():
            return
        # list the lines of each duplicated key, computed on the duplicated rows only
        dup_frame = frame[dup]
        dup_lines = pd.Series(np.abs(self.raw.lines[dup]), index=dup_frame.index)
        listed = dup_lines.groupby([dup_frame[k] for k in key]).transform(_line_list)
        first_line = pd.Series("", index=frame.index, dtype="str")
        first_line[dup] = listed.astype("str")
        original, _ = self.cells(key[-1])
        msg = (
            f"duplicate {what}: the same "
            + " and ".join(key)
            + " appear on lines "
            + first_line
            + "; keep one row per "
            + " and ".join(key)
        )
        self.add(dup, key[-1], original, msg)

    def check_known_patients(self, known: pd.Index | None) -> None:
        if known is None or "patient_id" not in self.out:
            return
        pid = self.out["patient_id"]
        unknown = (pid.notna() & ~pid.isin(known)).to_numpy()
        original, _ = self.cells("patient_id")
        self.add(
            unknown,
            "patient_id",
            original,
            "patient_id {value} is not in patients.csv; add the patient there first or correct the id",
        )

    def problems_frame(self) -> pd.DataFrame:
        if not self.problems:
            return pd.DataFrame(columns=PROBLEM_COLUMNS)
        p = pd.concat(self.problems, ignore_index=True)
        p.insert(0, "file", self.raw.name)
        p["value"] = p["value"].astype("str")
        return p.sort_values(["line"], kind="stable").reset_index(drop=True)[PROBLEM_COLUMNS]


def _check_table(
    raw: _Raw,
    spec: TableSpec,
    *,
    today: dt.date,
    now: dt.datetime,
    known_patients: pd.Index | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Validate a raw table. Returns (canonical valid rows, problems, rejects)."""
    chk = _Checker(raw, spec, today, now)
    for col in spec.columns:
        chk.check_column(col)
    if spec.name == "sessions":
        chk.check_points()
        chk.check_frequency()
    if spec.name == "patients":
        chk.check_unique(("patient_id",), "patient")
    else:
        chk.check_unique(spec.key, "diary day" if spec.name == "diary" else "session")
        chk.check_known_patients(known_patients)

    problems = chk.problems_frame()
    # rows broken while reading (wrong field count) were recorded by _read_raw
    read_problems = pd.DataFrame([(raw.name, *p) for p in raw.problems], columns=PROBLEM_COLUMNS)
    problems = (
        pd.concat([read_problems, problems], ignore_index=True) if len(read_problems) else problems
    )
    problems = problems.sort_values("line", kind="stable").reset_index(drop=True)

    good = ~chk.bad
    out = pd.DataFrame({c.name: chk.out[c.name] for c in spec.columns})
    frame = out[good].astype({c.name: c.dtype for c in spec.columns})
    frame = frame.sort_values(list(spec.key), kind="stable").reset_index(drop=True)

    rejects = pd.DataFrame(columns=REJECT_COLUMNS + raw.header)
    if chk.bad.any():
        reasons = (
            problems.assign(
                text=lambda d: np.where(
                    d["column"] != "", d["column"] + ": " + d["message"], d["message"]
                )
            )
            .groupby("line")["text"]
            .agg("; ".join)
        )
        bad_raw = raw.rows[chk.bad].reset_index(drop=True)
        bad_lines = np.abs(raw.lines[chk.bad])
        rejects = pd.concat(
            [
                pd.DataFrame({"line": bad_lines, "reason": reasons.reindex(bad_lines).to_numpy()}),
                bad_raw,
            ],
            axis=1,
        )
        if raw.overflow:
            # cells past the header's width, so the rejected row stays verbatim
            extra = pd.Series(
                {line: _csv_line(cells) for line, cells in raw.overflow.items()}, dtype="str"
            )
            rejects[EXTRA_CELLS] = extra.reindex(bad_lines).to_numpy()
    return frame, problems, rejects


# --------------------------------------------------------------------------- public API


def _raise(problems: pd.DataFrame) -> None:
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


def _today(today: dt.date | None) -> tuple[dt.date, dt.datetime]:
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
    file_name = _display_name(source, name, spec.file_name)
    raw = _read_raw(source, spec, file_name, max_bytes)
    if raw.fatal:
        problems = pd.DataFrame([(file_name, *p) for p in raw.problems], columns=PROBLEM_COLUMNS)
        return (
            empty_frame(table),
            problems,
            pd.DataFrame(columns=REJECT_COLUMNS),
            raw.warnings,
            True,
        )
    d, now = _today(today)
    known = pd.Index(patients["patient_id"]) if patients is not None else None
    frame, problems, rejects = _check_table(raw, spec, today=d, now=now, known_patients=known)
    return frame, problems, rejects, raw.warnings, False


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
        warnings.warn(w, DataQualityWarning, stacklevel=3)
    if len(problems) and (on_error == "raise" or fatal):
        _raise(problems)
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
    """Load ``patients.csv``.

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
        The canonical ``patients`` frame (see :mod:`analytics.schema`).

    Raises
    ------
    DataValidationError
        With a ``problems`` frame (file, line, column, value, message).

    Examples
    --------
    >>> import io
    >>> load_patients(io.StringIO("patient_id,condition\\nP1,neck_pain\\n"))["condition"].tolist()
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
    """Load ``diary.csv`` (at most one row per patient per day).

    Parameters are those of :func:`load_patients`, plus ``patients``: a canonical
    patients frame; when given, every ``patient_id`` must be in it.

    Returns
    -------
    pandas.DataFrame
        The canonical ``diary`` frame, sorted by patient_id and date.

    Examples
    --------
    >>> import io, datetime
    >>> csv_text = "patient_id,date,pain\\nP1,2026-03-01,6\\nP1,2026-03-02,5.5\\n"
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
    all_problems: list[pd.DataFrame] = []
    rejects: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    patients: pd.DataFrame | None = None
    any_fatal = False
    for table in ("patients", "diary", "sessions"):
        spec = TABLES[table]
        path = base / spec.file_name
        if not path.exists():
            if table == "diary":
                all_problems.append(
                    pd.DataFrame(
                        [
                            (
                                spec.file_name,
                                0,
                                "",
                                "",
                                f"no {spec.file_name} in {base}; it is required",
                            )
                        ],
                        columns=PROBLEM_COLUMNS,
                    )
                )
                any_fatal = True
            else:
                notes.append(f"no {spec.file_name} in {base}; loaded as empty")
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
    if len(problems) and (on_error == "raise" or any_fatal):
        _raise(problems)
    for w in notes:
        warnings.warn(w, DataQualityWarning, stacklevel=2)
    if rejects:
        n = sum(len(r) for r in rejects.values())
        warnings.warn(f"{n} row(s) were rejected and not loaded", DataQualityWarning, stacklevel=2)
    return Dataset(
        patients=frames["patients"],
        diary=frames["diary"],
        sessions=frames["sessions"],
        rejects=rejects,
        warnings=tuple(notes),
    )


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
) -> pd.DataFrame:
    """Validate records from a form or an API with exactly the CSV rules.

    Values may be Python objects (int, float, date, datetime, str, None) or text;
    each record is checked as if it were a CSV row. ``line`` in problems is the
    1-based record number.

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
    raw = _Raw(
        file,
        header,
        pd.DataFrame(rows, columns=header, dtype="str")
        if rows
        else pd.DataFrame({h: pd.Series(dtype="str") for h in header}),
        np.arange(1, len(rows) + 1, dtype=np.int64),
        [],
        [],
    )
    d, now = _today(today)
    known = pd.Index(patients["patient_id"]) if patients is not None else None
    frame, problems, _ = _check_table(raw, spec, today=d, now=now, known_patients=known)
    if len(problems):
        _raise(problems)
    return frame
