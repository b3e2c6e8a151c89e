"""HL7 FHIR R4 import of one patient's pain diary and sessions.

:func:`bundle_dataset` reads a bundle written by :func:`analytics.io.patient_bundle`
(or any bundle with pain Observations and acupuncture Procedures) back into
canonical diary and session frames through :func:`analytics.io.validate_records`,
the CSV import's rules; every problem names the file, the entry index and the
field. A ``MedicationStatement`` of a diary day gives that day's ``medication``
and ``medication_dose``, and so, for a named opioid, its MME, computed as for a
CSV file. :func:`fill_from_stored` keeps the columns of a stored day the bundle does
not carry.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from analytics.contract import DOSE_UNITS, opioid_code
from analytics.errors import PROBLEM_COLUMNS, DataValidationError
from analytics.io._fhir import (
    ACUPUNCTURE_SNOMED,
    ADVERSE_EVENT_SYSTEM,
    EXTENSION,
    LOINC,
    PAIN_LOINC,
    PATIENT_ID_SYSTEM,
    PEG_ITEM_SYSTEM,
    PEG_ITEMS,
    PEG_LOINC,
    SESSION_EXTENSIONS,
    SNOMED,
)

if TYPE_CHECKING:
    from analytics.contract import Dataset

__all__ = ["BundleContent", "read_bundle", "bundle_dataset", "fill_from_stored"]


@dataclass(frozen=True)
class BundleContent:
    """What :func:`read_bundle` found in a bundle.

    Attributes
    ----------
    diary, sessions : list of dict
        Records for :func:`analytics.io.validate_records` (without
        ``patient_id``), in bundle order.
    diary_entries, session_entries : list of int
        The 0-based entry index each record came from.
    medication_entries : dict of int to int
        For a diary record with a named medicine: the entry index of its
        MedicationStatement.
    bundle_patient_ids : tuple of str
        paindiary ids found in the bundle's Patient identifiers.
    skipped : dict of str to int
        Entries not imported, by kind (e.g. "Observation (other code)").
    """

    diary: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    diary_entries: list[int] = field(default_factory=list)
    session_entries: list[int] = field(default_factory=list)
    medication_entries: dict[int, int] = field(default_factory=dict)
    bundle_patient_ids: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)


class _Problems:
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


def _codes(concept: Any) -> set[tuple[str, str]]:
    if not isinstance(concept, Mapping):
        return set()
    out = set()
    for c in concept.get("coding") or []:
        if isinstance(c, Mapping):
            out.add((str(c.get("system", "")), str(c.get("code", ""))))
    return out


def _value(res: Mapping[str, Any]) -> Any:
    if "valueInteger" in res:
        return res["valueInteger"]
    q = res.get("valueQuantity")
    if isinstance(q, Mapping) and "value" in q:
        return q["value"]
    return None


def _day(text: Any) -> str | None:
    if not isinstance(text, str) or len(text) < 10:
        return None
    return text[:10]


def _notes(res: Mapping[str, Any]) -> str | None:
    texts = [
        str(n.get("text"))
        for n in res.get("note") or []
        if isinstance(n, Mapping) and n.get("text")
    ]
    return " / ".join(texts) if texts else None


def read_bundle(data: Any, *, file: str = "bundle.json") -> BundleContent:
    """Check a FHIR R4 bundle and collect its diary and session records.

    Parameters
    ----------
    data : str, bytes or dict
        Bundle JSON text or the parsed object.
    file : str
        Name used in problems.

    Returns
    -------
    BundleContent

    Raises
    ------
    DataValidationError
        The text is not JSON, not a Bundle, or entries break the FHIR R4 model
        or lack what an import needs (a date, a 0-10 value); ``problems`` name
        the entry (``column`` = ``entry[i].field``) and say what is wrong.
        Nothing is returned when any entry is wrong.
    """
    reader = _Reader(file)
    for i, entry in enumerate(_entries(data, reader.problems)):
        res = _valid_resource(entry, f"entry[{i}]", reader.problems)
        if res is not None:
            reader.take(i, res)
    reader.attach_peg()
    reader.attach_medicines()
    reader.problems.raise_if_any("nothing was imported.")
    c = reader.content
    return BundleContent(
        diary=c.diary,
        sessions=c.sessions,
        diary_entries=c.diary_entries,
        session_entries=c.session_entries,
        medication_entries=c.medication_entries,
        bundle_patient_ids=tuple(dict.fromkeys(reader.ids)),
        skipped=c.skipped,
    )


def _entries(data: Any, problems: _Problems) -> list[Any]:
    """Parse the bundle and return its entries; raise when it is no Bundle at all."""
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except (UnicodeDecodeError, ValueError) as exc:
            where = (
                f"line {exc.lineno} column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else ""
            )
            problems.add(where, f"not valid JSON: {getattr(exc, 'msg', exc)}")
            problems.raise_if_any("nothing was imported.")
    if not isinstance(data, Mapping) or data.get("resourceType") != "Bundle":
        kind = data.get("resourceType") if isinstance(data, Mapping) else type(data).__name__
        problems.add("resourceType", "the file must hold a FHIR Bundle", kind)
        problems.raise_if_any("nothing was imported.")
    entries = data.get("entry", [])
    if not isinstance(entries, list):
        problems.add("entry", "entry must be a list of bundle entries")
        problems.raise_if_any("nothing was imported.")
    return entries


def _valid_resource(entry: Any, where: str, problems: _Problems) -> Mapping[str, Any] | None:
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


class _Reader:
    """The records of a bundle, collected entry by entry, and its problems."""

    def __init__(self, file: str) -> None:
        self.problems = _Problems(file)
        self.content = BundleContent()
        self.ids: list[str] = []  # paindiary ids of the Patient resources
        self.by_day: dict[str, int] = {}  # diary date -> its first pain record
        self.peg: list[tuple[int, str, dict[str, Any]]] = []  # (entry, date, PEG items)
        self.medicines: list[tuple[int, str, dict[str, Any]]] = []  # (entry, date, columns)

    def take(self, i: int, res: Mapping[str, Any]) -> None:
        """Take a valid resource: a Patient's ids, a pain or PEG Observation, a session."""
        kind = res["resourceType"]
        codes = _codes(res.get("code"))
        if kind == "Patient":
            self.ids += [
                str(x.get("value"))
                for x in res.get("identifier") or []
                if isinstance(x, Mapping) and x.get("system") == PATIENT_ID_SYSTEM
            ]
        elif kind == "Observation" and (LOINC, PAIN_LOINC) in codes:
            self._pain(i, res)
        elif kind == "Observation" and (LOINC, PEG_LOINC) in codes:
            self._peg(i, res)
        elif kind == "MedicationStatement":
            self._medicine(i, res)
        elif kind == "Procedure" and _is_acupuncture(res, codes):
            session = _session_record(res, f"entry[{i}]", self.problems)
            if session is not None:
                self.content.sessions.append(session)
                self.content.session_entries.append(i)
        else:
            self._skip(f"{kind} (not pain or acupuncture)")

    def _skip(self, label: str) -> None:
        self.content.skipped[label] = self.content.skipped.get(label, 0) + 1

    def _pain(self, i: int, res: Mapping[str, Any]) -> None:
        where = f"entry[{i}]"
        if res.get("status") in ("entered-in-error", "cancelled"):
            self._skip(f"Observation ({res['status']})")
            return
        day = _day(res.get("effectiveDateTime"))
        value = _value(res)
        if day is None:
            self.problems.add(
                f"{where}.effectiveDateTime", "a pain Observation needs the diary date"
            )
            return
        if value is None:
            self.problems.add(where, "a pain Observation needs valueInteger or valueQuantity 0-10")
            return
        self.by_day.setdefault(day, len(self.content.diary))
        self.content.diary.append({"date": day, "pain": value, "notes": _notes(res)})
        self.content.diary_entries.append(i)

    def _peg(self, i: int, res: Mapping[str, Any]) -> None:
        items = {}
        for comp in res.get("component") or []:
            for system, code in _codes(comp.get("code") if isinstance(comp, Mapping) else None):
                if system == PEG_ITEM_SYSTEM and code in PEG_ITEMS and code != "pain":
                    items[code] = _value(comp)
        day = _day(res.get("effectiveDateTime"))
        if items and day is not None:
            self.peg.append((i, day, items))
        else:
            self._skip("Observation (PEG score without items)")

    def _medicine(self, i: int, res: Mapping[str, Any]) -> None:
        if res.get("status") in ("entered-in-error", "not-taken"):
            self._skip(f"MedicationStatement ({res['status']})")
            return
        effective = res.get("effectiveDateTime")
        if effective is None and isinstance(res.get("effectivePeriod"), Mapping):
            effective = res["effectivePeriod"].get("start")
        day = _day(effective)
        if day is None:
            self.problems.add(
                f"entry[{i}].effectiveDateTime", "a MedicationStatement needs the diary date"
            )
            return
        columns = _medicine_columns(res, f"entry[{i}]", self.problems)
        if columns is not None:
            self.medicines.append((i, day, columns))

    def attach_medicines(self) -> None:
        """Add each day's medicine to the pain record of that day (one medicine a day)."""
        seen: dict[str, int] = {}
        for i, day, columns in self.medicines:
            if day not in self.by_day:
                self.problems.add(
                    f"entry[{i}].effectiveDateTime",
                    f"the MedicationStatement of {day} has no pain Observation for that day",
                    day,
                )
                continue
            if day in seen:
                self.problems.add(
                    f"entry[{i}].effectiveDateTime",
                    f"entry[{seen[day]}] already names the medicine of {day}; the diary holds "
                    "one named medicine a day: give the others' MME in the opioid_mme "
                    "extension of one statement",
                    day,
                )
                continue
            seen[day] = i
            record = self.by_day[day]
            self.content.diary[record].update(columns)
            self.content.medication_entries[record] = i

    def attach_peg(self) -> None:
        """Add the PEG items to the pain record of their day; a day without one is a problem."""
        for i, day, items in self.peg:
            if day not in self.by_day:
                self.problems.add(
                    f"entry[{i}].effectiveDateTime",
                    f"PEG items on {day} have no pain Observation for that day",
                    day,
                )
                continue
            self.content.diary[self.by_day[day]].update(items)


