"""HL7 FHIR R4 export of one patient's diary, medicines, sessions and questionnaires.

:func:`patient_bundle` builds a ``Bundle`` with the ``fhir.resources.R4B``
models, so every resource is validated as it is made:

* one ``Patient``: the paindiary id under the clinic's identifier system and the
  fields the clinic chooses to share (sex, birth year, responsible clinician);
* one ``Observation`` per diary item of a day (category ``survey``, US Core
  Observation Screening Assessment profile): pain (LOINC 72514-3), the PEG items
  (LOINC 91145-3, 91146-1), worst pain, sleep, mood, stress, analgesic doses and
  the daily MME (paindiary's code system), and the PEG score (LOINC 91147-9,
  ``derivedFrom`` its three items) on days with all three items;
* one ``Observation`` per body region marked on a day (``bodySite``: SNOMED CT
  where verified), one of the day's headache kind, and one per entry during the
  day with ``entries`` (:mod:`._fhir_day`);
* one ``MedicationStatement`` per day with a named medicine: RxNorm where the
  ingredient code is verified, the name as text, the day's dose;
* one ``Procedure`` per session (SNOMED CT 44868003, US Core Procedure profile):
  the points as ``bodySite`` (text: the WHO point codes), the practitioner as
  ``performer``, adverse events as ``complication``, notes as ``note``; the
  details R4 has no element for (technique, frequency, needles, retention, pain
  before and after, the local time of day) as extensions;
* with ``questionnaires``: a ``Questionnaire`` per instrument answered, a
  ``QuestionnaireResponse`` per answered questionnaire and an ``Observation`` per
  score, ``derivedFrom`` its response (:mod:`._fhir_questionnaires`).

Every resource carries a stable identifier (:data:`RECORD_ID_SYSTEM`), so a
``transaction`` bundle creates each resource only if none with that identifier
exists (``ifNoneExist``): sending it again creates nothing new. Codes and their
sources are in :mod:`._fhir_codes`; the import is in :mod:`._fhir_import`.

Session times: the data contract stores a session's local date-time without a
time zone, and FHIR requires a zone on a dateTime with a time, so the time of day
travels in an extension with a FHIR ``time`` value.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from analytics.io._fhir_codes import (
    ACUPUNCTURE_SNOMED,
    ADVERSE_EVENT_SYSTEM,
    CATEGORY_SYSTEM,
    DIARY_ITEMS,
    EXTENSION,
    LOINC,
    PAIN_LOINC,
    PATIENT_ID_SYSTEM,
    PEG_ITEMS,
    PEG_LOINC,
    RECORD_ID_SYSTEM,
    RXNORM,
    SESSION_EXTENSIONS,
    SNOMED,
    UCUM,
    US_CORE_PROCEDURE,
    US_CORE_SCREENING,
    record_id,
    rxnorm_code,
)
from analytics.io._fhir_day import entry_resource, headache_resource, region_resource
from analytics.io._fhir_questionnaires import (
    questionnaire_full_url,
    questionnaire_resource,
    response_resource,
    score_observation,
)

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
    "BUNDLE_TYPES",
    "patient_bundle",
    "bundle_json",
]

#: Bundle types :func:`patient_bundle` writes.
BUNDLE_TYPES = ("collection", "transaction")

_GENDER = {"F": "female", "M": "male", "X": "other", "U": "unknown"}
_SURVEY = [{"coding": [{"system": CATEGORY_SYSTEM, "code": "survey", "display": "Survey"}]}]
_SCORE_UNIT = {"unit": "{score}", "system": UCUM, "code": "{score}"}
#: UCUM code of a dose unit of the diary.
_UCUM_DOSE = {"mg": "mg", "mcg/h": "ug/h"}


def _missing(value: Any) -> bool:
    if value is None or isinstance(value, str):
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _value(value: Any, kind: str) -> dict[str, Any]:
    x = float(value)
    if kind == "mme":
        return {"valueQuantity": {"value": x, "unit": "MME/day", "system": UCUM, "code": "mg/d"}}
    if x.is_integer():
        return {"valueInteger": int(x)}
    return {"valueQuantity": {"value": x, **_SCORE_UNIT}}


def _note(text: Any, include: bool) -> dict[str, Any]:
    if not include or _missing(text) or not str(text).strip():
        return {}
    return {"note": [{"text": str(text)}]}


class _Writer:
    """The entries of one patient's bundle: stable identifiers, references, requests."""

    def __init__(self, pid: str, system: str, transaction: bool) -> None:
        self.pid = pid
        self.system = system
        self.transaction = transaction
        self.entries: list[dict[str, Any]] = []
        self.subject = {"reference": self.url("Patient")}

    def url(self, *parts: str) -> str:
        return "urn:uuid:" + record_id(self.system, self.pid, *parts)

    def add(
        self,
        resource: Any,
        *parts: str,
        identifier: dict[str, str] | None = None,
        full_url: str | None = None,
    ) -> str:
        """Add a validated resource under its stable id; return its fullUrl."""
        full_url = full_url or self.url(*parts)
        entry: dict[str, Any] = {"fullUrl": full_url, "resource": resource}
        if self.transaction:
            ident = identifier or {
                "system": RECORD_ID_SYSTEM,
                "value": record_id(self.system, self.pid, *parts),
            }
            kind = resource.get_resource_type()
            entry["request"] = {
                "method": "POST",
                "url": kind,
                "ifNoneExist": f"identifier={ident['system']}|{ident['value']}",
            }
        self.entries.append(entry)
        return full_url

    def identifier(self, *parts: str) -> list[dict[str, str]]:
        return [{"system": RECORD_ID_SYSTEM, "value": record_id(self.system, self.pid, *parts)}]


