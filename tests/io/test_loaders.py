"""Every rule of the CSV contract, each with a tiny inline file.

The contract is docs/data-format.md; the rules are enforced by analytics.io.
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.contract import schema
from analytics.errors import DataQualityWarning, DataValidationError
from analytics.io import (
    load_dataset,
    load_diary,
    load_patients,
    load_sessions,
    table_to_csv_bytes,
    validate_records,
    write_dataset,
)

TODAY = dt.date(2026, 3, 10)
PATIENTS_CSV = (
    "patient_id,condition,group,start_date,sex,birth_year,clinician_id\n"
    "P1,neck_pain,acupuncture,,F,1970,c1\n"
    "P2,migraine,waitlist,2026-01-05,M,,\n"
)


def text(s: str) -> io.BytesIO:
    return io.BytesIO(s.encode("utf-8"))


def problems_of(loader, content, **kw) -> pd.DataFrame:
    kw.setdefault("today", TODAY)
    with pytest.raises(DataValidationError) as info:
        loader(text(content) if isinstance(content, str) else content, **kw)
    p = info.value.problems
    assert list(p.columns) == ["file", "line", "column", "value", "message"]
    assert str(info.value).startswith(f"{len(p)} problem")
    return p


def only_problem(loader, content, **kw) -> pd.Series:
    p = problems_of(loader, content, **kw)
    assert len(p) == 1, p.to_string()
    return p.iloc[0]


@pytest.fixture
def patients() -> pd.DataFrame:
    return load_patients(text(PATIENTS_CSV), today=TODAY)


# ---------------------------------------------------------------- canonical frames


def test_patients_canonical_frame(patients):
    assert list(patients.columns) == schema.columns("patients")
    assert patients.dtypes.astype(str).to_dict() == {
        k: ("str" if v == "str" else v) for k, v in schema.dtypes("patients").items()
    }
    assert patients["start_date"].iloc[1] == pd.Timestamp("2026-01-05")
    assert pd.isna(patients["start_date"].iloc[0])
    assert patients["birth_year"].iloc[0] == 1970
    assert pd.isna(patients["birth_year"].iloc[1])
    assert pd.isna(patients["clinician_id"].iloc[1])


def test_diary_parses_every_column_and_sorts():
    csv_text = (
        "patient_id,date,pain,worst_pain,enjoyment_interference,activity_interference,"
        "sleep_quality,mood,stress,analgesic_doses,opioid_mme,notes\n"
        "P2,2026-03-02,4,6,3,2,7,8,3,1,7.5,ok\n"
        "P1,2026-03-02,5.5,NA,,,,,,,,\n"
        "P1,2026-03-01,6,,,,,,,0,0,\n"
    )
    d = load_diary(text(csv_text), today=TODAY)
    assert list(d.columns) == schema.columns("diary")
    assert d["patient_id"].tolist() == ["P1", "P1", "P2"]
    assert d["date"].dtype == "datetime64[ns]"
    assert d["pain"].tolist() == [6.0, 5.5, 4.0]
    assert d["analgesic_doses"].dtype == "Int64"
    assert d["analgesic_doses"].iloc[0] == 0
    assert pd.isna(d["worst_pain"].iloc[1])  # "NA" = missing
    assert d.loc[2, "opioid_mme"] == 7.5


def test_sessions_parse_times_lists_and_points():
    csv_text = (
        "patient_id,date,technique,frequency_hz,points,needles,retention_min,pain_before,"
        "pain_after,adverse_events,practitioner,notes\n"
        "P1,2026-03-01T10:30,electro,2/100,LI4;ST36-L;SP6,10,20,6,4,soreness;bruising,dr a,\n"
        "P1,2026-03-08,manual,,,,,,,,,\n"
    )
    s = load_sessions(text(csv_text), today=TODAY)
    assert list(s.columns) == schema.columns("sessions")
    assert s["date"].tolist() == [pd.Timestamp("2026-03-01 10:30"), pd.Timestamp("2026-03-08")]
    assert s["frequency_hz"].iloc[0] == "2/100"
    assert pd.isna(s["frequency_hz"].iloc[1])
    assert s["points"].iloc[0] == "LI4;ST36-L;SP6"
    assert s["adverse_events"].iloc[0] == "soreness;bruising"
    assert pd.isna(s["adverse_events"].iloc[1])
    assert s["needles"].dtype == "Int64"


# ---------------------------------------------------------------- encodings and shapes


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_bom_and_line_endings(newline, bom):
    content = bom + newline.join(["patient_id,date,pain", "P1,2026-03-01,3", ""]).encode()
    d = load_diary(io.BytesIO(content), today=TODAY)
    assert d["pain"].tolist() == [3.0]


def test_rfc4180_quoting_and_physical_lines():
    content = (
        "patient_id,date,pain,notes\n"
        'P1,2026-03-01,3,"a, b ""quoted""\nsecond line"\n'
        "P1,2026-03-02,12,\n"  # physical line 4 (the quoted newline counts)
    )
    p = only_problem(load_diary, content)
    assert p["line"] == 4
    d = load_diary(text(content.replace(",12,", ",2,")), today=TODAY)
    assert d["notes"].iloc[0] == 'a, b "quoted"\nsecond line'


def test_not_utf8_gives_offset_and_line():
    content = "patient_id,date,pain,notes\nP1,2026-03-01,3,caf\xe9\n".encode("latin-1")
    p = only_problem(load_diary, io.BytesIO(content))
    assert p["line"] == 2
    offset = content.index(b"\xe9")  # 46: 27 bytes of header + 19 of the row before the byte
    assert "not UTF-8" in p["message"] and f"offset {offset}" in p["message"]
    assert "CSV UTF-8" in p["message"]


@pytest.mark.parametrize("sep,label", [(";", "semicolon"), ("\t", "tab")])
def test_wrong_delimiter_is_named(sep, label):
    content = (
        sep.join(["patient_id", "date", "pain"]) + "\n" + sep.join(["P1", "2026-03-01", "3"]) + "\n"
    )
    p = only_problem(load_diary, content)
    assert f"looks {label}-separated" in p["message"]
    assert p["line"] == 1


def test_missing_required_columns_lists_missing_and_found():
    p = only_problem(load_diary, "patient_id,pain,mood\nP1,3,4\n")
    assert "missing required column(s): date" in p["message"]
    assert "found: patient_id, pain, mood" in p["message"]


def test_unknown_columns_warn_and_are_not_loaded():
    with pytest.warns(DataQualityWarning, match="unknown column.*favourite_colour"):
        d = load_diary(
            text("patient_id,date,pain,favourite_colour\nP1,2026-03-01,3,blue\n"), today=TODAY
        )
    assert "favourite_colour" not in d.columns


def test_empty_file_and_header_only():
    p = only_problem(load_diary, "")
    assert "file is empty" in p["message"] and "patient_id,date,pain" in p["message"]
    d = load_diary(text("patient_id,date,pain\n"), today=TODAY)
    assert len(d) == 0 and list(d.columns) == schema.columns("diary")
    assert d["date"].dtype == "datetime64[ns]" and d["pain"].dtype == "float64"


def test_file_over_size_limit_is_refused_before_reading(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text("patient_id,date,pain\n" + "P1,2026-03-01,3\n" * 100)
    p = only_problem(load_diary, path, max_bytes=100)
    assert "larger than the limit" in p["message"]

    class Exploding(io.BytesIO):
        def read(self, n=-1):
            assert n != -1, "the loader must not read an oversized stream whole"
            return super().read(n)

    only_problem(load_diary, Exploding(path.read_bytes()), max_bytes=100)


def test_row_with_wrong_field_count():
    p = only_problem(load_diary, "patient_id,date,pain\nP1,2026-03-01,3,extra\n")
    assert "4 fields but the header has 3" in p["message"]
    assert p["line"] == 2


def test_broken_quoting():
    p = only_problem(load_diary, 'patient_id,date,pain,notes\nP1,2026-03-01,3,"abc"def\n')
    assert "quoting" in p["message"]


# ---------------------------------------------------------------- cell rules


@pytest.mark.parametrize(
    "value,fragment",
    [
        ("11", 'pain is "11"; pain must be a number from 0 to 10'),
        ("-1", "from 0 to 10"),
        ("abc", 'pain is "abc"'),
        ("7,5", "decimal separator"),
        ("inf", "pain is"),
        ("", "pain is empty; pain is required"),
        ("NA", "pain is required"),
    ],
)
def test_pain_values(value, fragment):
    content = f'patient_id,date,pain\nP1,2026-03-01,"{value}"\n'
    p = only_problem(load_diary, content)
    assert fragment in p["message"]
    assert (p["file"], p["line"], p["column"]) == ("diary.csv", 2, "pain")
    assert p["value"] == value


def test_integer_given_as_decimal():
    p = only_problem(load_diary, "patient_id,date,pain,analgesic_doses\nP1,2026-03-01,3,2.5\n")
    assert p["column"] == "analgesic_doses" and "whole number" in p["message"]
    p = only_problem(load_sessions, "patient_id,date,technique,needles\nP1,2026-03-01,manual,3.0\n")
    assert p["column"] == "needles" and "without a decimal point" in p["message"]


@pytest.mark.parametrize(
    "column,value",
    [("needles", "0"), ("needles", "101"), ("retention_min", "121"), ("pain_after", "10.5")],
)
def test_session_ranges(column, value):
    content = f"patient_id,date,technique,{column}\nP1,2026-03-01,manual,{value}\n"
    p = only_problem(load_sessions, content)
    assert p["column"] == column and f'is "{value}"' in p["message"]


@pytest.mark.parametrize(
    "value", ["01/03/2026", "2026-3-1", "20260301", "2026/03/01", "1 March 2026"]
)
def test_non_iso_dates_are_never_guessed(value):
    p = only_problem(load_diary, f"patient_id,date,pain\nP1,{value},3\n")
    assert "ISO 8601" in p["message"] and "never guessed" in p["message"]


@pytest.mark.parametrize("value", ["2026-02-30", "2025-13-01", "2026-00-10"])
def test_impossible_dates(value):
    p = only_problem(load_diary, f"patient_id,date,pain\nP1,{value},3\n")
    assert "not a real calendar date" in p["message"]


def test_future_dates():
    p = only_problem(load_diary, "patient_id,date,pain\nP1,2026-03-11,3\n")
    assert "in the future" in p["message"] and "2026-03-10" in p["message"]
    load_diary(text("patient_id,date,pain\nP1,2026-03-10,3\n"), today=TODAY)  # today is fine
    p = only_problem(load_sessions, "patient_id,date,technique\nP1,2026-03-11T08:00,manual\n")
    assert "in the future" in p["message"]


def test_session_time_format():
    p = only_problem(load_sessions, "patient_id,date,technique\nP1,2026-03-01 10:30,manual\n")
    assert "YYYY-MM-DDTHH:MM" in p["message"]
    p = only_problem(load_sessions, "patient_id,date,technique\nP1,2026-03-01T25:30,manual\n")
    assert "not a real calendar date or time" in p["message"]


def test_duplicate_diary_day_names_both_lines():
    p = problems_of(
        load_diary, "patient_id,date,pain\nP1,2026-03-01,3\nP1,2026-03-02,3\nP1,2026-03-01,4\n"
    )
    assert p["line"].tolist() == [2, 4]
    assert all("lines 2, 4" in m for m in p["message"])


def test_duplicate_patient_and_bad_ids():
    p = problems_of(
        load_patients,
        "patient_id,condition\nP1,neck_pain\nP1,migraine\nP 3,neck_pain\n" + "x" * 65 + ",a\n",
    )
    assert sorted(p["line"].tolist()) == [2, 3, 4, 5]
    assert "duplicate patient" in p.loc[p["line"] == 2, "message"].iat[0]


def test_unknown_patient_ids(patients):
    p = only_problem(load_diary, "patient_id,date,pain\nP9,2026-03-01,3\n", patients=patients)
    assert p["column"] == "patient_id" and "P9" in p["message"] and "patients.csv" in p["message"]


@pytest.mark.parametrize(
    "technique,freq,fragment",
    [
        ("electro", "", "electro session without frequency_hz"),
        ("manual", "2", "non-electro"),
        ("electro", "abc", "like 2 or 100"),
        ("electro", "2/", "like 2 or 100"),
        ("electro", "300", "between 0.5 and 200"),
        ("electro", "0.1/100", "between 0.5 and 200"),
    ],
)
def test_frequency_rules(technique, freq, fragment):
    p = only_problem(
        load_sessions, f"patient_id,date,technique,frequency_hz\nP1,2026-03-01,{technique},{freq}\n"
    )
    assert p["column"] == "frequency_hz" and fragment in p["message"]


def test_unknown_technique_and_adverse_events():
    p = only_problem(load_sessions, "patient_id,date,technique\nP1,2026-03-01,cupping\n")
    assert "manual, electro, auricular, other" in p["message"]
    p = only_problem(
        load_sessions,
        "patient_id,date,technique,adverse_events\nP1,2026-03-01,manual,soreness;headache\n",
    )
    assert "headache" in p["message"] and "bleeding" in p["message"]


def test_points_codes():
    p = only_problem(
        load_sessions, "patient_id,date,technique,points\nP1,2026-03-01,manual,LI4;hand\n"
    )
    assert "'hand'" in p["message"] and "LI4;ST36;SP6" in p["message"]


def test_text_over_limit():
    note = "x" * (schema.TEXT_MAX + 1)
    p = only_problem(load_diary, f"patient_id,date,pain,notes\nP1,2026-03-01,3,{note}\n")
    assert "longer than 2000 characters" in p["message"]
    load_diary(text(f"patient_id,date,pain,notes\nP1,2026-03-01,3,{note[:-1]}\n"), today=TODAY)


def test_sex_and_birth_year():
    p = problems_of(
        load_patients, "patient_id,condition,sex,birth_year\nP1,a,female,1899\nP2,a,F,2027\n"
    )
    assert set(zip(p["line"], p["column"], strict=True)) == {
        (2, "sex"),
        (2, "birth_year"),
        (3, "birth_year"),
    }


def test_all_problems_are_collected_lazily():
    content = "patient_id,date,pain,mood\nP1,2026-03-01,11,x\nP1,2026-99-01,3,\n"
    p = problems_of(load_diary, content)
    assert len(p) == 3
    assert set(p["column"]) == {"pain", "mood", "date"}


# ---------------------------------------------------------------- skipping invalid rows


def test_skip_keeps_valid_rows_and_returns_rejects_verbatim():
    content = "patient_id,date,pain,notes\nP1,2026-03-01,3,fine\nP1,2026-03-02,11, kept as is \nP1,2026-03-03,4,\n"
    with pytest.warns(DataQualityWarning, match="1 row"):
        d = load_diary(text(content), today=TODAY, on_error="skip")
    assert d["pain"].tolist() == [3.0, 4.0]
    rej = d.attrs["rejects"]
    assert rej.to_dict("records") == [
        {
            "line": 3,
            "reason": 'pain: pain is "11"; pain must be a number from 0 to 10',
            "patient_id": "P1",
            "date": "2026-03-02",
            "pain": "11",
            "notes": " kept as is ",
        }
    ]


def test_skip_still_fails_on_file_level_problems():
    with pytest.raises(DataValidationError, match="semicolon"):
        load_diary(text("patient_id;date;pain\n"), on_error="skip", today=TODAY)


def test_on_error_parameter_is_checked():
    with pytest.raises(ValueError, match="'on_error' parameter of load_diary must be one of"):
        load_diary(text("patient_id,date,pain\n"), on_error="ignore")


# ---------------------------------------------------------------- datasets and files


def write_dir(tmp_path: Path, **files: str) -> Path:
    for name, content in files.items():
        (tmp_path / f"{name}.csv").write_text(content, encoding="utf-8")
    return tmp_path


def test_load_dataset_collects_problems_of_all_files(tmp_path):
    write_dir(
        tmp_path,
        patients=PATIENTS_CSV,
        diary="patient_id,date,pain\nP1,2026-03-01,3\nPX,2026-03-01,3\n",
        sessions="patient_id,date,technique\nP1,2026-03-01,laser\n",
    )
    with pytest.raises(DataValidationError) as info:
        load_dataset(tmp_path, today=TODAY)
    p = info.value.problems
    assert p[["file", "line", "column"]].values.tolist() == [
        ["diary.csv", 3, "patient_id"],
        ["sessions.csv", 2, "technique"],
    ]


def test_load_dataset_skip_rejects_rows_of_rejected_patients(tmp_path):
    write_dir(
        tmp_path,
        patients="patient_id,condition,sex\nP1,neck_pain,F\nP2,neck_pain,woman\n",
        diary="patient_id,date,pain\nP1,2026-03-01,3\nP2,2026-03-01,3\n",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        ds = load_dataset(tmp_path, on_error="skip", today=TODAY)
    assert ds.patients["patient_id"].tolist() == ["P1"]
    assert ds.diary["patient_id"].tolist() == ["P1"]
    assert ds.rejects["patients"]["line"].tolist() == [3]
    assert ds.rejects["diary"]["line"].tolist() == [3]
    assert ds.n_rejected == 2
    assert len(ds.sessions) == 0 and any("no sessions.csv" in w for w in ds.warnings)


def test_load_dataset_requires_diary(tmp_path):
    write_dir(tmp_path, patients=PATIENTS_CSV)
    with pytest.raises(DataValidationError, match="no diary.csv"):
        load_dataset(tmp_path, today=TODAY)
    with pytest.raises(FileNotFoundError):
        load_dataset(tmp_path / "nope")


def test_path_and_file_names_in_messages(tmp_path):
    path = tmp_path / "march.csv"
    path.write_text("patient_id,date,pain\nP1,2026-03-01,11\n")
    p = only_problem(load_diary, path)
    assert p["file"] == "march.csv"
    p = only_problem(
        load_diary, text("patient_id,date,pain\nP1,2026-03-01,11\n"), name="upload.csv"
    )
    assert p["file"] == "upload.csv"


# ---------------------------------------------------------------- exports round trip


def test_export_round_trip_with_formula_neutralisation(tmp_path):
    notes = [
        "=SUM(A1)",
        "-2 after walk",
        "+1",
        "@me",
        "'=already",
        "lone\rCR",
        "\ttabbed",
        'a, "b"\nc',
    ]
    diary = pd.DataFrame(
        {
            "patient_id": "P1",
            "date": pd.date_range("2026-03-01", periods=len(notes)),
            "pain": [0.0, 10.0, 5.5, 1 / 3, 7.0, 2.0, 3.0, 4.0],
            "notes": notes,
        }
    )
    canonical = load_diary(io.BytesIO(table_to_csv_bytes(diary, "diary")), today=TODAY)
    raw = table_to_csv_bytes(canonical, "diary").decode()
    for dangerous in ("\n=SUM", ",=SUM", ",-2", ",+1", ",@me"):
        assert dangerous not in raw
    again = load_diary(io.BytesIO(raw.encode()), today=TODAY)
    pd.testing.assert_frame_equal(again, canonical)
    assert again["notes"].tolist() == notes  # dates ascend in the given order
    assert again["pain"].iloc[3] == 1 / 3  # floats survive exactly


def test_write_dataset_round_trip(tmp_path, patients):
    diary = load_diary(
        text("patient_id,date,pain,analgesic_doses\nP1,2026-03-01,3,2\n"), today=TODAY
    )
    sessions = load_sessions(
        text("patient_id,date,technique,frequency_hz\nP1,2026-03-01T09:15,electro,2/100\n"),
        today=TODAY,
    )
    from analytics.contract import Dataset

    write_dataset(Dataset(patients, diary, sessions), tmp_path)
    ds = load_dataset(tmp_path, today=TODAY)
    pd.testing.assert_frame_equal(ds.patients, patients)
    pd.testing.assert_frame_equal(ds.diary, diary)
    pd.testing.assert_frame_equal(ds.sessions, sessions)


# ---------------------------------------------------------------- records from forms


def test_validate_records_uses_the_same_rules():
    frame = validate_records(
        "diary",
        [{"patient_id": "P1", "date": dt.date(2026, 3, 1), "pain": 7, "mood": None, "notes": "ok"}],
        today=TODAY,
    )
    assert frame["pain"].iloc[0] == 7.0 and pd.isna(frame["mood"].iloc[0])
    with pytest.raises(DataValidationError) as info:
        validate_records(
            "diary", [{"patient_id": "P1", "date": dt.date(2026, 3, 11), "pain": 12}], today=TODAY
        )
    assert set(info.value.problems["column"]) == {"date", "pain"}
    assert (info.value.problems["file"] == "<form>").all()
    with pytest.raises(DataValidationError, match="unknown field"):
        validate_records(
            "diary", [{"patient_id": "P1", "date": "2026-03-01", "pain": 1, "colour": 1}]
        )
    s = validate_records(
        "sessions",
        [
            {
                "patient_id": "P1",
                "date": dt.datetime(2026, 3, 1, 9, 30),
                "technique": "electro",
                "frequency_hz": "2",
            }
        ],
        today=TODAY,
    )
    assert s["date"].iloc[0] == pd.Timestamp("2026-03-01 09:30")


def test_inputs_are_plain_files_not_mutated(tmp_path):
    path = tmp_path / "diary.csv"
    content = "patient_id,date,pain\nP1,2026-03-01,3\n"
    path.write_text(content)
    load_diary(path, today=TODAY)
    assert path.read_text() == content
    assert np.isfinite(load_diary(path, today=TODAY)["pain"]).all()


# ---------------------------------------------------------------- hostile input (loader review)


@pytest.mark.parametrize(
    "cell,expected",
    [('"7"', 7.0), ("1e1", 10.0), (" 7 ", 7.0), ("+5", 5.0), ("5.", 5.0), (".5", 0.5)],
)
def test_number_spellings_that_are_accepted(cell, expected):
    d = load_diary(text(f"patient_id,date,pain\nP1,2026-03-01,{cell}\n"), today=TODAY)
    assert d["pain"].tolist() == [expected]


def test_minus_zero_loads_as_plain_zero():
    d = load_diary(text("patient_id,date,pain\nP1,2026-03-01,-0\n"), today=TODAY)
    assert d["pain"].iat[0] == 0.0 and not np.signbit(d["pain"].iat[0])


@pytest.mark.parametrize("cell", ["NaN", "nan", "Infinity", "inf", "-inf", "1e400", "0x5", "٧"])
def test_number_spellings_that_are_refused(cell):
    p = only_problem(load_diary, f"patient_id,date,pain\nP1,2026-03-01,{cell}\n")
    assert (p["line"], p["column"], p["value"]) == (2, "pain", cell)
    assert "pain must be a number from 0 to 10" in p["message"]


def test_integer_too_large_for_the_database_is_refused():
    p = only_problem(
        load_diary, "patient_id,date,pain,analgesic_doses\nP1,2026-03-01,3,2147483648\n"
    )
    assert (p["line"], p["column"]) == (2, "analgesic_doses")
    assert "too large" in p["message"] and "2147483647" in p["message"]
    d = load_diary(
        text("patient_id,date,pain,analgesic_doses\nP1,2026-03-01,3,2147483647\n"), today=TODAY
    )
    assert d["analgesic_doses"].iat[0] == 2147483647


@pytest.mark.parametrize("value", ["0001-01-01", "1899-12-31", "9999-12-31"])
def test_implausible_years_are_problems_not_crashes(value):
    # these used to raise OutOfBoundsDatetime from pandas
    p = only_problem(load_patients, f"patient_id,condition,start_date\nP1,a,{value}\n")
    assert (p["line"], p["column"]) == (2, "start_date")
    assert "between 1900-01-01 and 2199-12-31" in p["message"]
    p = only_problem(load_sessions, f"patient_id,date,technique\nP1,{value}T10:00,manual\n")
    assert p["column"] == "date" and "1900-01-01" in p["message"]


def test_diary_date_with_a_time_and_session_time_24_00_are_refused():
    p = only_problem(load_diary, "patient_id,date,pain\nP1,2026-03-01T10:30,3\n")
    assert p["column"] == "date" and "YYYY-MM-DD" in p["message"]
    p = only_problem(load_sessions, "patient_id,date,technique\nP1,2026-03-01T24:00,manual\n")
    assert p["column"] == "date" and "not a real calendar date or time" in p["message"]


def test_patient_id_with_spaces_inside_is_refused_but_outer_spaces_are_trimmed():
    p = only_problem(load_diary, "patient_id,date,pain\nP 1,2026-03-01,3\n")
    assert (p["line"], p["column"], p["value"]) == (2, "patient_id", "P 1")
    d = load_diary(text("patient_id,date,pain\n P1 ,2026-03-01,3\n"), today=TODAY)
    assert d["patient_id"].tolist() == ["P1"]


def test_nul_byte_is_a_file_problem_with_its_position():
    p = only_problem(
        load_diary, io.BytesIO(b"patient_id,date,pain,notes\nP1,2026-03-01,3,a\x00b\n")
    )
    assert p["line"] == 2 and "NUL character (line 2, character 18)" in p["message"]
    # UTF-16 without a BOM decodes as "UTF-8" full of NULs: same diagnosis
    p = only_problem(load_diary, io.BytesIO("patient_id,date,pain\n".encode("utf-16-le")))
    assert "NUL" in p["message"] and "CSV UTF-8" in p["message"]


def test_very_long_lines():
    # an unquoted 200,000-character note is a notes problem, not a quoting problem
    p = only_problem(load_diary, "patient_id,date,pain,notes\nP1,2026-03-01,3," + "x" * 200_000)
    assert (p["line"], p["column"]) == (2, "notes") and "longer than 2000" in p["message"]
    # a quote never closed swallows the file: say so instead of "quoting is broken"
    p = only_problem(
        load_diary, 'patient_id,date,pain,notes\nP1,2026-03-01,3,"oops\n' + "x" * 200_000
    )
    assert p["line"] >= 2 and "never closed" in p["message"]


def test_quoted_crlf_lone_cr_and_blank_lines_keep_physical_line_numbers():
    content = (
        b"patient_id,date,pain,notes\r\n"
        b'P1,2026-03-01,3,"two\r\nlines"\r\n'  # lines 2-3
        b"\r\n"  # line 4, blank
        b'P1,2026-03-02,3,"lone\rcr"\r\n'  # lines 5-6: a CR counts as a line break
        b"P1,2026-03-03,11,\r\n"  # line 7
    )
    p = only_problem(load_diary, io.BytesIO(content))
    assert p["line"] == 7
    d = load_diary(io.BytesIO(content.replace(b",11,", b",1,")), today=TODAY)
    assert d["notes"].tolist()[:2] == ["two\r\nlines", "lone\rcr"]


def test_header_with_bom_crlf_and_spaces_around_names():
    content = b"\xef\xbb\xbf patient_id , date,pain  \r\nP1,2026-03-01,3\r\n"
    assert load_diary(io.BytesIO(content), today=TODAY)["pain"].tolist() == [3.0]


def test_text_mode_file_object_and_pathlib_path(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("patient_id,date,pain\nP1,2026-03-01,3\n", encoding="utf-8")
    with open(path, encoding="utf-8", newline="") as fh:
        assert load_diary(fh, today=TODAY)["pain"].tolist() == [3.0]
    assert load_diary(path, today=TODAY)["pain"].tolist() == [3.0]
    assert load_diary(str(path), today=TODAY)["pain"].tolist() == [3.0]


def test_column_names_differing_only_in_case_get_a_hint():
    p = only_problem(load_diary, "patient_id,date,Pain\nP1,2026-03-01,3\n")
    assert "missing required column(s): pain" in p["message"]
    assert "'Pain' must be spelled 'pain'" in p["message"]
    with pytest.warns(DataQualityWarning, match=r"Mood \(did you mean mood\?\)"):
        d = load_diary(text("patient_id,date,pain,Mood\nP1,2026-03-01,3,4\n"), today=TODAY)
    assert d["mood"].isna().all()  # not loaded under the canonical name
    with pytest.warns(DataQualityWarning, match=r"unknown column\(s\) '' were not loaded"):
        load_diary(text("patient_id,date,pain,\nP1,2026-03-01,3,\n"), today=TODAY)


def test_a_huge_number_of_problems_keeps_the_message_short():
    content = "patient_id,date,pain\n" + "P1,2026-03-01,11\n" * 5000
    with pytest.raises(DataValidationError) as info:
        load_diary(text(content), today=TODAY)
    message = str(info.value)
    assert message.startswith("10000 problems in diary.csv")
    assert "... and 9990 more" in message
    assert len(message) < 3000
    dup = info.value.problems.query("column == 'date'")["message"].iat[0]
    assert "lines 2, 3, 4, 5, 6 and 4995 more" in dup


def test_rows_with_too_many_or_too_few_fields_are_rejected_verbatim():
    content = (
        'patient_id,date,pain,notes\nP1,2026-03-01,3,a,"b,c",d\nP1,2026-03-02\nP1,2026-03-03,4,\n'
    )
    p = problems_of(load_diary, content)
    assert p["line"].tolist() == [2, 3]
    assert "6 fields but the header has 4" in p["message"].iat[0]
    assert "one cell per header column" in p["message"].iat[1]
    with pytest.warns(DataQualityWarning, match="2 row"):
        d = load_diary(text(content), today=TODAY, on_error="skip")
    assert d["date"].tolist() == [pd.Timestamp("2026-03-03")]
    rej = d.attrs["rejects"]
    assert rej[["line", "patient_id", "date", "pain", "notes"]].values.tolist() == [
        [2, "P1", "2026-03-01", "3", "a"],
        [3, "P1", "2026-03-02", "", ""],
    ]
    assert rej["extra_cells"].iat[0] == '"b,c",d' and pd.isna(rej["extra_cells"].iat[1])


def test_skip_mode_reports_every_rejected_row_with_its_physical_line():
    content = (
        "patient_id,date,pain,notes\n"
        'P1,2026-03-01,3,"multi\nline"\n'  # lines 2-3, valid
        "\n"  # line 4
        "P1,2026-03-02,x,\n"  # line 5
        "P1,2026-03-03,4,\n"  # line 6, valid
        'P1,2026-13-01,4,"=cmd"\n'  # line 7
    )
    with pytest.warns(DataQualityWarning, match="2 row"):
        d = load_diary(text(content), today=TODAY, on_error="skip")
    assert len(d) == 2
    rej = d.attrs["rejects"]
    assert rej["line"].tolist() == [5, 7]
    assert rej["pain"].tolist() == ["x", "4"] and rej["notes"].tolist() == ["", "=cmd"]
    assert rej["reason"].str.len().gt(0).all()
    assert d.attrs["problems"]["line"].tolist() == [5, 7]


def _both_paths(content: str):
    from analytics.io._loaders._read import csv_records, fast_records

    fast = fast_records(content)
    assert fast is not None, "expected the fast path to take this file"
    slow = csv_records(content)
    assert fast[:2] == slow[:2]
    np.testing.assert_array_equal(fast[2], slow[2])
    for a, b in zip(fast[3], slow[3], strict=True):
        pd.testing.assert_series_equal(a, b)
    assert fast[4] == slow[4]


@pytest.mark.parametrize(
    "content",
    [
        "patient_id,date,pain\nP1,2026-03-01,3\n",
        "patient_id,date,pain\r\nP1,2026-03-01,3\r\n\r\nP2,2026-03-01,4",
        "\n\npatient_id,date,pain\n  \nP1,2026-03-01,3\n,,\n",
        'a,b,c\n1,"x, y",3\n1,"multi\nline ""q""",3\n4,5\n4,5,6,7\n"",,\n',
        'a,b,c\r\n1,"crlf\r\ninside",3\r\n2,ab"c,3\r\n',
    ],
)
def test_fast_reader_matches_the_csv_module(content):
    _both_paths(content)