#: UCUM units of a MedicationStatement dose: mg, or a fentanyl patch's µg/h.
_DOSE_UNITS = {"mg": "mg", "ug/h": "mcg/h", "mcg/h": "mcg/h"}


def _medicine_name(res: Mapping[str, Any]) -> str | None:
    concept = res.get("medicationCodeableConcept")
    if not isinstance(concept, Mapping):
        return None
    if concept.get("text"):
        return str(concept["text"])
    for c in concept.get("coding") or []:
        if isinstance(c, Mapping) and c.get("display"):
            return str(c["display"])
    return None


def _daily_dose(dosage: Mapping[str, Any]) -> tuple[Any, str | None]:
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


def _medicine_columns(
    res: Mapping[str, Any], where: str, problems: _Problems
) -> dict[str, Any] | None:
    """Read a MedicationStatement as diary columns: medication, medication_dose, opioid_mme."""
    name = _medicine_name(res)
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
        dose, unit = _daily_dose(dosages[0])
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
        if isinstance(e, Mapping) and e.get("url") == f"{EXTENSION}opioid_mme":
            columns["opioid_mme"] = e.get("valueDecimal")
    return columns


def _is_acupuncture(res: Mapping[str, Any], codes: set[tuple[str, str]]) -> bool:
    """Tell whether a Procedure is acupuncture: its SNOMED CT code, or paindiary extensions."""
    return (SNOMED, ACUPUNCTURE_SNOMED) in codes or any(
        isinstance(e, Mapping) and str(e.get("url", "")).startswith(EXTENSION)
        for e in res.get("extension") or []
    )