def patient_bundle(
    patients: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    patient_id: str,
    *,
    include_notes: bool = False,
    bundle_type: Literal["collection", "transaction"] = "collection",
    identifier_system: str = PATIENT_ID_SYSTEM,
    patient_fields: tuple[str, ...] = ("sex", "birth_year"),
    now: dt.datetime | None = None,
    questionnaires: pd.DataFrame | None = None,
    questionnaire_scores: pd.DataFrame | None = None,
    entries: pd.DataFrame | None = None,
) -> Bundle:
    """One patient's diary, medicines, sessions and questionnaires as a FHIR R4 ``Bundle``.

    Parameters
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical frames; rows of other patients are ignored. Never modified.
    patient_id : str
    include_notes : bool, default False
        Put diary and session notes into the resources' ``note``.
    bundle_type : {"collection", "transaction"}, default "collection"
        ``transaction``: every entry has a ``request`` that creates the resource
        only if none with its stable identifier exists (re-sending creates
        nothing new).
    identifier_system : str
        Identifier system of the patient id (the ``fhir_identifier_system``
        setting).
    patient_fields : tuple of str, default ("sex", "birth_year")
        Patient fields shared (the ``fhir_patient_fields`` setting): ``sex``
        (``gender``), ``birth_year`` (``birthDate``), ``clinician``
        (``generalPractitioner.display``).
    now : datetime.datetime, optional
        The bundle's ``timestamp`` (UTC); default the clock.
    questionnaires : pandas.DataFrame, optional
        Canonical questionnaire answers (rows of other patients are ignored): a
        ``Questionnaire`` per instrument answered and a ``QuestionnaireResponse``
        per questionnaire answered on a day (:mod:`._fhir_questionnaires`).
    questionnaire_scores : pandas.DataFrame, optional
        Their scores, as :func:`analytics.stats.score_questionnaires` computes them:
        an ``Observation`` per score, ``derivedFrom`` its response.
    entries : pandas.DataFrame, optional
        Canonical entries during the day (rows of other patients are ignored): an
        ``Observation`` per entry on its date and local time (:mod:`._fhir_day`).

    Returns
    -------
    fhir.resources.R4B.bundle.Bundle
        Validated; serialise with :func:`bundle_json`.

    Raises
    ------
    LookupError
        When the patient has no row in any frame.
    ValueError
        When ``bundle_type`` is not one of :data:`BUNDLE_TYPES`.
    """
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient
    from fhir.resources.R4B.procedure import Procedure

    if bundle_type not in BUNDLE_TYPES:
        raise ValueError(
            "The 'bundle_type' parameter of patient_bundle must be one of "
            f"{', '.join(BUNDLE_TYPES)}. Got {bundle_type!r} instead."
        )
    pid = str(patient_id)
    p = patients[patients["patient_id"] == pid]
    d = diary[diary["patient_id"] == pid].sort_values("date")
    s = sessions[sessions["patient_id"] == pid].sort_values("date")
    q = _mine(questionnaires, pid)
    if not (len(p) or len(d) or len(s) or len(q)):
        raise LookupError(f"no patient {pid!r} in the data")
    now = now if now is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    w = _Writer(pid, identifier_system, bundle_type == "transaction")
    ident = {"system": identifier_system, "value": pid}
    w.add(Patient.model_validate(_patient(ident, p, patient_fields)), "Patient", identifier=ident)
    for row in d.itertuples(index=False):
        _diary_day(w, row, include_notes)
    if entries is not None:
        mine = entries[entries["patient_id"] == pid].sort_values(["date", "time"], kind="stable")
        for row in mine.itertuples(index=False):
            day = pd.Timestamp(row.date).strftime("%Y-%m-%d")
            parts = ("entry", day, str(row.time))
            base = {**_observation(w, day, "", "", "", ""), "identifier": w.identifier(*parts)}
            obs = entry_resource(base, row, include_notes=include_notes)
            w.add(Observation.model_validate(obs), *parts)
    for row in s.itertuples(index=False):
        when = pd.Timestamp(row.date).isoformat()
        proc = _procedure(row, w.subject, include_notes)
        proc["identifier"] = w.identifier("session", when)
        w.add(Procedure.model_validate(proc), "session", when)
    _questionnaires(w, q, _mine(questionnaire_scores, pid))
    stamp = now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return Bundle.model_validate({"type": bundle_type, "timestamp": stamp, "entry": w.entries})


