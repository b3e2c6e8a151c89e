"""Parquet files of the contract: exact round trips, and the CSV loader's rules and messages.

A Parquet value is checked as the text a CSV file would hold, by the loaders'
own checks; each bad value is compared with the problem the CSV loader reports
for the same value (same column, value and message; the row number of the
Parquet file where the CSV file has its physical line).
"""

from __future__ import annotations

import datetime as dt
import io
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from analytics.cli import main
from analytics.errors import DataQualityWarning, DataValidationError
from analytics.io import (
    PARQUET_FILES,
    Slice,
    dataset_format,
    load_dataset,
    load_diary,
    load_parquet,
    load_parquet_dataset,
    load_sessions,
    read_dataset,
    write_dataset,
    write_parquet,
    write_parquet_dataset,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"
TODAY = dt.date(2026, 3, 10)
TABLES = ("patients", "diary", "sessions")


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE)


def _assert_same(a, b) -> None:
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def _diary_table(**columns) -> pa.Table:
    base = {
        "patient_id": pa.array(["P1", "P1", "P1"]),
        "date": pa.array([dt.date(2026, 3, 1), dt.date(2026, 3, 2), dt.date(2026, 3, 3)]),
        "pain": pa.array([5.0, 6.0, 4.5]),
    }
    base.update(columns)
    return pa.table(base)


def _write(tmp_path: Path, table: pa.Table, name: str = "diary.parquet") -> Path:
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def _problems(exc_info) -> pd.DataFrame:
    return exc_info.value.problems


# --------------------------------------------------------------------------- round trips


def test_sample_clinic_round_trips_exactly(tmp_path, sample):
    paths = write_parquet_dataset(sample, tmp_path)
    # the sample's questionnaire answers and entries during the day stay CSV files of the
    # contract beside the Parquet files
    optional = ["questionnaires.csv", "entries.csv"]
    assert [p.name for p in paths] == [PARQUET_FILES[t] for t in TABLES] + optional
    _assert_same(load_parquet_dataset(tmp_path), sample)
    pd.testing.assert_frame_equal(read_dataset(tmp_path).questionnaires, sample.questionnaires)
    pd.testing.assert_frame_equal(read_dataset(tmp_path).entries, sample.entries)


def test_text_that_looks_like_a_formula_or_starts_with_an_apostrophe_survives(tmp_path):
    notes = ["=SUM(A1:A9)", "'=already quoted", "''+two", "plain 'quote", "-3 after", None]
    diary = load_diary(io.BytesIO(b"patient_id,date,pain\nP1,2026-03-01,5\n"), today=TODAY)
    frame = pd.concat([diary] * len(notes), ignore_index=True)
    frame["date"] = pd.date_range("2026-03-01", periods=len(notes)).astype("datetime64[ns]")
    frame["notes"] = pd.Series(notes, dtype="str")
    write_parquet(frame, tmp_path / "diary.parquet", "diary")
    back = load_parquet(tmp_path / "diary.parquet", "diary", today=TODAY)
    pd.testing.assert_series_equal(back["notes"], frame["notes"])


def test_write_refuses_existing_files_and_leaves_no_partial_file(tmp_path, sample):
    write_parquet_dataset(sample, tmp_path)
    before = (tmp_path / "diary.parquet").read_bytes()
    with pytest.raises(FileExistsError, match="--overwrite"):
        write_parquet_dataset(sample, tmp_path)
    assert (tmp_path / "diary.parquet").read_bytes() == before
    write_parquet_dataset(sample, tmp_path, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [*PARQUET_FILES.values(), "questionnaires.csv", "entries.csv"]
    )


def test_a_patient_range_reads_only_those_patients_with_file_row_numbers(tmp_path, sample):
    write_parquet_dataset(sample, tmp_path)
    full = load_parquet(tmp_path / "diary.parquet", "diary")
    part = load_parquet(tmp_path / "diary.parquet", "diary", part=Slice("P010", "P020"))
    expected = full[(full["patient_id"] >= "P010") & (full["patient_id"] < "P020")]
    pd.testing.assert_frame_equal(part, expected.reset_index(drop=True), check_exact=True)
    assert set(part["patient_id"]) == {f"P{i:03d}" for i in range(10, 20)}


