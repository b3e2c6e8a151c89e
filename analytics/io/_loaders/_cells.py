"""Cell checks: every column of a raw table checked lazily against the schema.

:func:`check_table` turns a :class:`~analytics.io._loaders._raw.RawTable` into the
canonical frame of its valid rows, the problems (file, line, column, value,
message) and the rejected rows verbatim.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.contract.schema import DATE_DTYPE, PATIENT_ID_RE, POINT_RE, ColumnSpec, TableSpec
from analytics.errors import PROBLEM_COLUMNS
from analytics.io._loaders._codes import Codes, arrow_text, rising, row_keys, spread, take
from analytics.io._loaders._diary import (
    conflict_notes,
    lines_words,
    mme_from_medication,
    same_day_rows,
)
from analytics.io._loaders._raw import RawTable
from analytics.io._loaders._rejects import rejected_rows
from analytics.io._loaders._text import (
    describe_range,
    fullmatch_where,
    quote,
    restore_cell,
    to_float,
    with_hidden_hint,
)

__all__ = ["CheckNotes", "check_table"]


_NUMBER_RE = r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$"
_INT_RE = r"^[+-]?\d+$"
_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_DATETIME_RE = r"^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2})?$"
_FREQ_RE = re.compile(r"^(\d+(?:\.\d+)?)(?:/(\d+(?:\.\d+)?))?$")
_MISSING = ("", "NA")
#: Largest whole number accepted where the schema sets no maximum (SQL INTEGER).
_INT_MAX = 2**31 - 1
#: Dates outside this range are refused as implausible (and would not fit datetime64[ns]).
_DATE_MIN = pd.Timestamp("1900-01-01")
_DATE_MAX = pd.Timestamp("2199-12-31 23:59")
#: How many lines a duplicate-row message lists, and how many repeated days a note names.
_DUPLICATE_LINES = 5


@dataclass
class CheckNotes:
    """What a table's check tells besides its problems.

    ``merged``: diary days repeated with the same values, loaded once (a warning
    each); ``refused``: diary days repeated with different values, none of their
    rows loaded (worth a warning when the valid rows load anyway).
    """

    merged: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _line_list(lines: pd.Series) -> str:
    shown = ", ".join(map(str, lines.iloc[:_DUPLICATE_LINES]))
    more = len(lines) - _DUPLICATE_LINES
    return f"{shown} and {more} more" if more > 0 else shown


def _join_by_row(items: pd.Series, sep: str) -> pd.Series:
    """``items.groupby(level=0).agg(sep.join)`` for an exploded column, without a Python loop.

    ``items`` holds text (no missing values) under a non-decreasing integer row
    index, as :meth:`pandas.Series.explode` leaves it; the result has one string
    per distinct row, its items joined in order.
    """
    if not len(items):
        return items.groupby(level=0).agg(sep.join)
    rows = items.index.to_numpy()
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    offsets = pa.array(np.append(starts, len(rows)), type=pa.int64())
    values = pa.array(items.to_numpy(dtype=object), type=pa.large_string())
    joined = pc.binary_join(
        pa.LargeListArray.from_arrays(offsets, values), pa.scalar(sep, pa.large_string())
    )
    return pd.Series(
        pd.array(joined.to_numpy(zero_copy_only=False), dtype="str"),
        index=pd.Index(rows[starts], dtype="int64"),
    )


class _Checker:
    """Collects problems for one table, vectorised per column.

    A column is first checked on its distinct cells alone (every rule is a rule on
    one cell); when they hold no problem, each row takes its cell's canonical value
    from them. Only a column with a problem is checked row by row, which words every
    message with its line.
    """

    def __init__(self, raw: RawTable, spec: TableSpec, today: dt.date, now: dt.datetime) -> None:
        self.raw = raw
        self.spec = spec
        self.today = today
        self.now = now
        self.n = len(raw.lines)
        self.bad = raw.lines < 0  # rows already rejected while reading
        self.dropped = np.zeros(self.n, dtype=bool)  # repeats of an earlier row, loaded once
        self.notes = CheckNotes()
        self.where: Callable[[list[int]], str] = lines_words(raw.name)
        self.problems: list[pd.DataFrame] = []
        self.out: dict[str, pd.Series] = {}
        # canonical value of each distinct cell and each row's index into them, per column
        # checked by its distinct cells
        self.distinct: dict[str, tuple[pd.Series, Codes]] = {}
        # the sort order by the key (None: already in order) once the key was found unique
        self.order: np.ndarray | None = None
        self.order_known = False
        self.key: tuple[str, ...] = ()

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
            msg = vals.map(lambda v, m=msg: m.replace("{value}", quote(v)))
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

    def _cells(self, col: str) -> tuple[pd.Series, pd.Series, np.ndarray]:
        """One column's cell text as read, stripped, and its missing mask (all-missing if absent)."""
        if col in self.raw.header:
            s = self.raw.column(col).reset_index(drop=True)
        else:
            s = pd.Series([""] * self.n, dtype="str")
        stripped = s.str.strip()
        missing = stripped.isin(_MISSING).to_numpy()
        return s, stripped, missing

    def cells(self, col: str) -> tuple[pd.Series, pd.Series]:
        """Cell text and a missing mask for one column (all-missing if absent)."""
        s, _, missing = self._cells(col)
        return s, pd.Series(missing)

    def _mini(self, cells: dict[str, pa.Array]) -> _Checker:
        """Make a checker of a few rows of raw cells (each distinct cell or pair once)."""
        rows = pd.DataFrame(
            {c: pd.Series(pd.array(v, dtype="str"), copy=False) for c, v in cells.items()}
        )
        lines = np.arange(1, len(rows) + 1, dtype=np.int64)
        raw = RawTable(self.raw.name, list(cells), rows, lines, [], [])
        return _Checker(raw, self.spec, self.today, self.now)

    def check_column(self, spec: ColumnSpec) -> None:
        """Check one column: by its distinct cells when it has no problem, else row by row."""
        if not self._check_distinct(spec):
            self._check_rows(spec)

    def _check_distinct(self, spec: ColumnSpec) -> bool:
        name = spec.name
        if self.n < 2:  # nothing to share: checking the one row itself is cheaper
            return False
        codes: Codes | None
        if name in self.raw.cells:  # read by Arrow, already dictionary-encoded
            codes = Codes.of(self.raw.cells[name])
        elif name in self.raw.header:
            text = arrow_text(self.raw.column(name))
            codes = Codes.of(pc.dictionary_encode(text)) if text is not None else None
        else:  # an absent optional column: every cell is empty
            codes = Codes.constant("", self.n)
        if codes is None:
            return False
        mini = self._mini({name: codes.values})
        mini._check_rows(spec)
        if mini.problems:
            return False
        canonical = mini.out[name]
        self.out[name] = spread(canonical, codes)
        self.distinct[name] = (canonical, codes)
        return True

    def _check_rows(self, spec: ColumnSpec) -> None:
        """Check one column row by row with the rule of its kind; keep its canonical values."""
        original, text, missing = self._cells(spec.name)
        if spec.required:
            self._check_required(spec.name, original, text, missing)
        kinds = {
            "id": self._check_ids,
            "text": self._check_text,
            "number": self._check_numbers,
            "integer": self._check_numbers,
            "date": self._check_dates,
            "datetime": self._check_dates,
            "choice": self._check_choices,
            "list": self._check_lists,
        }
        kinds[spec.kind](spec, original, text, ~missing)  # the schema's kinds are closed

    def _check_required(
        self, name: str, original: pd.Series, text: pd.Series, missing: np.ndarray
    ) -> None:
        na = (text == "NA").to_numpy()  # the missing-value marker, shown as the text it is
        self.add(missing & ~na, name, original, f"{name} is empty; {name} is required")
        self.add(
            missing & na,
            name,
            original,
            f'{name} is "NA", which means a missing value; {name} is required',
        )

    def _check_ids(
        self, spec: ColumnSpec, original: pd.Series, text: pd.Series, present: np.ndarray
    ) -> None:
        name = spec.name
        text = restore_cell(text)
        ok = text.str.fullmatch(PATIENT_ID_RE.pattern).fillna(False).to_numpy()
        rule = f"{name} is {{value}}; {name} must be 1-64 characters of letters, digits, '.', '_' or '-'"
        self.add(present & ~ok, name, original, with_hidden_hint(rule, original, present & ~ok))
        self.out[name] = text.where(present)

    def _check_text(
        self, spec: ColumnSpec, original: pd.Series, text: pd.Series, present: np.ndarray
    ) -> None:
        name = spec.name
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

    def _check_numbers(
        self, spec: ColumnSpec, original: pd.Series, text: pd.Series, present: np.ndarray
    ) -> None:
        """Numbers and whole numbers: the form, the range, and 32 bits for whole numbers."""
        name, kind = spec.name, spec.kind
        max_value = spec.max
        if name == "birth_year":
            max_value = float(self.today.year)
        is_num = fullmatch_where(text, _NUMBER_RE, present)
        self.add(
            present & ~is_num,
            name,
            original,
            f"{name} is {{value}}; {name} must be {describe_range(spec, max_value)}"
            + (" (use a point, not a comma, as the decimal separator)" if kind == "number" else ""),
        )
        nums = to_float(text, present & is_num)
        if kind == "integer":
            is_int = fullmatch_where(text, _INT_RE, present & is_num)
            self.add(
                present & is_num & ~is_int,
                name,
                original,
                f"{name} is {{value}}; {name} must be a whole number written without a decimal "
                f"point ({describe_range(spec, max_value)})",
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
            f"{name} is {{value}}; {name} must be {describe_range(spec, max_value)}",
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

    def _check_dates(
        self, spec: ColumnSpec, original: pd.Series, text: pd.Series, present: np.ndarray
    ) -> None:
        """Dates and date-times: ISO 8601 form, a real calendar day, plausible, not future."""
        name, kind = spec.name, spec.kind
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
            self._check_not_future(spec, original, parsed, has_time)
        self.out[name] = parsed

    def _check_not_future(
        self, spec: ColumnSpec, original: pd.Series, parsed: pd.Series, has_time: pd.Series
    ) -> None:
        """No date after today; a date-time with a time must not be after now."""
        name = spec.name
        if spec.kind == "date":
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

    def _check_choices(
        self, spec: ColumnSpec, original: pd.Series, text: pd.Series, present: np.ndarray
    ) -> None:
        name = spec.name
        ok = text.isin(spec.choices).to_numpy()
        self.add(
            present & ~ok,
            name,
            original,
            f"{name} is {{value}}; {name} must be one of: {', '.join(spec.choices)}",
        )
        self.out[name] = text.where(present)

    def _check_lists(
        self, spec: ColumnSpec, original: pd.Series, text: pd.Series, present: np.ndarray
    ) -> None:
        """';'-separated words, each one of the column's choices; kept stripped and joined."""
        name = spec.name
        items = text.where(present).str.split(";")
        exploded = items.explode().astype("str").str.strip()
        unknown = exploded[exploded.notna() & (exploded != "") & ~exploded.isin(spec.choices)]
        bad_rows = np.zeros(self.n, dtype=bool)
        bad_rows[unknown.index.unique().to_numpy()] = True
        words = _join_by_row(unknown, ", ").reindex(range(self.n)).fillna("")
        allowed = f"; use ';'-separated words from: {', '.join(spec.choices)}"
        self.add(bad_rows, name, original, f"{name} has unknown word(s) " + words + allowed)
        clean = exploded[exploded.notna() & (exploded != "")]
        repeats = clean[clean.reset_index().duplicated().to_numpy()]
        repeats = repeats[~repeats.reset_index().duplicated().to_numpy()]
        again = _join_by_row(repeats, ", ").reindex(range(self.n))
        msg = f"{name} names " + again.fillna("") + " more than once; name each at most once"
        self.add(again.notna().to_numpy(), name, original, msg)
        joined = _join_by_row(clean, ";").reindex(range(self.n))
        self.out[name] = joined.astype("str").where(joined.notna())

    def check_points(self) -> None:
        if "points" not in self.out:
            return
        if "points" in self.distinct:  # checked on the distinct cells first
            canonical, codes = self.distinct["points"]
            mini = self._mini({"points": codes.values})
            mini.out["points"] = canonical
            mini.check_points()
            if not mini.problems:
                self.out["points"] = spread(mini.out["points"], codes)
                self.distinct["points"] = (mini.out["points"], codes)
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
        cleaned = _join_by_row(exploded, ";").reindex(range(self.n))
        self.out["points"] = cleaned.astype("str").where(cleaned.notna() & (cleaned != ""))

    def check_frequency(self) -> None:
        if "frequency_hz" not in self.out or "technique" not in self.out:
            return
        if "frequency_hz" in self.distinct and "technique" in self.distinct:
            # checked on each distinct pair of cells first
            f_canonical, f_codes = self.distinct["frequency_hz"]
            t_canonical, t_codes = self.distinct["technique"]
            f_rows, t_rows = f_codes.flat(), t_codes.flat()
            pairs = t_rows.astype(np.int64) * len(f_codes.values) + f_rows
            first = np.unique(pairs, return_index=True)[1]
            f_first, t_first = f_rows[first], t_rows[first]
            mini = self._mini({"frequency_hz": f_codes.values.take(pa.array(f_first))})
            mini.out["frequency_hz"] = take(f_canonical, f_first)
            mini.out["technique"] = take(t_canonical, t_first)
            mini.check_frequency()
            if not mini.problems:
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

    def check_mme(self) -> None:
        """Compute ``opioid_mme`` from a named opioid and its dose; word the rows that disagree."""
        if not self.out["medication"].notna().any():
            return
        mme, problems = mme_from_medication(
            self.out["medication"],
            self.out["medication_dose"],
            self.out["opioid_mme"],
            self.cells("opioid_mme")[0],
        )
        if mme is not self.out["opioid_mme"]:
            self.out["opioid_mme"] = mme
            self.distinct.pop("opioid_mme", None)
        for p in problems:
            self.add(p.mask, p.column, self.cells(p.column)[0], p.messages)

    def _unique_by_codes(self, key: tuple[str, ...]) -> bool:
        """Whether the key is unique, found from the distinct cells' codes; notes the sort order.

        Taken only when every row is valid and each key column was checked by its
        distinct cells; False leaves the row-by-row check to find and word duplicates.
        """
        if self.bad.any() or any(k not in self.distinct for k in key):
            return False
        parts = []
        for k in key:
            canonical, codes = self.distinct[k]
            if canonical.isna().any():
                return False
            if isinstance(canonical.dtype, np.dtype) and canonical.dtype.kind == "M":
                values: np.ndarray = canonical.to_numpy().view(np.int64)
            elif isinstance(canonical.dtype, pd.StringDtype):
                values = canonical.to_numpy(dtype=object)  # sorts as pandas sorts str
            else:
                return False
            parts.append((np.unique(values, return_inverse=True)[1].astype(np.int64), codes))
        order = None
        if not rising(row_keys(parts)):
            keys = np.concatenate(list(row_keys(parts)))
            order = np.argsort(keys, kind="stable")
            ordered = keys[order]
            if (ordered[1:] == ordered[:-1]).any():
                return False
        self.order, self.order_known, self.key = order, True, key
        return True

    def check_unique(self, key: tuple[str, ...], what: str) -> None:
        if not key or any(k not in self.out for k in key):
            return
        if self._unique_by_codes(key):
            return
        frame = pd.DataFrame({k: self.out[k] for k in key})
        valid_key = frame.notna().all(axis=1).to_numpy()
        dup = frame.duplicated(keep=False).to_numpy() & valid_key
        if not dup.any():
            return
        differing_text = np.full(self.n, "", dtype=object)
        if self.spec.name == "diary":
            # a day repeated value for value is loaded once; other repeats are conflicts
            rows = np.flatnonzero(dup)
            values = pd.DataFrame({c: self.out[c].iloc[rows] for c in self.spec.column_names})
            lines = np.abs(self.raw.lines[rows])
            same = same_day_rows(values, rows, ~self.bad[rows], lines, key, self.where)
            self.dropped[same.dropped] = True
            self.notes.merged.extend(same.merged)
            if same.differing:
                at = np.fromiter(same.differing, dtype=np.int64, count=len(same.differing))
                differing_text[at] = [f" with different {c}" for c in same.differing.values()]
            kept = ~self.dropped
            dup = np.zeros(self.n, dtype=bool)
            dup[kept] = frame[kept].duplicated(keep=False).to_numpy() & valid_key[kept]
            if not dup.any():
                return
        differing = pd.Series(differing_text, index=frame.index, dtype="str")
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
            + differing
            + "; keep one row per "
            + " and ".join(key)
        )
        self.add(dup, key[-1], original, msg)
        if self.spec.name == "diary":
            notes, more = conflict_notes(dup_frame, dup_lines, differing[dup], self.where)
            self.notes.refused.extend(notes)
            if more:
                self.notes.refused.append(f"... and {more} more repeated diary day(s) not loaded")

    def check_known_patients(self, known: pd.Index | None) -> None:
        if known is None or "patient_id" not in self.out:
            return
        if "patient_id" in self.distinct:  # every distinct id occurs in some row
            canonical = self.distinct["patient_id"][0]
            ids = canonical.dropna().to_numpy(dtype=object)
            try:
                listed = set(known)  # a set: pandas' isin converts every known id one by one
            except TypeError:  # unhashable ids: pandas' isin words the answer
                listed = set()
            if all(i in listed for i in ids):
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


