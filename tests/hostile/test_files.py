"""Hostile files through the loaders and the CLI: special files, huge headers, hidden text.

Each case asserts the precise message and, where the CLI imports, that the
database fingerprint is unchanged. Special files are never opened for reading in
a way that could hang: a FIFO or a device is refused by its type.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from analytics.errors import DataQualityWarning, DataValidationError
from analytics.io import load_dataset, load_diary, load_patients

from .conftest import DIARY, PATIENTS, fingerprint, run_cli, write_clinic

ROOT = Path(__file__).resolve().parents[2]
FIX = (
    "Fix the rows above (docs/data-format.md describes every column) or load with "
    "on_error='skip' / --skip-invalid to load the valid rows and write the rejected ones to a "
    "rejects file."
)


def problems_of(call) -> list[str]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        with pytest.raises(DataValidationError) as info:
            call()
    return [f"{r.file}:{r.line}: {r.message}" for r in info.value.problems.itertuples(index=False)]


# ------------------------------------------------------------------ special files

NOT_REGULAR = "not a regular file; give a CSV file saved on disk"


def _dev_zero(path: Path) -> None:
    path.symlink_to("/dev/zero")


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _broken_link(path: Path) -> None:
    path.symlink_to(path.parent / "gone.csv")


def _folder(path: Path) -> None:
    path.mkdir()


SPECIAL = [
    (
        _dev_zero,
        "cannot read the file: it is a symbolic link to /dev/zero, a character device, "
        + NOT_REGULAR,
    ),
    (_fifo, "cannot read the file: it is a named pipe (FIFO), " + NOT_REGULAR),
    (
        _broken_link,
        "cannot read the file: it is a symbolic link to {folder}/gone.csv, which does not "
        "exist; point the link at the CSV file or replace it with the file itself",
    ),
    (_folder, "cannot read the file: it is a directory, " + NOT_REGULAR),
]


@pytest.mark.parametrize("make,message", SPECIAL, ids=["dev-zero", "fifo", "broken-link", "folder"])
def test_special_files_are_refused_by_type(tmp_path, capsys, db, make, message):
    url, db_file = db
    folder = write_clinic(tmp_path / "in")
    (folder / "diary.csv").unlink()
    make(folder / "diary.csv")
    expected = message.format(folder=folder)
    # the loader
    assert problems_of(lambda: load_dataset(folder)) == [f"diary.csv:0: {expected}"]
    # the CLI: validate, and import into a database that must not change
    before = fingerprint(db_file)
    code, out, err = run_cli("validate", str(folder))
    assert code == 1 and out == f"diary.csv: {expected}\n"
    code, out, err = run_cli("import", str(folder), "--db", url)
    assert code == 1
    assert f"diary.csv: {expected}\n" in err
    assert fingerprint(db_file) == before


def test_size_limit_holds_on_what_is_read_not_on_what_stat_says(tmp_path):
    # /proc files say they are empty (st_size 0) and hold more: the limit counts bytes read
    assert os.stat("/proc/self/status").st_size == 0
    link = tmp_path / "diary.csv"
    link.symlink_to("/proc/self/status")
    assert problems_of(lambda: load_diary(link, max_bytes=100)) == [
        "diary.csv:0: file is larger than the limit of 9.53674e-05 MB; split it into smaller "
        "files or raise the limit (max_bytes / --max-mb)"
    ]
    # a stream has no size at all
    stream = io.BytesIO(b"patient_id,date,pain\n" + b"P1,2026-01-01,5\n" * 20)
    assert problems_of(lambda: load_diary(stream, max_bytes=100))[0].startswith(
        "diary.csv:0: file is larger than the limit"
    )


# ------------------------------------------------------------------ wide headers


def test_a_100000_column_header_is_refused_at_once(tmp_path, capsys, db):
    url, db_file = db
    header = ",".join(["patient_id", "date", "pain"] + [f"c{i}" for i in range(99_997)])
    folder = write_clinic(tmp_path / "wide", diary=header + "\n" + "P1,2026-01-03,5\n")
    message = (
        "the header has 100,000 columns; at most 1,000 are accepted (diary.csv has 15 known "
        "columns): check that this is the right file and that it is comma-separated"
    )
    before = fingerprint(db_file)
    # in a child process with a deadline: a quadratic check would take minutes
    result = subprocess.run(
        [sys.executable, "-m", "analytics.cli", "import", str(folder), "--db", url],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert result.returncode == 1
    assert f"diary.csv:1: {message}\n" in result.stderr
    assert fingerprint(db_file) == before


def test_duplicate_check_of_a_wide_header_names_every_repeat():
    names = [f"c{i % 500}" for i in range(997)]  # 1,000 columns, 497 names repeated
    header = ",".join(["patient_id", "date", "pain", *names])
    [problem] = problems_of(lambda: load_diary(io.StringIO(header + "\n")))
    assert problem.startswith("diary.csv:1: the header repeats column(s) c0, c1, c10, c100, ")
    assert problem.endswith(", c99; each column must appear once")
    assert problem.count(", c") == 496


def test_a_header_one_past_the_limit_is_refused():
    header = ",".join(["patient_id", "date", "pain"] + [f"c{i}" for i in range(998)])
    assert problems_of(lambda: load_diary(io.StringIO(header + "\n"))) == [
        "diary.csv:1: the header has 1,001 columns; at most 1,000 are accepted (diary.csv has "
        "15 known columns): check that this is the right file and that it is comma-separated"
    ]


# ------------------------------------------------------------------ hidden characters


@pytest.mark.parametrize(
    "header,found,hint",
    [
        (
            "\ufeff\ufeffpatient_id",  # a second byte-order mark (files joined together)
            "'\\ufeffpatient_id'",
            "'\\ufeffpatient_id' contains U+FEFF ZERO WIDTH NO-BREAK SPACE (invisible): "
            "type it as 'patient_id'",
        ),
        (
            "patient\u200b_id",
            "'patient\\u200b_id'",
            "'patient\\u200b_id' contains U+200B ZERO WIDTH SPACE (invisible): type it as "
            "'patient_id'",
        ),
        (
            "p\u0430tient_id",  # Cyrillic a
            "pаtient_id",
            "pаtient_id contains U+0430 CYRILLIC SMALL LETTER A (looks like 'a'): type it as "
            "'patient_id'",
        ),
    ],
    ids=["bom", "zero-width", "homoglyph"],
)
def test_hidden_characters_in_a_header_are_shown(tmp_path, capsys, header, found, hint):
    folder = write_clinic(tmp_path / "hidden", patients=PATIENTS.replace("patient_id", header, 1))
    message = (
        f"missing required column(s): patient_id; found: {found}, condition, group, start_date, "
        "sex, birth_year, clinician_id. The header of patients.csv must include patient_id, "
        "condition; " + hint
    )
    assert problems_of(lambda: load_dataset(folder))[0] == f"patients.csv:1: {message}"
    code, out, _ = run_cli("validate", str(folder))
    assert code == 1 and out.splitlines()[0] == f"patients.csv:1: {message}"


def test_terminal_escapes_in_cells_are_printed_as_escapes(tmp_path, capsys, db):
    url, db_file = db
    evil = "P\x1b[31m\x1b]0;owned\x07\x1b[2J9"
    folder = write_clinic(tmp_path / "ansi", diary=DIARY + f"{evil},2026-01-03,5,\n")
    before = fingerprint(db_file)
    message = (
        "diary.csv:5: patient_id: patient_id is 'P\\x1b[31m\\x1b]0;owned\\x07\\x1b[2J9'; "
        "patient_id must be 1-64 characters of letters, digits, '.', '_' or '-'; it contains "
        "U+001B (control character), U+0007 (control character)"
    )
    code, out, err = run_cli("validate", str(folder))
    assert code == 1 and out.splitlines()[0] == message
    code, out, err = run_cli("import", str(folder), "--db", url)
    assert code == 1 and message in err.splitlines()
    for text in (out, err):
        assert "\x1b" not in text and "\x07" not in text
    assert fingerprint(db_file) == before


def test_control_characters_in_a_folder_name_are_escaped(tmp_path, capsys):
    code, out, err = run_cli("validate", str(tmp_path / "x\x1b[2Jy"))
    assert code == 1
    assert err == (
        f"error: {tmp_path}/x\\x1b[2Jy is not a directory; give the folder holding diary.csv\n"
    )


def test_na_as_an_id_is_named_as_the_text_na():
    csv_text = "patient_id,date,pain\nNA,2026-01-01,5\n,2026-01-02,5\n"
    assert problems_of(lambda: load_diary(io.StringIO(csv_text))) == [
        'diary.csv:2: patient_id is "NA", which means a missing value; patient_id is required',
        "diary.csv:3: patient_id is empty; patient_id is required",
    ]


# ------------------------------------------------------------------ quoting


BODY = "".join(f"P1,2025-{1 + i % 12:02d}-{1 + i % 28:02d},5,x\n" for i in range(5000))


def test_an_unclosed_quote_is_reported_where_it_opened():
    text = 'patient_id,date,pain,notes\nP1,2026-01-01,5,ok\nP1,2026-01-02,5,"never closed\n' + BODY
    assert problems_of(lambda: load_diary(io.StringIO(text))) == [
        "diary.csv:3: the CSV quoting is broken near here (unexpected end of data); a value "
        "containing commas, quotes or line breaks must be enclosed in double quotes, with inner "
        'quotes doubled ("")'
    ]


def test_an_unclosed_quote_that_swallows_the_file_is_reported_where_it_opened():
    text = (
        'patient_id,date,pain,notes\nP1,2026-01-01,5,"a ""quoted"" word"\n'
        'P1,2026-01-02,5,"never closed\n' + BODY * 5
    )
    assert problems_of(lambda: load_diary(io.StringIO(text))) == [
        "diary.csv:3: a value starting on or before this line is longer than 131,072 "
        "characters, far more than any column allows (notes: at most 2000); usually a double "
        "quote that is never closed has swallowed the rest of the file"
    ]


def test_formula_and_sql_looking_cells_are_data(tmp_path, capsys, db):
    url, db_file = db
    hostile = [
        '=HYPERLINK("http://evil.example","x")',
        "'; DROP TABLE patients; --",
        "+1+2",
        "@SUM(A1)",
    ]
    diary = "patient_id,date,pain,notes\n" + "".join(
        f'P2,2026-01-{10 + i:02d},4,"{h.replace(chr(34), chr(34) * 2)}"\n'
        for i, h in enumerate(hostile)
    )
    folder = write_clinic(tmp_path / "formula", diary=diary)
    code, *_ = run_cli("import", str(folder), "--db", url)
    assert code == 0
    out = tmp_path / "out"
    code, *_ = run_cli("export", str(out), "--db", url)
    assert code == 0
    text = (out / "diary.csv").read_text()
    assert "'=HYPERLINK" in text and "'+1+2" in text and "'@SUM(A1)" in text
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        back = load_dataset(out).diary
    notes = back[back["date"] >= "2026-01-10"]["notes"].tolist()
    assert notes == hostile
    assert fingerprint(db_file)["patients"][0] == 2


def test_patients_load_never_reads_a_special_file_given_as_a_path(tmp_path):
    fifo = tmp_path / "patients.csv"
    os.mkfifo(fifo)
    assert problems_of(lambda: load_patients(fifo)) == [
        "patients.csv:0: cannot read the file: it is a named pipe (FIFO), " + NOT_REGULAR
    ]


def test_ids_with_look_alike_or_invisible_characters_say_which(tmp_path, capsys, db):
    url, db_file = db
    patients = PATIENTS + "\u04201,neck_pain,,,,,\nP\u200b3,neck_pain,,,,,\nP 4,neck_pain,,,,,\n"
    folder = write_clinic(tmp_path / "ids", patients=patients)
    rule = "must be 1-64 characters of letters, digits, '.', '_' or '-'"
    expected = [
        f'patients.csv:4: patient_id: patient_id is "Р1"; patient_id {rule}; it contains U+0420 '
        "CYRILLIC CAPITAL LETTER ER (looks like 'P')",
        f"patients.csv:5: patient_id: patient_id is 'P\\u200b3'; patient_id {rule}; it contains "
        "U+200B ZERO WIDTH SPACE (invisible)",
        f'patients.csv:6: patient_id: patient_id is "P 4"; patient_id {rule}',
    ]
    before = fingerprint(db_file)
    code, out, _ = run_cli("validate", str(folder))
    assert code == 1 and out.splitlines() == expected
    code, _, err = run_cli("import", str(folder), "--db", url)
    assert code == 1 and err.splitlines()[:3] == expected
    assert fingerprint(db_file) == before
