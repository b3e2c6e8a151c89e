"""HL7 FHIR R4 import of patients' diaries, medicines and sessions.

:func:`bundle_dataset` reads a bundle written by :func:`analytics.io.patient_bundle`
(a ``collection`` or a ``transaction``, or any bundle with pain Observations and
acupuncture Procedures) back into canonical diary and session frames through
:func:`analytics.io.validate_records`, the CSV import's rules; every problem names
the file, the entry index and the field.

Every resource is filed under its own subject: the Patient its ``subject``
references (by ``fullUrl``, ``Patient/id`` or an identifier of the patient-id
system). A bundle naming a patient other than the one imported into is refused
unless a mapping says whose records they become, so one bundle never mixes two
patients' records. Each diary item is an Observation of its own (LOINC where one
exists, paindiary's code system otherwise, :data:`DIARY_ITEMS`); a
``MedicationStatement`` of a diary day gives that day's ``medication`` and
``medication_dose`` (and so, for a named opioid, its MME, computed as for a CSV
file). A day's body-region and headache Observations give its ``body_regions``
and ``headache``; entry Observations give the ``entries`` (:mod:`._fhir_day`).
:func:`fill_from_stored` keeps the columns of a stored day the bundle does
not carry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from analytics.errors import PROBLEM_COLUMNS, DataValidationError
from analytics.io._fhir_codes import (
    DIARY_ITEMS,
    LEGACY_PATIENT_ID_SYSTEM,
    LEGACY_PEG_ITEM_SYSTEM,
    LOINC,
    PAIN_LOINC,
    PATIENT_ID_SYSTEM,
    PEG_LOINC,
)
from analytics.io._fhir_day import (
    DAY_CODE_PAIRS,
    entries_frame,
    entry_record,
    headache_of,
    region_of,
)
from analytics.io._fhir_questionnaires import SCORE_SYSTEM, answers_frame, response_answers
from analytics.io._fhir_records import (
    Problems,
    bundle_entries,
    codes_of,
    creates,
    day_of,
    entry_words,
    fill_from_stored,
    is_acupuncture,
    medicine_columns,
    notes_of,
    relabel,
    session_record,
    valid_resource,
    value_of,
)

if TYPE_CHECKING:
    from analytics.contract import Dataset

__all__ = [
    "BundleContent",
    "read_bundle",
    "bundle_dataset",
    "fill_from_stored",
    "patient_assignment",
]

#: (system, code) of an item Observation -> its diary column (pain is read on its own).
_ITEM_COLUMNS = {(i.system, i.code): c for c, i in DIARY_ITEMS.items() if c != "pain"}
#: (system, code) of a body-region, headache or entry Observation -> its kind.
_DAY_KINDS = {pair: kind for kind, pair in DAY_CODE_PAIRS.items()}


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
    diary_subjects, session_subjects : list of str or None
        The patient id each record's subject names; None for a resource without
        a subject.
    medication_entries : dict of int to int
        For a diary record with a named medicine: the entry index of its
        MedicationStatement.
    item_entries : dict of (int, str) to int
        For a diary record's item (``(record, column)``): the entry index of its
        Observation.
    questionnaires : list of dict
        Answer records (date, instrument, item, answer) of the
        QuestionnaireResponses, in bundle order.
    questionnaire_entries : list of int
        The entry index each answer came from.
    questionnaire_subjects : list of str or None
        The patient id each answer's response names.
    entries, entry_entries, entry_subjects : list
        Records of the entries during the day (without ``patient_id``), the entry
        index and the patient id of each.
    bundle_patient_ids : tuple of str
        paindiary ids found in the bundle's Patient identifiers.
    skipped : dict of str to int
        Entries not imported, by kind (e.g. "Observation (other code)").
    """

    diary: list[dict[str, Any]] = field(default_factory=list)
    sessions: list[dict[str, Any]] = field(default_factory=list)
    diary_entries: list[int] = field(default_factory=list)
    session_entries: list[int] = field(default_factory=list)
    diary_subjects: list[str | None] = field(default_factory=list)
    session_subjects: list[str | None] = field(default_factory=list)
    medication_entries: dict[int, int] = field(default_factory=dict)
    item_entries: dict[tuple[int, str], int] = field(default_factory=dict)
    questionnaires: list[dict[str, Any]] = field(default_factory=list)
    questionnaire_entries: list[int] = field(default_factory=list)
    questionnaire_subjects: list[str | None] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    entry_entries: list[int] = field(default_factory=list)
    entry_subjects: list[str | None] = field(default_factory=list)
    bundle_patient_ids: tuple[str, ...] = ()
    skipped: dict[str, int] = field(default_factory=dict)


