"""The optional fourth file of the contract: ``questionnaires.csv``, one answer a row.

Its columns are a :class:`~analytics.contract.schema.TableSpec` like the other three
files, so the loaders check them with the same rules and messages; on top of those,
:func:`answer_problems` checks each answer against its instrument's definition.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._instruments import INSTRUMENTS
from .schema import ColumnSpec, TableSpec

__all__ = ["QUESTIONNAIRES", "answer_problems", "empty_answers"]

#: Largest answer value of any shipped instrument item.
_ANSWER_MAX = max(
    option.value for i in INSTRUMENTS.values() for item in i.items for option in item.options
)

#: ``questionnaires.csv``: patient, date, instrument, item, answer.
QUESTIONNAIRES = TableSpec(
    name="questionnaires",
    file_name="questionnaires.csv",
    key=("patient_id", "date", "instrument", "item"),
    row_word="answer",
    columns=(
        ColumnSpec("patient_id", "id", required=True, description="patient identifier"),
        ColumnSpec("date", "date", required=True, description="day the questionnaire was answered"),
        ColumnSpec(
            "instrument",
            "choice",
            required=True,
            choices=tuple(INSTRUMENTS),
            description="instrument id: " + ", ".join(INSTRUMENTS),
        ),
        ColumnSpec(
            "item", "text", required=True, max_len=40, description="item id of that instrument"
        ),
        ColumnSpec(
            "answer",
            "integer",
            required=True,
            min=0,
            max=_ANSWER_MAX,
            description="value of the chosen answer option",
        ),
    ),
)


def empty_answers() -> pd.DataFrame:
    """Make an empty canonical ``questionnaires`` frame."""
    return pd.DataFrame({c.name: pd.Series(dtype=c.dtype) for c in QUESTIONNAIRES.columns})


def _allowed() -> pd.DataFrame:
    rows = [
        (instrument.id, item.id, str(option.value))
        for instrument in INSTRUMENTS.values()
        for item in instrument.items
        for option in item.options
    ]
    return pd.DataFrame(rows, columns=["instrument", "item", "answer"])


def answer_problems(rows: pd.DataFrame) -> pd.DataFrame:
    """Find answers their instrument does not define.

    Parameters
    ----------
    rows : pandas.DataFrame
        The file's cells as text, with columns ``instrument``, ``item``, ``answer``
        (other columns are ignored).

    Returns
    -------
    pandas.DataFrame
        One row per problem: ``row`` (position in ``rows``), ``column``, ``value`` and
        ``message`` (what is wrong and what is allowed). Rows whose instrument is not
        known are left to the column check.
    """
    text = rows[["instrument", "item", "answer"]].astype("str").apply(lambda s: s.str.strip())
    known = text["instrument"].isin(INSTRUMENTS)
    items = _allowed()[["instrument", "item"]].drop_duplicates()
    pairs = pd.MultiIndex.from_frame(text[["instrument", "item"]])
    item_ok = pairs.isin(pd.MultiIndex.from_frame(items))
    triples = pd.MultiIndex.from_frame(text[["instrument", "item", "answer"]])
    answer_ok = triples.isin(pd.MultiIndex.from_frame(_allowed()))
    problems = []
    for position in np.flatnonzero(known & ~item_ok):
        instrument = INSTRUMENTS[text["instrument"].iat[position]]
        ids = ", ".join(item.id for item in instrument.items)
        problems.append(
            (
                position,
                "item",
                text["item"].iat[position],
                f"item is {{value}}; {instrument.short_name} has no such item; its items are {ids}",
            )
        )
    for position in np.flatnonzero(known & item_ok & ~answer_ok & (text["answer"] != "")):
        item = INSTRUMENTS[text["instrument"].iat[position]].item(text["item"].iat[position])
        values = ", ".join(str(v) for v in item.values)
        problems.append(
            (
                position,
                "answer",
                text["answer"].iat[position],
                f"answer is {{value}}; for {item.id} it must be one of {values}",
            )
        )
    return pd.DataFrame(problems, columns=["row", "column", "value", "message"])
