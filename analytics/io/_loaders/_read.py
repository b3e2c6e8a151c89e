"""Reading a loader's source: its bytes and its CSV records.

The file is read within the size limit (:func:`read_bytes`) and split into records
numbered by their physical line: by Arrow's CSV reader when it numbers the records
exactly as the csv module would (:func:`read_arrow`), else by a bulk split of the
lines (:func:`fast_records`) or by the csv module itself (:func:`csv_records`).
:mod:`._raw` decodes the text, says why a file is no table, checks the header and
builds the :class:`~analytics.io._loaders._raw.RawTable`.
"""

from __future__ import annotations

import csv
import io
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, Any, Literal

import numpy as np
import pandas as pd

__all__: list[str] = []

#: Files larger than this are refused before they are read whole (200 MB).
DEFAULT_MAX_BYTES = 200 * 1024 * 1024

#: Headers wider than this are refused before the rows are split (the widest file has 12).
MAX_COLUMNS = 1000
#: Bytes read at a time, so the size limit holds for sources with no size (pipes, devices).
_CHUNK = 1024 * 1024

OnError = Literal["raise", "skip"]
Source = str | os.PathLike[str] | IO[bytes] | IO[str]


def decoded_column(column: Any) -> pd.Series:
    """Decode an Arrow (dictionary-encoded) string column into a ``str`` Series."""
    import pyarrow as pa

    return pd.Series(pd.array(column.cast(pa.large_string()), dtype="str"))


