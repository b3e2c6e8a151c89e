"""De-identified research export (after HIPAA's Safe Harbor method, 45 CFR 164.514(b)(2)).

What it does
------------
* Patient ids become random codes (``R`` + 10 hexadecimal digits); the link to
  the real ids is not kept anywhere.
* Every date becomes a number of days relative to the patient's index date
  (``day``: 0 = index date, negative = before); session times of day are
  dropped. The index date is the patient's start date, else the first session's
  date, else the first diary day.
* Free text is dropped: diary and session ``notes``, session ``practitioner``.
* Entries during the day keep their day (relative, as above), pain, flare,
  duration and the answer to "Did it help?"; their time of day, notes and the
  rescue medicine's name are dropped (``rescue`` says whether one was taken).
* Birth year is kept only when the person is younger than 90 in the export
  year; older people get ``birth_year`` missing and ``age_90_or_over`` True.
* Clinician ids become random codes (``C`` + 6 hexadecimal digits).

What it does not do
-------------------
It does not examine ``condition``, ``group``, ``points`` or ``adverse_events``
for identifying text a person may have typed there; it does not protect
against re-identification by linking the remaining values (e.g. a rare
condition in a small clinic); Safe Harbor also requires that the clinic has no
actual knowledge that the rest could identify a person. See docs/security.md.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract import Dataset, index_dates

__all__ = [
    "deidentify",
    "DeidentifiedDataset",
    "DEID_PATIENT_COLUMNS",
    "DEID_DIARY_COLUMNS",
    "DEID_SESSION_COLUMNS",
    "DEID_ENTRY_COLUMNS",
]

#: Columns of the de-identified patients frame.
DEID_PATIENT_COLUMNS = [
    "patient_code",
    "condition",
    "group",
    "sex",
    "birth_year",
    "age_90_or_over",
    "clinician_code",
]
#: Columns of the de-identified diary frame.
DEID_DIARY_COLUMNS = [
    "patient_code",
    "day",
    "pain",
    "worst_pain",
    "enjoyment_interference",
    "activity_interference",
    "sleep_quality",
    "mood",
    "stress",
    "analgesic_doses",
    "opioid_mme",
]
#: Columns of the de-identified sessions frame.
DEID_SESSION_COLUMNS = [
    "patient_code",
    "day",
    "technique",
    "frequency_hz",
    "points",
    "needles",
    "retention_min",
    "pain_before",
    "pain_after",
    "adverse_events",
]


#: Columns of the de-identified entries during the day.
DEID_ENTRY_COLUMNS = [
    "patient_code",
    "day",
    "pain",
    "flare",
    "duration_minutes",
    "rescue",
    "rescue_helped",
]


def _no_entries() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_code": pd.Series(dtype="str"),
            "day": pd.Series(dtype="int64"),
            "pain": pd.Series(dtype="float64"),
            "flare": pd.Series(dtype="str"),
            "duration_minutes": pd.Series(dtype="Int64"),
            "rescue": pd.Series(dtype="bool"),
            "rescue_helped": pd.Series(dtype="str"),
        }
    )


@dataclass(frozen=True)
class DeidentifiedDataset:
    """A de-identified export: three frames, written as CSV by :meth:`write`.

    Attributes
    ----------
    patients : pandas.DataFrame
        :data:`DEID_PATIENT_COLUMNS`: ``patient_code`` (str), ``condition``,
        ``group``, ``sex`` (str), ``birth_year`` (Int64, missing when 90 or
        over), ``age_90_or_over`` (bool), ``clinician_code`` (str, missing when
        none).
    diary : pandas.DataFrame
        :data:`DEID_DIARY_COLUMNS`: ``patient_code``, ``day`` (int64, days from
        the index date) and the diary's numeric columns (notes dropped).
    sessions : pandas.DataFrame
        :data:`DEID_SESSION_COLUMNS`: ``patient_code``, ``day`` (int64) and the
        session columns without ``practitioner`` and ``notes``.
    entries : pandas.DataFrame
        :data:`DEID_ENTRY_COLUMNS`: ``patient_code``, ``day`` (int64), ``pain``,
        ``flare``, ``duration_minutes``, ``rescue`` (bool: a rescue medicine was
        taken) and ``rescue_helped``; no rows without entries during the day.
    """

    patients: pd.DataFrame
    diary: pd.DataFrame
    sessions: pd.DataFrame
    entries: pd.DataFrame = field(default_factory=_no_entries)

    def write(
        self,
        directory: str | os.PathLike[str],
        *,
        before_rename: Callable[[], None] | None = None,
    ) -> list[Path]:
        """Write ``patients.csv``, ``diary.csv`` and ``sessions.csv`` to ``directory``.

        ``entries.csv`` too when there are entries during the day.

        The directory is created when missing; returns the paths written. Text
        cells are neutralised against formula injection and the files appear whole
        or not at all (:func:`analytics.io.write_tables`).
        """
        from analytics.io import write_tables

        return write_tables(
            {name: getattr(self, name) for name in self.table_names()},
            directory,
            before_rename=before_rename,
        )

    def table_names(self) -> tuple[str, ...]:
        """Return the frames an export writes: the three files, and ``entries`` when it has rows."""
        return ("patients", "diary", "sessions") + (("entries",) if len(self.entries) else ())


def _codes(n: int, prefix: str, digits: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct random codes."""
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        code = prefix + "".join(f"{b:02x}" for b in rng.integers(0, 256, (digits + 1) // 2))
        code = code[: len(prefix) + digits]
        if code not in seen:
            seen.add(code)
            out.append(code)
    return out


def deidentify(
    dataset: Dataset,
    *,
    rng: int | np.random.Generator | None = None,
    today: dt.date | None = None,
) -> DeidentifiedDataset:
    """De-identify a canonical dataset (see the module notes for what it does and does not do).

    Parameters
    ----------
    dataset : analytics.contract.Dataset
        Canonical frames.
    rng : int or numpy.random.Generator, optional
        Source of the random codes; default fresh OS entropy (never reproducible).
    today : datetime.date, optional
        The export date whose year decides who is 90 or over; default today.

    Returns
    -------
    DeidentifiedDataset

    Examples
    --------
    >>> from analytics.demo import generate_clinic  # doctest: +SKIP
    >>> deidentify(generate_clinic(3, rng=1), rng=0).patients.columns[0]  # doctest: +SKIP
    'patient_code'
    """
    gen = np.random.default_rng(rng)
    year = (today or dt.date.today()).year
    patients = dataset.patients
    diary = dataset.diary
    sessions = dataset.sessions
    entries = dataset.entries

    ids = (
        pd.Index(patients["patient_id"])
        .union(diary["patient_id"])
        .union(sessions["patient_id"])
        .union(entries["patient_id"])
    )
    code = dict(zip(ids, _codes(len(ids), "R", 10, gen), strict=True))
    clinicians = pd.Index(patients["clinician_id"].dropna().unique())
    clinician_code = dict(zip(clinicians, _codes(len(clinicians), "C", 6, gen), strict=True))

    index = index_dates(patients, sessions)
    if len(diary):
        first_day = diary.groupby("patient_id")["date"].min().dt.normalize()
        index = index.combine_first(first_day)
    if len(entries):
        index = index.combine_first(entries.groupby("patient_id")["date"].min().dt.normalize())

    def days(frame: pd.DataFrame) -> pd.Series:
        start = frame["patient_id"].map(index)
        return ((frame["date"].dt.normalize() - start).dt.days).astype("int64")

    age = year - patients["birth_year"].astype("Float64")
    old = (age >= 90).fillna(False).astype(bool)
    out_patients = pd.DataFrame(
        {
            "patient_code": patients["patient_id"].map(code).astype("str"),
            "condition": patients["condition"],
            "group": patients["group"],
            "sex": patients["sex"],
            "birth_year": patients["birth_year"].astype("Int64").mask(old),
            "age_90_or_over": old.to_numpy(),
            "clinician_code": patients["clinician_id"].map(clinician_code).astype("str"),
        },
        columns=DEID_PATIENT_COLUMNS,
    )
    out_diary = diary.assign(
        patient_code=diary["patient_id"].map(code).astype("str"), day=days(diary)
    )[DEID_DIARY_COLUMNS]
    out_sessions = sessions.assign(
        patient_code=sessions["patient_id"].map(code).astype("str"), day=days(sessions)
    )[DEID_SESSION_COLUMNS]
    out_entries = _no_entries()
    if len(entries):
        out_entries = pd.DataFrame(
            {
                "patient_code": entries["patient_id"].map(code).astype("str"),
                "day": days(entries),
                "pain": entries["pain"].astype("float64"),
                "flare": entries["flare"],
                "duration_minutes": entries["duration_minutes"].astype("Int64"),
                "rescue": entries["rescue_medication"].notna().to_numpy(),
                "rescue_helped": entries["rescue_helped"],
            },
            columns=DEID_ENTRY_COLUMNS,
        ).sort_values(["patient_code", "day"], kind="stable", ignore_index=True)
    # Row order would leak the original id order (P001, P002, ...): sort by the random codes.
    return DeidentifiedDataset(
        patients=out_patients.sort_values("patient_code", kind="stable").reset_index(drop=True),
        diary=out_diary.sort_values(["patient_code", "day"], kind="stable").reset_index(drop=True),
        sessions=out_sessions.sort_values(["patient_code", "day"], kind="stable").reset_index(
            drop=True
        ),
        entries=out_entries,
    )
