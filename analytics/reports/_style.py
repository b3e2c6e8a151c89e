"""Colours, fonts and page geometry shared by every PDF report.

The colours are the dashboard's (``dashboard.charts``), copied here because
``analytics`` never imports the dashboard; a test keeps the two equal, so a
technique or a response category has the same colour on screen and on paper.
Colours the dashboard writes as CSS ``rgba(...)`` are kept in that form and
converted for matplotlib by :func:`mpl_color`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

__all__ = [
    "TECHNIQUE_COLORS",
    "CATEGORY_COLORS",
    "SERIES_COLORS",
    "PAIN_RANGE",
    "ADHERENCE_COLOR",
    "FOLLOWUP_BAND",
    "KM_BAND",
    "technique_color",
    "category_color",
    "mpl_color",
    "font_path",
    "FONT_FAMILY",
    "PAGE_MARGIN_MM",
]

#: One colour per technique band (``analytics.stats._common.frequency_band`` labels).
TECHNIQUE_COLORS: dict[str, str] = {
    "manual": "#1B7837",
    "auricular": "#7B3294",
    "other": "#616161",
    "electro": "#0072B2",
    "electro_low": "#3E7CB1",
    "electro_medium": "#1D5A9E",
    "electro_high": "#08306B",
    "electro_mixed": "#00838F",
    "electro_unknown": "#4A6D8C",
}

#: One colour per IMMPACT response category; red = no response, dark green = substantial.
CATEGORY_COLORS: dict[str, str] = {
    "none": "#B2182B",
    "minimal": "#B35806",
    "moderate": "#4D9221",
    "substantial": "#1B5E20",
    "not_evaluable": "#757575",
}

#: Colour of diary adherence.
ADHERENCE_COLOR = "#4A6D8C"

#: Colours of series that are not techniques or categories.
SERIES_COLORS: dict[str, str] = {
    "pain": "#333333",
    "worst_pain": "#D55E00",
    "rolling": "#B2182B",
    "baseline": "rgba(0, 114, 178, 0.12)",
    "baseline_line": "#0072B2",
    "its_pre": "#8C510A",
    "its_post": "#C51B7D",
    "cohort": "#616161",
    "patient": "#B2182B",
    "before": "#B35806",
    "after": "#0072B2",
    "relief": "#00838F",
    "benchmark": "#B2182B",
    "sleep_quality": "#0072B2",
    "mood": "#1B7837",
    "stress": "#B2182B",
    "analgesic_doses": "#5E3C99",
    "opioid_mme": "#8C510A",
    "adherence": ADHERENCE_COLOR,
    "event_any": "#0072B2",
    "event": "#4A6D8C",
    "reference": "#333333",
}

#: The follow-up window's band on the printed trajectory (the dashboard shades the
#: baseline only; on paper the window behind the follow-up mean is marked too).
FOLLOWUP_BAND = "rgba(178, 24, 43, 0.07)"
#: The Kaplan–Meier confidence band (the dashboard's fill colour).
KM_BAND = "rgba(0, 114, 178, 0.15)"

#: Fixed range of every 0-10 pain or score axis.
PAIN_RANGE = (0, 10)

#: Name under which the DejaVu Sans TTF is registered in a PDF.
FONT_FAMILY = "DejaVu"

#: Left, right and top margin of a report page, mm.
PAGE_MARGIN_MM = 15

_RGBA = re.compile(r"rgba\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*([0-9.]+)\s*\)")

# Debian's fonts-dejavu-core first; matplotlib ships the same fonts as a fallback.
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


def technique_color(band: object) -> str:
    """Colour of a technique band (grey for an unknown label)."""
    return TECHNIQUE_COLORS.get(str(band), TECHNIQUE_COLORS["other"])


def category_color(category: object) -> str:
    """Colour of a response category (grey when missing or unknown)."""
    if not isinstance(category, str):
        return CATEGORY_COLORS["not_evaluable"]
    return CATEGORY_COLORS.get(category, CATEGORY_COLORS["not_evaluable"])


def mpl_color(color: str) -> str | tuple[float, float, float, float]:
    """A colour matplotlib understands: ``#rrggbb`` as is, CSS ``rgba(r, g, b, a)`` as a tuple."""
    m = _RGBA.fullmatch(color.strip())
    if m is None:
        return color
    r, g, b = (int(m.group(i)) / 255 for i in (1, 2, 3))
    return (r, g, b, float(m.group(4)))


@cache
def font_path(style: str = "") -> Path:
    """Path of the DejaVu Sans TTF of ``style`` ("" regular, "B" bold, "I" italic).

    The system's fonts-dejavu-core copy when present, else the copy matplotlib
    ships (the same font), so a report renders the same on any machine with
    the project installed.
    """
    name = _FONT_FILES[style]
    for folder in _FONT_DIRS:
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate
    import matplotlib

    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name
    if bundled.is_file():
        return bundled
    raise FileNotFoundError(f"DejaVu Sans ({name}) not found; install fonts-dejavu-core")
