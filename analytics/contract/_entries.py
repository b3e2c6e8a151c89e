"""The optional fifth file of the contract: ``entries.csv``, entries logged at any time of day.

A patient may log pain as it happens, several times a day: each entry has its time,
may be a flare (or attack) with a duration, and may name a rescue medicine taken for it
with the answer to "Did it help?" given two hours later. The daily log of ``diary.csv``
stays one row a day; how the two make the day's value the statistics use is
:func:`analytics.stats.daily_diary` (docs/analytics.md, "Entries during the day").

Its columns are a :class:`~analytics.contract.schema.TableSpec` like the other files, so
the loaders check them with the same rules and messages; on top of those,
:func:`entry_problems` checks the rules that join two cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .schema import LABEL_MAX, TEXT_MAX, ColumnSpec, TableSpec

__all__ = [
    "ENTRIES",
    "FLARE_MARKS",
    "RESCUE_ANSWERS",
    "DURATION_MAX_MINUTES",
    "entry_problems",
    "empty_entries",
    "is_flare",
]

#: Values of ``flare``: an entry is a flare (or attack) or not; empty = not.
FLARE_MARKS = ("yes", "no")
#: Answers to "Did it help?" about a rescue medicine, best first.
RESCUE_ANSWERS = ("yes", "a_little", "no")
#: Longest flare duration accepted: one week, in minutes.
DURATION_MAX_MINUTES = 7 * 24 * 60

#: ``entries.csv``: one entry a row, at most one per patient and minute.
ENTRIES = TableSpec(
    name="entries",
    file_name="entries.csv",
    key=("patient_id", "date", "time"),
    row_word="entry",
    columns=(
        ColumnSpec("patient_id", "id", required=True, description="patient identifier"),
        ColumnSpec("date", "date", required=True, description="day of the entry, not after today"),
        ColumnSpec(
            "time", "text", required=True, max_len=5, description="time of day, HH:MM (24-hour)"
        ),
        ColumnSpec(
            "pain",
            "number",
            required=True,
            min=0,
            max=10,
            description="pain at that moment, 0-10 NRS",
        ),
        ColumnSpec(
            "flare",
            "choice",
            choices=FLARE_MARKS,
            description="yes when the entry is a flare or attack; empty = no",
        ),
        ColumnSpec(
            "duration_minutes",
            "integer",
            min=1,
            max=DURATION_MAX_MINUTES,
            description="how long the flare lasted, minutes (flares only)",
        ),
        ColumnSpec(
            "rescue_medication",
            "text",
            max_len=LABEL_MAX,
            description="a medicine taken for it, e.g. ibuprofen",
        ),
        ColumnSpec(
            "rescue_helped",
            "choice",
            choices=RESCUE_ANSWERS,
            description="did the rescue medicine help: yes, a_little or no (asked 2 h later)",
        ),
        ColumnSpec("notes", "text", max_len=TEXT_MAX, description="free text"),
    ),
)


def empty_entries() -> pd.DataFrame:
    """Make an empty canonical ``entries`` frame."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in ENTRIES.columns})


def is_flare(entries: pd.DataFrame) -> pd.Series:
    """Return, per entry, True when it is marked as a flare or attack."""
    return entries["flare"].astype("str").eq("yes").fillna(False).astype("bool")


def _cells(rows: pd.DataFrame, name: str) -> pd.Series:
    if name not in rows.columns:
        return pd.Series("", index=rows.index, dtype="str")
    return rows[name].astype("str").fillna("").str.strip()


def entry_problems(rows: pd.DataFrame) -> pd.DataFrame:
    """Find the entries whose time is not a time of day, or whose cells contradict each other.

    Parameters
    ----------
    rows : pandas.DataFrame
        The file's cells as text (``time``, ``flare``, ``duration_minutes``,
        ``rescue_medication``, ``rescue_helped``; a missing column counts as empty).

    Returns
    -------
    pandas.DataFrame
        One row per problem: ``row`` (position in ``rows``), ``column``, ``value`` and
        ``message`` (what is wrong and how to fix it, ``{value}`` standing for the value).

    Examples
    --------
    >>> rows = pd.DataFrame({"time": ["08:05", "25:00"], "flare": ["", ""]})
    >>> entry_problems(rows)["row"].tolist()
    [1]
    """
    time = _cells(rows, "time")
    parts = time.str.extract(r"^(\d{2}):(\d{2})$")
    hour = pd.to_numeric(parts[0], errors="coerce")
    minute = pd.to_numeric(parts[1], errors="coerce")
    bad_time = (time != "") & ~((hour <= 23) & (minute <= 59)).fillna(False)
    flare = _cells(rows, "flare").str.lower()
    duration = _cells(rows, "duration_minutes")
    rescue = _cells(rows, "rescue_medication")
    helped = _cells(rows, "rescue_helped")
    checks = (
        (
            bad_time,
            "time",
            time,
            "time is {value}; write the time of day as HH:MM on a 24-hour clock, e.g. 14:30",
        ),
        (
            (duration != "") & (flare != "yes"),
            "duration_minutes",
            duration,
            "duration_minutes is {value} but the entry is not a flare; a duration is kept "
            "for flares only: write yes in flare or empty duration_minutes",
        ),
        (
            (helped != "") & (rescue == ""),
            "rescue_helped",
            helped,
            "rescue_helped is {value} but no rescue_medication is named; name the medicine "
            "taken or empty rescue_helped",
        ),
    )
    found = [
        (int(position), column, values.iat[position], message)
        for mask, column, values, message in checks
        for position in np.flatnonzero(mask.to_numpy(dtype=bool))
    ]
    return pd.DataFrame(found, columns=["row", "column", "value", "message"])
