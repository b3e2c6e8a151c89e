"""One MME conversion on every diary entry point: CSV, Parquet, FHIR, the form and the store.

The expected values are worked out by hand from the CDC Clinical Practice Guideline for
Prescribing Opioids for Pain (Dowell et al. 2022, MMWR Recomm Rep 71(RR-3)), whose
table of MME conversion factors gives oxycodone 1.5 and fentanyl (transdermal patch)
2.4 per mcg/h: oxycodone 30 mg a day is 30 x 1.5 = 45 MME/day.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import warnings
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.errors import DataQualityWarning, DataValidationError
from analytics.io import bundle_dataset, load_diary, load_parquet, load_patients
from analytics.io._fhir import LOINC, PAIN_LOINC
from analytics.stats import factor_days

TODAY = dt.date(2026, 3, 10)
#: Dowell et al. 2022, table of MME conversion factors: oxycodone.
OXYCODONE_FACTOR = 1.5
OXYCODONE_30_MG = 30 * OXYCODONE_FACTOR  # 45 MME/day, by hand
HEAD = "patient_id,date,pain,opioid_mme,medication,medication_dose\n"
KNOWN = (
    "codeine, fentanyl_patch, hydrocodone, hydromorphone, methadone, morphine, oxycodone, "
    "oxymorphone, tapentadol, tramadol"
)


def _csv(text: str, **kw):
    kw.setdefault("today", TODAY)
    return load_diary(io.BytesIO(text.encode()), name="diary.csv", **kw)


def _csv_problems(text: str, **kw):
    with pytest.raises(DataValidationError) as info:
        _csv(text, **kw)
    return info.value


def _parquet(tmp_path: Path, **columns) -> Path:
    base = {
        "patient_id": pa.array(["P1"] * len(columns["medication"])),
        "date": pa.array([dt.date(2026, 3, 1 + i) for i in range(len(columns["medication"]))]),
        "pain": pa.array([5.0] * len(columns["medication"])),
    }
    base.update(columns)
    path = tmp_path / "diary.parquet"
    pq.write_table(pa.table(base), path)
    return path


def _pain(day: str, value: int) -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": PAIN_LOINC}]},
        "effectiveDateTime": day,
        "valueInteger": value,
    }


def _medicine(day: str, name: str, dose: float, per_day: int = 1, unit: str = "mg", mme=None):
    res = {
        "resourceType": "MedicationStatement",
        "status": "completed",
        "subject": {"reference": "Patient/p1"},
        "medicationCodeableConcept": {"text": name},
        "effectiveDateTime": day,
        "dosage": [
            {
                "timing": {"repeat": {"frequency": per_day, "period": 1, "periodUnit": "d"}},
                "doseAndRate": [
                    {
                        "doseQuantity": {
                            "value": dose,
                            "unit": unit,
                            "system": "http://unitsofmeasure.org",
                            "code": unit,
                        }
                    }
                ],
            }
        ],
    }
    if mme is not None:
        res["extension"] = [{"url": "urn:paindiary:fhir:opioid_mme", "valueDecimal": mme}]
    return res


def _bundle(*resources) -> str:
    return json.dumps(
        {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in resources],
        }
    )


@pytest.fixture(scope="module")
def patients():
    return load_patients(io.StringIO("patient_id,condition\nP1,neck_pain\n"), today=TODAY)


# --------------------------------------------------------------------------- one conversion


def test_oxycodone_30_mg_is_45_mme_on_every_entry_point(tmp_path, patients, monkeypatch):
    assert OXYCODONE_30_MG == 45.0
    csv_mme = _csv(HEAD + "P1,2026-03-01,5,,oxycodone,30\n")["opioid_mme"].iat[0]

    path = _parquet(
        tmp_path,
        medication=pa.array(["oxycodone"]),
        medication_dose=pa.array([30.0]),
        opioid_mme=pa.array([None], pa.float64()),
    )
    parquet_mme = load_parquet(path, "diary", today=TODAY)["opioid_mme"].iat[0]

    # 10 mg three times a day, as a record system writes it
    bundle = _bundle(_pain("2026-03-01", 5), _medicine("2026-03-01", "Oxycodone", 10, per_day=3))
    ds, content = bundle_dataset(bundle, "P1", patients=patients, today=TODAY)
    fhir_mme = ds.diary["opioid_mme"].iat[0]
    assert content.medication_entries == {0: 1}
    assert ds.diary["medication_dose"].iat[0] == 30.0

    from dashboard import clock
    from dashboard.components import entry_form

    monkeypatch.setattr(clock, "today", lambda: TODAY)
    form_values = {
        "pain": 5,
        "medication": "oxycodone",
        "medication_dose": 30.0,
        "opioid_mme": None,
        "notes": "",
    }
    checked = entry_form._checked(form_values, dt.date(2026, 3, 1))
    assert checked is not None
    form_mme = checked[0]["opioid_mme"]

    for got in (csv_mme, parquet_mme, fhir_mme, form_mme):
        assert got == pytest.approx(OXYCODONE_30_MG, rel=1e-12)


def test_an_imported_opioid_day_is_an_analgesic_day():
    diary = _csv(HEAD + "P1,2026-03-01,5,,oxycodone,30\nP1,2026-03-02,5,,ibuprofen,400\n")
    assert diary["opioid_mme"].isna().tolist() == [False, True]  # ibuprofen is no opioid
    days = factor_days(diary)
    assert days["analgesic"].tolist()[0] is True


def test_the_store_saves_the_same_mme(tmp_path):
    from analytics.store import open_store

    with open_store(f"sqlite:///{tmp_path / 'db.sqlite3'}") as store:
        store.save_patient("admin", {"patient_id": "P1", "condition": "neck_pain"})
        store.save_diary_entry(
            "admin",
            {
                "patient_id": "P1",
                "date": "2026-03-01",
                "pain": 5,
                "medication": "fentanyl patch",
                "medication_dose": 25,
            },
        )
        entry = store.get_diary_entry("admin", "P1", "2026-03-01")
    assert entry["opioid_mme"] == pytest.approx(25 * 2.4)  # 60 MME/day, CDC 2022


@pytest.mark.parametrize(
    ("given", "ok"), [("45", True), ("45.4", True), ("44.5", True), ("44.4", False)]
)
def test_a_given_mme_may_differ_by_rounding_only(given, ok):
    text = HEAD + f"P1,2026-03-01,5,{given},oxycodone,30\n"
    if ok:
        assert _csv(text)["opioid_mme"].iat[0] == float(given)  # the given value is kept
    else:
        _csv_problems(text)


MISMATCH = (
    'opioid_mme is "40", but oxycodone 30 mg a day is 45 MME (CDC 2022 factor 1.5); write 45 '
    "in opioid_mme or leave it empty to have it computed, or correct medication_dose"
)


def test_a_mismatching_mme_names_file_line_column_value_and_the_expected_mme():
    exc = _csv_problems(HEAD + "P1,2026-03-01,5,45,oxycodone,30\nP1,2026-03-02,5,40,oxycodone,30\n")
    assert exc.problems.to_dict("records") == [
        {
            "file": "diary.csv",
            "line": 3,
            "column": "opioid_mme",
            "value": "40",
            "message": MISMATCH,
        }
    ]
    assert f"  diary.csv line 3: {MISMATCH}\n" in str(exc)


def test_parquet_words_a_mismatch_as_the_csv_loader(tmp_path):
    path = _parquet(
        tmp_path,
        medication=pa.array(["oxycodone", "oxycodone"]),
        medication_dose=pa.array([30.0, 30.0]),
        opioid_mme=pa.array([45.0, 40.0]),
    )
    with pytest.raises(DataValidationError) as info:
        load_parquet(path, "diary", today=TODAY)
    assert info.value.problems.to_dict("records") == [
        {
            "file": "diary.parquet",
            "line": 2,
            "column": "opioid_mme",
            "value": "40",
            "message": MISMATCH,
        }
    ]


def test_fhir_names_the_medication_statement_of_a_mismatch(patients):
    bundle = _bundle(_pain("2026-03-01", 5), _medicine("2026-03-01", "oxycodone", 30, mme=40))
    with pytest.raises(DataValidationError) as info:
        bundle_dataset(bundle, "P1", patients=patients, today=TODAY, file="x.json")
    (problem,) = info.value.problems.to_dict("records")
    assert problem["column"] == "entry[1].opioid_mme"
    assert problem["message"] == MISMATCH


def test_fhir_refuses_a_dose_in_another_unit(patients):
    bundle = _bundle(_pain("2026-03-01", 5), _medicine("2026-03-01", "fentanyl_patch", 25))
    with pytest.raises(DataValidationError) as info:
        bundle_dataset(bundle, "P1", patients=patients, today=TODAY, file="x.json")
    (problem,) = info.value.problems.to_dict("records")
    assert problem["column"] == "entry[1].dosage[0].doseAndRate[0].doseQuantity"
    assert problem["message"] == (
        "the dose of fentanyl_patch is in mg; give it in ug/h (the patch's strength)"
    )


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("oxycodon", "did you mean oxycodone?"),
        ("buprenorphine", "buprenorphine has no MME conversion factor in the CDC 2022 table"),
        ("fentanyl", "fentanyl is converted only as a transdermal patch, written fentanyl_patch"),
        (
            "oxycodone/paracetamol",
            "write the opioid's name alone, oxycodone, with its mg in medication_dose",
        ),
    ],
)
def test_an_opioid_without_a_factor_is_refused_in_a_sentence_listing_the_known_names(name, why):
    exc = _csv_problems(HEAD + f'P1,2026-03-01,5,,"{name}",30\n')
    (problem,) = exc.problems.to_dict("records")
    assert (problem["line"], problem["column"], problem["value"]) == (2, "medication", name)
    assert problem["message"] == (
        f'medication "{name}" is not an opioid paindiary converts to MME ({why}); name one of '
        f"{KNOWN} (CDC 2022 factors), or give the day's MME in opioid_mme"
    )


def test_an_opioid_without_a_factor_loads_when_its_mme_is_given():
    diary = _csv(HEAD + "P1,2026-03-01,5,12,buprenorphine,0.3\n")
    assert diary["opioid_mme"].iat[0] == 12.0


def test_a_dose_too_large_to_convert_is_refused():
    exc = _csv_problems(HEAD + "P1,2026-03-01,5,,tramadol,2000\n")
    (problem,) = exc.problems.to_dict("records")
    assert (problem["column"], problem["value"]) == ("medication_dose", "2000")
    assert problem["message"] == (
        'medication_dose is "2000": a daily dose of 2000 mg of tramadol is above 1000; give the '
        "total of the day in mg"
    )


# --------------------------------------------------------------------------- repeated days


def _loaded(text: str, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        frame = _csv(text, **kw)
    return frame, [str(w.message) for w in caught]


def test_an_exactly_repeated_day_is_loaded_once_with_a_warning_naming_both_lines():
    frame, told = _loaded(
        HEAD
        + "P1,2026-03-01,5,,oxycodone,30\nP1,2026-03-02,4,,,\nP1,2026-03-01,5,45,oxycodone,30\n"
    )
    assert frame["date"].dt.day.tolist() == [1, 2]
    assert frame["opioid_mme"].iat[0] == OXYCODONE_30_MG
    assert told == [
        "diary.csv lines 2 and 4: the same diary day (patient_id P1, date 2026-03-01) with the "
        "same values in every column; the day is kept once"
    ]


CONFLICT = (
    "duplicate diary day: the same patient_id and date appear on lines 2, 3 with different pain; "
    "keep one row per patient_id and date"
)


def test_a_day_repeated_with_other_values_is_refused_naming_both_lines():
    exc = _csv_problems(HEAD + "P1,2026-03-01,5,,,\nP1,2026-03-01,6,,,\nP1,2026-03-02,4,,,\n")
    assert exc.problems[["line", "column", "message"]].to_dict("records") == [
        {"line": 2, "column": "date", "message": CONFLICT},
        {"line": 3, "column": "date", "message": CONFLICT},
    ]


def test_skip_invalid_leaves_out_both_rows_of_a_conflict_and_says_so():
    frame, told = _loaded(
        HEAD + "P1,2026-03-01,5,,,\nP1,2026-03-01,6,,,\nP1,2026-03-02,4,,,\n", on_error="skip"
    )
    assert frame["date"].dt.day.tolist() == [2]
    assert frame.attrs["rejects"]["line"].tolist() == [2, 3]
    assert told == [
        "diary.csv lines 2 and 3: the same diary day (patient_id P1, date 2026-03-01) with "
        "different pain; none of these rows was loaded",
        "2 row(s) of diary.csv were rejected and not loaded; see .attrs['rejects']",
    ]


def test_a_repeat_with_the_same_values_and_a_conflicting_third_row():
    with pytest.warns(DataQualityWarning, match="lines 2 and 3: the same diary day"):
        exc = _csv_problems(HEAD + "P1,2026-03-01,5,,,\nP1,2026-03-01,5,,,\nP1,2026-03-01,7,,,\n")
    assert exc.problems["line"].tolist() == [2, 4]  # line 3 repeats line 2 and is left out
    assert "appear on lines 2, 4 with different pain" in exc.problems["message"].iat[0]


def test_parquet_loads_a_repeated_day_once(tmp_path):
    base = {
        "patient_id": pa.array(["P1", "P1"]),
        "date": pa.array([dt.date(2026, 3, 1), dt.date(2026, 3, 1)]),
        "pain": pa.array([5.0, 5.0]),
    }
    pq.write_table(pa.table(base), tmp_path / "diary.parquet")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        frame = load_parquet(tmp_path / "diary.parquet", "diary", today=TODAY)
    assert len(frame) == 1
    assert [str(w.message) for w in caught] == [
        "diary.parquet lines 1 and 2: the same diary day (patient_id P1, date 2026-03-01) with "
        "the same values in every column; the day is kept once"
    ]


def test_the_import_preview_shows_the_repeat_warning(patients):
    from dashboard.data._writes import _load_uploads

    raw = (HEAD + "P1,2026-03-01,5,,,\nP1,2026-03-01,5,,,\n").encode()
    ds, problems = _load_uploads(("test",), (("diary", "diary.csv", raw),), patients)
    assert problems is None
    assert len(ds.diary) == 1
    assert ds.warnings == (
        "diary.csv lines 2 and 3: the same diary day (patient_id P1, date 2026-03-01) with the "
        "same values in every column; the day is kept once",
    )


def test_fhir_names_the_entries_of_a_repeated_day(patients):
    bundle = _bundle(_pain("2026-03-01", 5), _pain("2026-03-02", 4), _pain("2026-03-01", 5))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        ds, _ = bundle_dataset(bundle, "P1", patients=patients, today=TODAY, file="x.json")
    assert len(ds.diary) == 2
    assert [str(w.message) for w in caught] == [
        "x.json entry[0] and entry[2]: the same diary day (patient_id P1, date 2026-03-01) with "
        "the same values in every column; the day is kept once"
    ]


# --------------------------------------------------------------------------- a failed import


def _fingerprint(db: Path) -> str:
    """A digest of every stored diary day, session, patient and history row."""
    import hashlib
    import sqlite3

    digest = hashlib.sha256()
    with sqlite3.connect(db) as conn:
        for table in ("patients", "diary", "sessions", "history"):
            for row in conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3"):
                digest.update(repr(row).encode())
    return digest.hexdigest()


def _folder(path: Path, diary: str) -> Path:
    path.mkdir()
    (path / "patients.csv").write_text("patient_id,condition\nP1,neck_pain\n")
    (path / "diary.csv").write_text(diary)
    return path


def test_a_failed_import_changes_nothing_in_the_store(tmp_path, monkeypatch, capsys):
    from analytics.cli import main

    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)
    db = tmp_path / "db.sqlite3"
    url = f"sqlite:///{db}"
    good = _folder(tmp_path / "good", HEAD + "P1,2026-03-01,5,,oxycodone,30\nP1,2026-03-02,4,,,\n")
    assert main(["import", str(good), "--db", url]) == 0
    before = _fingerprint(db)

    mismatch = _folder(
        tmp_path / "mismatch", HEAD + "P1,2026-03-03,5,40,oxycodone,30\nP1,2026-03-04,4,,,\n"
    )
    assert main(["import", str(mismatch), "--db", url]) != 0
    conflict = _folder(tmp_path / "conflict", HEAD + "P1,2026-03-05,5,,,\nP1,2026-03-05,6,,,\n")
    assert main(["import", str(conflict), "--db", url]) != 0
    bundle = tmp_path / "bundle.json"
    bundle.write_text(
        _bundle(_pain("2026-03-06", 5), _medicine("2026-03-06", "oxycodone", 30, mme=40))
    )
    assert main(["fhir-import", str(bundle), "--patient", "P1", "--db", url]) != 0
    out = capsys.readouterr()
    assert 'opioid_mme is "40", but oxycodone 30 mg a day is 45 MME' in out.out + out.err
    assert _fingerprint(db) == before


def test_the_form_refuses_an_opioid_it_cannot_convert_in_the_loaders_words(monkeypatch):
    from dashboard import clock
    from dashboard.components import entry_form

    shown: list[str] = []
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    monkeypatch.setattr(entry_form.st, "error", lambda text, **kw: shown.append(text))
    values = {"pain": 5, "medication": "oxycodon", "medication_dose": 30.0, "opioid_mme": None}
    assert entry_form._checked({**values, "notes": ""}, dt.date(2026, 3, 1)) is None
    assert shown == [
        '"oxycodon" is not an opioid paindiary converts to MME (did you mean oxycodone?); name '
        f"one of {KNOWN} (CDC 2022 factors), or give the day's MME in “Opioid dose (morphine "
        "mg equivalents)”."
    ]
    # with an MME given, the medicine is stored by name with that MME, as an import would
    given = {**values, "medication": "buprenorphine", "medication_dose": 0.3, "opioid_mme": 12.0}
    checked = entry_form._checked({**given, "notes": ""}, dt.date(2026, 3, 1))
    assert checked is not None and checked[0]["opioid_mme"] == 12.0