def _session_record(res: Mapping[str, Any], where: str, problems: _Problems) -> dict | None:
    performed = res.get("performedDateTime")
    if performed is None and isinstance(res.get("performedPeriod"), Mapping):
        performed = res["performedPeriod"].get("start")
    day = _day(performed)
    if day is None:
        problems.add(f"{where}.performedDateTime", "an acupuncture Procedure needs its date")
        return None
    values: dict[str, Any] = {}
    for e in res.get("extension") or []:
        if not isinstance(e, Mapping):
            continue
        url = str(e.get("url", ""))
        name = url[len(EXTENSION) :] if url.startswith(EXTENSION) else ""
        if name in SESSION_EXTENSIONS:
            values[name] = e.get(SESSION_EXTENSIONS[name])
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
        for system, code in _codes(comp)
        if system == ADVERSE_EVENT_SYSTEM
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
        "notes": _notes(res),
    }


#: Diary columns a MedicationStatement gives: their problems name its entry.
_MEDICINE_COLUMNS = ("medication", "medication_dose", "opioid_mme")


def _relabel(
    exc: DataValidationError, entries: list[int], table: str, medicines: Mapping[int, int]
) -> DataValidationError:
    problems = exc.problems.copy()
    where = []
    for line, col in zip(problems["line"], problems["column"], strict=True):
        idx = entries[int(line) - 1] if 0 < int(line) <= len(entries) else None
        if col in _MEDICINE_COLUMNS and int(line) - 1 in medicines:
            idx = medicines[int(line) - 1]
        prefix = f"entry[{idx}]" if idx is not None else table
        where.append(f"{prefix}.{col}" if col else prefix)
    problems["column"] = where
    problems["line"] = 0
    return DataValidationError(str(exc), problems)


