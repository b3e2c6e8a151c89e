"""The de-identified research export, checked by hand on a tiny clinic."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd

from analytics.access import (
    DEID_DIARY_COLUMNS,
    DEID_ENTRY_COLUMNS,
    DEID_PATIENT_COLUMNS,
    DEID_SESSION_COLUMNS,
    deidentify,
)
from analytics.contract import Dataset
from analytics.io import load_entries, validate_records


def _clinic() -> Dataset:
    return Dataset(
        patients=validate_records(
            "patients",
            [
                # index date = start date 2024-03-10
                {
                    "patient_id": "A1",
                    "condition": "knee",
                    "start_date": "2024-03-10",
                    "birth_year": 1935,
                    "clinician_id": "dr.smith",
                },
                # no start date: index date = first session 2024-03-05
                {
                    "patient_id": "B2",
                    "condition": "back",
                    "birth_year": 1936,
                    "clinician_id": "dr.smith",
                },
                # no start date, no session: index date = first diary day 2024-02-28
                {"patient_id": "C3", "condition": "neck"},
            ],
        ),  # fmt: skip
        diary=validate_records(
            "diary",
            [
                {"patient_id": "A1", "date": "2024-03-08", "pain": 6, "notes": "my name is A"},
                {"patient_id": "A1", "date": "2024-03-12", "pain": 4},
                {"patient_id": "B2", "date": "2024-03-05", "pain": 5},
                {"patient_id": "C3", "date": "2024-02-28", "pain": 3},
                {"patient_id": "C3", "date": "2024-03-01", "pain": 2},  # 2024 is a leap year
            ],
        ),
        sessions=validate_records(
            "sessions",
            [
                {
                    "patient_id": "B2",
                    "date": "2024-03-05T16:45",
                    "technique": "manual",
                    "practitioner": "Jane Doe",
                    "notes": "talked about her son",
                },
                {
                    "patient_id": "B2",
                    "date": "2024-03-19T08:00",
                    "technique": "electro",
                    "frequency_hz": "2",
                },
            ],
        ),  # fmt: skip
    )


def test_days_are_relative_to_each_patients_index_date() -> None:
    out = deidentify(_clinic(), rng=3, today=dt.date(2025, 6, 1))
    code = dict(zip(out.patients["condition"], out.patients["patient_code"], strict=True))
    days = {(c, d) for c, d in zip(out.diary["patient_code"], out.diary["day"], strict=True)}
    # by hand: A1 -2 and +2 around 2024-03-10; B2 0; C3 0 and +2 (29 Feb in between)
    assert days == {
        (code["knee"], -2), (code["knee"], 2), (code["back"], 0), (code["neck"], 0),
        (code["neck"], 2),
    }  # fmt: skip
    assert out.sessions["day"].tolist() == [0, 14]
    assert out.diary["day"].dtype == "int64"


def test_identifiers_and_free_text_are_gone() -> None:
    out = deidentify(_clinic(), rng=3, today=dt.date(2025, 6, 1))
    assert list(out.patients.columns) == DEID_PATIENT_COLUMNS
    assert list(out.diary.columns) == DEID_DIARY_COLUMNS
    assert list(out.sessions.columns) == DEID_SESSION_COLUMNS
    text = pd.concat([out.patients, out.diary, out.sessions]).to_string()
    for secret in ("A1", "B2", "C3", "dr.smith", "Jane", "son", "my name", "2024", "16:45"):
        assert secret not in text, secret
    assert out.patients["patient_code"].str.fullmatch(r"R[0-9a-f]{10}").all()
    # one clinician, one code; a patient without a clinician keeps no code
    assert out.patients["clinician_code"].dropna().nunique() == 1
    assert out.patients["clinician_code"].isna().sum() == 1


def test_ages_of_90_and_over_are_grouped() -> None:
    # in 2025: born 1935 -> 90 (grouped), born 1936 -> 89 (kept), unknown stays unknown
    out = deidentify(_clinic(), rng=3, today=dt.date(2025, 6, 1))
    by_condition = out.patients.set_index("condition")
    assert bool(by_condition.loc["knee", "age_90_or_over"]) is True
    assert pd.isna(by_condition.loc["knee", "birth_year"])
    assert by_condition.loc["back", "birth_year"] == 1936
    assert bool(by_condition.loc["back", "age_90_or_over"]) is False
    assert pd.isna(by_condition.loc["neck", "birth_year"])
    assert bool(by_condition.loc["neck", "age_90_or_over"]) is False


def test_codes_are_random_per_export_and_rows_follow_the_codes() -> None:
    a = deidentify(_clinic(), rng=1)
    b = deidentify(_clinic(), rng=2)
    assert set(a.patients["patient_code"]).isdisjoint(b.patients["patient_code"])
    assert a.patients["patient_code"].is_monotonic_increasing  # not the original id order
    again = deidentify(_clinic(), rng=1)
    pd.testing.assert_frame_equal(a.patients, again.patients)


def test_write(tmp_path) -> None:  # type: ignore[no-untyped-def]
    paths = deidentify(_clinic(), rng=0).write(tmp_path / "out")
    assert [p.name for p in paths] == ["patients.csv", "diary.csv", "sessions.csv"]
    assert pd.read_csv(paths[1]).columns.tolist() == DEID_DIARY_COLUMNS


def test_entries_during_the_day_keep_the_shifted_days_and_codes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    clinic = _clinic()
    entries = load_entries(
        io.StringIO(
            "patient_id,date,time,pain,flare,duration_minutes,rescue_medication,rescue_helped,notes\n"
            "A1,2024-03-09,10:15,8,yes,40,ibuprofen,yes,call Anna\n"
            "B2,2024-03-06,21:40,3,,,,,\n"
        ),
        today=dt.date(2025, 6, 1),
    )
    out = deidentify(Dataset(clinic.patients, clinic.diary, clinic.sessions, entries=entries))
    assert list(out.entries.columns) == DEID_ENTRY_COLUMNS
    code = dict(zip(out.patients["condition"], out.patients["patient_code"], strict=True))
    # by hand: A1 the day before its start date 2024-03-10; B2 the day after its first session
    got = out.entries.set_index("patient_code")
    assert got.loc[code["knee"], "day"] == -1 and got.loc[code["back"], "day"] == 1
    assert bool(got.loc[code["knee"], "rescue"]) and not bool(got.loc[code["back"], "rescue"])
    assert got.loc[code["knee"], "rescue_helped"] == "yes"
    text = out.entries.to_string()
    for secret in ("A1", "B2", "2024", "10:15", "21:40", "Anna", "ibuprofen"):
        assert secret not in text, secret
    paths = out.write(tmp_path / "out")
    assert [p.name for p in paths][-1] == "entries.csv"
    assert deidentify(clinic).table_names() == ("patients", "diary", "sessions")
