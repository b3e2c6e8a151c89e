"""Reading single FHIR R4 resources as diary and session columns, with problems named.

The parts of :mod:`._fhir_import` that read one resource at a time: a
MedicationStatement's medicine and dose, an acupuncture Procedure's session, and
the problem list every reader adds to.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from analytics.contract import DOSE_UNITS, opioid_code
from analytics.errors import PROBLEM_COLUMNS, DataValidationError
from analytics.io._fhir_codes import (
    ACUPUNCTURE_SNOMED,
    ADVERSE_EVENT_SYSTEM,
    EXTENSION,
    LEGACY_ADVERSE_EVENT_SYSTEM,
    LEGACY_EXTENSION,
    SESSION_EXTENSIONS,
    SNOMED,
)

__all__ = [
    "Problems",
    "codes_of",
    "value_of",
    "day_of",
    "notes_of",
    "medicine_columns",
    "is_acupuncture",
    "session_record",
    "fill_from_stored",
    "MEDICINE_COLUMNS",
    "relabel",
    "entry_words",
    "bundle_entries",
    "parse_bundle",
    "load_bundle",
    "MAX_BUNDLE_DEPTH",
    "BUNDLE_FILE",
    "creates",
    "valid_resource",
]

_EXTENSION_PREFIXES = (EXTENSION, LEGACY_EXTENSION)
_EVENT_SYSTEMS = (ADVERSE_EVENT_SYSTEM, LEGACY_ADVERSE_EVENT_SYSTEM)


class Problems:
    """The problems of one bundle: (file, line 0, entry field, value, message) rows."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: list[tuple[str, int, str, str, str]] = []

    def add(self, where: str, message: str, value: Any = "") -> None:
        text = "" if value is None else str(value)
        self.rows.append((self.file, 0, where, text[:200], message))

    def raise_if_any(self, what: str) -> None:
        if self.rows:
            frame = pd.DataFrame(self.rows, columns=PROBLEM_COLUMNS)
            n = len(frame)
            raise DataValidationError(
                f"{self.file}: {n} problem{'s' if n != 1 else ''} in the bundle; {what}", frame
            )


def codes_of(concept: Any) -> set[tuple[str, str]]:
    """Return the (system, code) pairs of a CodeableConcept."""
    if not isinstance(concept, Mapping):
        return set()
    out = set()
    for c in concept.get("coding") or []:
        if isinstance(c, Mapping):
            out.add((str(c.get("system", "")), str(c.get("code", ""))))
    return out


def value_of(res: Mapping[str, Any]) -> Any:
    """Return an Observation's valueInteger or valueQuantity.value, or None."""
    if "valueInteger" in res:
        return res["valueInteger"]
    q = res.get("valueQuantity")
    if isinstance(q, Mapping) and "value" in q:
        return q["value"]
    return None


def day_of(text: Any) -> str | None:
    """Return the calendar day (YYYY-MM-DD) a FHIR date or dateTime is written on, or None."""
    if not isinstance(text, str) or len(text) < 10:
        return None
    return text[:10]


def notes_of(res: Mapping[str, Any]) -> str | None:
    """Return the texts of a resource's notes, joined, or None."""
    texts = [
        str(n.get("text"))
        for n in res.get("note") or []
        if isinstance(n, Mapping) and n.get("text")
    ]
    return " / ".join(texts) if texts else None


#: UCUM units of a MedicationStatement dose: mg, or a fentanyl patch's µg/h.
_DOSE_UNITS = {"mg": "mg", "ug/h": "mcg/h", "mcg/h": "mcg/h"}


def medicine_name(res: Mapping[str, Any]) -> str | None:
    """Return a MedicationStatement's medicine name: its text, else a coding's display."""
    concept = res.get("medicationCodeableConcept")
    if not isinstance(concept, Mapping):
        return None
    if concept.get("text"):
        return str(concept["text"])
    for c in concept.get("coding") or []:
        if isinstance(c, Mapping) and c.get("display"):
            return str(c["display"])
    return None