def test_row_numbers_in_a_range_are_those_of_the_whole_file(tmp_path, monkeypatch):
    import analytics.io._parquet as mod

    monkeypatch.setattr(mod, "ROW_GROUP_ROWS", 2)  # several row groups in a tiny file
    ids = ["A", "A", "B", "B", "C", "C"]
    frame = pd.DataFrame(
        {
            "patient_id": pd.Series(ids, dtype="str"),
            "date": pd.to_datetime(["2026-03-01", "2026-03-02"] * 3).astype("datetime64[ns]"),
            "pain": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
        }
    )
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.set_column(2, "pain", pa.array([1.0, 2.0, 3.0, 40.0, 5.0, 6.0]))
    pq.write_table(table, tmp_path / "diary.parquet", row_group_size=2)
    with pytest.raises(DataValidationError) as exc:
        load_parquet(tmp_path / "diary.parquet", "diary", part=Slice("B", "C"), today=TODAY)
    problems = _problems(exc)
    assert problems[["file", "line", "column", "value"]].values.tolist() == [
        ["diary.parquet", 4, "pain", "40"]
    ]


# --------------------------------------------------------------------------- same rules as CSV


CASES = {
    # column: (Arrow array of three rows with a bad value in row 2)
    "pain out of range": ("pain", pa.array([5.0, 11.0, 4.0])),
    "pain infinite": ("pain", pa.array([5.0, float("inf"), 4.0])),
    "pain as text with a comma": ("pain", pa.array(["5", "6,5", "4"])),
    "negative doses": ("analgesic_doses", pa.array([1, -2, None], pa.int64())),
    "doses with a decimal": ("analgesic_doses", pa.array([1.0, 2.5, None])),
    "bad patient id": ("patient_id", pa.array(["P1", "P 1", "P1"])),
    "date in the future": (
        "date",
        pa.array([dt.date(2026, 3, 1), dt.date(2026, 4, 1), dt.date(2026, 3, 3)]),
    ),
    "date with a time of day": (
        "date",
        pa.array(
            [
                dt.datetime(2026, 3, 1),
                dt.datetime(2026, 3, 2, 10, 30),
                dt.datetime(2026, 3, 3),
            ],
            pa.timestamp("us"),
        ),
    ),
    "date before 1900": (
        "date",
        pa.array([dt.date(2026, 3, 1), dt.date(1850, 3, 2), dt.date(2026, 3, 3)]),
    ),
    "duplicate day": (
        "date",
        pa.array([dt.date(2026, 3, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 3)]),
    ),
    "notes too long": ("notes", pa.array(["ok", "x" * 2001, None])),
}


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return "inf" if np.isinf(value) else repr(value).removesuffix(".0")
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M") if value.hour else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return f'"{text}"' if "," in text else text


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_value_gets_the_csv_loaders_message(tmp_path, case):
    column, values = CASES[case]
    table = _diary_table(**{column: values})
    path = _write(tmp_path, table)
    with pytest.raises(DataValidationError) as exc:
        load_parquet(path, "diary", today=TODAY)
    got = _problems(exc)

    header = table.column_names
    rows = [",".join(_csv_cell(table.column(c)[i].as_py()) for c in header) for i in range(3)]
    csv_bytes = ("\n".join([",".join(header), *rows]) + "\n").encode()
    with pytest.raises(DataValidationError) as csv_exc:
        load_diary(io.BytesIO(csv_bytes), today=TODAY, name="diary.csv")
    expected = _problems(csv_exc)

    assert got["file"].unique().tolist() == ["diary.parquet"]
    assert got["line"].tolist() == (expected["line"] - 1).tolist()  # row = CSV line - header
    cols = ["column", "value", "message"]
    pd.testing.assert_frame_equal(
        got[cols].reset_index(drop=True),
        expected[cols]
        .assign(message=expected["message"].str.replace(r"lines ([\d, ]+)", _minus_one, regex=True))
        .reset_index(drop=True),
    )
    # the exception's text has the loaders' shape: file, row, column, value and the fix
    first = got.iloc[0]
    assert f"diary.parquet line {first['line']}:" in str(exc.value)
    assert "docs/data-format.md" in str(exc.value)


