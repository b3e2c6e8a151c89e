"""The palette: one colour per technique band, response category, series and pain band.

The dashboard's charts (plotly) and the PDF reports (matplotlib) both draw in
these colours, so a technique or a response category has the same colour on
screen and on paper. Colours are keyed on the codes ``analytics`` returns, never
on their labels. Fills are CSS ``rgba(...)`` strings (plotly reads them as they
are; the reports convert them for matplotlib).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "TECHNIQUE_COLORS",
    "CATEGORY_COLORS",
    "ADHERENCE_COLOR",
    "SERIES_COLORS",
    "FOLLOWUP_BAND",
    "KM_BAND",
    "PAIN_RANGE",
    "technique_color",
    "category_color",
    "PainBand",
    "PAIN_BANDS",
    "pain_band",
    "pain_color",
    "pain_legend",
]

#: One colour per technique band (``analytics.contract.frequency_band`` labels).
#: Electro bands share a blue family, lighter (low Hz) to darker (high Hz); every
#: colour keeps at least 3:1 contrast on white.
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

#: One colour per IMMPACT response category (DOMAIN.md section 4); red = no
#: response, dark green = substantial, grey = not evaluable.
CATEGORY_COLORS: dict[str, str] = {
    "none": "#B2182B",
    "minimal": "#B35806",
    "moderate": "#4D9221",
    "substantial": "#1B5E20",
    "not_evaluable": "#757575",
}

#: Neutral colour of adherence (share of days logged): neither "good" green nor
#: "bad" red, since the value is a fact to read, not a verdict.
ADHERENCE_COLOR = "#4A6D8C"

#: Colours of series that are not techniques or categories. Fills (``rgba``) are
#: backgrounds; every other entry has at least 3:1 contrast on white.
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

#: The Kaplan–Meier confidence band.
KM_BAND = "rgba(0, 114, 178, 0.15)"

#: Fixed range of every 0-10 pain or score axis.
PAIN_RANGE = (0, 10)


def technique_color(band: object) -> str:
    """Return the colour of a technique band.

    Parameters
    ----------
    band : str
        A code of ``analytics.contract.frequency_band``.

    Returns
    -------
    str
        ``#rrggbb``; the grey of ``other`` for an unknown band.

    Examples
    --------
    >>> technique_color("manual"), technique_color("cupping")
    ('#1B7837', '#616161')
    """
    return TECHNIQUE_COLORS.get(str(band), TECHNIQUE_COLORS["other"])


def category_color(category: object) -> str:
    """Return the colour of an IMMPACT response category.

    Parameters
    ----------
    category : str or None
        A ``response_category`` code.

    Returns
    -------
    str
        ``#rrggbb``; the grey of ``not_evaluable`` when missing or unknown.

    Examples
    --------
    >>> category_color("substantial"), category_color(None)
    ('#1B5E20', '#757575')
    """
    if not isinstance(category, str):
        return CATEGORY_COLORS["not_evaluable"]
    return CATEGORY_COLORS.get(category, CATEGORY_COLORS["not_evaluable"])


@dataclass(frozen=True)
class PainBand:
    """One band of the 0-10 pain scale as a calendar colours it.

    Attributes
    ----------
    code : str
        ``none``, ``mild``, ``moderate`` or ``severe``.
    low, high : int
        The scores of the band, both included.
    words : str
        What the band means, for the legend ("mild pain").
    colour_name : str
        The fill in words, for the legend ("yellow").
    fill : str
        ``#rrggbb`` of the day's mark.
    ink : str
        ``#rrggbb`` of the day number on the fill (contrast at least 4.5:1).
    """

    code: str
    low: int
    high: int
    words: str
    colour_name: str
    fill: str
    ink: str


#: The bands of the 0-10 pain scale, lightest (no pain) to darkest (severe). The
#: fills are ColorBrewer's YlOrRd sequential scheme (one hue family, lightness falling
#: with pain, readable with red-green colour blindness); every day number keeps at
#: least 4.5:1 contrast on its fill (WCAG 2.1, 1.4.3), and a logged day is drawn with a
#: dark outline, so even the palest fill stands out from the page. The cut points are
#: the common 0 / 1-3 / 4-6 / 7-10 reading of the scale; published cut points vary
#: (Serlin 1995, Pain 61:277, put mild at 1-4), so the bands are words for a glance at
#: a month, not a clinical category.
PAIN_BANDS: tuple[PainBand, ...] = (
    PainBand("none", 0, 0, "no pain", "pale yellow", "#FFFFB2", "#1A1A1A"),
    PainBand("mild", 1, 3, "mild pain", "yellow", "#FECC5C", "#1A1A1A"),
    PainBand("moderate", 4, 6, "moderate pain", "orange", "#FD8D3C", "#1A1A1A"),
    PainBand("severe", 7, 10, "severe pain", "dark red", "#BD0026", "#FFFFFF"),
)


def pain_band(pain: object) -> PainBand | None:
    """Return the band of a 0-10 pain score.

    Parameters
    ----------
    pain : float or None
        A score from 0 to 10; a mean of several scores is rounded to the nearest whole
        point first (halves up), so 3.5 is moderate.

    Returns
    -------
    PainBand or None
        None when the score is missing or not a number from 0 to 10.

    Examples
    --------
    >>> pain_band(2).code, pain_band(6.5).code, pain_band(None)
    ('mild', 'severe', None)
    """
    if isinstance(pain, bool):
        return None
    if not isinstance(pain, (int, float)):
        try:
            pain = float(pain)  # type: ignore[arg-type]  # numpy scalars
        except (TypeError, ValueError):
            return None
    if not math.isfinite(pain) or not PAIN_RANGE[0] <= pain <= PAIN_RANGE[1]:
        return None
    score = math.floor(pain + 0.5)
    return next(band for band in PAIN_BANDS if band.low <= score <= band.high)


def pain_color(pain: object) -> str | None:
    """Return the fill of a day with this pain score (None when the score is missing).

    Examples
    --------
    >>> pain_color(0), pain_color(8)
    ('#FFFFB2', '#BD0026')
    """
    band = pain_band(pain)
    return None if band is None else band.fill


def pain_legend() -> str:
    """Return the legend of the pain colours in words.

    Examples
    --------
    >>> pain_legend().split(" · ")[0]
    'pale yellow = 0, no pain'
    """
    return " · ".join(
        f"{band.colour_name} = {band.low}, {band.words}"
        if band.low == band.high
        else f"{band.colour_name} = {band.low}–{band.high}, {band.words}"
        for band in PAIN_BANDS
    )
