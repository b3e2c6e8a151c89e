"""The printable sign-in sheet: one page per patient with their first sign-in link.

Each page names the clinic, the patient's username, the one-time link written out and
as a QR code, and when the link expires, with what to do in a few plain steps. The
sheet is made of links just created (their tokens are never stored), so it is the
only copy: hand it over, do not file it.
"""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
from fpdf.enums import XPos, YPos

from analytics.reports._pdf import ReportPDF, clean
from analytics.reports._style import FONT_FAMILY

__all__ = ["SIGN_IN_SHEET_COLUMNS", "sign_in_sheet_pdf"]

#: Columns :func:`sign_in_sheet_pdf` reads.
SIGN_IN_SHEET_COLUMNS = ("patient_id", "username", "link", "expires_at")
_QR_MM = 70.0


def _check(invites: pd.DataFrame, clinic: str) -> None:
    if not isinstance(invites, pd.DataFrame) or not set(SIGN_IN_SHEET_COLUMNS) <= set(
        invites.columns
    ):
        raise ValueError(
            "The 'invites' parameter of sign_in_sheet_pdf must be a DataFrame with columns "
            f"{list(SIGN_IN_SHEET_COLUMNS)}."
        )
    if invites.empty:
        raise ValueError("A sign-in sheet needs at least one first sign-in link; none was given.")
    if not isinstance(clinic, str) or not clinic.strip():
        raise ValueError(
            f"The 'clinic' parameter of sign_in_sheet_pdf must be a non-empty str. Got {clinic!r}."
        )


def _link_line(pdf: ReportPDF, link: str) -> None:
    """Write the link on one line, in the largest size up to 11 pt that fits the width."""
    text = clean(link)
    size = 11.0
    pdf.set_font(FONT_FAMILY, "", size)
    while size > 5 and pdf.get_string_width(text) > pdf.width:
        size -= 0.5
        pdf.set_font(FONT_FAMILY, "", size)
    pdf.cell(0, size * 0.6, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, link=link)


def _page(pdf: ReportPDF, clinic: str, username: str, link: str, expires: pd.Timestamp) -> None:
    from analytics.reports._qr import qr_png

    pdf.add_page()
    pdf.title_block(
        f"{clinic}: your pain diary",
        [("Username", username), ("Link valid until", f"{expires:%Y-%m-%d} (UTC)")],
    )
    pdf.set_font(FONT_FAMILY, "B", 14)
    pdf.cell(0, 8, "Your username:", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, "B", 22)
    pdf.cell(0, 12, clean(username, 64), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    pdf.paragraph(
        "To start, scan the code with your phone's camera (or type the link below into a "
        "browser). Choose your own password there: you are then signed in. After that, sign "
        "in with your username and the password you chose.",
        size=11,
    )
    top = pdf.get_y() + 2
    left = pdf.l_margin + (pdf.width - _QR_MM) / 2
    pdf.image(io.BytesIO(qr_png(link, scale=10)), x=left, y=top, w=_QR_MM, h=_QR_MM,
              alt_text="QR code of the first sign-in link")  # fmt: skip
    pdf.set_xy(pdf.l_margin, top + _QR_MM + 4)
    _link_line(pdf, link)
    pdf.ln(3)
    pdf.paragraph(
        f"The link works once, until {expires:%Y-%m-%d %H:%M} UTC. If it has expired or was "
        "used already, ask the clinic for a new one.",
        size=11,
        style="B",
    )
    pdf.paragraph(
        "Keep this sheet private: anyone with the link can choose the password of this "
        "account until it is used. Nobody from the clinic will ask you for your password.",
        size=9.5,
        color=(90, 90, 90),
    )


def sign_in_sheet_pdf(
    invites: pd.DataFrame, *, clinic: str, generated: dt.datetime | None = None
) -> bytes:
    """Lay out a sign-in sheet: one A4 page per patient.

    Parameters
    ----------
    invites : pandas.DataFrame
        ``patient_id``, ``username``, ``link`` (the whole first sign-in link) and
        ``expires_at`` (naive UTC), one row per page, as
        :func:`analytics.service.invite_frame` makes them.
    clinic : str
        The clinic's name, at the top of each page.
    generated : datetime, optional
        The time in the footer (naive UTC); default: now.

    Returns
    -------
    bytes
        The PDF.

    Raises
    ------
    ValueError
        ``invites`` lacks a column or is empty, or ``clinic`` is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"patient_id": ["P001"], "username": ["p001"],
    ...     "link": ["http://localhost:8501/?invite=abc"],
    ...     "expires_at": [pd.Timestamp("2030-01-15 10:00")]})
    >>> sign_in_sheet_pdf(rows, clinic="Pain clinic")[:5]
    b'%PDF-'
    """
    _check(invites, clinic)
    moment = generated or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    pdf = ReportPDF(f"{clinic}: sign-in sheet", f"{len(invites)} patient(s)", moment)
    pdf.set_auto_page_break(False)
    for row in invites.itertuples(index=False):
        _page(pdf, clinic, str(row.username), str(row.link), pd.Timestamp(row.expires_at))
    return bytes(pdf.output())