def read_bundle(
    data: Any,
    *,
    file: str = "bundle.json",
    identifier_system: str = PATIENT_ID_SYSTEM,
    max_bytes: int | None = None,
) -> BundleContent:
    """Check a FHIR R4 bundle and collect its diary and session records.

    Parameters
    ----------
    data : str, bytes, dict or os.PathLike
        Bundle JSON text, the parsed object or the path of its file: a
        ``collection``, or a ``transaction`` or ``batch`` whose entries create
        resources. A file is read only when it is a regular file (never a pipe,
        a device or a folder) of at most ``max_bytes`` bytes, as the CSV loaders read.
    file : str
        Name used in problems.
    identifier_system : str
        Identifier system of the patient id in the bundle's Patients (the
        ``fhir_identifier_system`` setting); paindiary's own systems are read too.
    max_bytes : int, optional
        Largest file read; default :data:`analytics.io.DEFAULT_MAX_BYTES`.

    Returns
    -------
    BundleContent

    Raises
    ------
    DataValidationError
        The file cannot be read (not a regular file, over ``max_bytes``), the text
        is not JSON, nests lists and objects over 100 levels deep, is not a Bundle, or
        entries break the FHIR R4 model,
        ask for anything but creating a resource, name a subject the bundle does
        not hold, or lack what an import needs (a date, a 0-10 value);
        ``problems`` name the entry (``column`` = ``entry[i].field``) and say
        what is wrong. Nothing is returned when any entry is wrong.
    """
    reader = _Reader(file, identifier_system)
    resources = []
    for i, entry in enumerate(bundle_entries(data, reader.problems, max_bytes=max_bytes)):
        res = valid_resource(entry, f"entry[{i}]", reader.problems)
        if res is not None and creates(entry, f"entry[{i}]", reader.problems):
            resources.append((i, entry, res))
            if res["resourceType"] == "Patient":
                reader.patient(i, entry, res)
    refs = {
        res["subject"].get("reference")
        for _i, _entry, res in resources
        if isinstance(res.get("subject"), Mapping)
    }
    # a bundle without paindiary Patients whose resources all name one patient (or
    # none) is that one patient's: its records are filed under the patient imported into
    reader.loose = not reader.ids and len(refs - set(reader.refs)) <= 1
    for i, _entry, res in resources:
        reader.take(i, res)
    reader.attach()
    reader.problems.raise_if_any("nothing was imported.")
    c = reader.content
    return BundleContent(
        diary=c.diary,
        sessions=c.sessions,
        diary_entries=c.diary_entries,
        session_entries=c.session_entries,
        diary_subjects=c.diary_subjects,
        session_subjects=c.session_subjects,
        medication_entries=c.medication_entries,
        item_entries=c.item_entries,
        questionnaires=c.questionnaires,
        questionnaire_entries=c.questionnaire_entries,
        questionnaire_subjects=c.questionnaire_subjects,
        entries=c.entries,
        entry_entries=c.entry_entries,
        entry_subjects=c.entry_subjects,
        bundle_patient_ids=tuple(dict.fromkeys(reader.ids)),
        skipped=c.skipped,
    )


def _not_a_record(kind: str, res: Mapping[str, Any], codes: set[tuple[str, str]]) -> str | None:
    """Return why a resource gives no record (its skip label), or None when it gives one."""
    if kind == "Questionnaire":
        return "Questionnaire (definition, paindiary has its own)"
    if any(system == SCORE_SYSTEM for system, _ in codes):
        return "Observation (questionnaire score, computed from its answers)"
    wanted = (
        kind in ("MedicationStatement", "QuestionnaireResponse")
        or (kind == "Procedure" and is_acupuncture(res, codes))
        or (kind == "Observation" and ((LOINC, PAIN_LOINC) in codes or (LOINC, PEG_LOINC) in codes))
        or (kind == "Observation" and any(c in _ITEM_COLUMNS or c in _DAY_KINDS for c in codes))
    )
    return None if wanted else f"{kind} (not a diary item, medicine or acupuncture)"