@pytest.mark.parametrize(
    "content",
    [
        "patient_id,date,pain\nP1,2026-03-01,3\n",
        "patient_id,date,pain\r\nP1,2026-03-01,3\r\nP2,2026-03-01,4",
        "a,b,c\n,,\n x , y ,\tz\nÉ,≥,−\n1,2,3",
        "a,b\n'x,=1+2\n@y,NA\n",
        'a,b,c\n1,"x, y",3\n2,"say ""hi""",\n3,"",""\n',
        'a,b,c\r\n1,"x, y",3\r\n2,"",4\r\n',
        'a,b\n1,"multi\nline"\n2,x\n3,"three\nline\nnote"\n4,"y"',
        'a,b,c\n1,"two\nlines",\n2,"and ""quoted"",\nhere",3\n3,4,5\n',
    ],
)
def test_arrow_reader_on_plain_files_matches_the_csv_module(content):
    from analytics.io._loaders._read import _plain_records

    assert _plain_records(content) is not None, "expected Arrow's reader to take this file"
    _both_paths(content)


@pytest.mark.parametrize(
    "content",
    [
        "a,b,c\n1,2\n",  # a short row: the line-by-line path words it
        "a,b,c\n1,2,3,4\n",
        "a,b\n1,2\n\n3,4\n",  # an empty line
        "a,b\n1,2\n   \n",  # a line of spaces
        'a,b\n1,"x"y\n',  # broken quoting
        '"a",b\n1,2\n',  # a quoted header
        "\na,b\n1,2\n",  # the header is not on line 1
    ],
)
def test_arrow_reader_declines_what_is_not_plain(content):
    from analytics.io._loaders._read import _plain_records

    assert _plain_records(content) is None
    if _fast_records_takes(content):
        _both_paths(content)


