"""What writes and imports return."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from analytics.contract.schema import TABLES

__all__ = ["SaveResult", "ImportReport", "CONFLICT_COLUMNS"]

#: Columns of :attr:`ImportReport.conflicts`.
CONFLICT_COLUMNS = ["table", "patient_id", "key", "column", "stored", "incoming"]


@dataclass(frozen=True)
class SaveResult:
    """Outcome of a single-record write.

    Attributes
    ----------
    action : {"created", "unchanged", "updated", "deleted"}
    previous : dict or None
        The stored record before the call (None when it was created).
    current : dict or None
        The stored record after the call (None after a deletion).

    Records are dicts of the canonical column names with Python values:
    ``datetime.date`` (diary date, start date), ``datetime.datetime`` (session
    date), ``float``, ``int``, ``str``, and ``None`` for missing values.
    """

    action: Literal["created", "unchanged", "updated", "deleted"]
    previous: dict[str, Any] | None = None
    current: dict[str, Any] | None = None

    def to_frame(self) -> pd.DataFrame:
        """One row per state: columns ``state`` ("previous"/"current") and the record's columns."""
        rows = [
            {"state": k, **v}
            for k, v in (("previous", self.previous), ("current", self.current))
            if v
        ]
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class ImportReport:
    """What an import did (or, with ``dry_run`` or unresolved conflicts, would do).

    Attributes
    ----------
    applied : bool
        True when the rows were written (committed).
    dry_run, update : bool
        The options the import ran with.
    n_incoming, inserted, unchanged, updated, conflicting : dict of str to int
        Per table ("patients", "diary", "sessions"): rows offered; new rows
        (written, or to be written); rows equal to the stored ones; stored rows
        overwritten (only with ``update=True``); rows whose stored values differ.
        With ``update=True`` every conflicting row is updated.
    conflicts : pandas.DataFrame
        One row per differing cell: ``table``, ``patient_id``, ``key`` (ISO date
        or date-time; the patient id for patients), ``column``, ``stored`` and
        ``incoming`` (values as text, NaN when missing).
    new_patients : tuple of str
        Patients the import added (not stored before): every row of theirs in the
        database is a row of the imported dataset.
    """

    applied: bool
    dry_run: bool
    update: bool
    n_incoming: Mapping[str, int]
    inserted: Mapping[str, int]
    unchanged: Mapping[str, int]
    updated: Mapping[str, int]
    conflicting: Mapping[str, int]
    conflicts: pd.DataFrame = field(repr=False)
    new_patients: tuple[str, ...] = field(default=(), repr=False)

    @property
    def n_conflicts(self) -> int:
        """Number of rows (all tables) whose stored values differ."""
        return int(sum(self.conflicting.values()))

    def to_frame(self) -> pd.DataFrame:
        """Tabulate the counts per table.

        Returns
        -------
        pandas.DataFrame
            One row per table with columns ``table``, ``n_incoming``, ``inserted``,
            ``unchanged``, ``updated``, ``conflicting`` (all int64).
        """
        names = ["n_incoming", "inserted", "unchanged", "updated", "conflicting"]
        rows = [[t] + [int(getattr(self, n).get(t, 0)) for n in names] for t in TABLES]
        return pd.DataFrame(rows, columns=["table", *names]).astype(dict.fromkeys(names, "int64"))
