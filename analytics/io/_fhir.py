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

Free-text notes go into ``note`` only when asked for (``include_notes``). The
import of such bundles is in :mod:`._fhir_import`.

Session times: the data contract stores a session's local date-time without a
time zone, and FHIR requires a zone on a dateTime with a time, so the time of day
travels in an extension with a FHIR ``time`` value.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:  # fhir.resources is imported when a bundle is made
    from fhir.resources.R4B.bundle import Bundle

__all__ = [
    "LOINC",
    "SNOMED",
    "PAIN_LOINC",
    "PEG_LOINC",
    "ACUPUNCTURE_SNOMED",
    "PATIENT_ID_SYSTEM",
    "EXTENSION",
    "PEG_ITEM_SYSTEM",
    "ADVERSE_EVENT_SYSTEM",
    "PEG_ITEMS",
    "SESSION_EXTENSIONS",
    "patient_bundle",
    "bundle_json",
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

#: The PEG items of a diary day, by diary column.
PEG_ITEMS = {
    "pain": "Pain, average (0-10)",
    "enjoyment_interference": "Interference with enjoyment of life (0-10)",
    "activity_interference": "Interference with general activity (0-10)",
}
_GENDER = {"F": "female", "M": "male", "X": "other", "U": "unknown"}
#: The sessions columns that travel as Procedure extensions, with their value type.
SESSION_EXTENSIONS = {
    "technique": "valueCode",
    "frequency_hz": "valueString",
    "points": "valueString",
    "needles": "valueInteger",
    "retention_min": "valueInteger",
    "pain_before": "valueDecimal",
    "pain_after": "valueDecimal",
    "local_time": "valueTime",
}
_SURVEY = [{"coding": [{"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}]
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
) -> Bundle:
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

    pid = str(patient_id)
    p = patients[patients["patient_id"] == pid]
    d = diary[diary["patient_id"] == pid].sort_values("date")
    s = sessions[sessions["patient_id"] == pid].sort_values("date")
    if not (len(p) or len(d) or len(s)):
        raise LookupError(f"no patient {pid!r} in the data")
    now = now if now is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    patient_url = _full_url(pid, "Patient")
    subject = {"reference": patient_url}
    patient = Patient.model_validate(_patient(pid, p))
    entries = [{"fullUrl": patient_url, "resource": patient}]
    for row in d.itertuples(index=False):
        day = pd.Timestamp(row.date).strftime("%Y-%m-%d")
        obs = _pain_observation(row, subject, day, include_notes)
        entries.append(
            {"fullUrl": _full_url(pid, "pain", day), "resource": Observation.model_validate(obs)}
        )
        peg = _peg_observation(row, subject, day)
        if peg is not None:
            entries.append(
                {"fullUrl": _full_url(pid, "peg", day), "resource": Observation.model_validate(peg)}
            )
    for row in s.itertuples(index=False):
        when = pd.Timestamp(row.date)
        entries.append(
            {
                "fullUrl": _full_url(pid, "session", when.isoformat()),
                "resource": Procedure.model_validate(_procedure(row, subject, include_notes)),
            }
        )
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Bundle.model_validate({"type": "collection", "timestamp": stamp, "entry": entries})


def _patient(pid: str, p: pd.DataFrame) -> dict[str, Any]:
    """Write the Patient resource: the paindiary id, and sex and birth year when known."""
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
    return resource


def _pain_observation(
    row: Any, subject: dict[str, str], day: str, include_notes: bool
) -> dict[str, Any]:
    """Write the pain Observation of one diary day (LOINC 72514-3)."""
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": _SURVEY,
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


def _peg_observation(row: Any, subject: dict[str, str], day: str) -> dict[str, Any] | None:
    """Write the PEG Observation of one diary day (LOINC 91147-9), None unless all 3 items are there."""
    items = {k: getattr(row, k) for k in PEG_ITEMS}
    if any(_missing(v) for v in items.values()):
        return None
    return {
        "resourceType": "Observation",
        "status": "final",
        "category": _SURVEY,
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
                    "text": PEG_ITEMS[k],
                },
                **_score(v),
            }
            for k, v in items.items()
        ],
    }


def _procedure(row: Any, subject: dict[str, str], include_notes: bool) -> dict[str, Any]:
    """Write the Procedure of one session (SNOMED CT 44868003, acupuncture)."""
    from analytics.contract import ADVERSE_EVENT_LABELS

    proc: dict[str, Any] = {
        "resourceType": "Procedure",
        "status": "completed",
        "code": {
            "coding": [{"system": SNOMED, "code": ACUPUNCTURE_SNOMED, "display": "Acupuncture"}],
            "text": "Acupuncture: " + "; ".join(_session_summary(row)),
        },
        "subject": subject,
        "performedDateTime": pd.Timestamp(row.date).strftime("%Y-%m-%d"),
        "extension": _session_extensions(row),
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
    return proc


def _session_extensions(row: Any) -> list[dict[str, Any]]:
    """Write a session's columns as extensions, the local time of day included."""
    when = pd.Timestamp(row.date)
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
    ext: list[dict[str, Any]] = []
    for name, value in values.items():
        if _missing(value):
            continue
        kind = SESSION_EXTENSIONS[name]
        v: Any = value
        if kind == "valueInteger":
            v = int(value)
        elif kind == "valueDecimal":
            v = float(value)
        else:
            v = str(value)
        ext.append({"url": EXTENSION + name, kind: v})
    return ext


def _session_summary(row: Any) -> list[str]:
    """Describe a session in words: technique, frequency, points, needles, retention."""
    from analytics.contract import TECHNIQUE_LABELS

    summary = [TECHNIQUE_LABELS.get(str(row.technique), str(row.technique))]
    if not _missing(row.frequency_hz):
        summary.append(f"{row.frequency_hz} Hz")
    if not _missing(row.points):
        summary.append("points " + ", ".join(str(row.points).split(";")))
    if not _missing(row.needles):
        summary.append(f"{int(row.needles)} needles")
    if not _missing(row.retention_min):
        summary.append(f"retained {int(row.retention_min)} min")
    return summary


def bundle_json(bundle: Bundle) -> str:
    """Serialise the bundle as FHIR JSON text (no empty elements), UTF-8 safe."""
    return bundle.model_dump_json(exclude_none=True, indent=1)