@pytest.mark.parametrize(
    "content",
    [
        'a,b\r\n1,"x\r\ny"\r\n2,3\r\n',
        'a,b\n1,"x\n\ny"\n',
        'a,b\n1,ab"c\n',
        'a,b\n1,"x" \n',
        'a,b\n1, "x"\n',
        'a,b\n"1\n',
        'a,b\n1,"x\r\n"\n',
    ],
)
def test_odd_quoting_reads_as_the_csv_module_reads_it(content):
    """Whichever path takes it, a line with odd quoting gives the csv module's cells."""
    if _fast_records_takes(content):
        _both_paths(content)


def _fast_records_takes(content: str) -> bool:
    from analytics.io._loaders._read import fast_records

    return fast_records(content) is not None


def test_fast_reader_declines_what_it_cannot_number_exactly():
    from analytics.io._loaders._read import fast_records

    assert fast_records("a,b\rP1,2\r") is None  # lone CR line breaks
    assert fast_records('a,b\n1,"unclosed\n') is None  # broken quoting
    assert fast_records('a,b\n1,"x"y\n') is None


def test_a_failed_load_changes_nothing(tmp_path):
    write_dir(tmp_path, patients=PATIENTS_CSV, diary="patient_id,date,pain\nP1,2026-03-01,11\n")
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(DataValidationError):
        load_dataset(tmp_path, today=TODAY)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_rows_joined_without_a_loop_equal_groupby_join():
    from analytics.io._loaders._cells import _join_by_row

    rng = np.random.default_rng(5)
    rows = np.sort(rng.integers(0, 40, 200))
    words = pd.Series(
        rng.choice(["LI4", "ST36", "", " SP6", "bruise", "é"], 200), index=rows, dtype="str"
    )
    for sep in (";", ", "):
        expected = words.groupby(level=0).agg(sep.join)
        pd.testing.assert_series_equal(_join_by_row(words, sep), expected, check_exact=True)
    empty = words.iloc[:0]
    pd.testing.assert_series_equal(_join_by_row(empty, ";"), empty.groupby(level=0).agg(";".join))


