"""HL7 FHIR R4 outcome questionnaires: definitions, answers and scores out, answers back in.

A patient's questionnaires travel as three kinds of resource:

* one ``Questionnaire`` per instrument answered, rendered from its definition file
  (:data:`analytics.contract.INSTRUMENTS`): the canonical ``url``
  (:func:`canonical_url`) and ``version``, the instruction as an item of type
  ``display``, each question an item whose ``linkId`` is the item id, with its
  LOINC code where the definition has one; a question with named answers is a
  ``choice`` whose ``answerOption`` codings are LOINC answer codes where the
  definition has them and paindiary's answer code system otherwise
  (:data:`ANSWER_SYSTEM`, the code is the answer's value); a count of days is an
  ``integer`` with its range;
* one ``QuestionnaireResponse`` per questionnaire answered on a day: ``subject``,
  ``authored`` (the day), ``questionnaire`` (``url|version``), every answer as a
  ``valueCoding`` (named answers) or a ``valueInteger`` (counts);
* one ``Observation`` per score (``derivedFrom`` the response), coded in LOINC where
  the definition gives a verified score code and in paindiary's score code system
  otherwise (:data:`SCORE_SYSTEM`, the code is the score id); its band as
  ``interpretation`` text.

:func:`response_answers` reads a response back as answer records: the instrument
from the canonical, each item by ``linkId``, each answer matched to an option of
the definition, so an export → import gives back every answer exactly.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analytics.contract import INSTRUMENTS, Instrument, Item
from analytics.io._fhir_codes import LOINC, PAINDIARY_FHIR
from analytics.io._fhir_records import Problems, day_of

__all__ = [
    "QUESTIONNAIRE_BASE",
    "QUESTIONNAIRE_ID_SYSTEM",
    "ANSWER_SYSTEM",
    "SCORE_SYSTEM",
    "canonical_url",
    "questionnaire_full_url",
    "is_count",
    "questionnaire_resource",
    "response_resource",
    "score_observation",
    "instrument_of",
    "response_answers",
    "answers_frame",
]

#: Base of the canonical URL of paindiary's Questionnaires: base + instrument id.
QUESTIONNAIRE_BASE = f"{PAINDIARY_FHIR}/Questionnaire/"
#: Identifier system of a Questionnaire (value ``id-version``): its conditional create.
QUESTIONNAIRE_ID_SYSTEM = f"{PAINDIARY_FHIR}/questionnaire-id"
#: paindiary's code system of answers without a LOINC answer code: the code is the value.
ANSWER_SYSTEM = f"{PAINDIARY_FHIR}/CodeSystem/questionnaire-answer"
#: paindiary's code system of questionnaire scores without a verified LOINC code.
SCORE_SYSTEM = f"{PAINDIARY_FHIR}/CodeSystem/questionnaire-score"

_NS = uuid.UUID("6f1c3b7e-3a52-4c7e-9d1e-70a1d5c0f002")


def canonical_url(instrument: Instrument) -> str:
    """Return the canonical URL of an instrument's Questionnaire.

    Examples
    --------
    >>> from analytics.contract import INSTRUMENTS
    >>> canonical_url(INSTRUMENTS["phq4"])
    'https://paindiary.org/fhir/Questionnaire/phq4'
    """
    return QUESTIONNAIRE_BASE + instrument.id


def questionnaire_full_url(instrument: Instrument) -> str:
    """Return the bundle fullUrl of a Questionnaire: the same in every patient's bundle."""
    return f"urn:uuid:{uuid.uuid5(_NS, canonical_url(instrument) + '|' + instrument.version)}"


def is_count(item: Item) -> bool:
    """Tell whether an item is a count (a number of days): it travels as ``valueInteger``.

    An item with named answers travels as ``valueCoding``.
    """
    return item.count


def _coding(item: Item, value: int) -> dict[str, Any]:
    option = next(o for o in item.options if o.value == value)
    if option.loinc is not None:
        return {"system": LOINC, "code": option.loinc, "display": option.label}
    return {"system": ANSWER_SYSTEM, "code": str(option.value), "display": option.label}


