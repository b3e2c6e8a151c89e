"""The palette: one colour per technique band, response category and series.

The dashboard's charts (plotly) and the PDF reports (matplotlib) both draw in
these colours, so a technique or a response category has the same colour on
screen and on paper. Colours are keyed on the codes ``analytics`` returns, never
on their labels. Fills are CSS ``rgba(...)`` strings (plotly reads them as they
are; the reports convert them for matplotlib).
"""

from __future__ import annotations

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