def _file_kind(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _read_limited(read: Callable[[int], Any], max_bytes: int) -> bytes | str | None:
    """At most ``max_bytes`` read in chunks, or None when there is more than that."""
    chunks = []
    left = max_bytes + 1
    while left > 0:
        chunk = read(min(left, _CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    if left <= 0:
        return None
    empty: bytes | str = "" if chunks and isinstance(chunks[0], str) else b""
    return empty.join(chunks)


def _read_sized(fh: IO[bytes], size: int, max_bytes: int) -> bytes | None:
    """Read a regular file in one piece; None when it has more than ``max_bytes`` bytes.

    One read of the size the file had (plus a byte to see its end) spares joining
    chunks; should the file have grown since, the rest is read in chunks.
    """
    want = min(size, max_bytes) + 1
    data = fh.read(want)
    if len(data) < want:
        return data
    if len(data) > max_bytes:
        return None
    rest = _read_limited(fh.read, max_bytes - len(data))
    if rest is None:
        return None
    return data + (rest if isinstance(rest, bytes) else rest.encode())


def _read_path(
    path: str | os.PathLike[str], max_bytes: int, what: str = "CSV file"
) -> tuple[bytes | None, str | None]:
    """Read a regular file (following a symbolic link), never a device, pipe or socket.

    ``what`` names the file the reader wants in the sentences ("give a CSV file saved on disk").
    """
    link = f"a symbolic link to {os.readlink(path)}, " if os.path.islink(path) else ""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        if link:
            return None, (
                f"cannot read the file: it is {link}which does not exist; point the link at "
                f"the {what} or replace it with the file itself"
            )
        return None, "cannot read the file: No such file or directory"
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror or exc}"
    if not stat.S_ISREG(mode):
        return None, (
            f"cannot read the file: it is {link}{_file_kind(mode)}, not a regular file; "
            f"give a {what} saved on disk"
        )
    try:
        # O_NONBLOCK: should the path turn into a FIFO after the check, open does not wait
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return None, f"cannot read the file: {exc.strerror or exc}"
    with open(fd, "rb", closefd=True) as fh:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, (
                f"cannot read the file: it is {link}{_file_kind(info.st_mode)}, not a regular "
                f"file; give a {what} saved on disk"
            )
        try:
            data = _read_sized(fh, info.st_size, max_bytes)
        except OSError as exc:
            return None, f"cannot read the file: {exc.strerror or exc}"
    if data is None:
        return None, ""
    return (data.encode() if isinstance(data, str) else data), None


def read_bytes(
    source: Source, name: str, max_bytes: int, *, what: str = "CSV file"
) -> tuple[bytes | str | None, str | None]:
    """Read the whole source; the size limit is checked on the bytes actually read.

    Returns the bytes (or text, from a text stream) and None, or None and the sentence
    saying why nothing was read; ``what`` names the file wanted ("CSV file").
    """
    limit_msg = (
        f"file is larger than the limit of {max_bytes / 1024 / 1024:g} MB; split it into "
        "smaller files or raise the limit (max_bytes / --max-mb)"
    )
    if isinstance(source, (str, os.PathLike)):
        data, error = _read_path(source, max_bytes, what)
        if error is not None:
            return None, error or limit_msg
        return data, None
    read = _read_limited(source.read, max_bytes)
    if read is None:
        return None, limit_msg
    return read, None


#: ``(header_line, header, lines, columns, broken)``: see :func:`csv_records`.
Records = tuple[int, list[str], np.ndarray, list[pd.Series], dict[int, list[str]]]


def parse_chunk(chunk: str) -> list[str] | None:
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


_BOM = b"\xef\xbb\xbf"


#: Bytes scanned at a time for line breaks and quotes (keeps temporary arrays small).
_SCAN = 1 << 22


@dataclass
class _Layout:
    """Where the line breaks and double quotes of a file are."""

    n_breaks: int  # how many "\n"
    quotes: np.ndarray  # offset of every double quote
    quote_lines: np.ndarray  # physical line of each
    empty: np.ndarray  # offset of each "\n" that ends an empty line (quoted or not)


def _layout(data: bytes) -> _Layout | None:
    """Scan the bytes once, a slice at a time; None when a carriage return stands alone."""
    buf = np.frombuffer(data, dtype=np.uint8)
    size = len(buf)
    has_cr, has_quote = b"\r" in data, b'"' in data
    n_breaks, last = 0, -1  # line breaks so far, offset of the last one
    n_cr = n_crlf = 0
    quotes: list[np.ndarray] = []
    quote_lines: list[np.ndarray] = []
    empty: list[np.ndarray] = []
    for base in range(0, size, _SCAN):
        part = buf[base : base + _SCAN]
        breaks = np.flatnonzero(part == 10)
        if has_quote:
            found = np.flatnonzero(part == 34)
            if len(found):
                quotes.append(found + base)
                quote_lines.append(np.searchsorted(breaks, found) + n_breaks + 1)
        if len(breaks):
            at = breaks + base
            crlf = buf[np.maximum(at - 1, 0)] == 13 if has_cr else np.zeros(len(at), dtype=bool)
            crlf[at == 0] = False
            gap = np.diff(at, prepend=last)
            blank = (gap == 1) | ((gap == 2) & crlf)
            if blank.any():
                empty.append(at[blank])
            n_breaks += len(at)
            n_crlf += int(np.count_nonzero(crlf))
            last = int(at[-1])
        if has_cr:
            n_cr += int(np.count_nonzero(part == 13))
    if n_cr != n_crlf:
        return None  # a lone CR is a line break to the csv module: keep its numbering

    def joined(parts: list[np.ndarray]) -> np.ndarray:
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    return _Layout(n_breaks, joined(quotes), joined(quote_lines), joined(empty))


@dataclass
class _ArrowRead:
    """A file read by Arrow: its header, each row's physical line and the cells."""

    header: list[str]
    lines: np.ndarray
    columns: list[Any]  # one dictionary-encoded Arrow string column per header cell


def _arrow_table(data: bytes) -> _ArrowRead | None:
    """Arrow's CSV reader on the file's bytes, numbered and checked like the csv module.

    Taken when the header is on line 1 (unquoted), there is no empty line, no lone
    carriage return and no NUL, and every record has the header's number of cells.
    Records end at the line breaks outside double quotes: every quote opens or
    closes a quoted stretch (an escaped quote "" closes and reopens one), so the
    line breaks between the quotes of a pair are inside a value. Each record that
    holds a quote is then parsed again alone by the csv module from the file's own
    text: it must be exactly one record with the cells Arrow gave. A record
    without a quote splits on commas alike in Arrow and the csv module, so by
    induction every record starts where the csv module starts it. Anything else
    returns None, and the text paths read the file and word the message.

    The cells come dictionary-encoded: each column holds its distinct cells once,
    which is what the checks work on.
    """
    header = _arrow_header(data)
    if header is None:
        return None
    layout = _layout(data)
    if layout is None or len(layout.quotes) % 2:
        return None
    table = _read_arrow_csv(data, len(header))
    if table is None:
        return None
    inner = layout.quote_lines[1::2] - layout.quote_lines[0::2]  # line breaks inside each pair
    n_records = layout.n_breaks - int(inner.sum()) + (0 if data.endswith(b"\n") else 1)
    if n_records != table.num_rows + 1:
        return None
    # an empty line outside quotes: Arrow reads it as a row of empty cells, the csv module
    # skips it
    if len(layout.empty) and (np.searchsorted(layout.quotes, layout.empty) % 2 == 0).any():
        return None
    lines = _quoted_lines(data, layout, table)
    return None if lines is None else _ArrowRead(header, lines, table.columns)


def _arrow_header(data: bytes) -> list[str] | None:
    """Read the header of a file Arrow's reader may take, else None.

    The file must be UTF-8 without NUL, its header on line 1, unquoted, with 2 to
    :data:`MAX_COLUMNS` cells.
    """
    if b"\x00" in data:
        return None
    end = data.find(b"\n")
    first = data if end < 0 else data[:end]
    if b'"' in first:
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    header = parse_chunk(first.decode("utf-8"))
    if header is None or _is_blank(header) or not 2 <= len(header) <= MAX_COLUMNS:
        return None
    return header


def _read_arrow_csv(data: bytes, width: int) -> Any | None:
    """Read the rows below the header with Arrow, every cell dictionary-encoded text.

    None when a row has another width or the quoting is broken.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    names = [f"c{j}" for j in range(width)]
    try:
        return pacsv.read_csv(
            pa.py_buffer(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.dictionary(pa.int32(), pa.string())),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None  # a row of another width, or broken quoting


def _quoted_lines(data: bytes, layout: _Layout, table: Any) -> np.ndarray | None:
    """Give each row its physical line; check every row holding a quote.

    The line breaks inside a pair of quotes belong to a value, so the rows after it
    start that many lines later. Each row holding a quote is parsed again alone by
    the csv module; None when it reads other cells than Arrow gave.
    """
    rows = table.num_rows
    lines = np.arange(2, rows + 2, dtype=np.int64)  # physical line where each row starts
    quotes = layout.quotes
    if not len(quotes):
        return lines
    opened, closed = quotes[0::2], quotes[1::2]
    inner = layout.quote_lines[1::2] - layout.quote_lines[0::2]  # line breaks inside each pair
    before = np.cumsum(inner) - inner  # line breaks inside the pairs before each pair
    pair_rows = layout.quote_lines[0::2] - before - 2  # the row each pair is in
    if pair_rows[0] < 0 or pair_rows[-1] >= rows:
        return None  # pragma: no cover - the counts agree, so do the rows
    if inner.any():
        shift = np.zeros(rows + 1, dtype=np.int64)
        np.add.at(shift, pair_rows + 1, inner)
        lines += np.cumsum(shift[:-1])
    picked, first_pair = np.unique(pair_rows, return_index=True)  # rows holding a quote
    last_pair = np.append(first_pair[1:], len(pair_rows)) - 1
    cells = _rows_of(table, picked)
    for k, (a, b) in enumerate(
        zip(opened[first_pair].tolist(), closed[last_pair].tolist(), strict=True)
    ):
        start = data.rfind(b"\n", 0, a) + 1  # a row's first quote is on its first line
        stop = data.find(b"\n", b)
        record = parse_chunk(data[start : stop if stop >= 0 else len(data)].decode("utf-8"))
        if record != [col[k] for col in cells]:
            return None
    return lines


def _arrow_records(data: bytes) -> Records | None:
    """:func:`_arrow_table` as ``(header_line, header, lines, columns, broken)``."""
    read = _arrow_table(data)
    if read is None:
        return None
    return 1, read.header, read.lines, [decoded_column(c) for c in read.columns], {}


def _rows_of(table: Any, picked: np.ndarray) -> list[list[str]]:
    """Take the cells of the rows ``picked`` (sorted), one list per column, batch by batch.

    Taking from each record batch alone avoids joining a whole column's chunks.
    """
    import pyarrow as pa

    cells: list[list[str]] = [[] for _ in range(table.num_columns)]
    offset = 0
    for batch in table.to_batches():
        lo, hi = np.searchsorted(picked, [offset, offset + batch.num_rows])
        if hi > lo:
            sub = batch.take(pa.array(picked[lo:hi] - offset))
            for j in range(table.num_columns):
                # decoded first: a dictionary column lists its cells far more slowly
                cells[j].extend(sub.column(j).cast(pa.string()).to_pylist())
        offset += batch.num_rows
    return cells


def _plain_records(text: str) -> Records | None:
    """:func:`_arrow_records` on a text (None when it cannot be UTF-8 encoded)."""
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return _arrow_records(data)


def fast_records(text: str, *, arrow: bool = True) -> Records | None:
    """Split a file whose records are all one physical line each, in bulk.

    Returns ``(header_line, header, lines, columns, broken)`` like
    :func:`csv_records`, or None when the file does not qualify (a quoted value
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
    plain = _plain_records(text) if arrow else None
    if plain is not None:
        return plain
    physical = text.split("\n")  # lines keep the CR of a CRLF
    if physical[-1] == "":
        physical.pop()
    found = _first_record(physical)
    if found is None:
        return None
    start, header = found
    width = len(header)
    body = pa.array(physical[start + 1 :], type=pa.string())
    if has_cr:
        body = pc.replace_substring_regex(body, "\r$", "")
    quoted = pc.match_substring(body, '"').to_numpy(zero_copy_only=False)
    commas = pc.count_substring(body, ",").to_numpy(zero_copy_only=False)
    simple = ~quoted & (commas == width - 1)
    first = start + 2  # physical line of body[0]
    odd = _odd_records(physical[start + 1 :], quoted, simple, width, first)
    if odd is None:
        return None  # broken quoting: the csv-module path words the message
    other_lines, other_rows, broken = odd

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


def _first_record(physical: list[str]) -> tuple[int, list[str]] | None:
    """Find the header: the first line that is not blank, as (index, cells).

    None when a line before it or the header itself is not one complete record, or
    the header has fewer than two cells.
    """
    start = 0
    header: list[str] | None = None
    while start < len(physical):
        header = parse_chunk(physical[start])
        if header is None:
            return None
        if not _is_blank(header):
            break
        start += 1
    if header is None or _is_blank(header) or len(header) < 2:
        return None
    return start, header


def _odd_records(
    body: list[str], quoted: np.ndarray, simple: np.ndarray, width: int, first: int
) -> tuple[list[int], list[list[str]], dict[int, list[str]]] | None:
    """Parse one by one the body lines that are not a plain row of ``width`` cells.

    A quoted value may go on over the next lines: they are parsed together, and
    marked not ``simple`` (in place). Returns the physical lines (``first`` is the
    first body line's) and cells of these rows, and the cells of the rows of another
    width by line; None when the quoting is broken.
    """
    other_lines: list[int] = []
    other_rows: list[list[str]] = []
    broken: dict[int, list[str]] = {}
    consumed = -1  # last body index taken by a quoted value spanning lines
    n_body = len(body)
    for i in np.flatnonzero(~simple).tolist():
        if i <= consumed:
            continue
        if quoted[i]:
            record = parse_chunk(body[i])
            end = i
            while record is None and end + 1 < min(n_body, i + _MAX_SPAN):
                end += 1  # a quoted value may go on over the next lines: parse them together
                record = parse_chunk("\n".join(body[i : end + 1]))
            if record is None:
                return None
            simple[i + 1 : end + 1] = False
            consumed = end
        else:
            record = body[i].removesuffix("\r").split(",")
        if _is_blank(record):
            continue
        if len(record) != width:
            broken[first + i] = record
            record = _fit(record, width)
        other_lines.append(first + i)
        other_rows.append(record)
    return other_lines, other_rows, broken


def csv_records(text: str) -> Records:
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


def read_arrow(data: bytes) -> tuple[Records, list[Any]] | None:
    """Split a file's bytes with Arrow's reader (see :func:`_arrow_table`), else None.

    Returns the records without their columns, and the columns as Arrow gave them,
    dictionary-encoded.
    """
    arrow = _arrow_table(data.removeprefix(_BOM))
    if arrow is None:
        return None
    return (1, arrow.header, arrow.lines, [], {}), arrow.columns
