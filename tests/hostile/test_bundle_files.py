"""Hostile FHIR bundles: special files, huge files and deep nesting are one sentence each.

``paindiary fhir-import`` reads its bundle as the CSV loaders read their files (a
regular file only, at most ``--max-mb``), and refuses a bundle nested deeper than any
FHIR bundle is before Python's recursion limit is met. Each case gives the exact
problem line and the one-line summary, exit code 1, no traceback, and leaves the
database exactly as it was.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from analytics.errors import DataValidationError
from analytics.io import read_bundle

from .conftest import fingerprint, run_cli

NOT_REGULAR = "not a regular file; give a FHIR bundle (a JSON file) saved on disk"
TOO_DEEP = (
    "the JSON is nested more than 100 levels deep, which no FHIR bundle is; check that the "
    "file is the bundle the clinic's system wrote"
)


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return f"cannot read the file: it is a named pipe (FIFO), {NOT_REGULAR}"


def _dev_zero(path: Path) -> str:
    path.symlink_to("/dev/zero")
    return f"cannot read the file: it is a symbolic link to /dev/zero, a character device, {NOT_REGULAR}"


def _folder(path: Path) -> str:
    path.mkdir()
    return f"cannot read the file: it is a directory, {NOT_REGULAR}"


def _broken_link(path: Path) -> str:
    path.symlink_to(path.parent / "gone.json")
    return (
        f"cannot read the file: it is a symbolic link to {path.parent / 'gone.json'}, which does "
        "not exist; point the link at the FHIR bundle (a JSON file) or replace it with the file "
        "itself"
    )


def _parser_depth(path: Path) -> str:
    # 200,000 levels: past Python's recursion limit in the JSON parser itself
    path.write_text("[" * 200_000 + "]" * 200_000, encoding="utf-8")
    return TOO_DEEP


def _model_depth(path: Path) -> str:
    # 150 levels of extensions inside a Patient: parsed, then refused before the models
    value: dict = {"url": "https://example.org/x", "valueString": "deep"}
    for _ in range(150):
        value = {"url": "https://example.org/x", "extension": [value]}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Patient", "extension": [value]}}],
    }
    path.write_text(json.dumps(bundle), encoding="utf-8")
    return TOO_DEEP


def _over_the_limit(path: Path) -> str:
    path.write_text(json.dumps({"resourceType": "Bundle", "entry": [], "pad": "x" * 2_000_000}))
    return (
        "file is larger than the limit of 1 MB; split it into smaller files or raise the limit "
        "(max_bytes / --max-mb)"
    )


CASES = [_fifo, _dev_zero, _folder, _broken_link, _parser_depth, _model_depth, _over_the_limit]


@pytest.mark.parametrize("make", CASES, ids=[c.__name__.strip("_") for c in CASES])
def test_a_hostile_bundle_is_one_sentence_and_changes_nothing(
    tmp_path: Path, db: tuple[str, Path], make
) -> None:
    url, db_file = db
    bundle = tmp_path / "bundle.json"
    problem = make(bundle)
    before = fingerprint(db_file)
    code, out, err = run_cli(
        "fhir-import", str(bundle), "--patient", "P1", "--db", url, "--max-mb", "1"
    )
    assert (code, out) == (1, "")
    assert err == (
        f"bundle.json: {problem}\nerror: 1 problem(s) in bundle.json; nothing was imported.\n"
    )
    assert fingerprint(db_file) == before


def test_a_parsed_bundle_nested_too_deep_is_refused_by_the_library(tmp_path: Path) -> None:
    value: list = []
    for _ in range(101):
        value = [value]
    with pytest.raises(DataValidationError) as info:
        read_bundle({"resourceType": "Bundle", "entry": value}, file="b.json")
    assert (
        str(info.value).splitlines()[0] == "b.json: 1 problem in the bundle; nothing was imported."
    )
    assert info.value.problems["message"].tolist() == [TOO_DEEP]


def test_a_bundle_as_deep_as_the_limit_is_read(tmp_path: Path) -> None:
    # 100 levels: the Bundle, "entry" and 98 levels below it
    value: list = []
    for _ in range(97):
        value = [value]
    with pytest.raises(DataValidationError) as info:  # entries that are no entries, but read
        read_bundle({"resourceType": "Bundle", "entry": [value]}, file="b.json")
    assert TOO_DEEP not in info.value.problems["message"].tolist()