class _Reader:
    """The records of a bundle, collected entry by entry, each under its subject."""

    def __init__(self, file: str, identifier_system: str) -> None:
        self.problems = Problems(file)
        self.content = BundleContent()
        self.systems = (identifier_system, PATIENT_ID_SYSTEM, LEGACY_PATIENT_ID_SYSTEM)
        self.ids: list[str] = []  # paindiary ids of the Patient resources
        self.refs: dict[str, str | None] = {}  # fullUrl / Patient/id -> paindiary id
        self.loose = False  # references outside the bundle name the one patient imported into
        self.by_day: dict[tuple[str | None, str], int] = {}  # (subject, date) -> pain record
        # (entry, subject, date, column, value) of the diary items other than pain
        self.items: list[tuple[int, str | None, str, str, Any]] = []
        self.medicines: list[tuple[int, str | None, str, dict[str, Any]]] = []
        # (entry, subject, date, region) of the body-region Observations, in bundle order
        self.regions: list[tuple[int, str | None, str, str]] = []

    def patient(self, i: int, entry: Mapping[str, Any], res: Mapping[str, Any]) -> None:
        """Note a Patient's paindiary id and the references that name it."""
        pid = next(
            (
                str(x.get("value"))
                for x in res.get("identifier") or []
                if isinstance(x, Mapping) and x.get("system") in self.systems and x.get("value")
            ),
            None,
        )
        if pid is not None:
            self.ids.append(pid)
        if entry.get("fullUrl"):
            self.refs[str(entry["fullUrl"])] = pid
        if res.get("id"):
            self.refs[f"Patient/{res['id']}"] = pid

    def subject(self, i: int, res: Mapping[str, Any]) -> tuple[bool, str | None]:
        """Return (found, the paindiary id) of a resource's subject; note a problem if unknown."""
        subject = res.get("subject")
        if not isinstance(subject, Mapping):
            return True, None
        ident = subject.get("identifier")
        if isinstance(ident, Mapping) and ident.get("system") in self.systems:
            return True, str(ident.get("value"))
        ref = subject.get("reference")
        if isinstance(ref, str) and ref in self.refs:
            pid = self.refs[ref]
            if pid is None:
                self.problems.add(
                    f"entry[{i}].subject",
                    f"the subject {ref} has no identifier under {self.systems[0]}; give the "
                    "Patient its paindiary id there",
                    ref,
                )
                return False, None
            return True, pid
        if self.loose:
            return True, None
        self.problems.add(
            f"entry[{i}].subject",
            f"the subject {ref or '(no reference)'} is no Patient of the bundle, which names "
            "more than one patient; add the Patient entry, or name the patient by identifier",
            ref,
        )
        return False, None

    def take(self, i: int, res: Mapping[str, Any]) -> None:
        """Take a valid resource: a diary item, a medicine or a session, under its subject."""
        kind = res["resourceType"]
        if kind == "Patient":
            return
        codes = codes_of(res.get("code"))
        skipped = _not_a_record(kind, res, codes)
        if skipped is not None:
            self._skip(skipped)
            return
        found, subject = self.subject(i, res)
        if not found:
            return
        if kind == "Observation":
            self._observation(i, res, subject, codes)
        elif kind == "MedicationStatement":
            self._medicine(i, res, subject)
        elif kind == "QuestionnaireResponse":
            self._response(i, res, subject)
        else:
            session = session_record(res, f"entry[{i}]", self.problems)
            if session is not None:
                self.content.sessions.append(session)
                self.content.session_entries.append(i)
                self.content.session_subjects.append(subject)

    def _observation(
        self, i: int, res: Mapping[str, Any], subject: str | None, codes: set[tuple[str, str]]
    ) -> None:
        day_kind = next((_DAY_KINDS[c] for c in codes if c in _DAY_KINDS), None)
        if day_kind is not None:
            self._day(i, res, subject, day_kind)
        elif (LOINC, PAIN_LOINC) in codes:
            self._pain(i, res, subject)
        elif (LOINC, PEG_LOINC) in codes:
            self._peg(i, res, subject)
        else:
            column = next(_ITEM_COLUMNS[c] for c in codes if c in _ITEM_COLUMNS)
            self._item(i, res, subject, column)

    def _skip(self, label: str) -> None:
        self.content.skipped[label] = self.content.skipped.get(label, 0) + 1

    def _dated(self, i: int, res: Mapping[str, Any], what: str) -> str | None:
        """Return the diary date of an Observation; None (with a problem or a skip) without one."""
        if res.get("status") in ("entered-in-error", "cancelled"):
            self._skip(f"Observation ({res['status']})")
            return None
        day = day_of(res.get("effectiveDateTime"))
        if day is None:
            self.problems.add(f"entry[{i}].effectiveDateTime", f"{what} needs the diary date")
        return day

    def _pain(self, i: int, res: Mapping[str, Any], subject: str | None) -> None:
        day = self._dated(i, res, "a pain Observation")
        if day is None:
            return
        value = value_of(res)
        if value is None:
            self.problems.add(
                f"entry[{i}]", "a pain Observation needs valueInteger or valueQuantity 0-10"
            )
            return
        self.by_day.setdefault((subject, day), len(self.content.diary))
        self.content.diary.append({"date": day, "pain": value, "notes": notes_of(res)})
        self.content.diary_entries.append(i)
        self.content.diary_subjects.append(subject)

    def _item(self, i: int, res: Mapping[str, Any], subject: str | None, column: str) -> None:
        day = self._dated(i, res, f"the {column} Observation")
        if day is None:
            return
        value = value_of(res)
        if value is None:
            self.problems.add(f"entry[{i}]", f"the {column} Observation needs a value")
            return
        self.items.append((i, subject, day, column, value))

    def _day(self, i: int, res: Mapping[str, Any], subject: str | None, kind: str) -> None:
        """Read a body-region, headache or entry Observation."""
        day = self._dated(i, res, f"the {kind} Observation")
        if day is None:
            return
        if kind == "entry":
            record = entry_record(res, f"entry[{i}]", self.problems)
            if record is not None:
                self.content.entries.append(record)
                self.content.entry_entries.append(i)
                self.content.entry_subjects.append(subject)
        elif kind == "headache":
            value = headache_of(res, f"entry[{i}]", self.problems)
            if value is not None:
                self.items.append((i, subject, day, "headache", value))
        else:
            region = region_of(res, f"entry[{i}]", self.problems)
            if region is not None:
                self.regions.append((i, subject, day, region))

    def _peg(self, i: int, res: Mapping[str, Any], subject: str | None) -> None:
        """Read the items of a PEG score written as components (earlier bundles)."""
        items = {}
        for comp in res.get("component") or []:
            for system, code in codes_of(comp.get("code") if isinstance(comp, Mapping) else None):
                if system == LEGACY_PEG_ITEM_SYSTEM and code in DIARY_ITEMS and code != "pain":
                    items[code] = value_of(comp)
        day = day_of(res.get("effectiveDateTime"))
        if items and day is not None:
            self.items += [(i, subject, day, c, v) for c, v in items.items()]
        else:
            self._skip("Observation (PEG score, computed from its items)")

    def _medicine(self, i: int, res: Mapping[str, Any], subject: str | None) -> None:
        if res.get("status") in ("entered-in-error", "not-taken"):
            self._skip(f"MedicationStatement ({res['status']})")
            return
        effective = res.get("effectiveDateTime")
        if effective is None and isinstance(res.get("effectivePeriod"), Mapping):
            effective = res["effectivePeriod"].get("start")
        day = day_of(effective)
        if day is None:
            self.problems.add(
                f"entry[{i}].effectiveDateTime", "a MedicationStatement needs the diary date"
            )
            return
        columns = medicine_columns(res, f"entry[{i}]", self.problems)
        if columns is not None:
            self.medicines.append((i, subject, day, columns))

    def _response(self, i: int, res: Mapping[str, Any], subject: str | None) -> None:
        if res.get("status") not in ("completed", "amended"):
            self._skip(f"QuestionnaireResponse ({res.get('status')})")
            return
        answers = response_answers(res, f"entry[{i}]", self.problems)
        for record in answers or []:
            self.content.questionnaires.append(record)
            self.content.questionnaire_entries.append(i)
            self.content.questionnaire_subjects.append(subject)

    def attach(self) -> None:
        """Add medicines and items to the pain record of their subject's day."""
        seen: dict[tuple[str | None, str], int] = {}
        for i, subject, day, columns in self.medicines:
            record = self._record(i, subject, day, "the MedicationStatement")
            if record is None:
                continue
            if (subject, day) in seen:
                self.problems.add(
                    f"entry[{i}].effectiveDateTime",
                    f"entry[{seen[subject, day]}] already names the medicine of {day}; the "
                    "diary holds one named medicine a day: give the others' MME in the "
                    "opioid_mme Observation of that day",
                    day,
                )
                continue
            seen[subject, day] = i
            self.content.diary[record].update(columns)
            self.content.medication_entries[record] = i
        for i, subject, day, column, value in self.items:
            record = self._record(i, subject, day, f"the {column} Observation")
            if record is None:
                continue
            earlier = self.content.item_entries.get((record, column))
            if earlier is not None and self.content.diary[record].get(column) != value:
                self.problems.add(
                    f"entry[{i}]",
                    f"entry[{earlier}] already gives {column} of {day} another value",
                    value,
                )
                continue
            self.content.diary[record][column] = value
            self.content.item_entries[record, column] = i
        for i, subject, day, region in self.regions:
            record = self._record(i, subject, day, "the body_region Observation")
            if record is not None:
                marked = self.content.diary[record].get("body_regions")
                self.content.diary[record]["body_regions"] = (
                    f"{marked};{region}" if marked else region
                )
                self.content.item_entries.setdefault((record, "body_regions"), i)

    def _record(self, i: int, subject: str | None, day: str, what: str) -> int | None:
        record = self.by_day.get((subject, day))
        if record is None:
            self.problems.add(
                f"entry[{i}].effectiveDateTime",
                f"{what} of {day} has no pain Observation of the same patient that day",
                day,
            )
        return record