# ---------------------------------------------------------------- the fast paths and their fallbacks


def _row_by_row(monkeypatch) -> None:
    """Make every check run row by row (no distinct-cell checks, no key found from codes)."""
    from analytics.io._loaders._cells import _Checker

    monkeypatch.setattr(_Checker, "_check_distinct", lambda self, spec: False)
    monkeypatch.setattr(_Checker, "_unique_by_codes", lambda self, key: False)


def _outcome(loader, content: bytes, **kw):
    """What a load gives: the frame, its rejects and problems, or the error's message."""
    kw.setdefault("today", TODAY)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = loader(io.BytesIO(content), **kw)
        except DataValidationError as exc:
            return ("error", str(exc), exc.problems, [str(w.message) for w in caught])
    return (
        "frame",
        frame,
        frame.attrs.get("rejects"),
        frame.attrs.get("problems"),
        [str(w.message) for w in caught],
    )


def _assert_same(a, b) -> None:
    assert a[0] == b[0]
    for x, y in zip(a[1:], b[1:], strict=True):
        if isinstance(x, pd.DataFrame):
            pd.testing.assert_frame_equal(x, y, check_exact=True)
        else:
            assert x == y


DIARY_HEADER = (
    "patient_id,date,pain,worst_pain,enjoyment_interference,activity_interference,"
    "sleep_quality,mood,stress,analgesic_doses,opioid_mme,notes,medication,medication_dose"
)
SESSIONS_HEADER = (
    "patient_id,date,technique,frequency_hz,points,needles,retention_min,pain_before,"
    "pain_after,adverse_events,practitioner,notes"
)


