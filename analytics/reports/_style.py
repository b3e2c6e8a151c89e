"""Colours, fonts and page geometry shared by every PDF report.

The colours are the palette of :mod:`analytics.presentation`, the one the
dashboard draws in too, so a technique or a response category has the same colour
on screen and on paper. Its CSS ``rgba(...)`` fills are converted for matplotlib
by :func:`mpl_color`.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from analytics.presentation import (
    ADHERENCE_COLOR,
    CATEGORY_COLORS,
    FOLLOWUP_BAND,
    KM_BAND,
    PAIN_RANGE,
    SERIES_COLORS,
    TECHNIQUE_COLORS,
    category_color,
    technique_color,
)

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

#: Name under which the DejaVu Sans TTF is registered in a PDF.
FONT_FAMILY = "DejaVu"

#: Left, right and top margin of a report page, mm.
PAGE_MARGIN_MM = 15

_RGBA = re.compile(r"rgba\(\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*,\s*([0-9.]+)\s*\)")

# Debian's fonts-dejavu-core first; matplotlib ships the same fonts as a fallback.
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu",)
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf", "I": "DejaVuSans-Oblique.ttf"}


def mpl_color(color: str) -> str | tuple[float, float, float, float]:
    """Return a colour matplotlib understands: ``#rrggbb`` as is, CSS ``rgba(...)`` as a tuple."""
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