def patient_assignment(
    content: BundleContent,
    patient_id: str,
    mapping: Mapping[str, str] | None = None,
    *,
    file: str = "bundle.json",
) -> dict[str | None, str]:
    """Whose records each subject of the bundle becomes; refuse another patient unless mapped.

    Parameters
    ----------
    content : BundleContent
        What :func:`read_bundle` found.
    patient_id : str
        The patient imported into: records of this subject, and of resources
        without a subject, are filed under it.
    mapping : dict of str to str, optional
        Bundle patient id -> the patient its records are filed under
        (``--map P999=P031``).
    file : str

    Returns
    -------
    dict of (str or None) to str
        Every subject of the bundle's records (None: no subject) -> patient id.

    Raises
    ------
    DataValidationError
        A subject other than ``patient_id`` that ``mapping`` does not name: one
        problem per such patient (``column`` = the first ``entry[i].subject``),
        saying how to give the mapping. Nothing is imported.
    """
    mapping = dict(mapping or {})
    firsts: dict[str | None, int] = {}
    for subject, entry in zip(
        [
            *content.diary_subjects,
            *content.session_subjects,
            *content.questionnaire_subjects,
            *content.entry_subjects,
        ],
        [
            *content.diary_entries,
            *content.session_entries,
            *content.questionnaire_entries,
            *content.entry_entries,
        ],
        strict=True,
    ):
        firsts.setdefault(subject, entry)
    out: dict[str | None, str] = {}
    foreign = []
    for subject in firsts:
        if subject in mapping:
            out[subject] = mapping[subject]
        elif subject is None or subject == patient_id:
            out[subject] = patient_id
        else:
            foreign.append(subject)
    if not foreign:
        return out
    named = sorted(s for s in firsts if s is not None)
    holds = (
        f"holds the records of {len(named)} patients ({', '.join(named)})"
        if len(named) > 1
        else f"names patient {named[0]}"
    )
    rows = [
        (
            file,
            0,
            f"entry[{firsts[s]}].subject",
            s,
            f"{file} {holds}, not only {patient_id}; a record is filed under its own patient: "
            f"to file {s}'s records under another patient, give --map {s}=ID (e.g. --map "
            f"{s}={patient_id}); nothing was imported",
        )
        for s in foreign
    ]
    raise DataValidationError(
        f"{file} {holds}, not only {patient_id}; nothing was imported.",
        pd.DataFrame(rows, columns=PROBLEM_COLUMNS),
    )


