"""Value conversion and parameter checks shared by the store modules."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from analytics.contract import empty_frame
from analytics.contract.schema import DATE_DTYPE, TableSpec

__all__ = [
    "Table",
    "table_records",
    "canonical_frame",
    "to_json",
    "key_of",
    "cell_text",
    "same_value",
    "as_date",
    "check_actor",
    "check_text",
    "check_patient_id",
    "utcnow",
]

Table = Literal["patients", "diary", "sessions"]


def _natives(spec: TableSpec, frame: pd.DataFrame) -> dict[str, list[Any]]:
    """Column lists of Python values (None for missing) of a canonical frame."""
    out: dict[str, list[Any]] = {}
    for col in spec.columns:
        s = frame[col.name]
        if col.kind == "date":
            values = s.dt.date.astype(object)
        elif col.kind == "datetime":
            values = pd.Series(s.dt.to_pydatetime(), index=s.index, dtype=object)
        else:
            values = s.astype(object)
        out[col.name] = values.where(s.notna(), None).tolist()
    return out


def table_records(spec: TableSpec, frame: pd.DataFrame) -> list[dict[str, Any]]:
    cols = _natives(spec, frame)
    names = list(cols)
    return [dict(zip(names, vals, strict=True)) for vals in zip(*cols.values(), strict=True)]


def canonical_frame(spec: TableSpec, rows: Iterable[Iterable[Any]]) -> pd.DataFrame:
    """Canonical frame from database rows in contract column order."""
    records = [tuple(r) for r in rows]
    if not records:
        return empty_frame(spec.name)
    data: dict[str, Any] = {}
    for col, values in zip(spec.columns, zip(*records, strict=True), strict=True):
        cells = np.array(values, dtype=object)
        if col.kind in ("date", "datetime"):
            data[col.name] = pd.to_datetime(cells).astype(DATE_DTYPE).to_numpy()
        else:
            # arrays, not Series: the frame is built without aligning indexes
            data[col.name] = pd.array(cells, dtype=col.dtype)
    frame = pd.DataFrame(data, copy=False)
    return frame.sort_values(list(spec.key), kind="stable").reset_index(drop=True)


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def to_json(record: Mapping[str, Any] | None) -> str | None:
    if record is None:
        return None
    return json.dumps({k: _jsonable(v) for k, v in record.items()}, ensure_ascii=False)


def key_of(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat(timespec="seconds" if value.microsecond == 0 else "microseconds")
    if isinstance(value, (pd.Timestamp, dt.date)):
        return value.isoformat()
    return str(value)


def cell_text(s: pd.Series, kind: str) -> pd.Series:
    """Values as text for the conflicts table (NaN stays missing)."""
    if kind == "date":
        text = s.dt.strftime("%Y-%m-%d")
    elif kind == "datetime":
        text = s.dt.strftime("%Y-%m-%dT%H:%M:%S")
    elif kind == "number":
        text = s.map(lambda v: repr(float(v)), na_action="ignore")
    else:
        text = s.astype(object).map(str, na_action="ignore")
    return text.astype("str").where(s.notna())


def same_value(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise exact equality with missing == missing."""
    eq = (a == b).astype(object).fillna(False).astype(bool).to_numpy()
    return eq | (a.isna().to_numpy() & b.isna().to_numpy())


def as_date(value: Any, name: str, func: str) -> dt.date:
    try:
        ts = pd.Timestamp(value)
    except (TypeError, ValueError):
        ts = pd.NaT
    if ts is pd.NaT or pd.isna(ts):
        raise ValueError(
            f"The '{name}' parameter of {func} must be a date (datetime.date or 'YYYY-MM-DD'). "
            f"Got {value!r} instead."
        )
    return ts.date()


def check_actor(actor: Any, func: str) -> str:
    if isinstance(actor, str) and actor.strip() and len(actor) <= 200:
        return actor
    raise ValueError(
        f"The 'actor' parameter of {func} must be a non-empty str of at most 200 characters "
        f"(e.g. 'cli', 'clinician:demo', 'patient:P001'). Got {actor!r} instead."
    )


def check_text(value: Any, name: str, func: str) -> str:
    if isinstance(value, str) and value.strip():
        return value
    raise ValueError(
        f"The '{name}' parameter of {func} must be a non-empty str. Got {value!r} instead."
    )


def check_patient_id(value: Any, func: str) -> str:
    if isinstance(value, str) and value:
        return value
    raise ValueError(
        f"The 'patient_id' parameter of {func} must be a non-empty str. Got {value!r} instead."
    )


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)
