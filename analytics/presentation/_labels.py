"""Words for the codes the analytics return, as the reports print them.

The one home of these words: the dashboard (``dashboard.labels``) and the PDF
reports both import them, so a code reads the same on screen and on paper. The
dashboard's short flag labels start with an emoji, which a PDF font does not
have: both faces print the full sentences of :data:`FLAG_TEXT` in their
data-quality notes.

Every ``*_label`` function returns the code itself with underscores as spaces for
a code it does not know, and :data:`MISSING` for a missing value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from analytics.contract import ADVERSE_EVENT_LABELS, CONDITION_LABELS, TECHNIQUE_LABELS

__all__ = [
    "MISSING",
    "CATEGORY_LABELS",
    "REASON_LABELS",
    "GROUPING_LABELS",
    "FLAG_TEXT",
    "REASON_TEXT",
    "SECONDARY_LABELS",
    "MEDICATION_SERIES_LABELS",
    "technique_label",
    "condition_label",
    "category_label",
    "adverse_event_label",
    "group_label",
    "events_text",
    "reasons_text",
    "is_missing",
    "label_of",
]

#: What a table or a box shows for a missing value.
MISSING = "—"


#: IMMPACT categories (Dworkin 2008) with their % bands.
CATEGORY_LABELS: dict[str, str] = {
    "none": "No improvement (< 10%)",
    "minimal": "Minimal (10–29%)",
    "moderate": "Moderate (30–49%)",
    "substantial": "Substantial (≥ 50%)",
    "not_evaluable": "Not evaluable",
}

#: Reasons of ``analytics.stats.REASONS`` why an outcome is missing.
REASON_LABELS: dict[str, str] = {
    "no_index": "no session or start date yet",
    "insufficient_baseline": "not enough baseline days",
    "insufficient_followup": "not enough recent diary days",
    "zero_baseline": "baseline pain is 0, so no % change",
}


#: The ``group_by`` values of ``analytics.stats``.
GROUPING_LABELS: dict[str, str] = {
    "group": "Group",
    "condition": "Condition",
    "technique": "Technique / frequency band",
}

#: Sentences for the flags of ``analytics.stats.data_quality``.
FLAG_TEXT: dict[str, str] = {
    "worsening": "Pain is worse than at baseline (≥ 2 points or ≥ 30%).",
    "low_adherence": "Fewer than half of the last 28 days were logged.",
    "recent_adverse_event": "An adverse event was recorded in the last 28 days.",
    "insufficient_baseline": "Not enough diary days before the first session for a baseline.",
}

#: Sentences for the reasons an outcome is missing (the baseline one is a flag too).
REASON_TEXT: dict[str, str] = {
    "no_index": "No start of treatment yet (no session and no start date).",
    "insufficient_followup": "Not enough diary days in the follow-up window.",
    "zero_baseline": "Baseline pain is 0, so a % change is undefined.",
}

#: Secondary measures of ``analytics.stats.SECONDARY_MEASURES``.
SECONDARY_LABELS: dict[str, str] = {
    "peg": "PEG score (pain, enjoyment, activity)",
    "sleep_quality": "sleep quality",
    "mood": "mood",
    "stress": "stress",
    "analgesic_doses": "pain-medication doses per day",
    "opioid_mme": "opioid dose, MME per day",
}

#: The series of a medication chart, as its legend names them.
MEDICATION_SERIES_LABELS: dict[str, str] = {
    "analgesic_doses": "Analgesic doses",
    "opioid_mme": "Opioid dose (morphine-equivalent mg a day)",
    "opioid_day": "Opioid day",
}


def is_missing(value: Any) -> bool:
    """Tell whether ``value`` is None, NaN, NA or NaT (never true for text)."""
    if value is None or isinstance(value, str):
        return value is None
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def label_of(mapping: Mapping[str, str], code: Any) -> str:
    """Return the words for ``code`` in ``mapping``.

    The code with spaces for underscores when it has none; :data:`MISSING` for a
    missing value.
    """
    if is_missing(code):
        return MISSING
    text = str(code)
    return mapping.get(text, text.replace("_", " "))


def technique_label(code: Any) -> str:
    """'EA mixed (e.g. 2/100 Hz)' for ``electro_mixed``."""
    return label_of(TECHNIQUE_LABELS, code)


def condition_label(code: Any) -> str:
    """'tension-type headache' for ``tension_type_headache``."""
    return label_of(CONDITION_LABELS, code)


def category_label(code: Any) -> str:
    """'Moderate (30–49%)' for ``moderate``; :data:`MISSING` when missing."""
    return label_of(CATEGORY_LABELS, code)


def adverse_event_label(code: Any) -> str:
    """'Bruising' for ``bruising``."""
    return label_of(ADVERSE_EVENT_LABELS, code)


def group_label(by: str, code: Any) -> str:
    """Return the label of ``code`` in a ``group_by`` grouping (technique, condition or group)."""
    if by == "technique":
        return technique_label(code)
    if by == "condition":
        return condition_label(code)
    return label_of({"unassigned": "not assigned"}, code)


def events_text(codes: Any) -> str:
    """'Soreness, bruising' for ``"soreness;bruising"``; "none" when there are none."""
    if is_missing(codes) or not str(codes).strip(";"):
        return "none"
    words = [adverse_event_label(c.strip().lower()) for c in str(codes).split(";") if c.strip()]
    return ", ".join(w if i == 0 else w.lower() for i, w in enumerate(words))


def reasons_text(codes: Any) -> str:
    """'not enough baseline days; not enough recent diary days' for an outcome's ``reason``."""
    if is_missing(codes):
        return ""
    return "; ".join(REASON_LABELS.get(c, c.replace("_", " ")) for c in str(codes).split(";") if c)