def _mine(frame: pd.DataFrame | None, pid: str) -> pd.DataFrame:
    if frame is None:
        return pd.DataFrame(columns=["patient_id", "date", "instrument"])
    return frame[frame["patient_id"] == pid].sort_values(["date", "instrument"], kind="stable")


def _questionnaires(w: _Writer, answers: pd.DataFrame, scores: pd.DataFrame) -> None:
    """Add a Questionnaire per instrument answered, each response and its score Observations."""
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.questionnaire import Questionnaire
    from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

    from analytics.contract import INSTRUMENTS

    if answers.empty:
        return
    for key in dict.fromkeys(answers["instrument"]):
        instrument = INSTRUMENTS[key]
        definition = questionnaire_resource(instrument)
        w.add(
            Questionnaire.model_validate(definition),
            identifier=definition["identifier"][0],
            full_url=questionnaire_full_url(instrument),
        )
    days = answers.assign(day=pd.to_datetime(answers["date"]).dt.strftime("%Y-%m-%d"))
    scored = scores.assign(day=pd.to_datetime(scores["date"]).dt.strftime("%Y-%m-%d"))
    for (day, key), group in days.groupby(["day", "instrument"], sort=True):
        instrument = INSTRUMENTS[str(key)]
        response = response_resource(instrument, group, str(day), w.subject)
        response["identifier"] = w.identifier("questionnaire", str(key), str(day))[0]
        url = w.add(
            QuestionnaireResponse.model_validate(response), "questionnaire", str(key), str(day)
        )
        mine = scored[(scored["day"] == day) & (scored["instrument"] == key)]
        for row in mine.itertuples(index=False):
            parts = ("questionnaire-score", str(key), str(row.score), str(day))
            obs = {
                **_observation(w, str(day), "", "", "", ""),
                "identifier": w.identifier(*parts),
                **score_observation(instrument, str(row.score), row.value, row.band),
                "derivedFrom": [{"reference": url}],
            }
            w.add(Observation.model_validate(obs), *parts)


def _patient(ident: dict[str, str], p: pd.DataFrame, fields: tuple[str, ...]) -> dict[str, Any]:
    """Write the Patient resource: the identifier, and the fields the clinic shares."""
    resource: dict[str, Any] = {"resourceType": "Patient", "identifier": [ident]}
    if not len(p):
        return resource
    info = p.iloc[0]
    if "sex" in fields and not _missing(info["sex"]):
        resource["gender"] = _GENDER.get(str(info["sex"]), "unknown")
    if "birth_year" in fields and not _missing(info["birth_year"]):
        resource["birthDate"] = f"{int(info['birth_year']):04d}"
    if "clinician" in fields and not _missing(info["clinician_id"]):
        resource["generalPractitioner"] = [{"display": str(info["clinician_id"])}]
    return resource