@pytest.mark.parametrize("mode", ["raise", "skip"])
@pytest.mark.parametrize(
    ("loader", "content"),
    [
        # valid: quotes, a multi-line note, empty cells, spaces, NA, number spellings, unsorted
        (
            load_diary,
            DIARY_HEADER + "\n"
            'P2,2026-03-02,4,6,,,7,8,NA,1,15,"ok, fine",oxycodone,10\n'
            'P1,2026-03-02, 5.5 ,,,,,,,0,,"two\nlines ""q""",,\n'
            "P1,2026-03-01,0,10,1e0,.5,5.,-0,+3,2,,, Tramadol ,50\n"
            "P1,2026-03-03,3,,,,,,,,,'=cmd,,\n",
        ),
        # the same with CRLF line ends, a BOM and a CRLF inside a quoted value
        (
            load_diary,
            "\ufeff" + DIARY_HEADER + "\r\n"
            'P2,2026-03-02,4,6,,,7,8,NA,1,7.5,"a\r\nb",,\r\n'
            "P1,2026-03-01,3,,,,,,,,,,,\r\n",
        ),
        # bad numbers, a bad date, a duplicate day and an empty required cell
        (
            load_diary,
            DIARY_HEADER + "\n"
            "P1,2026-03-01,5,5,5,5,5,5,5,1,0,,,\n"
            "P1,2026-03-02,11,5,x,5,5,5,5,1.5,-1,,,\n"
            "P1,2026-03-01,5,5,5,5,5,5,5,1,0,,,\n"
            'P2,2026-02-30,"5,5",,,,,,,,,,,\n'
            "P3,2026-03-04,,,,,,,,,,,,\n",
        ),
        # a row of the wrong width, an empty line and only some columns
        (
            load_diary,
            "patient_id,date,pain,notes\nP1,2026-03-01,3,\n\nP1,2026-03-02,4\nP1,2026-03-03,4,x,y\n",
        ),
        # sessions: electro with and without frequency, points, adverse events, times
        (
            load_sessions,
            SESSIONS_HEADER + "\n"
            "P1,2026-03-01T10:30,electro,2/100,LI4;ST36-L; SP6,12,30,6,4,soreness; bruising,Dr A,\n"
            "P1,2026-03-08,manual,,GB34,,,,,,,\n"
            'P2,2026-03-02,auricular,,"LI4;ST36",5,20,5,5,,,"note, with comma"\n',
        ),
        (
            load_sessions,
            SESSIONS_HEADER + "\n"
            "P1,2026-03-01T10:30,electro,,LI4,12,30,6,4,,Dr A,\n"
            "P1,2026-03-02,manual,100,XX,0,200,,,rash,,\n"
            "P1,2026-03-02,manual,,LI4,,,,,,,\n"
            "P2,2026-03-03,electro,2/300,LI4;;x1,,,,,,,\n",
        ),
        # patients: a birth year, a duplicate id, a bad sex, an id with a look-alike letter
        (
            load_patients,
            "patient_id,condition,group,start_date,sex,birth_year,clinician_id\n"
            "P2,migraine,waitlist,2026-01-05,M,,\n"
            "P1,neck_pain,acupuncture,,F,1970,c1\n",
        ),
        (
            load_patients,
            "patient_id,condition,group,start_date,sex,birth_year,clinician_id\n"
            "P1,neck_pain,,,F,1970,\nP1,migraine,,,Q,1800,\n\u04201,migraine,,,,,\n",
        ),
    ],
)
def test_checks_by_distinct_cells_match_the_row_by_row_checks(monkeypatch, loader, content, mode):
    fast = _outcome(loader, content.encode(), on_error=mode)
    _row_by_row(monkeypatch)
    slow = _outcome(loader, content.encode(), on_error=mode)
    _assert_same(fast, slow)