def daily_dose(dosage: Mapping[str, Any]) -> tuple[Any, str | None]:
    """Return a dosage's dose a day and its unit: doseQuantity × times a day (timing n per 1 d)."""
    dose_and_rate = dosage.get("doseAndRate") or []
    quantity = dose_and_rate[0].get("doseQuantity") if dose_and_rate else None
    if not isinstance(quantity, Mapping) or quantity.get("value") is None:
        return None, None
    unit = str(quantity.get("code") or quantity.get("unit") or "")
    repeat = (dosage.get("timing") or {}).get("repeat") or {}
    per_day = 1
    if repeat.get("periodUnit") == "d" and repeat.get("period", 1) == 1:
        per_day = int(repeat.get("frequency", 1))
    return quantity["value"] * per_day, unit


def medicine_columns(
    res: Mapping[str, Any], where: str, problems: Problems
) -> dict[str, Any] | None:
    """Read a MedicationStatement as diary columns: medication, medication_dose, opioid_mme."""
    name = medicine_name(res)
    if name is None:
        problems.add(
            f"{where}.medicationCodeableConcept",
            "a MedicationStatement needs the medicine's name in medicationCodeableConcept.text "
            "or a coding's display",
        )
        return None
    columns: dict[str, Any] = {"medication": name}
    dosages = [d for d in res.get("dosage") or [] if isinstance(d, Mapping)]
    if dosages:
        dose, unit = daily_dose(dosages[0])
        code = opioid_code(name)
        wanted = DOSE_UNITS[code] if code is not None else None
        if dose is not None and (
            unit not in _DOSE_UNITS or (wanted is not None and _DOSE_UNITS[unit] != wanted)
        ):
            problems.add(
                f"{where}.dosage[0].doseAndRate[0].doseQuantity",
                f"the dose of {name} is in {unit or 'no unit'}; give it in "
                + ("ug/h (the patch's strength)" if wanted == "mcg/h" else "mg"),
                unit,
            )
            return None
        columns["medication_dose"] = dose
    for e in res.get("extension") or []:
        if isinstance(e, Mapping) and e.get("url") == f"{LEGACY_EXTENSION}opioid_mme":
            columns["opioid_mme"] = e.get("valueDecimal")
    return columns


def is_acupuncture(res: Mapping[str, Any], codes: set[tuple[str, str]]) -> bool:
    """Tell whether a Procedure is acupuncture: its SNOMED CT code, or paindiary extensions."""
    return (SNOMED, ACUPUNCTURE_SNOMED) in codes or any(
        isinstance(e, Mapping) and str(e.get("url", "")).startswith(_EXTENSION_PREFIXES)
        for e in res.get("extension") or []
    )


def session_record(res: Mapping[str, Any], where: str, problems: Problems) -> dict | None:
    """Read an acupuncture Procedure as a sessions record; None (and a problem) without a date."""
    performed = res.get("performedDateTime")
    if performed is None and isinstance(res.get("performedPeriod"), Mapping):
        performed = res["performedPeriod"].get("start")
    day = day_of(performed)
    if day is None:
        problems.add(f"{where}.performedDateTime", "an acupuncture Procedure needs its date")
        return None
    values: dict[str, Any] = {}
    for e in res.get("extension") or []:
        if not isinstance(e, Mapping):
            continue
        url = str(e.get("url", ""))
        prefix = next((p for p in _EXTENSION_PREFIXES if url.startswith(p)), None)
        name = url[len(prefix) :] if prefix is not None else ""
        if name in SESSION_EXTENSIONS:
            values[name] = e.get(SESSION_EXTENSIONS[name])
        elif name == "points":  # earlier bundles: the points as one extension
            values[name] = e.get("valueString")
    sites = [
        str(b["text"])
        for b in res.get("bodySite") or []
        if isinstance(b, Mapping) and b.get("text")
    ]
    if sites:
        values["points"] = ";".join(sites)
    when = day
    time = values.pop("local_time", None)
    if isinstance(performed, str) and len(performed) > 10 and time is None:
        # a zoned date-time from another system: keep its local clock time
        time = performed[11:16]
    if isinstance(time, str) and len(time) >= 5:
        when = f"{day}T{time[:5]}"
    events = [
        code
        for comp in res.get("complication") or []
        for system, code in codes_of(comp)
        if system in _EVENT_SYSTEMS
    ]
    practitioners = [
        str(p["actor"]["display"])
        for p in res.get("performer") or []
        if isinstance(p, Mapping)
        and isinstance(p.get("actor"), Mapping)
        and p["actor"].get("display")
    ]
    return {
        "date": when,
        "technique": values.get("technique") or "other",
        "frequency_hz": values.get("frequency_hz"),
        "points": values.get("points"),
        "needles": values.get("needles"),
        "retention_min": values.get("retention_min"),
        "pain_before": values.get("pain_before"),
        "pain_after": values.get("pain_after"),
        "adverse_events": ";".join(events) or None,
        "practitioner": practitioners[0] if practitioners else None,
        "notes": notes_of(res),
    }