def _entry_words(file: str, entries: list[int]) -> Callable[[list[int]], str]:
    """Word records (1-based) as the bundle entries they came from: ``x.json entry[1] and entry[3]``."""

    def words(records: list[int]) -> str:
        named = [f"entry[{entries[r - 1]}]" for r in records]
        return f"{file} " + (
            ", ".join(named[:-1]) + f" and {named[-1]}" if len(named) > 1 else named[0]
        )

    return words


def bundle_dataset(
    data: Any,
    patient_id: str,
    *,
    patients: pd.DataFrame | None,
    file: str = "bundle.json",
    today: dt.date | None = None,
) -> tuple[Dataset, BundleContent]:
    """Read the bundle's pain Observations and Procedures as canonical frames of ``patient_id``.

    Parameters
    ----------
    data : str, bytes or dict
        The bundle (see :func:`read_bundle`).
    patient_id : str
        The patient the rows are imported for (whatever id the bundle carries).
    patients : pandas.DataFrame or None
        Known patients: the rows must name one of them (as in a CSV import).
    file : str
    today : datetime.date, optional

    Returns
    -------
    (analytics.contract.Dataset, BundleContent)
        Empty ``patients``; ``diary`` and ``sessions`` validated with
        :func:`analytics.io.validate_records`.

    Raises
    ------
    DataValidationError
        Any problem of the bundle or of a record (``column`` =
        ``entry[i].field``); nothing is returned.
    """
    from analytics.contract import Dataset, empty_frame
    from analytics.io._loaders import validate_records

    content = read_bundle(data, file=file)
    frames = {}
    parts: tuple[tuple[Literal["diary", "sessions"], list[dict[str, Any]], list[int]], ...] = (
        ("diary", content.diary, content.diary_entries),
        ("sessions", content.sessions, content.session_entries),
    )
    for table, records, entries in parts:
        rows = [{"patient_id": patient_id, **r} for r in records]
        try:
            frames[table] = validate_records(
                table,
                rows,
                patients=patients,
                today=today,
                file=file,
                where=_entry_words(file, entries),
            )
        except DataValidationError as exc:
            medicines = content.medication_entries if table == "diary" else {}
            raise _relabel(exc, entries, table, medicines) from None
    ds = Dataset(
        patients=empty_frame("patients"), diary=frames["diary"], sessions=frames["sessions"]
    )
    return ds, content


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


# --------------------------------------------------------------------------- commands
