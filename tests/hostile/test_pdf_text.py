"""Text a report cannot print as stored is never replaced silently.

The report font has no Chinese, Japanese or Korean characters and the PDF is written
without text shaping; a report that met such text (a Chinese note in an acupuncture
clinic, an Arabic or Hebrew group name) ends with a note naming what was replaced.
"""

from __future__ import annotations

import datetime as dt
import io
import unicodedata

from pypdf import PdfReader

from analytics.reports import _pdf
from analytics.reports._pdf import ReportPDF, replaced_note

GENERATED = dt.datetime(2026, 3, 2, 9, 0)


def _text(lines: list[str]) -> str:
    pdf = ReportPDF("Visit report", "P1", GENERATED)
    pdf.add_page()
    for line in lines:
        pdf.paragraph(line)
    reader = PdfReader(io.BytesIO(bytes(pdf.output())))
    return " ".join(" ".join(p.extract_text() for p in reader.pages).split())


def test_replaced_characters_and_right_to_left_text_are_named_on_the_report() -> None:
    text = _text(["Note: 针灸 helped", "Group: שלום"])
    names = [unicodedata.name(c) for c in "灸针"]  # sorted by code point: U+7078, U+9488
    assert names == ["CJK UNIFIED IDEOGRAPH-7078", "CJK UNIFIED IDEOGRAPH-9488"]
    expected = (
        "Note: 2 characters of the stored text cannot be printed with this report's font and "
        "are shown as ? (U+7078 CJK UNIFIED IDEOGRAPH-7078, U+9488 CJK UNIFIED IDEOGRAPH-9488). "
        "Right-to-left text (Arabic, Hebrew) is printed letter by letter, left to right, "
        "without joining. The dashboard and the CSV export show the text as stored."
    )
    assert expected in text
    assert "Note: ?? helped" in text


def test_a_report_of_plain_text_has_no_note() -> None:
    text = _text(["Pain 6/10 – better than before ≥ 2 points"])
    assert "cannot be printed" not in text and "Right-to-left" not in text
    assert replaced_note({"missing": set(), "rtl": set()}) == ""
    assert _pdf.replaced_note({"missing": set("中文字体"), "rtl": set()}).count("U+") == 3
