"""The codes and identifiers of paindiary's FHIR R4 bundles, and where each was verified.

Standard codes are used where one exists and could be checked against a
published source; everything else has a code in paindiary's own code system
(:data:`DIARY_ITEM_SYSTEM`), documented in ``docs/reports.md``. Sources:

* LOINC 72514-3 (pain severity 0-10, reported), the PEG panel 91148-7 with its
  items 75893-8 (pain), 91145-3 (interference with enjoyment of life), 91146-1
  (interference with general activity) and score 91147-9: LOINC's PEG panel
  (loinc.org/91148-7) as published in LOINC-coded FHIR questionnaires.
* RxNorm ingredient codes of the opioids: the CDC's MME conversion-factor code
  system (CDC Opioid MME Calculator implementation guide, "CDC MME Clinical
  Conversion Factors", a supplement of RxNorm); diclofenac: the CPIC drug table
  (cpicpgx/cpic-schema ``drug.sql``). Medicines whose code could not be checked
  travel as text only.
* SNOMED CT 44868003 acupuncture (procedure).
* SNOMED CT body structures of the body regions (:data:`REGION_SNOMED`), each
  read in a published FHIR value set: the shoulder, upper arm, forearm, hip
  region, thigh and lower leg of each side in IHE PCC mobile Paramedicine
  Summary of Care, value set Physical.Finding.of.Extremities.TargetSite.VS
  (github.com/IHE/PCC.PCS; the shoulders also in maxpurk/shoulder-on-fhir,
  ValueSet shoulder-laterality); lower back 37822005 in acc-fhir-publisher/icp
  (``input/fsh/vocabulary/bodysite.fsh``) and SNOMED International's editorial
  guide; neck 45048000 in the Belgian eHealth body-site value set
  (ehealth.fgov.be standards); abdomen 818983003 in the U.S. Department of
  Veterans Affairs ConceptMap VF-VitalsSite (mhv-fhir-phr-mapping) and a value
  set expanded against the SNOMED CT International edition 2024-10-01
  (UPM-NTHC/PH-RoadSafetyIG). The jaws, upper back and chest have no code that
  could be checked: they travel with paindiary's region code and their words.
* US Core 6.1.0 profiles: Observation Screening Assessment (patient-reported
  diary items), Procedure. US Core has no MedicationStatement profile, and its
  Patient profile requires a name the diary does not hold, so neither is claimed.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal, NamedTuple

__all__ = [
    "LOINC",
    "SNOMED",
    "UCUM",
    "RXNORM",
    "CATEGORY_SYSTEM",
    "PAINDIARY_FHIR",
    "PATIENT_ID_SYSTEM",
    "RECORD_ID_SYSTEM",
    "DIARY_ITEM_SYSTEM",
    "ADVERSE_EVENT_SYSTEM",
    "BODY_REGION_SYSTEM",
    "HEADACHE_SYSTEM",
    "RESCUE_ANSWER_SYSTEM",
    "EXTENSION",
    "ENTRY_TIME_EXTENSION",
    "LEGACY_EXTENSION",
    "LEGACY_PATIENT_ID_SYSTEM",
    "LEGACY_PEG_ITEM_SYSTEM",
    "LEGACY_ADVERSE_EVENT_SYSTEM",
    "PAIN_LOINC",
    "PEG_LOINC",
    "PEG_PANEL_LOINC",
    "ACUPUNCTURE_SNOMED",
    "US_CORE_SCREENING",
    "US_CORE_PROCEDURE",
    "DiaryItem",
    "DIARY_ITEMS",
    "PEG_ITEMS",
    "SESSION_EXTENSIONS",
    "RXNORM_INGREDIENTS",
    "REGION_SNOMED",
    "REGION_DISPLAYS",
    "HEADACHE_DISPLAYS",
    "RESCUE_DISPLAYS",
    "DAY_CODES",
    "rxnorm_code",
    "record_id",
]

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
CATEGORY_SYSTEM = "http://terminology.hl7.org/CodeSystem/observation-category"

#: Base of paindiary's own FHIR URIs: identifiers of systems, not web pages to open.
PAINDIARY_FHIR = "https://paindiary.org/fhir"
#: Default identifier system of the paindiary patient id (a clinic sets its own).
PATIENT_ID_SYSTEM = f"{PAINDIARY_FHIR}/patient-id"
#: Identifier system of every exported resource: the stable key of a conditional create.
RECORD_ID_SYSTEM = f"{PAINDIARY_FHIR}/record-id"
#: paindiary's code system of the diary items LOINC has no code for.
DIARY_ITEM_SYSTEM = f"{PAINDIARY_FHIR}/CodeSystem/diary-item"
#: paindiary's code system of needling adverse events.
ADVERSE_EVENT_SYSTEM = f"{PAINDIARY_FHIR}/CodeSystem/adverse-event"
#: paindiary's code system of the body regions (the widespread pain index's 19).
BODY_REGION_SYSTEM = f"{PAINDIARY_FHIR}/CodeSystem/body-region"
#: paindiary's code system of a day's headache kind: none, headache, migraine.
HEADACHE_SYSTEM = f"{PAINDIARY_FHIR}/CodeSystem/headache-kind"
#: paindiary's code system of the answers to "Did the rescue medicine help?".
RESCUE_ANSWER_SYSTEM = f"{PAINDIARY_FHIR}/CodeSystem/rescue-answer"
#: Extension of an entry's Observation: its local time of day (a FHIR ``time``).
ENTRY_TIME_EXTENSION = f"{PAINDIARY_FHIR}/StructureDefinition/entry-local_time"
#: Prefix of the Procedure extensions (R4 has no element for these session details).
EXTENSION = f"{PAINDIARY_FHIR}/StructureDefinition/session-"

#: URIs of bundles written by earlier versions: still read by the import.
LEGACY_EXTENSION = "urn:paindiary:fhir:"
LEGACY_PATIENT_ID_SYSTEM = "urn:paindiary:patient-id"
LEGACY_PEG_ITEM_SYSTEM = "urn:paindiary:peg-item"
LEGACY_ADVERSE_EVENT_SYSTEM = "urn:paindiary:adverse-event"

#: Pain severity - 0-10 verbal numeric rating [Score] - Reported.
PAIN_LOINC = "72514-3"
#: PEG 3-item pain scale: mean score.
PEG_LOINC = "91147-9"
#: PEG 3-item pain scale panel.
PEG_PANEL_LOINC = "91148-7"
#: SNOMED CT: acupuncture (procedure).
ACUPUNCTURE_SNOMED = "44868003"

US_CORE_SCREENING = (
    "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment"
)
US_CORE_PROCEDURE = "http://hl7.org/fhir/us/core/StructureDefinition/us-core-procedure"


class DiaryItem(NamedTuple):
    """How one diary column travels as an Observation."""

    system: str
    code: str
    display: str
    kind: Literal["score", "count", "mme"]


#: Every diary column that is an Observation of its own, in the contract's order.
DIARY_ITEMS: Mapping[str, DiaryItem] = MappingProxyType(
    {
        "pain": DiaryItem(
            LOINC,
            PAIN_LOINC,
            "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
            "score",
        ),
        "worst_pain": DiaryItem(
            DIARY_ITEM_SYSTEM, "worst_pain", "Worst pain over the past 24 hours (0-10)", "score"
        ),
        "enjoyment_interference": DiaryItem(
            LOINC, "91145-3", "Interference with enjoyment of life (0-10) [PEG]", "score"
        ),
        "activity_interference": DiaryItem(
            LOINC, "91146-1", "Interference with general activity (0-10) [PEG]", "score"
        ),
        "sleep_quality": DiaryItem(
            DIARY_ITEM_SYSTEM, "sleep_quality", "Sleep quality (0-10, 10 = best)", "score"
        ),
        "mood": DiaryItem(DIARY_ITEM_SYSTEM, "mood", "Mood (0-10, 10 = best)", "score"),
        "stress": DiaryItem(DIARY_ITEM_SYSTEM, "stress", "Stress (0-10, 10 = worst)", "score"),
        "analgesic_doses": DiaryItem(
            DIARY_ITEM_SYSTEM, "analgesic_doses", "Pain-medication doses taken", "count"
        ),
        "opioid_mme": DiaryItem(
            DIARY_ITEM_SYSTEM,
            "opioid_mme",
            "Opioid dose, morphine milligram equivalents per day",
            "mme",
        ),
    }
)

#: The PEG items of a diary day, by diary column (the pain item is the day's pain).
PEG_ITEMS = ("pain", "enjoyment_interference", "activity_interference")

#: The sessions columns that travel as Procedure extensions, with their value type.
SESSION_EXTENSIONS: Mapping[str, str] = MappingProxyType(
    {
        "technique": "valueCode",
        "frequency_hz": "valueString",
        "needles": "valueInteger",
        "retention_min": "valueInteger",
        "pain_before": "valueDecimal",
        "pain_after": "valueDecimal",
        "local_time": "valueTime",
    }
)

#: RxNorm ingredient codes (RXCUI) of the medicines the diary-entry form offers,
#: where verified (see the module notes); a fentanyl patch is coded as fentanyl.
RXNORM_INGREDIENTS: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "codeine": ("2670", "codeine"),
        "fentanyl_patch": ("4337", "fentanyl"),
        "hydrocodone": ("5489", "hydrocodone"),
        "hydromorphone": ("3423", "hydromorphone"),
        "methadone": ("6813", "methadone"),
        "morphine": ("7052", "morphine"),
        "oxycodone": ("7804", "oxycodone"),
        "oxymorphone": ("7814", "oxymorphone"),
        "tapentadol": ("787390", "tapentadol"),
        "tramadol": ("10689", "tramadol"),
        "diclofenac": ("3355", "diclofenac"),
    }
)

#: Codes (in :data:`DIARY_ITEM_SYSTEM`) of the day's body regions, its headache kind,
#: an entry during the day and the entry's components, with their displays.
DAY_CODES: Mapping[str, str] = MappingProxyType(
    {
        "body_region": "Body region where it hurt that day (widespread pain index region)",
        "headache": "Headache that day (none, headache or migraine)",
        "entry": "Pain entry logged during the day",
        "flare": "The entry is a flare or attack",
        "flare_duration": "How long the flare lasted",
        "rescue_medication": "Rescue medicine taken for it",
        "rescue_helped": "Did the rescue medicine help (asked two hours later)",
    }
)

#: SNOMED CT body structure (code, display) of each region where one was verified
#: (sources in the module notes); the others travel with paindiary's code only.
REGION_SNOMED: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "l_shoulder": ("91775009", "Structure of left shoulder region"),
        "r_shoulder": ("91774008", "Structure of right shoulder region"),
        "l_upper_arm": ("368208006", "Left upper arm structure"),
        "r_upper_arm": ("368209003", "Right upper arm structure"),
        "l_lower_arm": ("66480008", "Structure of left forearm"),
        "r_lower_arm": ("64262003", "Structure of right forearm"),
        "l_hip": ("287679003", "Left hip region structure"),
        "r_hip": ("287579007", "Right hip region structure"),
        "l_upper_leg": ("61396006", "Structure of left thigh"),
        "r_upper_leg": ("11207009", "Structure of right thigh"),
        "l_lower_leg": ("48979004", "Structure of left lower leg"),
        "r_lower_leg": ("32696007", "Structure of right lower leg"),
        "neck": ("45048000", "Neck structure"),
        "low_back": ("37822005", "Lower back structure"),
        "abdomen": ("818983003", "Abdomen"),
    }
)

#: The display of each region code of :data:`BODY_REGION_SYSTEM`: the region's name
#: in the 2016 fibromyalgia criteria's widespread pain index (Wolfe et al. 2016).
REGION_DISPLAYS: Mapping[str, str] = MappingProxyType(
    {
        "l_jaw": "Left jaw",
        "l_shoulder": "Left shoulder girdle",
        "l_upper_arm": "Left upper arm",
        "l_lower_arm": "Left lower arm",
        "r_jaw": "Right jaw",
        "r_shoulder": "Right shoulder girdle",
        "r_upper_arm": "Right upper arm",
        "r_lower_arm": "Right lower arm",
        "l_hip": "Left hip (buttock, trochanter)",
        "l_upper_leg": "Left upper leg",
        "l_lower_leg": "Left lower leg",
        "r_hip": "Right hip (buttock, trochanter)",
        "r_upper_leg": "Right upper leg",
        "r_lower_leg": "Right lower leg",
        "neck": "Neck",
        "upper_back": "Upper back",
        "low_back": "Lower back",
        "chest": "Chest",
        "abdomen": "Abdomen",
    }
)

#: The display of each code of :data:`HEADACHE_SYSTEM`.
HEADACHE_DISPLAYS: Mapping[str, str] = MappingProxyType(
    {"none": "No headache", "headache": "Headache", "migraine": "Migraine"}
)

#: The display of each code of :data:`RESCUE_ANSWER_SYSTEM`.
RESCUE_DISPLAYS: Mapping[str, str] = MappingProxyType(
    {"yes": "Yes, it helped", "a_little": "It helped a little", "no": "It did not help"}
)

_NS = uuid.UUID("6f1c3b7e-3a52-4c7e-9d1e-70a1d5c0f001")


def rxnorm_code(name: object) -> tuple[str, str] | None:
    """Return the RxNorm ingredient (code, display) of a diary medicine name, or None.

    Examples
    --------
    >>> rxnorm_code("Oxycodone")
    ('7804', 'oxycodone')
    >>> rxnorm_code("paracetamol") is None
    True
    """
    if not isinstance(name, str):
        return None
    key = "_".join(name.strip().lower().replace("-", " ").split())
    return RXNORM_INGREDIENTS.get(key)


def record_id(patient_system: str, patient_id: str, *parts: str) -> str:
    """Return the stable identifier value of one exported resource (a UUID, same on every export).

    Examples
    --------
    >>> a = record_id("s", "P1", "pain", "2026-01-01")
    >>> a == record_id("s", "P1", "pain", "2026-01-01")
    True
    """
    return str(uuid.uuid5(_NS, "\x1f".join((patient_system, patient_id, *parts))))