def _minus_one(match) -> str:
    """CSV line numbers of a duplicate list as Parquet rows (header line gone)."""
    numbers = [int(n) - 1 for n in match.group(1).replace(",", " ").split()]
    return "lines " + ", ".join(map(str, numbers)) + (" " if match.group(1).endswith(" ") else "")


def test_duplicate_rows_name_the_file_rows(tmp_path):
    table = _diary_table(date=CASES["duplicate day"][1])
    with pytest.raises(DataValidationError) as exc:
        load_parquet(_write(tmp_path, table), "diary", today=TODAY)
    assert "appear on lines 1, 2" in exc.value.problems["message"].iat[0]


def test_session_time_with_seconds_is_refused_not_cut(tmp_path):
    sessions = pa.table(
        {
            "patient_id": pa.array(["P1", "P1"]),
            "date": pa.array(
                [dt.datetime(2026, 3, 1, 9, 30), dt.datetime(2026, 3, 2, 9, 30, 15)],
                pa.timestamp("us"),
            ),
            "technique": pa.array(["manual", "manual"]),
        }
    )
    with pytest.raises(DataValidationError) as exc:
        load_parquet(_write(tmp_path, sessions, "sessions.parquet"), "sessions", today=TODAY)
    problems = exc.value.problems
    assert problems[["line", "column", "value"]].values.tolist() == [
        [2, "date", "2026-03-02T09:30:15"]
    ]
    assert "YYYY-MM-DDTHH:MM" in problems["message"].iat[0]
    ok = load_parquet(_write(tmp_path, sessions.slice(0, 1), "one.parquet"), "sessions")
    assert ok["date"].tolist() == [pd.Timestamp("2026-03-01 09:30")]


def test_integer_and_dictionary_columns_are_read_as_their_values(tmp_path):
    table = _diary_table(
        patient_id=pa.array(["P1", "P1", "P1"]).dictionary_encode(),
        pain=pa.array([5, 6, 4], pa.int32()),
        analgesic_doses=pa.array([1.0, None, 3.0]),
    )
    frame = load_parquet(_write(tmp_path, table), "diary", today=TODAY)
    assert frame["pain"].tolist() == [5.0, 6.0, 4.0]
    assert frame["analgesic_doses"].tolist() == [1, pd.NA, 3]
    assert str(frame["analgesic_doses"].dtype) == "Int64"


def test_a_nested_column_is_refused_with_the_type_and_the_fix(tmp_path):
    table = _diary_table(pain=pa.array([[5.0], [6.0], [4.0]]))
    with pytest.raises(DataValidationError) as exc:
        load_parquet(_write(tmp_path, table), "diary", today=TODAY)
    row = exc.value.problems.iloc[0]
    assert (row["file"], row["line"], row["column"]) == ("diary.parquet", 0, "pain")
    assert "has the Parquet type list<" in row["message"]
    assert "store it as a floating-point number" in row["message"]


def test_missing_required_column_and_unknown_column(tmp_path):
    with pytest.raises(DataValidationError, match="missing required column"):
        load_parquet(_write(tmp_path, _diary_table().drop(["pain"])), "diary", today=TODAY)
    with pytest.warns(DataQualityWarning, match="unknown column.*mood_score"):
        frame = load_parquet(
            _write(tmp_path, _diary_table(mood_score=pa.array([1, 2, 3]))), "diary", today=TODAY
        )
    assert "mood_score" not in frame.columns


def test_a_file_that_is_not_parquet_is_a_problem_not_a_traceback(tmp_path):
    (tmp_path / "diary.parquet").write_text("patient_id,date,pain\n")
    with pytest.raises(DataValidationError, match="cannot read the file as Parquet"):
        load_parquet(tmp_path / "diary.parquet", "diary")


def test_skip_loads_valid_rows_and_returns_the_rejected_ones(tmp_path):
    path = _write(tmp_path, _diary_table(pain=pa.array([5.0, 11.0, 4.0])))
    with pytest.warns(DataQualityWarning, match="1 row"):
        frame = load_parquet(path, "diary", on_error="skip", today=TODAY)
    assert frame["pain"].tolist() == [5.0, 4.0]
    rejects = frame.attrs["rejects"]
    assert rejects[["line", "pain"]].values.tolist() == [[2, "11"]]


