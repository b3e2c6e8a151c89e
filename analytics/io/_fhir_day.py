"""A diary day's body regions and headache kind, and the entries during the day, in FHIR R4.

Written by :func:`analytics.io.patient_bundle` and read back by
:func:`analytics.io.bundle_dataset`:

* one ``Observation`` per body region marked on a day (code ``body_region`` of
  paindiary's diary-item code system): the region as ``bodySite`` (SNOMED CT
  where verified, :data:`REGION_SNOMED`; paindiary's region code always; its
  words as ``text``) and as ``valueCodeableConcept``, so a record system finds
  every day a region hurt with the ``code`` and ``value-concept`` search
  parameters R4 defines for every Observation;
* one ``Observation`` of the day's headache kind (code ``headache``):
  ``valueCodeableConcept`` none, headache or migraine, with its words;
* one ``Observation`` per entry during the day (code ``entry``) on its date,
  the local time of day in an extension (the contract's times carry no time
  zone, which a FHIR dateTime with a time requires), with the pain (LOINC
  72514-3), the flare mark, the flare's duration, the rescue medicine (RxNorm
  where verified) and "Did it help?" as components.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analytics.io._fhir_codes import (
    BODY_REGION_SYSTEM,
    DAY_CODES,
    DIARY_ITEM_SYSTEM,
    ENTRY_TIME_EXTENSION,
    HEADACHE_DISPLAYS,
    HEADACHE_SYSTEM,
    LOINC,
    PAIN_LOINC,
    REGION_DISPLAYS,
    REGION_SNOMED,
    RESCUE_ANSWER_SYSTEM,
    RESCUE_DISPLAYS,
    RXNORM,
    SNOMED,
    UCUM,
    rxnorm_code,
)
from analytics.io._fhir_records import Problems, codes_of, day_of, notes_of

__all__ = [
    "DAY_CODE_PAIRS",
    "day_code",
    "region_concept",
    "region_resource",
    "headache_resource",
    "entry_resource",
    "region_of",
    "headache_of",
    "entry_record",
    "entries_frame",
]

#: The (system, code) of each Observation this module writes, by its code.
DAY_CODE_PAIRS: Mapping[str, tuple[str, str]] = {
    code: (DIARY_ITEM_SYSTEM, code) for code in ("body_region", "headache", "entry")
}
_SNOMED_REGION = {code: region for region, (code, _display) in REGION_SNOMED.items()}
_SCORE_UNIT = {"unit": "{score}", "system": UCUM, "code": "{score}"}


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return value is None or value == ""
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def day_code(code: str) -> dict[str, Any]:
    """Return the CodeableConcept of one of paindiary's day codes (:data:`DAY_CODES`)."""
    return {"coding": [{"system": DIARY_ITEM_SYSTEM, "code": code, "display": DAY_CODES[code]}]}


def region_concept(region: str) -> dict[str, Any]:
    """Return a body region as a CodeableConcept: SNOMED CT where verified, paindiary's code, words.

    Examples
    --------
    >>> [c["code"] for c in region_concept("neck")["coding"]]
    ['45048000', 'neck']
    >>> region_concept("chest")["text"]
    'Chest'
    """
    coding = []
    if region in REGION_SNOMED:
        code, display = REGION_SNOMED[region]
        coding.append({"system": SNOMED, "code": code, "display": display})
    words = REGION_DISPLAYS[region]
    coding.append({"system": BODY_REGION_SYSTEM, "code": region, "display": words})
    return {"coding": coding, "text": words}


def region_resource(base: dict[str, Any], region: str) -> dict[str, Any]:
    """Return the Observation of one region marked on a day, from its common fields ``base``."""
    concept = region_concept(region)
    return {
        **base,
        "code": day_code("body_region"),
        "bodySite": concept,
        "valueCodeableConcept": concept,
    }