def fill_from_stored(incoming: pd.DataFrame, stored: pd.DataFrame, table: str) -> pd.DataFrame:
    """Incoming rows whose missing cells take the stored row's values.

    A bundle carries only some columns of a diary day (pain, maybe PEG items and
    a note): an import must not blank the sleep score or the medication of a day
    it does not mention. Rows not stored yet are returned unchanged.

    Parameters
    ----------
    incoming, stored : pandas.DataFrame
        Canonical frames of ``table`` ("diary" or "sessions").

    Returns
    -------
    pandas.DataFrame
        Canonical frame, rows in ``incoming``'s order.
    """
    from analytics.contract.schema import TABLES

    if incoming.empty or stored.empty:
        return incoming
    key = list(TABLES[table].key)
    columns = TABLES[table].column_names
    left = incoming.set_index(key)
    right = stored.set_index(key).reindex(left.index)
    filled = left.copy()
    for col in left.columns:
        filled[col] = left[col].where(left[col].notna(), right[col])
    out = filled.reset_index()[columns]
    return out.astype(incoming.dtypes.to_dict())


#: Diary columns a MedicationStatement gives: their problems name its entry.
MEDICINE_COLUMNS = ("medication", "medication_dose", "opioid_mme")


def relabel(
    exc: DataValidationError,
    entries: list[int],
    table: str,
    medicines: Mapping[int, int],
    items: Mapping[tuple[int, str], int],
) -> DataValidationError:
    """Name each problem of a record check by the bundle entry its value came from."""
    problems = exc.problems.copy()
    where = []
    for line, col in zip(problems["line"], problems["column"], strict=True):
        idx = entries[int(line) - 1] if 0 < int(line) <= len(entries) else None
        if (int(line) - 1, col) in items:
            idx = items[int(line) - 1, col]
        elif col in MEDICINE_COLUMNS and int(line) - 1 in medicines:
            idx = medicines[int(line) - 1]
        prefix = f"entry[{idx}]" if idx is not None else table
        where.append(f"{prefix}.{col}" if col else prefix)
    problems["column"] = where
    problems["line"] = 0
    return DataValidationError(str(exc), problems)


def entry_words(file: str, entries: list[int]) -> Callable[[list[int]], str]:
    """Word records (1-based) as the bundle entries they came from: ``x.json entry[1] and entry[3]``."""

    def words(records: list[int]) -> str:
        named = [f"entry[{entries[r - 1]}]" for r in records]
        return f"{file} " + (
            ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]
        )

    return words


#: Deepest nesting of lists and objects a bundle may have (paindiary's own are 9 levels
#: deep). The JSON parser and the FHIR models recurse once per level: a bundle deeper than
#: Python's recursion limit is refused as the parser stops, and one deeper than this before
#: the models read it, each with one sentence rather than a ``RecursionError``.
MAX_BUNDLE_DEPTH = 100

#: What a bundle file is called in the sentences of a file that cannot be read.
BUNDLE_FILE = "FHIR bundle (a JSON file)"


