"""Messages, tables and number formats every page uses."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from analytics.errors import DataValidationError
from analytics.presentation import format_shown
from dashboard.text import shown_error

__all__ = [
    "plain_value",
    "flash",
    "show_flash",
    "show_error",
    "table",
    "number_columns",
    "as_record",
    "fmt",
]


def flash(page: str, message: str) -> None:
    """Keep a success message to show once after the next rerun."""
    st.session_state[f"{page}.flash"] = message


def show_flash(page: str) -> None:
    """Show (and forget) the message kept by :func:`flash`."""
    message = st.session_state.pop(f"{page}.flash", None)
    if message:
        st.success(message, icon="✅")


def show_error(exc: Exception) -> None:
    """Show an expected error as a message (never a traceback)."""
    st.error(shown_error(exc), icon="⚠️")  # stored text is data; secrets masked
    if isinstance(exc, DataValidationError) and len(exc.problems):
        table(exc.problems)


def table(frame: pd.DataFrame, **kwargs: Any) -> Any:
    """``st.dataframe`` with the index hidden, full width and missing values as "—".

    Streamlit shows a missing cell as "None" unless told otherwise; every table
    of the dashboard goes through here so none of them does.
    """
    from dashboard.labels import MISSING

    kwargs.setdefault("hide_index", True)
    kwargs.setdefault("width", "stretch")
    return st.dataframe(frame, placeholder=MISSING, **kwargs)


def number_columns(
    frame: pd.DataFrame, *, digits: int = 2, percent: Sequence[str] = ()
) -> dict[str, Any]:
    """``column_config`` showing float columns with ``digits`` decimals (fractions as %)."""
    config: dict[str, Any] = {}
    for col in frame.columns:
        title = str(col).replace("_", " ")
        if col in percent:
            config[col] = st.column_config.NumberColumn(title, format="percent")
        elif pd.api.types.is_float_dtype(frame[col]):
            config[col] = st.column_config.NumberColumn(title, format=f"%.{digits}f")
        else:
            config[col] = st.column_config.Column(title)
    return config


def plain_value(value: Any) -> Any:
    """Return ``value`` as a plain Python value: None for a missing one, numpy scalars unboxed."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def as_record(row: Any) -> dict[str, Any]:
    """Return a stored row (Series, mapping or dataclass-like) as a dict of plain Python values."""
    if row is None:
        return {}
    if isinstance(row, pd.DataFrame):
        row = row.iloc[0] if len(row) else pd.Series(dtype=object)
    if isinstance(row, pd.Series):
        items = row.to_dict()
    elif isinstance(row, Mapping):
        items = dict(row)
    elif hasattr(row, "_asdict"):
        items = row._asdict()
    else:
        items = dict(vars(row))
    return {str(k): plain_value(v) for k, v in items.items()}


def fmt(value: Any, spec: str = ".1f", missing: str = "—") -> str:
    """Format a number for display; ``missing`` for NaN/None."""
    value = plain_value(value)
    if value is None:
        return missing
    try:
        return format_shown(value, spec)
    except (TypeError, ValueError):
        return str(value)