def headache_resource(base: dict[str, Any], kind: str) -> dict[str, Any]:
    """Return the Observation of a day's headache kind (none, headache or migraine)."""
    words = HEADACHE_DISPLAYS[kind]
    value = {"coding": [{"system": HEADACHE_SYSTEM, "code": kind, "display": words}], "text": words}
    return {**base, "code": day_code("headache"), "valueCodeableConcept": value}


def _number(value: Any) -> dict[str, Any]:
    x = float(value)
    if x.is_integer():
        return {"valueInteger": int(x)}
    return {"valueQuantity": {"value": x, **_SCORE_UNIT}}


def entry_resource(base: dict[str, Any], row: Any, *, include_notes: bool) -> dict[str, Any]:
    """Return the Observation of one entry during the day: its time, pain, flare and rescue."""
    pain = {
        "code": {
            "coding": [
                {
                    "system": LOINC,
                    "code": PAIN_LOINC,
                    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
                }
            ]
        },
        **_number(row.pain),
    }
    components = [pain]
    if not _missing(row.flare):
        components.append({"code": day_code("flare"), "valueBoolean": str(row.flare) == "yes"})
    if not _missing(row.duration_minutes):
        minutes = {"value": int(row.duration_minutes), "unit": "min", "system": UCUM, "code": "min"}
        components.append({"code": day_code("flare_duration"), "valueQuantity": minutes})
    if not _missing(row.rescue_medication):
        name = str(row.rescue_medication)
        medicine: dict[str, Any] = {"text": name}
        rx = rxnorm_code(name)
        if rx is not None:
            medicine["coding"] = [{"system": RXNORM, "code": rx[0], "display": rx[1]}]
        components.append({"code": day_code("rescue_medication"), "valueCodeableConcept": medicine})
    if not _missing(row.rescue_helped):
        answer = str(row.rescue_helped)
        words = RESCUE_DISPLAYS[answer]
        coding = [{"system": RESCUE_ANSWER_SYSTEM, "code": answer, "display": words}]
        components.append(
            {
                "code": day_code("rescue_helped"),
                "valueCodeableConcept": {"coding": coding, "text": words},
            }
        )
    resource = {
        **base,
        "code": day_code("entry"),
        "extension": [{"url": ENTRY_TIME_EXTENSION, "valueTime": f"{row.time}:00"}],
        "component": components,
    }
    notes = getattr(row, "notes", None)
    if include_notes and not _missing(notes) and str(notes).strip():
        resource["note"] = [{"text": str(notes)}]
    return resource


def _local_code(concept: Any, system: str) -> str | None:
    return next((code for s, code in codes_of(concept) if s == system), None)


def region_of(res: Mapping[str, Any], where: str, problems: Problems) -> str | None:
    """Read the region of a body-region Observation: paindiary's code, else a verified SNOMED CT one."""
    for concept in (res.get("bodySite"), res.get("valueCodeableConcept")):
        code = _local_code(concept, BODY_REGION_SYSTEM)
        if code is not None:
            return code
        snomed = _local_code(concept, SNOMED)
        if snomed in _SNOMED_REGION:
            return _SNOMED_REGION[snomed]
    problems.add(
        f"{where}.bodySite",
        f"a body-region Observation needs the region as a {BODY_REGION_SYSTEM} code, or one of "
        "the SNOMED CT codes paindiary maps (docs/reports.md)",
    )
    return None


def headache_of(res: Mapping[str, Any], where: str, problems: Problems) -> str | None:
    """Read the kind of a headache Observation (none, headache or migraine)."""
    code = _local_code(res.get("valueCodeableConcept"), HEADACHE_SYSTEM)
    if code is None:
        problems.add(
            f"{where}.valueCodeableConcept",
            f"a headache Observation needs its kind as a {HEADACHE_SYSTEM} code: none, headache "
            "or migraine",
        )
    return code