def questionnaire_resource(instrument: Instrument) -> dict[str, Any]:
    """Render an instrument's definition as a FHIR R4 ``Questionnaire`` (a dict)."""
    items: list[dict[str, Any]] = [{"linkId": "intro", "type": "display", "text": instrument.intro}]
    for item in instrument.items:
        entry: dict[str, Any] = {"linkId": item.id, "text": item.text, "required": True}
        if item.loinc is not None:
            entry["code"] = [{"system": LOINC, "code": item.loinc, "display": item.text}]
        if is_count(item):
            entry["type"] = "integer"
            entry["extension"] = [
                {"url": f"http://hl7.org/fhir/StructureDefinition/{end}Value", "valueInteger": v}
                for end, v in (("min", min(item.values)), ("max", max(item.values)))
            ]
        else:
            entry["type"] = "choice"
            entry["answerOption"] = [{"valueCoding": _coding(item, v)} for v in item.values]
        items.append(entry)
    resource: dict[str, Any] = {
        "resourceType": "Questionnaire",
        "url": canonical_url(instrument),
        "identifier": [
            {"system": QUESTIONNAIRE_ID_SYSTEM, "value": f"{instrument.id}-{instrument.version}"}
        ],
        "version": instrument.version,
        "name": "".join(
            w[:1].upper() + w[1:] for w in re.split(r"[^A-Za-z0-9]+", instrument.short_name)
        ),
        "title": instrument.name,
        "status": "active",
        "subjectType": ["Patient"],
        "description": f"{instrument.domain.capitalize()}. Source: {instrument.source}",
        "copyright": instrument.licence,
        "item": items,
    }
    if instrument.loinc is not None:
        resource["code"] = [{"system": LOINC, "code": instrument.loinc, "display": instrument.name}]
    return resource


def response_resource(
    instrument: Instrument, answers: pd.DataFrame, day: str, subject: dict[str, str]
) -> dict[str, Any]:
    """Write one answered questionnaire as a ``QuestionnaireResponse`` (a dict).

    ``answers`` holds the ``item`` and ``answer`` of that patient, day and instrument.
    """
    given = dict(zip(answers["item"].astype(str), answers["answer"].astype(int), strict=True))
    items = []
    for item in instrument.items:
        if item.id not in given:
            continue
        value = given[item.id]
        answer = (
            {"valueInteger": value} if is_count(item) else {"valueCoding": _coding(item, value)}
        )
        items.append({"linkId": item.id, "text": item.text, "answer": [answer]})
    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": f"{canonical_url(instrument)}|{instrument.version}",
        "status": "completed",
        "subject": subject,
        "authored": day,
        "item": items,
    }


def score_observation(
    instrument: Instrument, score_id: str, value: float, band: Any
) -> dict[str, Any]:
    """Write the code, value and band of one score's ``Observation`` (the caller adds the rest)."""
    rule = next(s for s in instrument.scores if s.id == score_id)
    system, code = (LOINC, rule.loinc) if rule.loinc is not None else (SCORE_SYSTEM, rule.id)
    x = float(value)
    out: dict[str, Any] = {
        "code": {"coding": [{"system": system, "code": code, "display": rule.label}]},
        **(
            {"valueInteger": int(x)}
            if x.is_integer()
            else {
                "valueQuantity": {
                    "value": x,
                    "unit": "{score}",
                    "system": "http://unitsofmeasure.org",
                    "code": "{score}",
                }
            }
        ),
    }
    if isinstance(band, str) and band:
        out["interpretation"] = [{"text": band}]
    return out


def instrument_of(res: Mapping[str, Any]) -> Instrument | None:
    """Return the instrument a QuestionnaireResponse answers (by its canonical), or None."""
    canonical = res.get("questionnaire")
    if not isinstance(canonical, str) or not canonical.startswith(QUESTIONNAIRE_BASE):
        return None
    return INSTRUMENTS.get(canonical[len(QUESTIONNAIRE_BASE) :].partition("|")[0])