def test_dataset_rules_match_the_csv_loader(tmp_path, sample):
    """Unknown patients in the diary and sessions are refused, as with CSV files."""
    ds = sample
    diary = ds.diary.copy()
    diary.loc[5, "patient_id"] = "NOBODY"
    bad = type(ds)(patients=ds.patients, diary=diary, sessions=ds.sessions)
    write_dataset(bad, tmp_path / "csv")
    pq_dir = tmp_path / "pq"
    pq_dir.mkdir()
    for name in TABLES:
        write_parquet(getattr(bad, name), pq_dir / PARQUET_FILES[name], name)
    with pytest.raises(DataValidationError) as csv_exc:
        load_dataset(tmp_path / "csv")
    with pytest.raises(DataValidationError) as pq_exc:
        load_parquet_dataset(pq_dir)
    a, b = csv_exc.value.problems, pq_exc.value.problems
    assert b["file"].tolist() == ["diary.parquet"]
    assert (b["line"] + 1).tolist() == a["line"].tolist()
    assert b["message"].tolist() == a["message"].tolist()


def test_missing_optional_files_and_the_format_of_a_directory(tmp_path, sample):
    write_parquet(sample.diary, tmp_path / "diary.parquet", "diary")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_parquet_dataset(tmp_path)
    assert len(ds.patients) == 0 and len(ds.sessions) == 0
    assert any("no sessions.parquet" in str(w.message) for w in caught)
    assert dataset_format(tmp_path) == "parquet"
    assert dataset_format(SAMPLE) == "csv"
    (tmp_path / "diary.csv").write_text("patient_id,date,pain\n")
    with pytest.raises(DataValidationError, match="keep one format"):
        read_dataset(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataValidationError, match="no diary.parquet"):
        load_parquet_dataset(empty)


# --------------------------------------------------------------------------- the commands


def test_convert_round_trip_and_analyze_reads_parquet(tmp_path, capsys):
    pq_dir, csv_dir = tmp_path / "pq", tmp_path / "csv"
    assert main(["convert", str(SAMPLE), str(pq_dir), "--to", "parquet"]) == 0
    assert "converted 60 patients" in capsys.readouterr().out
    assert main(["convert", str(pq_dir), str(csv_dir), "--to", "csv"]) == 0
    _assert_same(load_dataset(csv_dir), load_dataset(SAMPLE))

    assert main(["analyze", str(pq_dir), "--out", str(tmp_path / "a")]) == 0
    assert main(["analyze", str(SAMPLE), "--out", str(tmp_path / "b")]) == 0
    files = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "a").iterdir())
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_convert_writes_nothing_from_invalid_data_and_keeps_existing_files(tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "diary.csv").write_text("patient_id,date,pain\nP1,2026-03-01,11\n")
    out = tmp_path / "out"
    assert main(["convert", str(bad), str(out), "--to", "parquet"]) == 1
    err = capsys.readouterr().err
    assert "diary.csv:2: pain: pain is" in err and "nothing was converted" in err
    assert not out.exists() or not any(out.iterdir())

    assert main(["convert", str(SAMPLE), str(out), "--to", "parquet"]) == 0
    before = (out / "diary.parquet").read_bytes()
    assert main(["convert", str(SAMPLE), str(out), "--to", "parquet"]) == 1
    assert "--overwrite" in capsys.readouterr().err
    assert (out / "diary.parquet").read_bytes() == before

    assert (
        main(["convert", str(bad), str(tmp_path / "skip"), "--to", "parquet", "--skip-invalid"])
        == 0
    )
    assert (tmp_path / "skip" / "diary.rejects.csv").exists()
    assert len(load_parquet_dataset(tmp_path / "skip").diary) == 0


def test_session_times_round_trip_through_parquet(tmp_path, sample):
    write_parquet(sample.sessions, tmp_path / "s.parquet", "sessions")
    back = load_parquet(tmp_path / "s.parquet", "sessions", patients=sample.patients)
    pd.testing.assert_frame_equal(back, load_sessions(SAMPLE / "sessions.csv"), check_exact=True)