def _component_value(comp: Mapping[str, Any]) -> Any:
    if "valueInteger" in comp:
        return comp["valueInteger"]
    if "valueBoolean" in comp:
        return "yes" if comp["valueBoolean"] else "no"
    if isinstance(comp.get("valueQuantity"), Mapping):
        return comp["valueQuantity"].get("value")
    concept = comp.get("valueCodeableConcept")
    if isinstance(concept, Mapping):
        answer = _local_code(concept, RESCUE_ANSWER_SYSTEM)
        if answer is not None:
            return answer
        if concept.get("text"):
            return str(concept["text"])
        return next(
            (str(c["display"]) for c in concept.get("coding") or [] if c.get("display")), None
        )
    return None


#: The entries column each component gives, by its (system, code).
_COMPONENT_COLUMNS = {
    (LOINC, PAIN_LOINC): "pain",
    (DIARY_ITEM_SYSTEM, "flare"): "flare",
    (DIARY_ITEM_SYSTEM, "flare_duration"): "duration_minutes",
    (DIARY_ITEM_SYSTEM, "rescue_medication"): "rescue_medication",
    (DIARY_ITEM_SYSTEM, "rescue_helped"): "rescue_helped",
}


def entry_record(res: Mapping[str, Any], where: str, problems: Problems) -> dict[str, Any] | None:
    """Read an entry Observation as an ``entries`` record (without ``patient_id``)."""
    effective = res.get("effectiveDateTime")
    day = day_of(effective)
    time = next(
        (
            str(e.get("valueTime"))[:5]
            for e in res.get("extension") or []
            if isinstance(e, Mapping) and e.get("url") == ENTRY_TIME_EXTENSION
        ),
        None,
    )
    if time is None and isinstance(effective, str) and len(effective) > 10:
        time = effective[11:16]  # a zoned date-time from another system: its clock time
    if day is None or time is None:
        problems.add(
            f"{where}.effectiveDateTime",
            "an entry Observation needs its date and its time of day (the entry-local_time "
            "extension, or a date-time)",
        )
        return None
    record: dict[str, Any] = {"date": day, "time": time}
    for comp in res.get("component") or []:
        if not isinstance(comp, Mapping):
            continue
        for pair in codes_of(comp.get("code")):
            if pair in _COMPONENT_COLUMNS:
                record[_COMPONENT_COLUMNS[pair]] = _component_value(comp)
    if record.get("pain") is None:
        problems.add(
            f"{where}.component", "an entry Observation needs its pain (LOINC 72514-3), 0-10"
        )
        return None
    record["notes"] = notes_of(res)
    return record


def entries_frame(
    records: list[dict[str, Any]],
    entries: list[int],
    *,
    patients: pd.DataFrame | None,
    today: Any = None,
    file: str = "bundle.json",
) -> pd.DataFrame:
    """Check entry records (with ``patient_id``) by the rules of ``entries.csv``.

    Returns
    -------
    pandas.DataFrame
        The canonical ``entries`` frame.

    Raises
    ------
    DataValidationError
        A record the file's rules refuse; ``column`` = ``entry[i].field`` of the
        Observation it came from.
    """
    import io as _io

    from analytics.contract import ENTRIES, empty_entries
    from analytics.errors import DataValidationError
    from analytics.io._loaders import load_entries

    if not records:
        return empty_entries()
    # object cells: a whole number stays one ("130", not "130.0") beside missing ones
    frame = pd.DataFrame(records, columns=list(ENTRIES.column_names), dtype=object)
    text = frame.to_csv(index=False)
    try:
        return load_entries(_io.StringIO(text), patients=patients, today=today, name=file)
    except DataValidationError as exc:
        problems = exc.problems.copy()
        where = []
        for line, col in zip(problems["line"], problems["column"], strict=True):
            n = int(line) - 2  # line 1 is the header
            prefix = f"entry[{entries[n]}]" if 0 <= n < len(entries) else "entries"
            where.append(f"{prefix}.{col}" if col else prefix)
        problems["column"] = where
        problems["line"] = 0
        raise DataValidationError(str(exc), problems) from None