def _too_deep(data: Any, limit: int) -> bool:
    """Tell whether parsed JSON nests lists and objects deeper than ``limit`` (no recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, Mapping):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, Mapping | list))
    return False


def parse_bundle(data: Any, problems: Problems, *, max_bytes: int | None = None) -> Any:
    """Return the parsed JSON of a bundle; raise (``problems``) when it cannot be read.

    ``data`` is the parsed bundle, its JSON text or bytes, or the path of its file;
    a file is read only when it is a regular file of at most ``max_bytes`` bytes
    (the CSV loaders' checks: never a pipe, a device or a folder). JSON nested
    deeper than :data:`MAX_BUNDLE_DEPTH` is refused.
    """
    if isinstance(data, os.PathLike):
        from analytics.io._loaders import DEFAULT_MAX_BYTES, read_bytes

        limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
        data, error = read_bytes(data, problems.file, limit, what=BUNDLE_FILE)
        if error is not None or data is None:
            problems.add("", error or "cannot read the file")
            problems.raise_if_any("nothing was imported.")
    too_deep = (
        f"the JSON is nested more than {MAX_BUNDLE_DEPTH} levels deep, which no FHIR bundle "
        "is; check that the file is the bundle the clinic's system wrote"
    )
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except RecursionError:  # the parser recurses once per level
            problems.add("", too_deep)
            problems.raise_if_any("nothing was imported.")
        except (UnicodeDecodeError, ValueError) as exc:
            where = (
                f"line {exc.lineno} column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else ""
            )
            problems.add(where, f"not valid JSON: {getattr(exc, 'msg', exc)}")
            problems.raise_if_any("nothing was imported.")
    if _too_deep(data, MAX_BUNDLE_DEPTH):
        problems.add("", too_deep)
        problems.raise_if_any("nothing was imported.")
    return data


def load_bundle(
    source: str | os.PathLike[str], *, file: str | None = None, max_bytes: int | None = None
) -> Any:
    """Read a bundle's file and parse its JSON, before anything else is read or checked.

    The file is read as the CSV loaders read theirs: a regular file only (a pipe, a
    device or a folder is refused by name, never waited on), at most ``max_bytes``
    bytes; JSON nested over 100 levels deep is refused, as no FHIR bundle is.

    Parameters
    ----------
    source : str or os.PathLike
        The bundle's file.
    file : str, optional
        Name used in problems; default: the file's name.
    max_bytes : int, optional
        Largest file read; default :data:`analytics.io.DEFAULT_MAX_BYTES`.

    Returns
    -------
    object
        The parsed JSON, for :func:`analytics.io.read_bundle` or :func:`analytics.io.bundle_dataset`.

    Raises
    ------
    DataValidationError
        The file cannot be read, is too large, is not JSON or nests too deep; one
        problem says why.
    """
    path = Path(source)
    return parse_bundle(path, Problems(file or path.name), max_bytes=max_bytes)


def bundle_entries(data: Any, problems: Problems, *, max_bytes: int | None = None) -> list[Any]:
    """Parse the bundle (:func:`parse_bundle`) and return its entries; raise when it is no Bundle."""
    data = parse_bundle(data, problems, max_bytes=max_bytes)
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, Mapping) else type(data).__name__
        problems.add("resourceType", "the file must hold a FHIR Bundle", kind)
        problems.raise_if_any("nothing was imported.")
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        problems.add("entry", "entry must be a list of bundle entries")
        problems.raise_if_any("nothing was imported.")
    return entries


def creates(entry: Mapping[str, Any], where: str, problems: Problems) -> bool:
    """Tell whether an entry files its resource: no request, or a POST or PUT of it."""
    request = entry.get("request")
    if not isinstance(request, Mapping):
        return True
    method = str(request.get("method", "")).upper()
    if method in ("POST", "PUT"):
        return True
    problems.add(
        f"{where}.request.method",
        f"the entry asks to {method or 'do nothing'}; an import only files resources "
        "(POST or PUT): remove the entry or import its resource",
        method,
    )
    return False


def valid_resource(entry: Any, where: str, problems: Problems) -> Mapping[str, Any] | None:
    """Return the entry's resource when the FHIR R4 model accepts it; else note why, None."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    res = entry.get("resource") if isinstance(entry, Mapping) else None
    if not isinstance(res, Mapping) or not isinstance(res.get("resourceType"), str):
        problems.add(where, "the entry has no resource with a resourceType")
        return None
    kind = res["resourceType"]
    try:
        model = get_fhir_model_class(kind)
    except (ValueError, KeyError):
        problems.add(f"{where}.resourceType", f"{kind!r} is not a FHIR R4 resource type", kind)
        return None
    try:
        model.model_validate(res)
    except ValidationError as exc:
        for err in exc.errors()[:5]:
            path = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(
                ".[", "["
            )
            problems.add(f"{where}.{path}", f"{kind}: {err['msg']}", err.get("input"))
        return None
    except (TypeError, ValueError, KeyError) as exc:
        problems.add(where, f"{kind}: {exc}")
        return None
    return res
