"""The columns of the three CSV files in words, worked out from the schema.

One table per file says, for every column in the contract's order, whether the
file must have it, what it holds, what values it accepts and their unit. The
Data page shows it and docs/data-format.md is checked against it, so the format
a clinic reads is the format the loaders enforce.
"""

from __future__ import annotations

import pandas as pd

from analytics.contract.schema import TABLES, ColumnSpec

__all__ = ["COLUMN_TABLE_COLUMNS", "CONDITIONALLY_REQUIRED", "UNITS", "column_table"]

#: Columns of :func:`column_table`, in order.
COLUMN_TABLE_COLUMNS = ("column", "required", "holds", "allowed", "unit")

#: Columns a file must fill only in some rows: (table, column) to when.
CONDITIONALLY_REQUIRED: dict[tuple[str, str], str] = {
    ("sessions", "frequency_hz"): "for electro",
}

#: The unit of a measured column: (table, column) to its unit in words.
UNITS: dict[tuple[str, str], str] = {
    **{
        ("diary", name): "points (0 = none, 10 = worst imaginable)"
        for name in ("pain", "worst_pain", "enjoyment_interference", "activity_interference")
    },
    ("diary", "sleep_quality"): "points (10 = best)",
    ("diary", "mood"): "points (10 = best)",
    ("diary", "stress"): "points (10 = worst)",
    ("diary", "analgesic_doses"): "doses that day",
    ("diary", "opioid_mme"): "morphine milligram equivalents (MME) that day",
    ("diary", "medication_dose"): "mg that day (fentanyl patch: mcg/h)",
    ("sessions", "frequency_hz"): "Hz",
    ("sessions", "needles"): "needles",
    ("sessions", "retention_min"): "minutes",
    ("sessions", "pain_before"): "points (0 = none, 10 = worst imaginable)",
    ("sessions", "pain_after"): "points (0 = none, 10 = worst imaginable)",
    ("patients", "birth_year"): "year",
    ("patients", "age"): "years",
    ("patients", "pain_duration_years"): "years",
}

#: What a column holds where the schema's description (also the database's column
#: comment) states a rule rather than the content.
_HOLDS: dict[tuple[str, str], str] = {
    ("patients", "patient_id"): "the patient's identifier, unique in the file",
    ("patients", "sex"): "sex: female, male, other or unknown",
    ("patients", "birth_year"): "year of birth",
    (
        "patients",
        "age",
    ): "age at the start of the course (the index date), for adjusted comparisons",
    ("patients", "pain_duration_years"): (
        "how long the pain condition has lasted at the start of the course, for adjusted "
        "comparisons"
    ),
    ("patients", "course_end"): "the day the course of treatment ended (empty while it goes on)",
    ("patients", "course_end_reason"): "why the course ended (empty = completed)",
    ("diary", "patient_id"): "the patient, as in patients.csv",
    ("sessions", "patient_id"): "the patient, as in patients.csv",
    ("sessions", "technique"): "acupuncture technique",
    ("sessions", "frequency_hz"): "electroacupuncture stimulation frequency",
    ("sessions", "practitioner"): "who gave the session",
}

#: Values a column accepts where the kind alone does not say it.
_ALLOWED: dict[tuple[str, str], str] = {
    ("sessions", "frequency_hz"): (
        "one frequency (2, 100) or two for dense-disperse (2/100), each from 0.5 to 200; "
        "empty unless the technique is electro"
    ),
    ("sessions", "points"): (
        "acupoint codes separated by ';': 1-4 letters and a number, optionally -L or -R "
        "(LI4;ST36-L;SP6)"
    ),
    ("patients", "birth_year"): "a whole number from 1900 to the current year",
    ("diary", "date"): "a date written YYYY-MM-DD, not after today",
    ("patients", "course_end"): "a date written YYYY-MM-DD, not after today",
    ("patients", "course_end_reason"): (
        "one of completed, discharged, dropped_out, moved; read only with a course_end"
    ),
    ("sessions", "date"): (
        "a date YYYY-MM-DD or a date and clinic time YYYY-MM-DDTHH:MM, not after now"
    ),
}


def _number_range(spec: ColumnSpec) -> str:
    what = "a whole number" if spec.kind == "integer" else "a number"
    if spec.min is not None and spec.max is not None:
        return f"{what} from {spec.min:g} to {spec.max:g}"
    if spec.min is not None:
        return f"{what}, {spec.min:g} or more"
    return what


def _allowed(table: str, spec: ColumnSpec) -> str:
    """Word the values ``spec`` accepts."""
    if (table, spec.name) in _ALLOWED:
        return _ALLOWED[(table, spec.name)]
    if spec.kind == "id":
        return "1-64 characters: letters A-Z a-z, digits 0-9, '.', '_' or '-'"
    if spec.kind in ("number", "integer"):
        return _number_range(spec)
    if spec.kind == "date":
        return "a date written YYYY-MM-DD"
    if spec.kind == "datetime":
        return "a date YYYY-MM-DD or a date and time YYYY-MM-DDTHH:MM"
    if spec.kind == "choice":
        return "one of " + ", ".join(spec.choices)
    if spec.kind == "list":
        return "words separated by ';' from " + ", ".join(spec.choices)
    return f"text, at most {spec.max_len} characters" if spec.max_len else "text"


def _required(table: str, spec: ColumnSpec) -> str:
    if spec.required:
        return "yes"
    return CONDITIONALLY_REQUIRED.get((table, spec.name), "no")


def column_table(table: str) -> pd.DataFrame:
    """Describe every column of a CSV file of the contract, in the contract's order.

    Parameters
    ----------
    table : {"patients", "diary", "sessions"}
        The file (``patients.csv``, ``diary.csv`` or ``sessions.csv``).

    Returns
    -------
    pandas.DataFrame
        One row per column of the file:

        - ``column``: the column's name, as the header must spell it;
        - ``required``: "yes" (the file must have the column, and every row a value),
          "no", or when it is required ("for electro");
        - ``holds``: what the column holds;
        - ``allowed``: the values it accepts;
        - ``unit``: the unit of a measured value, empty for others.

    Raises
    ------
    ValueError
        When ``table`` is not one of the three files.
    """
    if table not in TABLES:
        raise ValueError(
            f"The 'table' parameter of column_table must be one of {sorted(TABLES)}. "
            f"Got {table!r} instead."
        )
    specs = TABLES[table].columns
    return pd.DataFrame(
        {
            "column": [s.name for s in specs],
            "required": [_required(table, s) for s in specs],
            "holds": [_HOLDS.get((table, s.name), s.description) for s in specs],
            "allowed": [_allowed(table, s) for s in specs],
            "unit": [UNITS.get((table, s.name), "") for s in specs],
        },
        columns=list(COLUMN_TABLE_COLUMNS),
    )
