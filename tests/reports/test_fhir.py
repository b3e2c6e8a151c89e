"""FHIR R4 export and import: validation, codes, notes, round trip, malformed bundles."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from fhir.resources.R4B.bundle import Bundle

from analytics.cli import main
from analytics.contract import Dataset
from analytics.errors import DataValidationError
from analytics.io import (
    ACUPUNCTURE_SNOMED,
    PAIN_LOINC,
    PEG_LOINC,
    bundle_dataset,
    bundle_json,
    patient_bundle,
    read_bundle,
)
from analytics.store import open_store
from tests.demo_clinic import copy_demo_clinic

from .conftest import NOW, SAMPLE_DIR

PID = "P006"


@pytest.fixture(scope="module")
def exported(sample):
    bundle = patient_bundle(
        sample.patients, sample.diary, sample.sessions, PID, include_notes=True, now=NOW
    )
    return json.loads(bundle_json(bundle))


def _resources(bundle, kind, code=None):
    out = []
    for e in bundle["entry"]:
        r = e["resource"]
        if r["resourceType"] != kind:
            continue
        if code is None or any(c["code"] == code for c in r["code"]["coding"]):
            out.append(r)
    return out


def test_bundle_validates_as_r4_collection_with_the_right_codes(sample, exported):
    Bundle.model_validate(exported)  # the serialised JSON reads back through the R4B model
    assert exported["type"] == "collection"
    d = sample.diary[sample.diary["patient_id"] == PID]
    s = sample.sessions[sample.sessions["patient_id"] == PID]
    (patient,) = _resources(exported, "Patient")
    assert patient["identifier"][0]["value"] == PID
    pain = _resources(exported, "Observation", PAIN_LOINC)
    assert len(pain) == len(d)
    first = pain[0]
    assert first["code"]["coding"][0]["system"] == "http://loinc.org"
    assert first["category"][0]["coding"][0]["code"] == "survey"
    assert first["effectiveDateTime"] == d["date"].min().strftime("%Y-%m-%d")
    assert first["valueInteger"] == int(d.sort_values("date")["pain"].iloc[0])
    full = patient_bundle(sample.patients, sample.diary, sample.sessions, PID, now=NOW)
    urls = {e.fullUrl for e in full.entry}
    assert len(urls) == len(full.entry)  # every entry has its own id
    assert all(r["subject"]["reference"] == exported["entry"][0]["fullUrl"] for r in pain)
    procedures = _resources(exported, "Procedure", ACUPUNCTURE_SNOMED)
    assert len(procedures) == len(s)
    assert procedures[0]["code"]["coding"][0]["system"] == "http://snomed.info/sct"
    assert "points" in procedures[0]["code"]["text"]
    assert len(procedures[0]["performedDateTime"]) == 10


def test_peg_observations_only_where_complete():
    from analytics.contract import empty_frame

    diary = pd.DataFrame(
        {
            "patient_id": ["A", "A"],
            "date": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "pain": [6.0, 4.5],
            "enjoyment_interference": [5.0, None],
            "activity_interference": [7.0, 3.0],
        }
    )
    canon = empty_frame("diary")
    diary = pd.concat([canon, diary], ignore_index=True)[canon.columns].astype(canon.dtypes)
    b = json.loads(
        bundle_json(patient_bundle(empty_frame("patients"), diary, empty_frame("sessions"), "A"))
    )
    peg = _resources(b, "Observation", PEG_LOINC)
    assert len(peg) == 1
    assert peg[0]["valueQuantity"]["value"] == pytest.approx(6.0)  # (6 + 5 + 7) / 3
    pain = _resources(b, "Observation", PAIN_LOINC)
    assert pain[1]["valueQuantity"]["value"] == 4.5  # a decimal score is a quantity


def test_notes_only_with_include_notes(sample):
    b = json.loads(bundle_json(patient_bundle(sample.patients, sample.diary, sample.sessions, PID)))
    assert all("note" not in e["resource"] for e in b["entry"])
    notes = pd.concat(
        [
            sample.diary.loc[sample.diary["patient_id"] == PID, "notes"],
            sample.sessions.loc[sample.sessions["patient_id"] == PID, "notes"],
        ]
    ).dropna()
    text = json.dumps(b)
    assert len(notes) and not any(n in text for n in notes)


def test_round_trip_through_import_gives_the_same_diary_and_sessions(sample, exported):
    ds, content = bundle_dataset(json.dumps(exported), PID, patients=sample.patients)
    d = sample.diary[sample.diary["patient_id"] == PID].reset_index(drop=True)
    pd.testing.assert_series_equal(ds.diary["date"], d["date"])
    pd.testing.assert_series_equal(ds.diary["pain"], d["pain"])
    for col in ("enjoyment_interference", "activity_interference", "notes"):
        pd.testing.assert_series_equal(ds.diary[col], d[col])
    s = sample.sessions[sample.sessions["patient_id"] == PID].reset_index(drop=True)
    pd.testing.assert_frame_equal(ds.sessions, s)
    assert content.bundle_patient_ids == (PID,)


def test_cli_round_trip_into_a_database(tmp_path, sample):
    out = tmp_path / "b.json"
    assert main(["fhir", "--patient", PID, "--out", str(out), "--data", str(SAMPLE_DIR)]) == 0
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with open_store(url) as store:
        # the patient exists, without any diary day or session yet
        store.import_dataset(
            "test",
            Dataset(
                patients=sample.patients[sample.patients["patient_id"] == PID],
                diary=sample.diary.iloc[0:0],
                sessions=sample.sessions.iloc[0:0],
            ),
        )
    assert main(["fhir-import", str(out), "--patient", PID, "--db", url]) == 0
    with open_store(url) as store:
        diary = store.diary("test", PID)
        sessions = store.sessions("test", PID)
    d = sample.diary[sample.diary["patient_id"] == PID].reset_index(drop=True)
    pd.testing.assert_series_equal(diary["pain"], d["pain"])
    pd.testing.assert_series_equal(diary["date"], d["date"])
    cols = ["date", "technique", "points", "needles", "retention_min", "adverse_events"]
    s = sample.sessions[sample.sessions["patient_id"] == PID].reset_index(drop=True)
    pd.testing.assert_frame_equal(sessions[cols], s[cols])
    # importing the same bundle again changes nothing
    assert main(["fhir-import", str(out), "--patient", PID, "--db", url]) == 0


def test_import_never_blanks_what_the_bundle_does_not_carry(tmp_path, sample, capsys):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    keep = sample.patients["patient_id"] == PID
    with open_store(url) as store:
        store.import_dataset(
            "test",
            Dataset(
                patients=sample.patients[keep],
                diary=sample.diary[sample.diary["patient_id"] == PID],
                sessions=sample.sessions[sample.sessions["patient_id"] == PID],
            ),
        )
        before = store.diary("test", PID)
    bundle = json.loads(
        bundle_json(patient_bundle(sample.patients, sample.diary, sample.sessions, PID))
    )
    pain = _resources(bundle, "Observation", PAIN_LOINC)[0]
    pain["valueInteger"] = (pain["valueInteger"] + 1) % 11
    path = tmp_path / "b.json"
    path.write_text(json.dumps(bundle))
    assert main(["fhir-import", str(path), "--patient", PID, "--db", url]) == 1
    assert "nothing was imported" in capsys.readouterr().err
    with open_store(url) as store:
        pd.testing.assert_frame_equal(store.diary("test", PID), before)
    assert main(["fhir-import", str(path), "--patient", PID, "--db", url, "--update"]) == 0
    with open_store(url) as store:
        after = store.diary("test", PID)
    assert after["pain"].iloc[0] == pain["valueInteger"]
    # sleep, mood, medication and the bundle-less notes of that day are kept
    others = [c for c in before.columns if c not in ("pain",)]
    pd.testing.assert_frame_equal(after[others], before[others])


def _bundle(*resources):
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in resources],
    }


def _pain(day, value):
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": PAIN_LOINC}]},
        "effectiveDateTime": day,
        "valueInteger": value,
    }


@pytest.mark.parametrize(
    ("data", "where", "message"),
    [
        ("{not json", "line 1 column 2", "not valid JSON"),
        (json.dumps({"resourceType": "Patient"}), "resourceType", "must hold a FHIR Bundle"),
        (
            json.dumps(_bundle({"resourceType": "Frobnicate"})),
            "entry[0].resourceType",
            "not a FHIR R4",
        ),
        (
            json.dumps(_bundle(_pain("2026-01-01", 3), _pain("2026-13-01", 3))),
            "entry[1].effectiveDateTime",
            "Observation",
        ),
        (json.dumps(_bundle(_pain("2026-01-01", "abc"))), "entry[0].valueInteger", "integer"),
        (
            json.dumps(_bundle({**_pain("2026-01-01", 3), "valueInteger": None})),
            "entry[0]",
            "needs valueInteger",
        ),
        (json.dumps(_bundle({"foo": 1})), "entry[0]", "no resource"),
    ],
)
def test_malformed_bundles_name_file_entry_and_problem(data, where, message, sample):
    with pytest.raises(DataValidationError) as info:
        bundle_dataset(data, PID, patients=sample.patients, file="x.json")
    problems = info.value.problems
    assert (problems["file"] == "x.json").all()
    assert any(
        where in c and message in m
        for c, m in zip(problems["column"], problems["message"], strict=True)
    ), problems


def test_contract_rules_apply_to_bundle_records_with_entry_indices(sample):
    data = json.dumps(
        _bundle(_pain("2026-01-01", 3), _pain("2026-01-02", 11), _pain("2026-01-01", 4))
    )
    with pytest.raises(DataValidationError) as info:
        bundle_dataset(data, PID, patients=sample.patients, file="x.json")
    text = " | ".join(
        f"{c}: {m}"
        for c, m in zip(info.value.problems["column"], info.value.problems["message"], strict=True)
    )
    assert "entry[1].pain" in text and "0 to 10" in text
    assert "entry[2]" in text  # the duplicate day
    with pytest.raises(DataValidationError, match="problem"):
        bundle_dataset(
            json.dumps(_bundle(_pain("2026-01-01", 3))), "NOPE", patients=sample.patients
        )


def test_other_resources_are_skipped_and_counted():
    content = read_bundle(
        json.dumps(
            _bundle(
                _pain("2026-01-01", 3), {"resourceType": "Condition", "subject": {"reference": "x"}}
            )
        )
    )
    assert len(content.diary) == 1
    assert content.skipped == {"Condition (not a diary item, medicine or acupuncture)": 1}


def test_fhir_import_errors_exit_1_and_write_nothing(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with open_store(url):
        pass
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    assert main(["fhir-import", str(bad), "--patient", "P1", "--db", url]) == 1
    assert "no patient 'P1'" in capsys.readouterr().err
    assert (
        main(["fhir-import", str(tmp_path / "missing.json"), "--patient", "P1", "--db", url]) == 1
    )
    assert "cannot read" in capsys.readouterr().err


def test_db_export_and_import_go_through_the_service_and_are_audited(
    demo_clinic_kept_dates, tmp_path
):
    from analytics.access import LOCAL_OPERATOR
    from analytics.service import Service

    url = copy_demo_clinic(demo_clinic_kept_dates, tmp_path)
    out = tmp_path / "b.json"
    pid = "P028"  # a migraine patient with body regions and entries during the day
    assert main(["fhir", "--patient", pid, "--out", str(out), "--db", url]) == 0
    assert main(["fhir-import", str(out), "--patient", pid, "--db", url]) == 0  # all unchanged
    with open_store(url) as store:
        service = Service(store, LOCAL_OPERATOR, face="test")
        entries = service.entries(pid)
        stored = service.patient_dataset(pid, purpose="test")
        log = service.audit_log(limit=50)
    # the entries during the day are read through the service's own read of them
    codes = [e["resource"].get("code", {}).get("coding", [{}])[0].get("code") for e in
             json.loads(out.read_text())["entry"]]  # fmt: skip
    assert codes.count("entry") == len(entries) > 0
    assert codes.count("headache") == stored.diary["headache"].notna().sum() > 0
    export = log[(log["face"] == "cli:fhir") & (log["action"] == "export")]
    assert list(export["patient_id"]) == [pid]
    assert '"purpose": "entries"' in log[log["face"] == "cli:fhir"]["detail"].astype(str).str.cat()
    assert (log[log["face"] == "cli:fhir-import"]["action"] == "import").any()
    assert main(["fhir", "--patient", "NOPE", "--out", str(tmp_path / "x.json"), "--db", url]) == 1