def test_known_patients_by_distinct_ids_match_the_row_by_row_check(monkeypatch, patients):
    content = b"patient_id,date,pain\nP1,2026-03-01,3\nP2,2026-03-01,3\nP9,2026-03-01,3\n"
    for mode in ("raise", "skip"):
        for body in (content, content.replace(b"P9", b"P1")):
            fast = _outcome(load_diary, body, patients=patients, on_error=mode)
            with monkeypatch.context() as m:
                _row_by_row(m)
                slow = _outcome(load_diary, body, patients=patients, on_error=mode)
            _assert_same(fast, slow)


def test_validate_records_by_distinct_cells_matches_the_row_by_row_checks(monkeypatch):
    records = [
        {"patient_id": "P2", "date": dt.date(2026, 3, 2), "pain": 4.5, "notes": "a, b"},
        {"patient_id": " P1 ", "date": "2026-03-01", "pain": "7", "analgesic_doses": 2},
    ]
    fast = validate_records("diary", records, today=TODAY)
    _row_by_row(monkeypatch)
    pd.testing.assert_frame_equal(fast, validate_records("diary", records, today=TODAY))


def _random_csv(rng: np.random.Generator) -> str:
    """A small CSV text whose cells may hold commas, quotes, line breaks and spaces."""
    pieces = ["a", "b", " ", ",", '"', "\n", "\r\n", "é", "1", ""]
    weights = np.array([20, 20, 4, 2, 2, 1, 1, 1, 20, 5], dtype=float)
    eol = "\r\n" if rng.random() < 0.5 else "\n"
    width = int(rng.integers(2, 5))
    lines = [",".join(f"h{j}" for j in range(width))]
    for _ in range(int(rng.integers(0, 12))):
        cells = []
        for _ in range(width):
            cell = "".join(
                rng.choice(pieces, size=int(rng.integers(0, 4)), p=weights / weights.sum())
            )
            if any(ch in cell for ch in ',"\r\n') or rng.random() < 0.1:
                cell = '"' + cell.replace('"', '""') + '"'
            cells.append(cell)
        lines.append(",".join(cells))
    return eol.join(lines) + (eol if rng.random() < 0.8 else "")


