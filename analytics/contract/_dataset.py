"""The dataset type: a clinic's three canonical frames, and empty ones."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from analytics.contract._answers import empty_answers
from analytics.contract._entries import empty_entries
from analytics.contract.schema import TABLES

__all__ = ["Dataset", "empty_frame"]


def empty_frame(table: str) -> pd.DataFrame:
    """Make a canonical frame of ``table`` with zero rows and the right dtypes."""
    spec = TABLES[table]
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in spec.columns})


@dataclass(frozen=True)
class Dataset:
    """The three canonical frames of a clinic, plus what loading them reported.

    Attributes
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical frames (see :mod:`analytics.contract.schema`).
    rejects : dict of str to pandas.DataFrame
        Only with ``on_error="skip"``: per table name, the rejected rows verbatim
        with columns ``line`` (physical line of the row's start), ``reason`` and
        the raw cells as text (a row shorter than the header is padded with empty
        cells; the cells of a longer row past the header's width are in a last
        column ``extra_cells``, written as CSV text).
    warnings : tuple of str
        Non-fatal remarks (unknown columns that were not loaded, missing
        optional files).
    questionnaires : pandas.DataFrame
        The answers of the optional ``questionnaires.csv`` (patient_id, date,
        instrument, item, answer); empty when the clinic has none.
    entries : pandas.DataFrame
        The entries of the optional ``entries.csv`` (patient_id, date, time, pain,
        flare, duration_minutes, rescue_medication, rescue_helped, notes); empty when
        the clinic has none.
    """

    patients: pd.DataFrame
    diary: pd.DataFrame
    sessions: pd.DataFrame
    rejects: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    questionnaires: pd.DataFrame = field(default_factory=empty_answers)
    entries: pd.DataFrame = field(default_factory=empty_entries)

    @property
    def n_rejected(self) -> int:
        """Total number of rejected rows."""
        return int(sum(len(r) for r in self.rejects.values()))
