"""HL7 FHIR R4 export and import of one patient's diary and sessions.

Export (:func:`patient_bundle`) builds a ``Bundle`` of type ``collection`` with
the ``fhir.resources.R4B`` models, so every resource is validated as it is made:

* one ``Patient`` (the paindiary id as an identifier, sex, birth year);
* one pain ``Observation`` per diary day: LOINC 72514-3, category ``survey``,
  ``effectiveDateTime`` the diary date, ``valueInteger`` (``valueQuantity`` for a
  score with decimals);
* one PEG ``Observation`` (LOINC 91147-9, the mean of the three items) per day
  where pain, enjoyment and activity interference were all answered, the items
  as components;
* one ``Procedure`` per session: SNOMED CT 44868003 (acupuncture), status
  ``completed``, ``performedDateTime`` the session's date, technique, frequency,
  points, needles, retention, pain before/after and the local time of day as
  extensions (``urn:paindiary:fhir:...``), adverse events as ``complication``, a
  readable summary in ``code.text``.

Free-text notes go into ``note`` only when asked for (``include_notes``).

Import (:func:`bundle_dataset`) reads such a bundle (or any bundle with pain
Observations and acupuncture Procedures) back into canonical diary and session
frames through :func:`analytics.io.validate_records`, the CSV import's
rules; every problem names the file, the entry index and the field.

Session times: the data contract stores a session's local date-time without a
time zone, and FHIR requires a zone on a dateTime with a time, so the time of day
travels in an extension with a FHIR ``time`` value.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import pandas as pd

from analytics.errors import PROBLEM_COLUMNS, DataValidationError

__all__ = [
    "LOINC",
    "SNOMED",
    "PAIN_LOINC",
    "PEG_LOINC",
    "ACUPUNCTURE_SNOMED",
    "PATIENT_ID_SYSTEM",
    "EXTENSION",
    "BundleContent",
    "patient_bundle",
    "bundle_json",
    "read_bundle",
    "bundle_dataset",
    "fill_from_stored",
]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"
#: Pain severity - 0-10 verbal numeric rating [Score] - Reported.
PAIN_LOINC = "72514-3"
#: PEG 3-item pain scale score.
PEG_LOINC = "91147-9"
#: SNOMED CT: acupuncture (procedure).
ACUPUNCTURE_SNOMED = "44868003"
#: Identifier system of the paindiary patient id.
PATIENT_ID_SYSTEM = "urn:paindiary:patient-id"
#: Prefix of the session extensions; the suffix is the sessions column.
EXTENSION = "urn:paindiary:fhir:"
PEG_ITEM_SYSTEM = "urn:paindiary:peg-item"
ADVERSE_EVENT_SYSTEM = "urn:paindiary:adverse-event"

_PEG_ITEMS = {
    "pain": "Pain, average (0-10)",
    "enjoyment_interference": "Interference with enjoyment of life (0-10)",
    "activity_interference": "Interference with general activity (0-10)",
}
_GENDER = {"F": "female", "M": "male", "X": "other", "U": "unknown"}
_SESSION_EXT = {
    "technique": "valueCode",
    "frequency_hz": "valueString",
    "points": "valueString",
    "needles": "valueInteger",
    "retention_min": "valueInteger",
    "pain_before": "valueDecimal",
    "pain_after": "valueDecimal",
    "local_time": "valueTime",
}
_NS = uuid.UUID("6f1c3b7e-3a52-4c7e-9d1e-70a1d5c0f001")


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _full_url(*parts: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(_NS, "\x1f".join(parts)))


def _score(value: Any) -> dict[str, Any]:
    x = float(value)
    if x.is_integer():
        return {"valueInteger": int(x)}
    return {"valueQuantity": {"value": x, "unit": "{score}", "system": UCUM, "code": "{score}"}}


def _note(text: Any, include: bool) -> dict[str, Any]:
    if not include or _missing(text) or not str(text).strip():
        return {}
    return {"note": [{"text": str(text)}]}


def patient_bundle(
    patients: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    patient_id: str,
    *,
    include_notes: bool = False,
    now: dt.datetime | None = None,
) -> Any:
    """One patient's diary and sessions as a FHIR R4 ``Bundle`` (type collection).

    Parameters
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical frames; rows of other patients are ignored. Never modified.
    patient_id : str
    include_notes : bool, default False
        Put diary and session notes into the resources' ``note``.
    now : datetime.datetime, optional
        The bundle's ``timestamp`` (UTC); default the clock.

    Returns
    -------
    fhir.resources.R4B.bundle.Bundle
        Validated; serialise with :func:`bundle_json`.

    Raises
    ------
    LookupError
        When the patient has no row in any frame.
    """
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.procedure import Procedure

    from analytics.contract import ADVERSE_EVENT_LABELS, TECHNIQUE_LABELS

    pid = str(patient_id)
    p = patients[patients["patient_id"] == pid]
    d = diary[diary["patient_id"] == pid].sort_values("date")
    s = sessions[sessions["patient_id"] == pid].sort_values("date")
    if not (len(p) or len(d) or len(s)):
        raise LookupError(f"no patient {pid!r} in the data")
    now = now if now is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    patient_url = _full_url(pid, "Patient")
    subject = {"reference": patient_url}
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [{"system": PATIENT_ID_SYSTEM, "value": pid}],
    }
    if len(p):
        info = p.iloc[0]
        if not _missing(info["sex"]):
            resource["gender"] = _GENDER.get(str(info["sex"]), "unknown")
        if not _missing(info["birth_year"]):
            resource["birthDate"] = f"{int(info['birth_year']):04d}"
    entries = [{"fullUrl": patient_url, "resource": Patient.model_validate(resource)}]
    survey = [{"coding": [{"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}]
    for row in d.itertuples(index=False):
        day = pd.Timestamp(row.date).strftime("%Y-%m-%d")
        obs = {
            "resourceType": "Observation",
            "status": "final",
            "category": survey,
            "code": {
                "coding": [
                    {
                        "system": LOINC,
                        "code": PAIN_LOINC,
                        "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
                    }
                ],
                "text": "Average pain over the past 24 hours (0-10)",
            },
            "subject": subject,
            "effectiveDateTime": day,
            **_score(row.pain),
            **_note(getattr(row, "notes", None), include_notes),
        }
        entries.append(
            {"fullUrl": _full_url(pid, "pain", day), "resource": Observation.model_validate(obs)}
        )
        items = {k: getattr(row, k) for k in _PEG_ITEMS}
        if not any(_missing(v) for v in items.values()):
            peg = {
                "resourceType": "Observation",
                "status": "final",
                "category": survey,
                "code": {
                    "coding": [{"system": LOINC, "code": PEG_LOINC}],
                    "text": "PEG-3 score: mean of pain, enjoyment of life and general activity",
                },
                "subject": subject,
                "effectiveDateTime": day,
                "valueQuantity": {
                    "value": float(sum(float(v) for v in items.values()) / 3),
                    "unit": "{score}",
                    "system": UCUM,
                    "code": "{score}",
                },
                "component": [
                    {
                        "code": {
                            "coding": [{"system": PEG_ITEM_SYSTEM, "code": k}],
                            "text": _PEG_ITEMS[k],
                        },
                        **_score(v),
                    }
                    for k, v in items.items()
                ],
            }
            entries.append(
                {"fullUrl": _full_url(pid, "peg", day), "resource": Observation.model_validate(peg)}
            )
    for row in s.itertuples(index=False):
        when = pd.Timestamp(row.date)
        ext: list[dict[str, Any]] = []
        values = {
            "technique": row.technique,
            "frequency_hz": row.frequency_hz,
            "points": row.points,
            "needles": row.needles,
            "retention_min": row.retention_min,
            "pain_before": row.pain_before,
            "pain_after": row.pain_after,
            "local_time": when.strftime("%H:%M:%S") if (when.hour or when.minute) else None,
        }
        for name, value in values.items():
            if _missing(value):
                continue
            kind = _SESSION_EXT[name]
            v: Any = value
            if kind == "valueInteger":
                v = int(value)
            elif kind == "valueDecimal":
                v = float(value)
            else:
                v = str(value)
            ext.append({"url": EXTENSION + name, kind: v})
        summary = [TECHNIQUE_LABELS.get(str(row.technique), str(row.technique))]
        if not _missing(row.frequency_hz):
            summary.append(f"{row.frequency_hz} Hz")
        if not _missing(row.points):
            summary.append("points " + ", ".join(str(row.points).split(";")))
        if not _missing(row.needles):
            summary.append(f"{int(row.needles)} needles")
        if not _missing(row.retention_min):
            summary.append(f"retained {int(row.retention_min)} min")
        proc: dict[str, Any] = {
            "resourceType": "Procedure",
            "status": "completed",
            "code": {
                "coding": [
                    {"system": SNOMED, "code": ACUPUNCTURE_SNOMED, "display": "Acupuncture"}
                ],
                "text": "Acupuncture: " + "; ".join(summary),
            },
            "subject": subject,
            "performedDateTime": when.strftime("%Y-%m-%d"),
            "extension": ext,
            **_note(getattr(row, "notes", None), include_notes),
        }
        if not _missing(row.practitioner):
            proc["performer"] = [{"actor": {"display": str(row.practitioner)}}]
        if not _missing(row.adverse_events):
            proc["complication"] = [
                {
                    "coding": [{"system": ADVERSE_EVENT_SYSTEM, "code": e}],
                    "text": ADVERSE_EVENT_LABELS.get(e, e),
                }
                for e in str(row.adverse_events).split(";")
                if e
            ]
        entries.append(
            {
                "fullUrl": _full_url(pid, "session", when.isoformat()),
                "resource": Procedure.model_validate(proc),
            }
        )
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Bundle.model_validate({"type": "collection", "timestamp": stamp, "entry": entries})


def bundle_json(bundle: Any) -> str:
    """Serialise the bundle as FHIR JSON text (no empty elements), UTF-8 safe."""
    return bundle.model_dump_json(exclude_none=True, indent=1)


# --------------------------------------------------------------------------- import


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
    bundle_patient_ids : tuple of str
        paindiary ids found in the bundle's Patient identifiers.
    skipped : dict of str to int
        Entries not imported, by kind (e.g. "Observation (other code)").
    """

    diary: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    diary_entries: list[int] = field(default_factory=list)
    session_entries: list[int] = field(default_factory=list)
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
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError

    problems = _Problems(file)
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
    content = BundleContent()
    ids: list[str] = []
    by_day: dict[str, int] = {}
    peg: list[tuple[int, str, dict[str, Any]]] = []
    for i, entry in enumerate(entries):
        where = f"entry[{i}]"
        res = entry.get("resource") if isinstance(entry, Mapping) else None
        if not isinstance(res, Mapping) or not isinstance(res.get("resourceType"), str):
            problems.add(where, "the entry has no resource with a resourceType")
            continue
        kind = res["resourceType"]
        try:
            model = get_fhir_model_class(kind)
        except (ValueError, KeyError):
            problems.add(f"{where}.resourceType", f"{kind!r} is not a FHIR R4 resource type", kind)
            continue
        try:
            model.model_validate(res)
        except ValidationError as exc:
            for err in exc.errors()[:5]:
                path = ".".join(
                    f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]
                ).replace(".[", "[")
                problems.add(f"{where}.{path}", f"{kind}: {err['msg']}", err.get("input"))
            continue
        except (TypeError, ValueError, KeyError) as exc:
            problems.add(where, f"{kind}: {exc}")
            continue
        codes = _codes(res.get("code"))
        if kind == "Patient":
            ids += [
                str(x.get("value"))
                for x in res.get("identifier") or []
                if isinstance(x, Mapping) and x.get("system") == PATIENT_ID_SYSTEM
            ]
        elif kind == "Observation" and (LOINC, PAIN_LOINC) in codes:
            if res.get("status") in ("entered-in-error", "cancelled"):
                content.skipped[f"Observation ({res['status']})"] = (
                    content.skipped.get(f"Observation ({res['status']})", 0) + 1
                )
                continue
            day = _day(res.get("effectiveDateTime"))
            value = _value(res)
            if day is None:
                problems.add(
                    f"{where}.effectiveDateTime", "a pain Observation needs the diary date"
                )
                continue
            if value is None:
                problems.add(where, "a pain Observation needs valueInteger or valueQuantity 0-10")
                continue
            record = {"date": day, "pain": value, "notes": _notes(res)}
            by_day.setdefault(day, len(content.diary))
            content.diary.append(record)
            content.diary_entries.append(i)
        elif kind == "Observation" and (LOINC, PEG_LOINC) in codes:
            items = {}
            for comp in res.get("component") or []:
                for system, code in _codes(comp.get("code") if isinstance(comp, Mapping) else None):
                    if system == PEG_ITEM_SYSTEM and code in _PEG_ITEMS and code != "pain":
                        items[code] = _value(comp)
            day = _day(res.get("effectiveDateTime"))
            if items and day is not None:
                peg.append((i, day, items))
            else:
                content.skipped["Observation (PEG score without items)"] = (
                    content.skipped.get("Observation (PEG score without items)", 0) + 1
                )
        elif kind == "Procedure" and (
            (SNOMED, ACUPUNCTURE_SNOMED) in codes
            or any(
                isinstance(e, Mapping) and str(e.get("url", "")).startswith(EXTENSION)
                for e in res.get("extension") or []
            )
        ):
            session = _session_record(res, where, problems)
            if session is not None:
                content.sessions.append(session)
                content.session_entries.append(i)
        else:
            label = kind if kind in ("Patient",) else f"{kind} (not pain or acupuncture)"
            content.skipped[label] = content.skipped.get(label, 0) + 1
    for i, day, items in peg:
        if day not in by_day:
            problems.add(
                f"entry[{i}].effectiveDateTime",
                f"PEG items on {day} have no pain Observation for that day",
                day,
            )
            continue
        content.diary[by_day[day]].update(items)
    problems.raise_if_any("nothing was imported.")
    return BundleContent(
        diary=content.diary,
        sessions=content.sessions,
        diary_entries=content.diary_entries,
        session_entries=content.session_entries,
        bundle_patient_ids=tuple(dict.fromkeys(ids)),
        skipped=content.skipped,
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
        if name in _SESSION_EXT:
            values[name] = e.get(_SESSION_EXT[name])
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


def _relabel(exc: DataValidationError, entries: list[int], table: str) -> DataValidationError:
    problems = exc.problems.copy()
    where = []
    for line, col in zip(problems["line"], problems["column"], strict=True):
        idx = entries[int(line) - 1] if 0 < int(line) <= len(entries) else None
        prefix = f"entry[{idx}]" if idx is not None else table
        where.append(f"{prefix}.{col}" if col else prefix)
    problems["column"] = where
    problems["line"] = 0
    return DataValidationError(str(exc), problems)


def bundle_dataset(
    data: Any,
    patient_id: str,
    *,
    patients: pd.DataFrame | None,
    file: str = "bundle.json",
    today: dt.date | None = None,
) -> tuple[Any, BundleContent]:
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
    (analytics.io._loaders.Dataset, BundleContent)
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
            frames[table] = validate_records(table, rows, patients=patients, today=today, file=file)
        except DataValidationError as exc:
            raise _relabel(exc, entries, table) from None
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
