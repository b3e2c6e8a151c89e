"""The data contract as Parquet: ``patients.parquet``, ``diary.parquet``, ``sessions.parquet``.

Parquet is the column format of large clinics and registries: typed columns,
no text to tokenise, and files the distributed engine
(:mod:`analytics.pipeline`) reads one patient range at a time.

Reading validates exactly like the CSV loaders: every cell is turned into the
text a CSV file of the contract would hold (numbers in their shortest form,
dates ``YYYY-MM-DD``, session times ``YYYY-MM-DDTHH:MM``) and goes through the
same checks as :func:`analytics.io.validate_records`, so a bad value gets
the same message (file, row, column, value, how to fix it). In ``problems`` and
in messages, ``line`` is the 1-based row number of the Parquet file (there is no
header line). Writing (:func:`write_parquet_dataset`) takes canonical frames,
which are valid by construction; ``paindiary convert DIR OUT --to parquet``
validates the CSV files on the way.

A value a CSV file could not hold is refused rather than cut: a date column
with a time of day, a session time with seconds, infinity, a nested or binary
column.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from analytics.checks import check_choice
from analytics.contract import ENTRIES, QUESTIONNAIRES, Dataset, empty_frame
from analytics.contract.schema import TABLES
from analytics.errors import PROBLEM_COLUMNS, DataQualityWarning, DataValidationError
from analytics.io._loaders import REJECT_COLUMNS, raise_problems, today_and_now
from analytics.io._loaders._cells import check_table
from analytics.io._loaders._raw import RawTable

__all__ = [
    "PARQUET_FILES",
    "ROW_GROUP_ROWS",
    "Slice",
    "arrow_schema",
    "dataset_format",
    "load_parquet",
    "load_parquet_dataset",
    "read_dataset",
    "write_parquet",
    "write_parquet_dataset",
    "load_tables",
]

#: File name of each table in a Parquet directory.
PARQUET_FILES = {name: f"{name}.parquet" for name in TABLES}
#: Rows per Parquet row group written (a registry reader skips groups outside its patients).
ROW_GROUP_ROWS = 128 * 1024

OnError = Literal["raise", "skip"]
_TABLE_ORDER = ("patients", "diary", "sessions")


# --------------------------------------------------------------------------- writing


def arrow_schema(table: str):
    """Return the Arrow schema of ``table``'s Parquet file (column order of the contract).

    ``id``/``text``/``choice``/``list`` columns are strings, ``number`` float64,
    ``integer`` int64, ``date`` date32 and ``datetime`` timestamp[us].
    """
    import pyarrow as pa

    types = {
        "number": pa.float64(),
        "integer": pa.int64(),
        "date": pa.date32(),
        "datetime": pa.timestamp("us"),
    }
    spec = TABLES[table]
    return pa.schema(
        [pa.field(c.name, types.get(c.kind, pa.string())) for c in spec.columns],
        metadata={"paindiary_table": table},
    )


def _arrow_table(frame: pd.DataFrame, table: str):
    import pyarrow as pa

    schema = arrow_schema(table)
    arrays = []
    for f in schema:
        s = frame[f.name] if f.name in frame.columns else pd.Series(index=frame.index)
        if pa.types.is_date32(f.type):
            arr = pa.array(pd.to_datetime(s).to_numpy(dtype="datetime64[ns]"), pa.timestamp("ns"))
            arrays.append(arr.cast(pa.date32()))
        elif pa.types.is_timestamp(f.type):
            arr = pa.array(pd.to_datetime(s).to_numpy(dtype="datetime64[ns]"), pa.timestamp("ns"))
            arrays.append(arr.cast(f.type))
        elif pa.types.is_int64(f.type):
            arrays.append(pa.array(s.astype("Int64"), pa.int64(), from_pandas=True))
        elif pa.types.is_float64(f.type):
            arrays.append(pa.array(s.astype("float64"), pa.float64(), from_pandas=True))
        else:
            arrays.append(pa.array(s.astype("str"), pa.string(), from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)


def write_parquet(frame: pd.DataFrame, path: str | os.PathLike[str], table: str) -> Path:
    """Write one canonical frame as its Parquet file; returns the path.

    Rows are written in the frame's order (canonical frames are sorted by
    patient), in row groups of :data:`ROW_GROUP_ROWS` rows, so a reader of one
    patient range reads only the groups that hold it. The file is written to a
    temporary name and renamed, so a failed write leaves no partial file.
    """
    import pyarrow.parquet as pq

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        pq.write_table(
            _arrow_table(frame, table),
            tmp,
            row_group_size=ROW_GROUP_ROWS,
            compression="zstd",
        )
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def write_parquet_dataset(
    dataset: Dataset, directory: str | os.PathLike[str], *, overwrite: bool = False
) -> list[Path]:
    """Write ``patients.parquet``, ``diary.parquet`` and ``sessions.parquet`` of a Dataset.

    Parameters
    ----------
    dataset : Dataset
        Canonical frames (e.g. from :func:`analytics.io.load_dataset`).
    directory : path
        Created if needed.
    overwrite : bool, default False
        Replace Parquet files already in ``directory``; without it an existing
        file makes the call raise before anything is written.

    Returns
    -------
    list of pathlib.Path
        The three files written.

    Raises
    ------
    FileExistsError
        When a file exists and ``overwrite`` is False (nothing is written).
    """
    base = Path(directory)
    targets = [base / PARQUET_FILES[name] for name in _TABLE_ORDER]
    existing = [p.name for p in targets if p.exists()]
    if existing and not overwrite:
        raise FileExistsError(
            f"{', '.join(existing)} already exist in {base}; choose an empty directory or "
            "pass --overwrite to replace them"
        )
    base.mkdir(parents=True, exist_ok=True)
    written = [
        write_parquet(getattr(dataset, name), path, name)
        for name, path in zip(_TABLE_ORDER, targets, strict=True)
    ]
    # the optional files (answers, entries during the day) stay CSV files of the contract
    # next to the Parquet files
    from analytics.io._exports import optional_files, write_files

    written += write_files(optional_files(dataset), base)
    return written


# --------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class Slice:
    """A range of patients to read: ``low <= patient_id < high`` (None = unbounded).

    Rows are selected after reading the row groups whose statistics overlap the
    range, so row numbers in messages stay those of the whole file.
    """

    low: str | None = None
    high: str | None = None

    def mask(self, ids):
        """Arrow boolean mask of the ids inside the range."""
        import pyarrow as pa
        import pyarrow.compute as pc

        keep = pa.array(np.ones(len(ids), dtype=bool))
        if self.low is not None:
            keep = pc.and_(keep, pc.greater_equal(ids, self.low))
        if self.high is not None:
            keep = pc.and_(keep, pc.less(ids, self.high))
        return pc.fill_null(keep, True)

    def overlaps(self, lo: str | None, hi: str | None) -> bool:
        """Whether a row group whose ids lie in ``[lo, hi]`` can hold ids of this range."""
        if lo is None or hi is None:
            return True
        if self.low is not None and hi < self.low:
            return False
        return not (self.high is not None and lo >= self.high)


def _read_arrow(path: Path, part: Slice | None):
    """Read the table and the 1-based row numbers of its rows in the file."""
    import pyarrow.parquet as pq

    pf = pq.ParquetFile(path)
    meta = pf.metadata
    if part is None or (part.low is None and part.high is None):
        table = pf.read()
        return table, np.arange(1, table.num_rows + 1, dtype=np.int64)
    names = pf.schema_arrow.names
    col = names.index("patient_id") if "patient_id" in names else None
    groups, starts, offset = [], [], 0
    for i in range(meta.num_row_groups):
        rg = meta.row_group(i)
        lo = hi = None
        if col is not None:
            stats = rg.column(col).statistics
            if stats is not None and stats.has_min_max:
                lo, hi = str(stats.min), str(stats.max)
        if part.overlaps(lo, hi):
            groups.append(i)
            starts.append(offset)
        offset += rg.num_rows
    table = pf.read_row_groups(groups) if groups else pf.schema_arrow.empty_table()
    rows = (
        np.concatenate(
            [
                np.arange(s + 1, s + 1 + meta.row_group(g).num_rows, dtype=np.int64)
                for g, s in zip(groups, starts, strict=True)
            ]
        )
        if groups
        else np.empty(0, dtype=np.int64)
    )
    if col is None:
        return table, rows
    import pyarrow.compute as pc

    ids = table.column("patient_id")
    if not (ids.type == "string" or ids.type == "large_string"):
        ids = pc.cast(ids, "string", safe=False)
    keep = part.mask(ids)
    return table.filter(keep), rows[np.asarray(keep, dtype=bool)]


def _unique_text(arr, fmt) -> pd.Series:
    """Format the distinct values of ``arr`` with ``fmt`` (a function) and spread them back."""
    import pyarrow.compute as pc

    enc = pc.dictionary_encode(arr)
    taken = pc.take(fmt(enc.dictionary), enc.indices)
    return pd.Series(pd.array(pc.fill_null(taken, "").to_pandas(), dtype="str"))


def _format_times(values, kind: str):
    """Contract text of timestamps: the date, ``THH:MM`` when there is a time, seconds if any."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ts = values
    if pa.types.is_timestamp(ts.type) and ts.type.tz is not None:
        ts = pc.local_timestamp(ts)
    if not pa.types.is_timestamp(ts.type):
        ts = ts.cast(pa.timestamp("s"))
    unit = ts.type.unit
    per_second = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}[unit]
    raw = ts.cast(pa.int64()).to_numpy(zero_copy_only=False)
    ok = ~pc.is_null(ts).to_numpy(zero_copy_only=False)
    raw = np.where(ok, raw, 0)
    day = raw % (86_400 * per_second) == 0
    minute = raw % (60 * per_second) == 0
    as_seconds = ts.cast(pa.timestamp("s"), safe=False)
    date_text = pc.strftime(as_seconds, format="%Y-%m-%d")
    minute_text = pc.strftime(as_seconds, format="%Y-%m-%dT%H:%M")
    second = raw % per_second == 0
    second_text = pc.strftime(as_seconds, format="%Y-%m-%dT%H:%M:%S")
    fraction_text = pc.strftime(ts, format="%Y-%m-%dT%H:%M:%S")  # with the fraction
    full_text = pc.if_else(pa.array(second), second_text, fraction_text)
    return pc.if_else(
        pa.array(day), date_text, pc.if_else(pa.array(minute), minute_text, full_text)
    )