@pytest.mark.parametrize("scan", [3, 64, 1 << 22])
def test_arrow_reader_numbers_random_files_like_the_csv_module(monkeypatch, scan):
    """Quoted line breaks and quotes anywhere, scanned in slices of any size."""
    from analytics.io._loaders import _read

    monkeypatch.setattr(_read, "_SCAN", scan)
    rng = np.random.default_rng(20260310)
    taken = 0
    for _ in range(300):
        content = _random_csv(rng)
        if _read._plain_records(content) is not None:
            taken += 1
            _both_paths(content)
    assert taken > 150  # the generator writes well-formed files: most must take Arrow's path


@pytest.mark.parametrize(
    "content",
    [
        b'a,b\n1,"x\n\ny"\n2,3\n',  # an empty line inside a quoted value
        b'a,b\r\n1,"x\r\n\r\ny"\r\n2,""""\r\n',
        b"a,b\n1,2",  # no line break at the end
        b'a,b\n1,"2\n"',
    ],
)
def test_arrow_reader_takes_empty_lines_inside_quotes(content):
    from analytics.io._loaders._read import _arrow_table

    assert _arrow_table(content) is not None
    _both_paths(content.decode())


@pytest.mark.parametrize(
    "content",
    [
        b"a,b\n1,2\r3,4\n",  # a lone CR
        b'a,b\n1,"x\ry"\n',  # a lone CR inside quotes
        b"a,b\n1,2\r",
        b"a,b\n1,\x002\n",  # NUL
        b"a,b\n1,\xe9\n",  # not UTF-8
        b'a,b\n1,x"y\n',  # one quote in the whole file
        b"a,b\n1,2\n\n3,4\n",  # an empty line outside quotes
        b"a,b\n1,2\n\r\n3,4\n",
        b'a,b\n1,"x"\n\n',
    ],
)
def test_arrow_reader_declines_files_it_cannot_number_exactly(content):
    from analytics.io._loaders._read import _arrow_table

    assert _arrow_table(content) is None


def test_a_file_is_read_whole_even_when_it_grew_since_its_size_was_taken():
    from analytics.io._loaders._read import _read_sized

    assert _read_sized(io.BytesIO(b"abcdef"), 2, 100) == b"abcdef"  # grew after fstat
    assert _read_sized(io.BytesIO(b"abcdef"), 2, 5) is None  # and past the limit
    assert _read_sized(io.BytesIO(b"abc"), 3, 3) == b"abc"
    assert _read_sized(io.BytesIO(b"abcd"), 4, 3) is None
    assert _read_sized(io.BytesIO(b""), 0, 3) == b""
