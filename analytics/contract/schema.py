"""The one data contract: canonical column names, types and rules.

Every other module (loaders, store, analytics, dashboard) takes its column names
from here. The loaders check incoming CSV files against these specifications; the
store enforces the same ranges with CHECK constraints; everything downstream
trusts a canonical frame and does not re-validate.

Canonical frames
----------------
``patients``
    patient_id (str), condition (str), group (str, may be missing),
    start_date (datetime64[ns], may be NaT), sex (str: F/M/X/U, may be missing),
    birth_year (Int64), clinician_id (str, may be missing), age (Int64, whole
    years at the index date, may be missing), pain_duration_years (float64 >= 0,
    may be NaN), course_end (datetime64[ns], may be NaT), course_end_reason (str,
    may be missing).
    One row per patient, sorted by patient_id.
``diary``
    patient_id (str), date (datetime64[ns], midnight), pain (float64, 0-10),
    worst_pain, enjoyment_interference, activity_interference, sleep_quality, mood,
    stress (float64, 0-10, may be NaN), analgesic_doses (Int64 >= 0),
    opioid_mme (float64 >= 0), notes (str, may be missing), medication (str, a
    drug name, may be missing), medication_dose (float64 >= 0, that drug's total
    dose over the day, may be NaN), headache (str: none/headache/migraine, may be
    missing), body_regions (str, ";"-separated region codes of ``BODY_REGIONS``,
    each at most once, in the contract's order; missing when none was marked).
    At most one row per (patient_id, date), sorted by patient_id, date.
``sessions``
    patient_id (str), date (datetime64[ns]; midnight when no time was given),
    technique (str: manual/electro/auricular/other), frequency_hz (str: "2",
    "100", "2/100"; missing unless electro), points (str, ";"-separated codes),
    needles (Int64), retention_min (Int64), pain_before, pain_after (float64),
    adverse_events (str, ";"-separated words, missing when none), practitioner
    (str), notes (str). At most one row per (patient_id, date), sorted by
    patient_id, date.

Missing text is ``NaN`` (pandas' default ``str`` dtype); missing numbers are NaN
or ``pd.NA`` for the nullable integer columns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from analytics.contract._regions import BODY_REGIONS

__all__ = [
    "ColumnSpec",
    "TableSpec",
    "PATIENTS",
    "DIARY",
    "SESSIONS",
    "TABLES",
    "PATIENT_ID_RE",
    "POINT_RE",
    "TECHNIQUES",
    "ADVERSE_EVENTS",
    "SEXES",
    "CONDITIONS",
    "FREQUENCY_BANDS",
    "COURSE_END_REASONS",
    "HEADACHE_KINDS",
    "TEXT_MAX",
    "MEDICATION_DOSE_MAX",
    "AGE_MAX",
    "PAIN_DURATION_MAX",
    "DATE_DTYPE",
    "columns",
    "dtypes",
]

Kind = Literal["id", "text", "number", "integer", "date", "datetime", "choice", "list"]

#: dtype of every date column in a canonical frame.
DATE_DTYPE = "datetime64[ns]"
#: Longest free text (notes) accepted, in characters.
TEXT_MAX = 2000
#: Longest label (condition, group, clinician, practitioner, medication).
LABEL_MAX = 200
#: Oldest age accepted, whole years.
AGE_MAX = 130
#: Longest pain duration accepted, years.
PAIN_DURATION_MAX = 130
#: Largest daily dose of a named medication accepted (mg, or mcg/h for a patch).
MEDICATION_DOSE_MAX = 10000

PATIENT_ID_RE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: An acupoint code: letters then a number, optional side suffix -L / -R (e.g. LI4, ST36, GB34-L).
POINT_RE = re.compile(r"^[A-Za-z]{1,4}[0-9]{1,3}(-[LR])?$")

TECHNIQUES = ("manual", "electro", "auricular", "other")
ADVERSE_EVENTS = (
    "bleeding",
    "bruising",
    "soreness",
    "dizziness",
    "fainting",
    "nausea",
    "infection",
    "other",
)
SEXES = ("F", "M", "X", "U")
#: Conditions the sample data uses (the contract accepts any text).
CONDITIONS = (
    "chronic_low_back_pain",
    "neck_pain",
    "osteoarthritis",
    "rheumatoid_arthritis",
    "migraine",
    "tension_type_headache",
    "fibromyalgia",
    "neuropathic_pain",
    "musculoskeletal_pain",
    "post_surgical_pain",
)
#: The kind of headache a diary day had (docs/analytics.md, "Headache days").
HEADACHE_KINDS = ("none", "headache", "migraine")
#: Electroacupuncture frequency bands (DOMAIN.md section 1).
FREQUENCY_BANDS = ("low", "medium", "high", "mixed")
#: Why a course of treatment ended.
COURSE_END_REASONS = ("completed", "discharged", "dropped_out", "moved")


@dataclass(frozen=True)
class ColumnSpec:
    """One column of the contract.

    ``kind`` decides parsing: ``number`` is a float, ``integer`` rejects decimals,
    ``date`` is ``YYYY-MM-DD``, ``datetime`` also accepts ``YYYY-MM-DDTHH:MM``,
    ``choice`` is one of ``choices``, ``list`` is ``;``-separated ``choices``.
    """

    name: str
    kind: Kind
    required: bool = False
    min: float | None = None
    max: float | None = None
    max_len: int | None = None
    choices: tuple[str, ...] = ()
    description: str = ""

    @property
    def dtype(self) -> str:
        """The pandas dtype of the column in a canonical frame."""
        return {
            "number": "float64",
            "integer": "Int64",
            "date": DATE_DTYPE,
            "datetime": DATE_DTYPE,
        }.get(self.kind, "str")


@dataclass(frozen=True)
class TableSpec:
    """A CSV file / database table of the contract."""

    name: str
    file_name: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...] = field(default=())
    #: What one row is, in the loaders' messages about repeated keys ("diary day").
    row_word: str = "row"

    @property
    def column_names(self) -> list[str]:
        """Every column of the file, in the contract's order."""
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        """The columns the file must have."""
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> ColumnSpec:
        """Return the spec of column ``name``; raise KeyError when the file has no such column."""
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _score(name: str, description: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec(name, "number", required=required, min=0, max=10, description=description)


PATIENTS = TableSpec(
    name="patients",
    file_name="patients.csv",
    key=("patient_id",),
    columns=(
        ColumnSpec(
            "patient_id", "id", required=True, description="1-64 characters of A-Z a-z 0-9 . _ -"
        ),
        ColumnSpec(
            "condition", "text", required=True, max_len=LABEL_MAX, description="condition treated"
        ),
        ColumnSpec(
            "group", "text", max_len=LABEL_MAX, description="cohort / programme / trial arm"
        ),
        ColumnSpec("start_date", "date", description="index date; empty = first session's date"),
        ColumnSpec("sex", "choice", choices=SEXES, description="F, M, X or U"),
        ColumnSpec("birth_year", "integer", min=1900, max=None, description="1900..current year"),
        ColumnSpec("clinician_id", "text", max_len=LABEL_MAX, description="responsible clinician"),
        ColumnSpec(
            "age", "integer", min=0, max=AGE_MAX, description="age in whole years at the index date"
        ),
        ColumnSpec(
            "pain_duration_years",
            "number",
            min=0,
            max=PAIN_DURATION_MAX,
            description="years since the pain condition began, at the index date",
        ),
        ColumnSpec(
            "course_end", "date", description="day the course of treatment ended; empty = ongoing"
        ),
        ColumnSpec(
            "course_end_reason",
            "choice",
            choices=COURSE_END_REASONS,
            description="why the course ended; empty with a course_end = completed",
        ),
    ),
)

DIARY = TableSpec(
    name="diary",
    file_name="diary.csv",
    key=("patient_id", "date"),
    row_word="diary day",
    columns=(
        ColumnSpec("patient_id", "id", required=True, description="patient identifier"),
        ColumnSpec("date", "date", required=True, description="diary day, not after today"),
        _score("pain", "average pain over the past 24 h, 0-10 NRS", required=True),
        _score("worst_pain", "worst pain over the past 24 h, 0-10"),
        _score("enjoyment_interference", "PEG E: interference with enjoyment of life, 0-10"),
        _score("activity_interference", "PEG G: interference with general activity, 0-10"),
        _score("sleep_quality", "sleep quality, 0-10, 10 = best"),
        _score("mood", "mood, 0-10, 10 = best"),
        _score("stress", "stress, 0-10, 10 = worst"),
        ColumnSpec("analgesic_doses", "integer", min=0, description="pain-medication doses taken"),
        ColumnSpec(
            "opioid_mme", "number", min=0, description="opioid morphine milligram equivalents"
        ),
        ColumnSpec("notes", "text", max_len=TEXT_MAX, description="free text"),
        ColumnSpec(
            "medication",
            "text",
            max_len=LABEL_MAX,
            description="name of a pain medicine taken that day, e.g. oxycodone",
        ),
        ColumnSpec(
            "medication_dose",
            "number",
            min=0,
            max=MEDICATION_DOSE_MAX,
            description="total dose of that medicine over the day: mg (fentanyl patch: mcg/h)",
        ),
        ColumnSpec(
            "headache",
            "choice",
            choices=HEADACHE_KINDS,
            description="headache that day: none, headache or migraine",
        ),
        ColumnSpec(
            "body_regions",
            "list",
            choices=BODY_REGIONS,
            description="';'-separated body regions where it hurt that day (widespread pain index)",
        ),
    ),
)

SESSIONS = TableSpec(
    name="sessions",
    file_name="sessions.csv",
    key=("patient_id", "date"),
    row_word="session",
    columns=(
        ColumnSpec("patient_id", "id", required=True, description="patient identifier"),
        ColumnSpec("date", "datetime", required=True, description="session date or date-time"),
        ColumnSpec(
            "technique", "choice", required=True, choices=TECHNIQUES, description="technique"
        ),
        ColumnSpec(
            "frequency_hz", "text", description="EA frequency: 2, 100 or 2/100 (0.5-200 Hz)"
        ),
        ColumnSpec("points", "text", max_len=TEXT_MAX, description="';'-separated acupoint codes"),
        ColumnSpec("needles", "integer", min=1, max=100, description="number of needles"),
        ColumnSpec(
            "retention_min", "integer", min=1, max=120, description="needle retention, minutes"
        ),
        _score("pain_before", "pain just before the session, 0-10"),
        _score("pain_after", "pain just after the session, 0-10"),
        ColumnSpec(
            "adverse_events",
            "list",
            choices=ADVERSE_EVENTS,
            description="';'-separated adverse events",
        ),
        ColumnSpec("practitioner", "text", max_len=LABEL_MAX, description="practitioner"),
        ColumnSpec("notes", "text", max_len=TEXT_MAX, description="free text"),
    ),
)

TABLES: dict[str, TableSpec] = {t.name: t for t in (PATIENTS, DIARY, SESSIONS)}


def columns(table: str) -> list[str]:
    """Canonical column names of ``table`` ("patients", "diary" or "sessions")."""
    return TABLES[table].column_names


def dtypes(table: str) -> dict[str, str]:
    """Canonical dtypes of ``table``'s columns."""
    return {c.name: c.dtype for c in TABLES[table].columns}
