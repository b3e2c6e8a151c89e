"""Shared fixtures of the report and FHIR tests: the sample clinic and PDF helpers."""

from __future__ import annotations

import datetime as dt
import io
import math
import shutil
import subprocess
from fractions import Fraction
from pathlib import Path

import pytest
from pypdf import PdfReader

from analytics.io import load_dataset

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_DIR = ROOT / "sample_data"
#: A fixed clock so reports are reproducible.
NOW = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def sample():
    """The demo clinic loaded through the real loader."""
    return load_dataset(SAMPLE_DIR)


def pdf_text(data: bytes) -> str:
    """All text of a PDF (pypdf), whitespace collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def pdf_pages(data: bytes) -> list[str]:
    """Text of each page, whitespace collapsed."""
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def render_page1(pdf_path: Path, out_prefix: Path, dpi: int = 60) -> Path:
    """Page 1 of ``pdf_path`` as PNG with pdftoppm (poppler-utils)."""
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            str(dpi),
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(pdf_path),
            str(out_prefix),
        ],
        check=True,
        capture_output=True,
    )
    return out_prefix.with_suffix(".png")


def num(value: float, decimals: int = 1, *, signed: bool = False) -> str:
    """A number as the reports print it: half away from zero, a true minus sign (U+2212).

    Worked out with exact fractions of the decimal the float prints as (not with
    the ``decimal`` module the product uses): |x|·10^d + 1/2, floored.
    """
    scaled = Fraction(repr(float(value))) * 10**decimals
    units = math.floor(abs(scaled) + Fraction(1, 2))
    whole, part = divmod(units, 10**decimals)
    text = f"{whole}.{part:0{decimals}d}" if decimals else str(whole)
    if units and scaled < 0:
        return "\u2212" + text
    if units and signed:
        return "+" + text
    return text


@pytest.fixture
def sample_copy(tmp_path):
    """A writable copy of sample_data/ (CSV files only)."""
    target = tmp_path / "data"
    target.mkdir()
    for name in ("patients.csv", "diary.csv", "sessions.csv"):
        shutil.copy(SAMPLE_DIR / name, target / name)
    return target
