"""Rules of a diary day that span several cells or rows: MME and repeated days.

:func:`mme_from_medication` gives every row that names an opioid and its dose
but no ``opioid_mme`` the MME of :func:`analytics.contract.medication_mme` (the
conversion of the diary entry form), and words the rows whose MME disagrees with
their medicine and dose. :func:`same_day_rows` tells repeated diary days with the
same values in every column, loaded once, from those with different values,
refused.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.contract import DOSE_UNITS, MME_FACTORS, medication_mme, mme_mismatch, opioid_code
from analytics.contract.schema import MEDICATION_DOSE_MAX
from analytics.io._loaders._text import quote

__all__ = [
    "MMEProblem",
    "mme_from_medication",
    "SameDays",
    "same_day_rows",
    "conflict_notes",
    "lines_words",
]

#: How many repeated days the notes name one by one (the others are counted).
NOTED_DAYS = 5


@dataclass(frozen=True)
class MMEProblem:
    """Rows with one problem of the MME rule: the mask, its column and one message per row."""

    mask: np.ndarray
    column: str
    messages: pd.Series


def _number_text(value: float) -> str:
    return f"{value:g}"


def _convert_pairs(names: pd.Series, doses: pd.Series) -> tuple[np.ndarray, pd.DataFrame]:
    """Convert each distinct (medication, dose) pair once: (each row's pair, the pairs).

    The pairs frame holds ``mme`` (NaN when not an opioid), ``column`` and
    ``message`` (empty unless the pair cannot be converted).
    """
    rows = pd.DataFrame({"name": names.to_numpy(dtype=object), "dose": doses.to_numpy(float)})
    pair = rows.groupby(["name", "dose"], sort=False).ngroup().to_numpy()
    pairs = rows.drop_duplicates(ignore_index=True)
    mme = np.full(len(pairs), np.nan)
    column = [""] * len(pairs)
    message = [""] * len(pairs)
    for i, (name, dose) in enumerate(zip(pairs["name"], pairs["dose"], strict=True)):
        try:
            value = medication_mme(name, float(dose))
        except ValueError as exc:
            if opioid_code(name) is None:
                column[i], message[i] = "medication", f"medication {exc}"
            else:
                column[i] = "medication_dose"
                message[i] = f"medication_dose is {quote(_number_text(dose))}: {exc}"
            continue
        if value is not None:
            mme[i] = value
    pairs["mme"], pairs["column"], pairs["message"] = mme, column, message
    return pair, pairs


def _mismatch_message(code: str, dose: float, expected: float, given_text: str) -> str:
    unit = DOSE_UNITS[code]
    return (
        f"opioid_mme is {quote(given_text)}, but {code} {_number_text(dose)} {unit} a day is "
        f"{_number_text(expected)} MME (CDC 2022 factor {_number_text(MME_FACTORS[code])}); "
        f"write {_number_text(expected)} in opioid_mme or leave it empty to have it computed, "
        "or correct medication_dose"
    )


def mme_from_medication(
    medication: pd.Series, dose: pd.Series, mme: pd.Series, mme_text: pd.Series
) -> tuple[pd.Series, list[MMEProblem]]:
    """Fill ``opioid_mme`` from a named opioid and its dose; word the rows that disagree.

    Parameters
    ----------
    medication, dose, mme : pandas.Series
        The canonical ``medication``, ``medication_dose`` and ``opioid_mme`` of
        every row (a dose or MME outside its range is left to the cell checks).
    mme_text : pandas.Series
        The ``opioid_mme`` cells as read, for the messages.

    Returns
    -------
    (pandas.Series, list of MMEProblem)
        ``opioid_mme`` with the computed MME where it was empty, and the rows
        whose given MME differs from the computed one by more than rounding
        (:func:`analytics.contract.mme_mismatch`), or whose medicine reads as an
        opioid that cannot be converted, or whose dose is too large to convert,
        when they give no MME.
    """
    dose_values = dose.to_numpy(dtype=float, na_value=np.nan)
    usable = (
        medication.notna().to_numpy() & (dose_values >= 0) & (dose_values <= MEDICATION_DOSE_MAX)
    )
    if not usable.any():
        return mme, []
    at = np.flatnonzero(usable)
    pair, pairs = _convert_pairs(medication.iloc[at], dose.iloc[at])
    expected = pairs["mme"].to_numpy()[pair]
    given = mme.to_numpy(dtype=float, na_value=np.nan)[at]
    empty = np.isnan(given)
    problems: list[MMEProblem] = []

    fill = empty & ~np.isnan(expected)
    out = mme
    if fill.any():
        out = mme.copy()
        out.iloc[at[fill]] = expected[fill]

    compared = ~empty & ~np.isnan(expected)
    differs = np.zeros(len(at), dtype=bool)
    differs[compared] = [
        mme_mismatch(g, e) for g, e in zip(given[compared], expected[compared], strict=True)
    ]
    if differs.any():
        rows = at[differs]
        messages = [
            _mismatch_message(str(opioid_code(name)), d, e, text)
            for name, d, e, text in zip(
                medication.iloc[rows],
                dose_values[rows],
                expected[differs],
                mme_text.iloc[rows].astype("str").str.strip(),
                strict=True,
            )
        ]
        problems.append(_problem(len(mme), rows, "opioid_mme", messages))

    refused = pairs["message"].to_numpy(dtype=object)[pair]
    for column in ("medication", "medication_dose"):
        picked = empty & (pairs["column"].to_numpy(dtype=object)[pair] == column)
        if picked.any():
            problems.append(_problem(len(mme), at[picked], column, list(refused[picked])))
    return out, problems


def _problem(n: int, rows: np.ndarray, column: str, messages: list[str]) -> MMEProblem:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    text = pd.Series("", index=range(n), dtype="str")
    text.iloc[rows] = messages
    return MMEProblem(mask, column, text)


def lines_words(file: str) -> Callable[[list[int]], str]:
    """Word a file's lines in a note: ``diary.csv lines 2 and 4``."""

    def words(lines: list[int]) -> str:
        shown = [str(n) for n in lines]
        listed = ", ".join(shown[:-1]) + f" and {shown[-1]}" if len(shown) > 1 else shown[0]
        return f"{file} line{'s' if len(shown) > 1 else ''} {listed}"

    return words


@dataclass
class SameDays:
    """Repeated diary days: rows loaded once and what to tell about them.

    Attributes
    ----------
    dropped : numpy.ndarray
        Rows that repeat an earlier row value for value (not loaded).
    merged : list of str
        One note per dropped row, naming both lines.
    differing : dict of int to str
        For each row of a day repeated with other values, the columns that differ.
    """

    dropped: np.ndarray
    merged: list[str] = field(default_factory=list)
    differing: dict[int, str] = field(default_factory=dict)


def same_day_rows(
    values: pd.DataFrame,
    rows: np.ndarray,
    valid: np.ndarray,
    lines: np.ndarray,
    key: tuple[str, ...],
    where: Callable[[list[int]], str],
) -> SameDays:
    """Sort the rows of repeated days into repeats with the same values and conflicts.

    Parameters
    ----------
    values : pandas.DataFrame
        The canonical values of the rows ``rows`` (every column of the table).
    rows : numpy.ndarray
        Positions of the rows whose key is repeated.
    valid : numpy.ndarray of bool
        For each of ``rows``: whether it broke no rule (only such rows are merged).
    lines : numpy.ndarray
        For each of ``rows``: its line (or record number) for the notes.
    key : tuple of str
    where : callable
        Words a list of lines, e.g. :func:`lines_words`.
    """
    values = values.reset_index(drop=True)
    columns = list(values.columns)
    group = values.groupby(columns, sort=False, dropna=False).ngroup().to_numpy()
    # a row repeats an earlier one when both broke no rule and every value is equal
    valid_first = pd.Series(np.where(valid, np.arange(len(values)), len(values)))
    first_valid = valid_first.groupby(group).transform("min").to_numpy()
    repeat = valid & (first_valid < np.arange(len(values)))
    merged = []
    repeats = np.flatnonzero(repeat)
    for i in repeats[:NOTED_DAYS]:
        kept = first_valid[i]
        day = ", ".join(f"{k} {_key_text(values.at[i, k])}" for k in key)
        merged.append(
            f"{where([int(lines[kept]), int(lines[i])])}: the same diary day ({day}) with the "
            "same values in every column; the day is kept once"
        )
    if len(repeats) > NOTED_DAYS:
        merged.append(f"... and {len(repeats) - NOTED_DAYS} more repeated diary day(s) kept once")
    # the columns that differ, for the days still repeated once the repeats are left out
    left_at = np.flatnonzero(~repeat)
    left = values.iloc[left_at]
    clash = left.duplicated(list(key), keep=False).to_numpy()
    others = [c for c in columns if c not in key]
    differing: dict[int, str] = {}
    if clash.any():
        clashing = left[clash]
        by_day = clashing.groupby(list(key), sort=False, dropna=False)
        differs = by_day[others].nunique(dropna=False).gt(1).to_numpy()
        # the differing columns of each day, joined column by column (days may be many)
        names = np.full(len(differs), "", dtype=object)
        for j, column in enumerate(others):
            names[differs[:, j]] = names[differs[:, j]] + f", {column}"
        per_row = names[by_day.ngroup().to_numpy()]
        differing = {
            int(rows[i]): text[2:] for i, text in zip(left_at[clash], per_row, strict=True) if text
        }
    return SameDays(rows[repeat], merged, differing)


def conflict_notes(
    keys: pd.DataFrame,
    lines: pd.Series,
    differing: pd.Series,
    where: Callable[[list[int]], str],
) -> tuple[list[str], int]:
    """One note per diary day repeated with different values (the first few), and how many more.

    ``keys`` holds the key columns of the repeated rows, ``lines`` their lines and
    ``differing`` their " with different ..." words (empty when none differ).
    """
    table = keys.assign(_line=lines.to_numpy(), _differing=differing.to_numpy())
    groups = table.groupby(list(keys.columns), sort=False)
    notes: list[str] = []
    for day, rows in groups:
        if len(notes) == NOTED_DAYS:
            break
        parts = day if isinstance(day, tuple) else (day,)
        day_text = ", ".join(
            f"{k} {_key_text(v)}" for k, v in zip(keys.columns, parts, strict=True)
        )
        notes.append(
            f"{where([int(n) for n in rows['_line']])}: the same diary day ({day_text})"
            f"{rows['_differing'].iat[0]}; none of these rows was loaded"
        )
    return notes, max(groups.ngroups - NOTED_DAYS, 0)


def _key_text(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d") if not (value.hour or value.minute) else str(value)
    return str(value)