def bundle_dataset(
    data: Any,
    patient_id: str,
    *,
    patients: pd.DataFrame | None,
    file: str = "bundle.json",
    today: dt.date | None = None,
    mapping: Mapping[str, str] | None = None,
    identifier_system: str = PATIENT_ID_SYSTEM,
    max_bytes: int | None = None,
) -> tuple[Dataset, BundleContent]:
    """Read the bundle's diary items, medicines and Procedures as canonical frames.

    Parameters
    ----------
    data : str, bytes, dict or os.PathLike
        The bundle or its file (see :func:`read_bundle`).
    patient_id : str
        The patient imported into; the bundle's records must be this patient's
        (or name no patient) unless ``mapping`` says whose they become.
    patients : pandas.DataFrame or None
        Known patients: the rows must name one of them (as in a CSV import).
    file : str
    today : datetime.date, optional
    mapping : dict of str to str, optional
        Bundle patient id -> patient its records are filed under.
    identifier_system : str
        Identifier system of the patient id (the ``fhir_identifier_system``
        setting).
    max_bytes : int, optional
        Largest file read (see :func:`read_bundle`).

    Returns
    -------
    (analytics.contract.Dataset, BundleContent)
        Empty ``patients``; ``diary`` and ``sessions`` validated with
        :func:`analytics.io.validate_records`, ``questionnaires`` (the answers of
        the QuestionnaireResponses) with the rules of ``questionnaires.csv``, each
        row under its own patient.

    Raises
    ------
    DataValidationError
        Any problem of the bundle or of a record (``column`` =
        ``entry[i].field``), or a patient the import may not file the records
        under (:func:`patient_assignment`); nothing is returned.
    """
    from analytics.contract import Dataset, empty_frame
    from analytics.io._loaders import validate_records

    content = read_bundle(data, file=file, identifier_system=identifier_system, max_bytes=max_bytes)
    owner = patient_assignment(content, patient_id, mapping, file=file)
    frames = {}
    parts: tuple[
        tuple[Literal["diary", "sessions"], list[dict[str, Any]], list[int], list[str | None]],
        ...,
    ] = (
        ("diary", content.diary, content.diary_entries, content.diary_subjects),
        ("sessions", content.sessions, content.session_entries, content.session_subjects),
    )
    for table, records, entries, subjects in parts:
        rows = [{"patient_id": owner[s], **r} for r, s in zip(records, subjects, strict=True)]
        try:
            frames[table] = validate_records(
                table,
                rows,
                patients=patients,
                today=today,
                file=file,
                where=entry_words(file, entries),
            )
        except DataValidationError as exc:
            diary = table == "diary"
            raise relabel(
                exc,
                entries,
                table,
                content.medication_entries if diary else {},
                content.item_entries if diary else {},
            ) from None
    answers = answers_frame(
        [
            {"patient_id": owner[s], **r}
            for r, s in zip(content.questionnaires, content.questionnaire_subjects, strict=True)
        ],
        content.questionnaire_entries,
        patients=patients,
        today=today,
        file=file,
    )
    entries = entries_frame(
        [
            {"patient_id": owner[s], **r}
            for r, s in zip(content.entries, content.entry_subjects, strict=True)
        ],
        content.entry_entries,
        patients=patients,
        today=today,
        file=file,
    )
    ds = Dataset(
        patients=empty_frame("patients"),
        diary=frames["diary"],
        sessions=frames["sessions"],
        questionnaires=answers,
        entries=entries,
    )
    return ds, content
