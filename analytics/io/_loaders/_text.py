"""Cell text: matching and parsing the filled cells, quoting values in messages.

Also :func:`restore_cell`, which undoes the exporter's formula-injection
neutralisation (one leading apostrophe).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analytics.contract.schema import ColumnSpec
from analytics.safe_text import hidden_characters

__all__ = [
    "restore_cell",
    "fullmatch_where",
    "to_float",
    "quote",
    "with_hidden_hint",
    "describe_range",
]

# A cell our exporter neutralised: one extra leading apostrophe before a formula trigger.
_NEUTRALISED_RE = r"^'(?='*[=+\-@\t\r])"


def fullmatch_where(text: pd.Series, pattern: Any, where: np.ndarray) -> np.ndarray:
    """Test whether each cell fully matches ``pattern``, only where ``where`` (else False).

    Mostly empty columns then cost little: the expression runs on the filled cells.
    """
    out = np.zeros(len(text), dtype=bool)
    if where.all():
        out[:] = text.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    elif where.any():
        out[where] = text[where].str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    return out


def to_float(text: pd.Series, ok: np.ndarray) -> pd.Series:
    """Parse the cells where ``ok`` (already checked to be numbers) as float64, else NaN.

    Arrow's string-to-double cast parses correctly rounded, like Python's float();
    pandas.to_numeric is the fallback. ``+ 0.0`` turns ``-0`` into 0.
    """
    values = np.full(len(text), np.nan)
    if ok.any():
        cells = text[ok]
        try:
            arr = pc.cast(pa.array(cells, from_pandas=True), pa.float64())
            values[ok] = arr.to_numpy(zero_copy_only=False)
        except (ValueError, TypeError):  # pragma: no cover - ArrowInvalid is a ValueError
            values[ok] = pd.to_numeric(cells, errors="coerce").to_numpy(
                dtype=float, na_value=np.nan
            )
    return pd.Series(values + 0.0, index=text.index, dtype="float64")


def quote(value: str) -> str:
    """Quote a cell for a message: plain text in double quotes, anything else as its repr."""
    value = value if len(value) <= 60 else value[:57] + "..."
    plain = value.strip() == value and value and value.isprintable()
    return f'"{value}"' if plain else repr(value)


def with_hidden_hint(rule: str, values: pd.Series, bad: np.ndarray) -> str | pd.Series:
    """``rule`` per bad cell, naming the invisible or look-alike characters it holds.

    An id such as a Cyrillic "Р1" looks valid; saying which character is not what it
    seems is the fix. Returns ``rule`` itself when no bad cell holds such characters.
    """
    cells = values.astype("str").str.slice(0, 200)
    hidden = cells[bad].map(hidden_characters)
    if not hidden.map(bool).any():
        return rule
    out = pd.Series("", index=values.index, dtype="str")
    out[bad] = [
        rule.replace("{value}", quote(v)) + (f"; it contains {', '.join(h)}" if h else "")
        for v, h in zip(cells[bad], hidden, strict=True)
    ]
    return out


def restore_cell(values: pd.Series) -> pd.Series:
    """Undo the exporter's formula-injection neutralisation (one leading ``'``)."""
    quoted = values.str.startswith("'").fillna(False)
    if not quoted.any():
        return values
    out = values.copy()
    out[quoted] = values[quoted].str.replace(_NEUTRALISED_RE, "", regex=True)
    return out


def describe_range(spec: ColumnSpec, max_value: float | None) -> str:
    """Word the numbers a column accepts: "a number from 0 to 10", "a whole number >= 0"."""
    what = "a whole number" if spec.kind == "integer" else "a number"
    lo, hi = spec.min, max_value
    if lo is not None and hi is not None:
        return f"{what} from {lo:g} to {hi:g}"
    if lo is not None:
        return f"{what} >= {lo:g}"
    return what