def _answer_value(item: Item, answer: Mapping[str, Any]) -> int | None:
    if "valueInteger" in answer:
        value = answer["valueInteger"]
        return value if isinstance(value, int) and value in item.values else None
    coding = answer.get("valueCoding")
    if not isinstance(coding, Mapping):
        return None
    system, code = coding.get("system"), str(coding.get("code"))
    for option in item.options:
        if (system == LOINC and option.loinc == code) or (
            system == ANSWER_SYSTEM and str(option.value) == code
        ):
            return option.value
    return None


def response_answers(
    res: Mapping[str, Any], where: str, problems: Problems
) -> list[dict[str, Any]] | None:
    """Read a QuestionnaireResponse as answer records (date, instrument, item, answer).

    Returns None (with a problem) when the response cannot be read: an unknown
    questionnaire, no ``authored`` day, an item or an answer its definition does
    not hold. A response not ``completed`` or ``amended`` gives no answers.
    """
    instrument = instrument_of(res)
    if instrument is None:
        known = ", ".join(QUESTIONNAIRE_BASE + i for i in INSTRUMENTS)
        problems.add(
            f"{where}.questionnaire",
            f"the response answers no questionnaire paindiary knows; its questionnaire must be "
            f"one of {known}",
            res.get("questionnaire"),
        )
        return None
    day = day_of(res.get("authored"))
    if day is None:
        problems.add(f"{where}.authored", "a QuestionnaireResponse needs the day it was answered")
        return None
    records = []
    ok = True
    for n, entry in enumerate(res.get("item") or []):
        link = entry.get("linkId") if isinstance(entry, Mapping) else None
        spot = f"{where}.item[{n}]"
        item = next((x for x in instrument.items if x.id == link), None)
        answers = entry.get("answer") or [] if isinstance(entry, Mapping) else []
        if item is None or len(answers) != 1:
            ids = ", ".join(x.id for x in instrument.items)
            problems.add(
                spot,
                f"{instrument.short_name} has no item {link!r} answered once; its items are {ids}"
                if item is None
                else f"{item.id} needs exactly one answer",
                link,
            )
            ok = False
            continue
        value = _answer_value(item, answers[0])
        if value is None:
            allowed = ", ".join(str(v) for v in item.values)
            problems.add(
                f"{spot}.answer[0]",
                f"the answer to {item.id} is none of its options (values {allowed})",
                answers[0],
            )
            ok = False
            continue
        records.append({"date": day, "instrument": instrument.id, "item": item.id, "answer": value})
    return records if ok else None


def answers_frame(
    records: list[dict[str, Any]],
    entries: list[int],
    *,
    patients: pd.DataFrame | None,
    today: Any = None,
    file: str = "bundle.json",
) -> pd.DataFrame:
    """Check answer records (with ``patient_id``) by the rules of ``questionnaires.csv``.

    Returns
    -------
    pandas.DataFrame
        The canonical ``questionnaires`` frame.

    Raises
    ------
    DataValidationError
        A record the file's rules refuse (an unknown patient, a future date);
        ``column`` = ``entry[i].field`` of the response it came from.
    """
    import io as _io

    from analytics.contract import QUESTIONNAIRES, empty_answers
    from analytics.errors import DataValidationError
    from analytics.io._loaders import load_questionnaires

    if not records:
        return empty_answers()
    columns = list(QUESTIONNAIRES.column_names)
    text = pd.DataFrame(records, columns=columns).to_csv(index=False)
    try:
        return load_questionnaires(_io.StringIO(text), patients=patients, today=today, name=file)
    except DataValidationError as exc:
        problems = exc.problems.copy()
        where = []
        for line, col in zip(problems["line"], problems["column"], strict=True):
            n = int(line) - 2  # line 1 is the header
            prefix = f"entry[{entries[n]}]" if 0 <= n < len(entries) else "questionnaires"
            where.append(f"{prefix}.{col}" if col else prefix)
        problems["column"] = where
        problems["line"] = 0
        raise DataValidationError(str(exc), problems) from None