def _whole_frame(chk: _Checker, spec: TableSpec) -> pd.DataFrame:
    """Build the canonical frame when every row is valid, in key order, without copying twice.

    Equal to filtering, casting and stably sorting by the key as for a partly
    valid table: the columns already have their canonical dtypes (cast otherwise),
    and the rows are reordered only when they are not in key order already.
    """
    columns = {}
    for c in spec.columns:
        col = chk.out[c.name]
        if col.dtype != pd.api.types.pandas_dtype(c.dtype):
            col = col.astype(c.dtype)
        if chk.order is not None:
            col = take(col, chk.order)
        columns[c.name] = col.reset_index(drop=True)
    return pd.DataFrame(columns, copy=False)


def check_table(
    raw: RawTable,
    spec: TableSpec,
    *,
    today: dt.date,
    now: dt.datetime,
    known_patients: pd.Index | None,
    where: Callable[[list[int]], str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, CheckNotes]:
    """Validate a raw table. Returns (canonical valid rows, problems, rejects, notes).

    A diary row naming an opioid and its dose without ``opioid_mme`` gets the MME
    of :func:`analytics.contract.medication_mme`; a diary day repeated with the
    same values in every column loads once (``notes.merged`` names the lines).
    ``where`` words a list of lines in the notes (default ``<file> lines 2 and 4``).
    """
    chk = _Checker(raw, spec, today, now)
    if where is not None:
        chk.where = where
    for col in spec.columns:
        chk.check_column(col)
    if spec.name == "diary":
        chk.check_mme()
    if spec.name == "sessions":
        chk.check_points()
        chk.check_frequency()
    if spec.name == "patients":
        chk.check_unique(("patient_id",), "patient")
    else:
        chk.check_unique(spec.key, spec.row_word)
        chk.check_known_patients(known_patients)

    problems = chk.problems_frame()
    # rows broken while reading (wrong field count) were recorded by read_raw
    read_problems = pd.DataFrame([(raw.name, *p) for p in raw.problems], columns=PROBLEM_COLUMNS)
    problems = (
        pd.concat([read_problems, problems], ignore_index=True) if len(read_problems) else problems
    )
    problems = problems.sort_values("line", kind="stable").reset_index(drop=True)

    if not chk.bad.any() and chk.order_known and chk.key == spec.key:
        frame = _whole_frame(chk, spec)
    else:
        good = ~chk.bad & ~chk.dropped
        out = pd.DataFrame({c.name: chk.out[c.name] for c in spec.columns})
        frame = out[good].astype({c.name: c.dtype for c in spec.columns})
        frame = frame.sort_values(list(spec.key), kind="stable").reset_index(drop=True)

    rejects = rejected_rows(raw, chk.bad, problems)
    return frame, problems, rejects, chk.notes
