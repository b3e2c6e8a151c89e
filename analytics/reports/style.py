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
    "FOLLOWUP_BAND",
    "technique_color",
    "category_color",
    "mpl_color",
    "font_path",
    "FONT_FAMILY",
    "PAGE_MARGIN_MM",
]

#: One colour per technique band (``analytics._common.frequency_band`` labels).
TECHNIQUE_COLORS: dict[str, str] = {
    "manual": "#2ca02c",
    "auricular": "#9467bd",
    "other": "#7f7f7f",
    "electro": "#1f77b4",
    "electro_low": "#6baed6",
    "electro_medium": "#2171b5",
    "electro_high": "#08306b",
    "electro_mixed": "#17becf",
    "electro_unknown": "#9ecae1",
}

#: One colour per IMMPACT response category; red = no response, green = substantial.
CATEGORY_COLORS: dict[str, str] = {
    "none": "#d62728",
    "minimal": "#ff7f0e",
    "moderate": "#98df8a",
    "substantial": "#2ca02c",
    "not_evaluable": "#bdbdbd",
}

#: Colours of series that are not techniques or categories.
SERIES_COLORS: dict[str, str] = {
    "pain": "#444444",
    "rolling": "#d62728",
    "baseline": "rgba(31, 119, 180, 0.12)",
    "baseline_line": "#1f77b4",
    "its_pre": "#8c564b",
    "its_post": "#e377c2",
    "cohort": "#7f7f7f",
    "patient": "#d62728",
    "before": "#ff9896",
    "after": "#1f77b4",
    "relief": "#17becf",
    "benchmark": "#d62728",
    "sleep_quality": "#1f77b4",
    "mood": "#2ca02c",
    "stress": "#d62728",
    "analgesic_doses": "#9467bd",
    "opioid_mme": "#8c564b",
}

#: The follow-up window's band on the printed trajectory (the dashboard shades the
#: baseline only; on paper the window behind the follow-up mean is marked too).
FOLLOWUP_BAND = "rgba(214, 39, 40, 0.07)"

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
