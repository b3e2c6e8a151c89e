"""The PDF page every report is printed on (fpdf2), and the number formats.

:class:`ReportPDF` registers DejaVu Sans (a TTF with ≥, −, – and accents), draws
the running header and the page footer, and offers the few blocks the reports
are made of: headings, paragraphs, a summary box, a table and an image. Numbers
are written by :mod:`analytics.presentation`'s one rounding rule (half away from
zero). Every
piece of text goes through :func:`clean` first: stored text (ids, group names,
notes) is data, so line breaks become spaces, invisible and control characters
are shown as escapes, characters the font lacks become ``?``, long text is cut
with ``…``, and nothing is ever read as markup (markdown is off everywhere).

The font has no Chinese, Japanese or Korean characters, and the PDF is written
without text shaping, so right-to-left scripts (Arabic, Hebrew) print letter by
letter, left to right, unjoined. Neither is hidden: a report that met either ends
with a note saying which characters were replaced and that the dashboard and the
CSV export hold the text as stored (:func:`replaced_note`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
import secrets
import unicodedata
from collections.abc import Sequence
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

import pandas as pd
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from analytics.presentation import MINUS, MISSING, is_missing, number_text
from analytics.reports._style import FONT_FAMILY, PAGE_MARGIN_MM, font_path
from analytics.safe_text import visible

__all__ = [
    "ReportPDF",
    "clean",
    "fmt",
    "fmt_pct",
    "fmt_date",
    "fmt_span",
    "fmt_int",
    "MINUS",
    "SOFT_HYPHEN",
    "replaced_note",
]

_BREAKS = re.compile(r"[\r\n\t\u2028\u2029]")
#: A soft hyphen: an allowed break inside a long word of the report's own labels.
SOFT_HYPHEN = "\u00ad"
_GREY = (90, 90, 90)
_RULE = (200, 200, 200)
_HEAD_FILL = (235, 241, 248)


#: The characters the report being built could not print as stored (set per report).
_TROUBLE: ContextVar[dict[str, set[str]] | None] = ContextVar("paindiary_pdf_text", default=None)


def replaced_note(trouble: dict[str, set[str]]) -> str:
    """Return the report's note on text it could not print as stored ("" when none).

    ``trouble``: ``"missing"``, the characters the font lacks (printed as ``?``), and
    ``"rtl"``, right-to-left letters (printed unjoined, left to right).
    """
    parts = []
    missing = sorted(trouble.get("missing", ()))
    if missing:
        named = ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '')}".strip() for c in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        parts.append(
            f"{len(missing)} character{'s' if len(missing) != 1 else ''} of the stored text "
            f"cannot be printed with this report's font and {'are' if len(missing) != 1 else 'is'} "
            f"shown as ? ({named}{more})."
        )
    if trouble.get("rtl"):
        parts.append(
            "Right-to-left text (Arabic, Hebrew) is printed letter by letter, left to right, "
            "without joining."
        )
    if not parts:
        return ""
    return "Note: " + " ".join(parts) + " The dashboard and the CSV export show the text as stored."


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(str(font_path("")), lazy=True) as font:
        return frozenset(font.getBestCmap())


def clean(value: Any, max_len: int | None = None) -> str:
    r"""Return ``value`` as one line of text the report font can draw.

    Line breaks and tabs become spaces and runs of spaces collapse; every other
    character a reader could not see (controls, zero-width and bidirectional
    format characters, unusual spaces) is shown as an escape such as ``\\u202e``
    (:func:`analytics.safe_text.visible`, the project's one rule for such text); a
    character DejaVu Sans lacks becomes ``?``; text longer than ``max_len`` is cut
    with ``…``. Missing values print as an em dash.
    """
    if is_missing(value):
        return MISSING
    text = " ".join(visible(_BREAKS.sub(" ", str(value)), keep=SOFT_HYPHEN).split())
    glyphs = _glyphs()
    trouble = _TROUBLE.get()
    if trouble is not None and not text.isascii():
        trouble["missing"].update(c for c in text if ord(c) not in glyphs)
        trouble["rtl"].update(c for c in text if unicodedata.bidirectional(c) in ("R", "AL"))
    text = "".join(c if ord(c) in glyphs else "?" for c in text)
    if max_len is not None and len(text) > max_len:
        text = text[: max_len - 1].rstrip() + "…"
    return text


def fmt(value: Any, decimals: int = 1, *, signed: bool = False, suffix: str = "") -> str:
    """Format a number as :func:`analytics.presentation.number_text` (half away from zero)."""
    if is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    return number_text(value, decimals, signed=signed) + suffix


def fmt_pct(value: Any, decimals: int = 0, *, signed: bool = False, scale: float = 1.0) -> str:
    """Format a percentage; ``scale=100`` for a fraction 0-1 (scaled exactly in decimal)."""
    if is_missing(value) or not math.isfinite(float(value)):
        return MISSING
    return number_text(value, decimals, signed=signed, scale=scale) + "%"


def fmt_int(value: Any) -> str:
    """Format a count."""
    return MISSING if is_missing(value) else str(int(value))


def fmt_span(start: Any, end: Any) -> str:
    """'22 Apr – 5 May 2026' (the year once when both days share it)."""
    if is_missing(start) or is_missing(end):
        return MISSING
    a, b = pd.Timestamp(start), pd.Timestamp(end)
    if a.year == b.year:
        return f"{a.day} {a:%b} – {fmt_date(b)}"
    return f"{fmt_date(a)} – {fmt_date(b)}"


def fmt_date(value: Any, *, time: bool = False) -> str:
    """'22 Oct 2026' (with ' 12:30' when ``time`` and the value has a time of day)."""
    if is_missing(value):
        return MISSING
    ts = pd.Timestamp(value)
    text = f"{ts.day} {ts:%b %Y}"
    if time and (ts.hour or ts.minute):
        text += f" {ts:%H:%M}"
    return text


class ReportPDF(FPDF):
    """An A4 portrait report page with DejaVu Sans, a running header and a footer.

    Parameters
    ----------
    title : str
        The report's title, printed at the top of every page after the first.
    subject : str
        Short line after the title on later pages (e.g. the patient id).
    generated : datetime.datetime
        Printed in the footer.
    """

    def __init__(self, title: str, subject: str, generated: dt.datetime) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.trouble: dict[str, set[str]] = {"missing": set(), "rtl": set()}
        _TROUBLE.set(self.trouble)
        self.report_title = clean(title)
        self.report_subject = clean(subject, 80)
        self.generated = generated
        for style in ("", "B"):
            self.add_font(FONT_FAMILY, style, str(font_path(style)))
        self.set_margins(PAGE_MARGIN_MM, PAGE_MARGIN_MM, PAGE_MARGIN_MM)
        self.set_auto_page_break(True, margin=16)
        self.set_title(self.report_title)
        self.set_creator("paindiary")
        self.set_producer("paindiary")
        self.set_creation_date(
            generated.replace(tzinfo=dt.UTC) if generated.tzinfo is None else generated
        )
        self.set_font(FONT_FAMILY, "", 9.5)
        # the total-pages alias is replaced everywhere on the page: a fixed "{nb}" would
        # turn stored text such as a group called "{nb}" into a number
        self._total_pages = "{" + secrets.token_hex(8) + "}"
        self.alias_nb_pages(self._total_pages)

    def output(self, *args: Any, **kwargs: Any) -> Any:
        """Finish the report (with :func:`replaced_note` when text was replaced) and write it."""
        note = replaced_note(self.trouble)
        if note and not self.buffer and self.page_no() > 0:  # not yet written
            self.ln(2)
            self.paragraph(note, size=8, color=_GREY)
        return super().output(*args, **kwargs)

    # ------------------------------------------------------------------ page furniture
    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(FONT_FAMILY, "", 8)
        self.set_text_color(*_GREY)
        self.cell(
            0,
            5,
            f"{self.report_title} · {self.report_subject}",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        self.set_draw_color(*_RULE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(3)
        self.set_text_color(0, 0, 0)
        self.set_font(FONT_FAMILY, "", 9.5)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, "", 7.5)
        self.set_text_color(*_GREY)
        stamp = f"{self.generated:%Y-%m-%d %H:%M} UTC"
        self.cell(
            0,
            5,
            f"Confidential health information · generated {stamp} by paindiary",
            align="L",
        )
        self.set_x(self.l_margin)
        self.cell(0, 5, f"Page {self.page_no()} of {self._total_pages}", align="R")
        self.set_text_color(0, 0, 0)

    # ------------------------------------------------------------------ blocks
    @property
    def width(self) -> float:
        """Usable width between the margins, mm."""
        return self.w - self.l_margin - self.r_margin

    def title_block(self, title: str, lines: Sequence[tuple[str, str]]) -> None:
        """Print the first page's title and a two-column list of (label, value) lines."""
        self.set_font(FONT_FAMILY, "B", 16)
        self.cell(0, 9, clean(title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_draw_color(31, 119, 180)
        self.set_line_width(0.6)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.set_line_width(0.2)
        self.ln(2)
        half = self.width / 2
        for i, (label, value) in enumerate(lines):
            x = self.l_margin + (half if i % 2 else 0)
            if i % 2 == 0 and i:
                self.ln(5)
            self.set_xy(x, self.get_y())
            self.set_font(FONT_FAMILY, "B", 9)
            self.cell(29, 5, clean(label))
            self.set_font(FONT_FAMILY, "", 9)
            self.cell(half - 30, 5, self.fit(clean(value), half - 31))
        self.ln(8)

    def heading(self, text: str) -> None:
        """Print a section heading (moves to a new page when fewer than 30 mm are left)."""
        if self.get_y() > self.h - 45:
            self.add_page()
        self.ln(2)
        self.set_font(FONT_FAMILY, "B", 11.5)
        self.set_text_color(8, 48, 107)
        self.cell(0, 7, clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_text_color(0, 0, 0)
        self.set_font(FONT_FAMILY, "", 9.5)

    def paragraph(self, text: str, *, size: float = 9.5, style: str = "", color=None) -> None:
        """Print wrapped text across the usable width."""
        self.set_font(FONT_FAMILY, style, size)
        if color is not None:
            self.set_text_color(*color)
        self.multi_cell(
            0,
            size * 0.5,
            clean(text),
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
            markdown=False,
            align="L",
        )
        self.set_text_color(0, 0, 0)
        self.ln(1)

    def bullets(self, items: Sequence[str], *, size: float = 9.5) -> None:
        """One bullet line per item."""
        self.set_font(FONT_FAMILY, "", size)
        for item in items:
            self.set_x(self.l_margin + 2)
            self.cell(4, size * 0.5, "•")
            self.multi_cell(
                self.width - 6,
                size * 0.5,
                clean(item),
                new_x=XPos.LMARGIN,
                new_y=YPos.NEXT,
                align="L",
            )
        self.ln(1)

    def fit(self, text: str, width: float) -> str:
        """``text`` (already clean) cut with ``…`` until it fits ``width`` mm in the current font."""
        if self.get_string_width(text) <= width:
            return text
        while text and self.get_string_width(text + "…") > width:
            text = text[:-1]
        return text.rstrip() + "…"

    def summary_box(self, cells: Sequence[tuple[str, str, str]], *, per_row: int = 3) -> None:
        """Print a framed grid of (label, big value, small note) cells."""
        width = self.width / per_row
        height = 19.0
        rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
        if self.get_y() + height * len(rows) > self.h - 20:
            self.add_page()
        top = self.get_y()
        self.set_fill_color(247, 249, 252)
        self.set_draw_color(*_RULE)
        self.rect(self.l_margin, top, self.width, height * len(rows), style="DF")
        for r, row in enumerate(rows):
            for c, (label, value, note) in enumerate(row):
                x = self.l_margin + c * width
                y = top + r * height
                if c:
                    self.line(x, y + 2, x, y + height - 2)
                self.set_xy(x + 2, y + 1.5)
                self.set_font(FONT_FAMILY, "", 7.5)
                self.set_text_color(*_GREY)
                self.cell(width - 4, 4, self.fit(clean(label), width - 4))
                self.set_xy(x + 2, y + 5.5)
                self.set_font(FONT_FAMILY, "B", 13)
                self.set_text_color(0, 0, 0)
                self.cell(width - 4, 7, self.fit(clean(value), width - 4))
                self.set_xy(x + 2, y + 12.5)
                self.set_font(FONT_FAMILY, "", 7.5)
                self.set_text_color(*_GREY)
                self.cell(width - 4, 4, self.fit(clean(note), width - 4))
            if r:
                self.line(
                    self.l_margin + 2,
                    top + r * height,
                    self.w - self.r_margin - 2,
                    top + r * height,
                )
        self.set_text_color(0, 0, 0)
        self.set_y(top + height * len(rows) + 3)

    def callout(
        self, text: str, *, fill: tuple[int, int, int], border: tuple[int, int, int]
    ) -> None:
        """Print a framed, filled paragraph (e.g. the visit-12 verdict)."""
        self.set_font(FONT_FAMILY, "B", 10.5)
        self.set_fill_color(*fill)
        self.set_draw_color(*border)
        self.set_line_width(0.5)
        self.multi_cell(
            0, 6, clean(text), border=1, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT, padding=2
        )
        self.set_line_width(0.2)
        self.set_font(FONT_FAMILY, "", 9.5)
        self.ln(2)

    def data_table(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[Any]],
        *,
        widths: Sequence[float],
        align: Sequence[str] | None = None,
        size: float = 8,
        max_len: int = 300,
    ) -> None:
        """Print a table with a shaded heading row, repeated on every page it spans."""
        self.set_font(FONT_FAMILY, "", size)
        self.set_draw_color(*_RULE)
        aligns = list(align or ["L"] * len(header))
        with self.table(
            col_widths=tuple(widths),
            width=self.width,
            text_align=tuple(aligns),
            headings_style=FontFace(emphasis="BOLD", fill_color=_HEAD_FILL),
            line_height=size * 0.48,
            padding=(0.8, 1.2, 0.8, 1.2),
            markdown=False,
            first_row_as_headings=True,
            repeat_headings=1,
        ) as table:
            head = table.row()
            for h in header:
                head.cell(clean(h))
            for values in rows:
                row = table.row()
                for v in values:
                    row.cell(clean(v, max_len))
        self.set_font(FONT_FAMILY, "", 9.5)
        self.ln(2)

    def png(self, data: bytes, *, width: float | None = None, alt: str = "") -> None:
        """Place a PNG image across the usable width (new page when it does not fit)."""
        from PIL import Image

        with Image.open(io.BytesIO(data)) as img:
            w_px, h_px = img.size
        w = width or self.width
        h = w * h_px / w_px
        if self.get_y() + h > self.h - 18:
            self.add_page()
        self.image(io.BytesIO(data), x=self.l_margin, y=self.get_y(), w=w, h=h, alt_text=clean(alt))
        self.set_y(self.get_y() + h + 1)