def _diary_day(w: _Writer, row: Any, include_notes: bool) -> None:
    """Add the Observations of one diary day, its PEG score and its medicine."""
    from fhir.resources.R4B.medicationstatement import MedicationStatement
    from fhir.resources.R4B.observation import Observation

    day = pd.Timestamp(row.date).strftime("%Y-%m-%d")
    urls: dict[str, str] = {}
    for column, item in DIARY_ITEMS.items():
        value = getattr(row, column)
        if _missing(value):
            continue
        obs = {
            **_observation(w, day, column, item.system, item.code, item.display),
            **_value(value, item.kind),
            **(_note(getattr(row, "notes", None), include_notes) if column == "pain" else {}),
        }
        urls[column] = w.add(Observation.model_validate(obs), column, day)
    if all(c in urls for c in PEG_ITEMS):
        mean = sum(float(getattr(row, c)) for c in PEG_ITEMS) / 3
        peg = {
            **_observation(
                w, day, "peg", LOINC, PEG_LOINC, "Pain, Enjoyment, General activity (PEG) score"
            ),
            "valueQuantity": {"value": mean, **_SCORE_UNIT},
            "derivedFrom": [{"reference": urls[c]} for c in PEG_ITEMS],
        }
        w.add(Observation.model_validate(peg), "peg", day)
    regions = getattr(row, "body_regions", None)
    for region in [] if _missing(regions) else [r for r in str(regions).split(";") if r]:
        parts = ("body_region", region, day)
        base = {**_observation(w, day, "", "", "", ""), "identifier": w.identifier(*parts)}
        w.add(Observation.model_validate(region_resource(base, region)), *parts)
    kind = getattr(row, "headache", None)
    if not _missing(kind):
        base = _observation(w, day, "headache", "", "", "")
        w.add(Observation.model_validate(headache_resource(base, str(kind))), "headache", day)
    if not _missing(getattr(row, "medication", None)):
        statement = _medication_statement(w, row, day)
        w.add(MedicationStatement.model_validate(statement), "medication", day)


def _observation(
    w: _Writer, day: str, key: str, system: str, code: str, display: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "meta": {"profile": [US_CORE_SCREENING]},
        "identifier": w.identifier(key, day),
        "status": "final",
        "category": _SURVEY,
        "code": {"coding": [{"system": system, "code": code, "display": display}]},
        "subject": w.subject,
        "effectiveDateTime": day,
    }


def _medication_statement(w: _Writer, row: Any, day: str) -> dict[str, Any]:
    """Write the MedicationStatement of a day's named medicine: RxNorm where verified, the dose."""
    from analytics.contract import DOSE_UNITS, opioid_code

    name = str(row.medication)
    concept: dict[str, Any] = {"text": name}
    rx = rxnorm_code(name)
    if rx is not None:
        concept["coding"] = [{"system": RXNORM, "code": rx[0], "display": rx[1]}]
    statement: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "identifier": w.identifier("medication", day),
        "status": "completed",
        "medicationCodeableConcept": concept,
        "subject": w.subject,
        "effectiveDateTime": day,
    }
    dose: Any = getattr(row, "medication_dose", None)
    if not _missing(dose):
        code = opioid_code(name)
        unit = DOSE_UNITS[code] if code is not None else "mg"
        statement["dosage"] = [
            {
                "text": f"{float(dose):g} {unit} over the day",
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": float(dose),
                            "unit": unit,
                            "system": UCUM,
                            "code": _UCUM_DOSE[unit],
                        }
                    }
                ],
            }
        ]
    return statement


def _procedure(row: Any, subject: dict[str, str], include_notes: bool) -> dict[str, Any]:
    """Write the Procedure of one session (SNOMED CT 44868003, acupuncture)."""
    from analytics.contract import ADVERSE_EVENT_LABELS

    proc: dict[str, Any] = {
        "resourceType": "Procedure",
        "meta": {"profile": [US_CORE_PROCEDURE]},
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
    if not _missing(row.points):
        proc["bodySite"] = [{"text": p} for p in str(row.points).split(";") if p]
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
    if not proc["extension"]:
        del proc["extension"]
    return proc


def _session_extensions(row: Any) -> list[dict[str, Any]]:
    """Write the session details R4 has no element for as extensions, the local time included."""
    when = pd.Timestamp(row.date)
    values = {
        "technique": row.technique,
        "frequency_hz": row.frequency_hz,
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
