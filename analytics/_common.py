"""Shared helpers of the analytics: parameter checks, index dates, frequency bands.

Internal module; the public names are re-exported from :mod:`analytics`.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd

from .schema import DATE_DTYPE, TABLES

__all__ = [
    "check_int",
    "check_number",
    "check_choice",
    "empty_frame",
    "index_dates",
    "frequency_band",
    "FitWarnings",
    "sort_by_patient_day",
]


def check_int(value: Any, name: str, func: str, low: int, high: int | None = None) -> int:
    """Return ``value`` as int or raise ValueError in scikit-learn's wording."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    upper = "inf" if high is None else str(high)
    raise ValueError(
        f"The '{name}' parameter of {func} must be an int in [{low}, {upper}]. Got {value!r} instead."
    )


def check_number(value: Any, name: str, func: str, low: float, high: float | None = None) -> float:
    """Return ``value`` as float or raise ValueError in scikit-learn's wording."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok and math.isfinite(value) and value >= low and (high is None or value <= high):
        return float(value)
    upper = "inf" if high is None else str(high)
    raise ValueError(
        f"The '{name}' parameter of {func} must be a number in [{low}, {upper}]. "
        f"Got {value!r} instead."
    )


def check_choice(value: Any, name: str, func: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` else raise ValueError."""
    choices = tuple(choices)
    if value in choices:
        return str(value)
    raise ValueError(
        f"The '{name}' parameter of {func} must be one of {', '.join(map(repr, choices))}. "
        f"Got {value!r} instead."
    )


def empty_frame(table: str) -> pd.DataFrame:
    """A canonical frame of ``table`` with zero rows and the right dtypes."""
    spec = TABLES[table]
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in spec.columns})


def index_dates(patients: pd.DataFrame | None, sessions: pd.DataFrame | None) -> pd.Series:
    """Index date (start of treatment) per patient.

    The patient's ``start_date`` when given, else the calendar date of the first
    session; patients with neither are absent (trend-only patients).

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` (midnight) indexed by ``patient_id``, named ``index_date``,
        sorted by patient_id.
    """
    parts = []
    if sessions is not None and len(sessions):
        first = sessions.groupby("patient_id", sort=True)["date"].min().dt.normalize()
        parts.append(first)
    if patients is not None and len(patients):
        start = patients.set_index("patient_id")["start_date"].dropna()
        parts.insert(0, start.dt.normalize())
    if not parts:
        return pd.Series(dtype=DATE_DTYPE, name="index_date", index=pd.Index([], name="patient_id"))
    out = parts[0]
    for p in parts[1:]:
        out = out.combine_first(p)
    out = out.dropna().astype(DATE_DTYPE).sort_index()
    out.index.name = "patient_id"
    out.name = "index_date"
    return out


def sort_by_patient_day(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` sorted by ``patient_id`` then ``date`` (stable), with a fresh RangeIndex.

    The same rows as ``frame.sort_values(["patient_id", "date"], kind="mergesort")``;
    a frame already in that order (as the loaders and the store return a diary)
    skips the sort: one factorisation of ``patient_id`` shows it.
    """
    if _in_patient_day_order(frame["patient_id"], frame["date"]):
        return frame.reset_index(drop=True)
    return frame.sort_values(["patient_id", "date"], kind="mergesort").reset_index(drop=True)


def _in_patient_day_order(patient_id: pd.Series, date: pd.Series) -> bool:
    if len(patient_id) < 2:
        return True
    if patient_id.isna().any() or date.isna().any():
        return False
    codes, uniques = pd.factorize(patient_id)
    # codes number the patients by first appearance: each patient's rows form one
    # block iff the codes never go down; the blocks are sorted iff the uniques are
    if not (codes[1:] >= codes[:-1]).all():
        return False
    if not pd.Index(uniques).is_monotonic_increasing:
        return False
    day = date.to_numpy()
    same = codes[1:] == codes[:-1]
    return bool((day[1:][same] >= day[:-1][same]).all())


def frequency_band(technique: pd.Series, frequency_hz: pd.Series) -> pd.Series:
    """Label each session ``manual``, ``auricular``, ``other`` or ``electro_<band>``.

    Bands (DOMAIN.md section 1): low < 20 Hz, medium 20-49 Hz, high >= 50 Hz,
    mixed = two frequencies "a/b". An electro session without a frequency is
    ``electro_unknown``.
    """
    freq = frequency_hz.astype("str").where(frequency_hz.notna(), None)
    mixed = freq.str.contains("/", na=False)
    hz = pd.to_numeric(freq.where(~mixed), errors="coerce")
    band = np.select(
        [mixed, hz < 20, hz < 50, hz >= 50],
        ["electro_mixed", "electro_low", "electro_medium", "electro_high"],
        default="electro_unknown",
    )
    label = pd.Series(band, index=technique.index, dtype="str")
    return label.where(technique == "electro", technique.astype("str")).rename("technique_band")


class FitWarnings:
    """Collect the numerical warnings of per-patient (or per-pair) fits and report them once.

    Third-party RuntimeWarnings ("invalid value encountered in sqrt", ...) raised
    inside :meth:`watch` are recorded against the key (a patient or a pair) instead
    of reaching the user; :meth:`report` then emits one
    :class:`analytics.errors.DataQualityWarning` that names the keys and the
    reason. Other warnings pass through unchanged.
    """

    def __init__(self, what: str) -> None:
        self.what = what
        self.keys: dict[str, str] = {}

    @contextmanager
    def watch(self, key: str, reason: str) -> Iterator[list[warnings.WarningMessage]]:
        """Run a fit for ``key``; RuntimeWarnings are recorded with ``reason``."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            yield caught
        for w in caught:
            if issubclass(w.category, RuntimeWarning):
                self.keys.setdefault(str(key), f"{reason} ({w.message})")
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)

    def report(self, stacklevel: int = 3) -> None:
        """Emit one DataQualityWarning naming every key with a recorded warning."""
        from .errors import DataQualityWarning

        if not self.keys:
            return
        shown = list(self.keys.items())[:10]
        more = len(self.keys) - len(shown)
        text = "; ".join(f"{k}: {r}" for k, r in shown)
        tail = f"; and {more} more" if more > 0 else ""
        warnings.warn(
            f"{self.what}: numerical problems for {len(self.keys)} "
            f"{'patient' if len(self.keys) == 1 else 'patients'} — {text}{tail}. "
            "Their affected estimates are left empty.",
            DataQualityWarning,
            stacklevel=stacklevel,
        )