def _cells(column, kind: str, name: str) -> tuple[pd.Series | None, str | None]:
    """Write one Parquet column as CSV text, or say why its type cannot hold the column."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from analytics.io._exports import neutralise_cell

    arr = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    t = arr.type
    if pa.types.is_dictionary(t):
        arr = arr.cast(t.value_type)
        t = arr.type
    n = len(arr)
    if pa.types.is_null(t):
        return pd.Series([""] * n, dtype="str"), None
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        text = pd.Series(pd.array(pc.fill_null(arr.cast(pa.string()), "").to_pandas(), dtype="str"))
        # the checks undo the CSV exporter's formula neutralisation; neutralise first so a
        # Parquet text that itself starts with an apostrophe comes back unchanged
        if kind in ("id", "text"):
            # only cells starting with ' or a formula trigger can change (a cheap test first)
            suspect = text.str.match(r"['=+\-@\t\r]").to_numpy(dtype=bool)
            if suspect.any():
                text = text.copy()
                text[suspect] = neutralise_cell(text[suspect])
        return text, None
    if pa.types.is_boolean(t):
        text = pc.if_else(arr, "True", "False")
        return pd.Series(pd.array(pc.fill_null(text, "").to_pandas(), dtype="str")), None
    if pa.types.is_integer(t) or pa.types.is_decimal(t):
        return _unique_text(arr, lambda d: d.cast(pa.string())), None
    if pa.types.is_floating(t):
        arr = arr.cast(pa.float64())
        arr = pc.if_else(pc.is_nan(arr), pa.scalar(None, pa.float64()), arr)
        return _unique_text(arr, lambda d: d.cast(pa.string())), None
    if pa.types.is_timestamp(t) or pa.types.is_date(t):
        return _unique_text(arr, lambda d: _format_times(d, kind)), None
    return None, (
        f"{name} has the Parquet type {t}, which cannot hold this column; store it as "
        + {
            "number": "a floating-point number",
            "integer": "an integer",
            "date": "a date",
            "datetime": "a timestamp",
        }.get(kind, "text")
    )


def _check(
    table: str,
    arrow,
    rows: np.ndarray,
    file_name: str,
    *,
    patients: pd.DataFrame | None,
    today: dt.date | None,
    on_error: OnError = "raise",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str], bool]:
    """Validate one Parquet table: (frame, problems, rejects, warnings, fatal)."""
    spec = TABLES[table]
    names = list(arrow.column_names)
    warns: list[str] = []

    def fatal(message: str, column: str = ""):
        problems = pd.DataFrame([(file_name, 0, column, "", message)], columns=PROBLEM_COLUMNS)
        return empty_frame(table), problems, pd.DataFrame(columns=REJECT_COLUMNS), warns, True

    dupes = sorted({h for h in names if names.count(h) > 1})
    if dupes:
        return fatal(f"the file repeats column(s) {', '.join(dupes)}; each column must appear once")
    missing = [c for c in spec.required if c not in names]
    if missing:
        return fatal(
            f"missing required column(s): {', '.join(missing)}; found: {', '.join(names)}. "
            f"{PARQUET_FILES[table]} must include {', '.join(spec.required)} (column names are "
            "case-sensitive)"
        )
    unknown = [h for h in names if h not in spec.column_names]
    if unknown:
        warns.append(
            f"{file_name}: unknown column(s) {', '.join(unknown)} were not loaded "
            f"(known columns: {', '.join(spec.column_names)})"
        )
    header = [c.name for c in spec.columns if c.name in names]
    cells: dict[str, pd.Series] = {}
    for c in spec.columns:
        if c.name not in names:
            continue
        text, error = _cells(arrow.column(c.name), c.kind, c.name)
        if error is not None:
            return fatal(error, c.name)
        cells[c.name] = text
    frame = (
        pd.DataFrame(cells)
        if len(rows)
        else pd.DataFrame({h: pd.Series(dtype="str") for h in header})
    )
    raw = RawTable(file_name, header, frame, rows.astype(np.int64), [], [])
    d, now = today_and_now(today)
    known = pd.Index(patients["patient_id"]) if patients is not None else None
    out, problems, rejects, notes = check_table(raw, spec, today=d, now=now, known_patients=known)
    # conflicting repeats are problems; with "skip" their rows are left out, and a note says so
    told = notes.merged + (notes.refused if on_error == "skip" else [])
    return out, problems, rejects, warns + told, False


def load_parquet(
    path: str | os.PathLike[str],
    table: Literal["patients", "diary", "sessions"],
    *,
    patients: pd.DataFrame | None = None,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    part: Slice | None = None,
) -> pd.DataFrame:
    """Load one Parquet file of the contract, validated like its CSV file.

    Parameters
    ----------
    path : path
        The Parquet file.
    table : {"patients", "diary", "sessions"}
    patients : pandas.DataFrame, optional
        Canonical patients; when given, every ``patient_id`` must be in it.
    on_error : {"raise", "skip"}
        As in :func:`analytics.io.load_diary`: ``"skip"`` loads the valid rows
        and puts the rejected ones in ``frame.attrs["rejects"]``.
    today : datetime.date, optional
        The date future dates are checked against (default: today).
    part : Slice, optional
        Read only the patients in this range (the distributed engine's partitions).

    Returns
    -------
    pandas.DataFrame
        The canonical frame of ``table`` (see :mod:`analytics.contract.schema`).

    Raises
    ------
    DataValidationError
        Listing every problem (file, 1-based row, column, value, message).
    """
    check_choice(table, "table", "load_parquet", _TABLE_ORDER)
    check_choice(on_error, "on_error", "load_parquet", ("raise", "skip"))
    path = Path(path)
    frame, problems, rejects, warns, fatal = _read_checked(
        table, path, patients=patients, today=today, part=part, on_error=on_error
    )
    for w in warns:
        warnings.warn(w, DataQualityWarning, stacklevel=2)
    if len(problems) and (on_error == "raise" or fatal):
        raise_problems(problems)
    if len(rejects):
        warnings.warn(
            f"{len(rejects)} row(s) of {path.name} were rejected and not loaded; "
            "see .attrs['rejects']",
            DataQualityWarning,
            stacklevel=2,
        )
        frame.attrs["rejects"] = rejects
        frame.attrs["problems"] = problems
    return frame


def _read_checked(
    table: str,
    path: Path,
    *,
    patients: pd.DataFrame | None,
    today: dt.date | None,
    part: Slice | None,
    on_error: OnError = "raise",
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, list[str], bool]:
    try:
        arrow, rows = _read_arrow(path, part)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        problems = pd.DataFrame(
            [
                (
                    path.name,
                    0,
                    "",
                    "",
                    f"cannot read the file as Parquet ({exc}); write it again with "
                    "'paindiary convert DIR OUT --to parquet'",
                )
            ],
            columns=PROBLEM_COLUMNS,
        )
        return empty_frame(table), problems, pd.DataFrame(columns=REJECT_COLUMNS), [], True
    return _check(table, arrow, rows, path.name, patients=patients, today=today, on_error=on_error)


def load_parquet_dataset(
    directory: str | os.PathLike[str],
    *,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    part: Slice | None = None,
) -> Dataset:
    """Load ``patients.parquet``, ``diary.parquet`` and ``sessions.parquet`` from a directory.

    The rules are those of :func:`analytics.io.load_dataset`: ``diary.parquet``
    is required, a missing ``patients.parquet`` or ``sessions.parquet`` loads as an
    empty frame with a DataQualityWarning, diary rows and sessions must name known
    patients when ``patients.parquet`` exists, and problems of all three files are
    collected before anything is raised.

    Parameters
    ----------
    directory : path
    on_error, today
        As in :func:`analytics.io.load_dataset`.
    part : Slice, optional
        Read only the patients in this range (all three files).

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
    check_choice(on_error, "on_error", "load_parquet_dataset", ("raise", "skip"))
    base = Path(directory)
    if not base.is_dir():
        raise FileNotFoundError(f"{base} is not a directory; give the folder holding diary.parquet")
    result = load_tables(base, on_error=on_error, today=today, part=part)
    if len(result.problems) and (on_error == "raise" or result.fatal):
        raise_problems(result.problems)
    for w in result.notes:
        warnings.warn(w, DataQualityWarning, stacklevel=2)
    if result.rejects:
        n = sum(len(r) for r in result.rejects.values())
        warnings.warn(f"{n} row(s) were rejected and not loaded", DataQualityWarning, stacklevel=2)
    return result.dataset()


@dataclass
class _Loaded:
    frames: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    rejects: dict[str, pd.DataFrame]
    notes: list[str]
    fatal: bool

    def dataset(self) -> Dataset:
        return Dataset(
            patients=self.frames["patients"],
            diary=self.frames["diary"],
            sessions=self.frames["sessions"],
            rejects=self.rejects,
            warnings=tuple(self.notes),
        )


def load_tables(
    base: Path,
    *,
    on_error: OnError,
    today: dt.date | None,
    part: Slice | None,
    patients: pd.DataFrame | None = None,
    tables: Sequence[str] = _TABLE_ORDER,
) -> _Loaded:
    """Read and check the tables of a Parquet directory without raising."""
    all_problems: list[pd.DataFrame] = []
    rejects: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    frames: dict[str, pd.DataFrame] = {}
    any_fatal = False
    for table in _TABLE_ORDER:
        if table not in tables:
            frames[table] = (
                patients if table == "patients" and patients is not None else (empty_frame(table))
            )
            continue
        path = base / PARQUET_FILES[table]
        if not path.exists():
            if table == "diary":
                all_problems.append(
                    pd.DataFrame(
                        [(path.name, 0, "", "", f"no {path.name} in {base}; it is required")],
                        columns=PROBLEM_COLUMNS,
                    )
                )
                any_fatal = True
            elif part is None or table != "patients":
                notes.append(f"no {path.name} in {base}; loaded as empty")
            frames[table] = empty_frame(table)
            continue
        frame, problems, rej, warns, fatal = _read_checked(
            table, path, patients=patients, today=today, part=part, on_error=on_error
        )
        any_fatal |= fatal
        notes.extend(warns)
        if len(problems):
            all_problems.append(problems)
        if len(rej):
            rejects[table] = rej
        if table == "patients" and not fatal:
            patients = frame
        frames[table] = frame
    problems = (
        pd.concat(all_problems, ignore_index=True)
        if all_problems
        else pd.DataFrame(columns=PROBLEM_COLUMNS)
    )
    return _Loaded(frames, problems, rejects, notes, any_fatal)


# --------------------------------------------------------------------------- either format


def dataset_format(directory: str | os.PathLike[str]) -> Literal["csv", "parquet"]:
    """Whether a data directory holds the CSV or the Parquet files of the contract.

    Decided by its diary: ``diary.parquet`` means Parquet, otherwise CSV (and the
    CSV loader reports a missing ``diary.csv``).

    Raises
    ------
    DataValidationError
        When the directory holds both ``diary.csv`` and ``diary.parquet``.
    """
    base = Path(directory)
    csv_file = base / TABLES["diary"].file_name
    pq_file = base / PARQUET_FILES["diary"]
    if pq_file.exists() and csv_file.exists():
        message = (
            f"{base} holds both {csv_file.name} and {pq_file.name}; keep one format per "
            "directory (move the other files elsewhere)"
        )
        raise DataValidationError(
            message,
            pd.DataFrame([(pq_file.name, 0, "", "", message)], columns=PROBLEM_COLUMNS),
        )
    return "parquet" if pq_file.exists() else "csv"


def read_dataset(
    directory: str | os.PathLike[str],
    *,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    max_bytes: int | None = None,
) -> Dataset:
    """Load a data directory of either format (see :func:`dataset_format`).

    Parameters
    ----------
    directory : path
    on_error, today
        As in :func:`analytics.io.load_dataset`.
    max_bytes : int, optional
        Size limit of each CSV file (Parquet files are read column by column
        and have none); default that of the loaders.

    Returns
    -------
    Dataset
    """
    from analytics.io._loaders import DEFAULT_MAX_BYTES, load_dataset

    if not Path(directory).is_dir():
        raise FileNotFoundError(
            f"{directory} is not a directory; give the folder holding the diary file"
        )
    if dataset_format(directory) == "parquet":
        ds = load_parquet_dataset(directory, on_error=on_error, today=today)
        from analytics.io._loaders import load_entries, load_questionnaires

        found = {}
        for spec, load in ((QUESTIONNAIRES, load_questionnaires), (ENTRIES, load_entries)):
            path = Path(directory) / spec.file_name
            if path.exists():
                found[spec.name] = load(path, patients=ds.patients, on_error=on_error, today=today)
        return dataclasses.replace(ds, **found)
    return load_dataset(
        directory,
        on_error=on_error,
        today=today,
        max_bytes=DEFAULT_MAX_BYTES if max_bytes is None else max_bytes,
    )
