"""Human-readable labels of the codes ``analytics`` returns: the one mapping.

Tables, filters, chart legends and hover text all name techniques, conditions,
response categories, flags, missing-outcome reasons and adverse events through
this module, so a code reads the same everywhere. Colours stay keyed on the
codes (:mod:`dashboard.charts`), never on these labels.

Every ``*_label`` function returns the code itself, with underscores as spaces,
for a code it does not know (the data contract accepts any condition text), and
:data:`MISSING` for a missing value.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

__all__ = [
    "MISSING",
    "TECHNIQUE_LABELS",
    "CONDITION_LABELS",
    "CATEGORY_LABELS",
    "FLAG_LABELS",
    "REASON_LABELS",
    "ADVERSE_EVENT_LABELS",
    "GROUPING_LABELS",
    "technique_label",
    "condition_label",
    "category_label",
    "adverse_event_label",
    "group_label",
    "flags_text",
    "reasons_text",
    "relabel",
]

#: What a table or a card shows for a missing value.
MISSING = "—"

#: Technique bands of ``analytics._common.frequency_band`` (DOMAIN.md section 1),
#: ``none`` for a patient without sessions and ``unassigned`` for a missing label
#: in ``analytics.groups``.
TECHNIQUE_LABELS: dict[str, str] = {
    "manual": "Manual",
    "auricular": "Auricular",
    "other": "Other technique",
    "electro": "Electroacupuncture (EA)",
    "electro_low": "EA low (< 20 Hz, e.g. 2 Hz)",
    "electro_medium": "EA medium (20–49 Hz)",
    "electro_high": "EA high (≥ 50 Hz, e.g. 100 Hz)",
    "electro_mixed": "EA mixed (e.g. 2/100 Hz)",
    "electro_unknown": "EA (frequency not recorded)",
    "none": "None (no sessions)",
    "unassigned": "None (no sessions)",
}

#: Conditions of ``analytics.schema.CONDITIONS``.
CONDITION_LABELS: dict[str, str] = {
    "chronic_low_back_pain": "chronic low back pain",
    "neck_pain": "neck pain",
    "osteoarthritis": "osteoarthritis",
    "rheumatoid_arthritis": "rheumatoid arthritis",
    "migraine": "migraine",
    "tension_type_headache": "tension-type headache",
    "fibromyalgia": "fibromyalgia",
    "neuropathic_pain": "neuropathic pain",
    "musculoskeletal_pain": "musculoskeletal pain",
    "post_surgical_pain": "post-surgical pain",
    "unassigned": "not recorded",
}

#: IMMPACT categories (Dworkin 2008) with their % bands; ``not_evaluable`` for a
#: patient without a % change.
CATEGORY_LABELS: dict[str, str] = {
    "none": "No improvement (< 10%)",
    "minimal": "Minimal (10–29%)",
    "moderate": "Moderate (30–49%)",
    "substantial": "Substantial (≥ 50%)",
    "not_evaluable": "Not evaluable",
}

#: Flags of ``analytics.secondary.data_quality``.
FLAG_LABELS: dict[str, str] = {
    "worsening": "⚠️ worsening",
    "low_adherence": "📉 low adherence",
    "recent_adverse_event": "🩹 recent adverse event",
    "insufficient_baseline": "❔ not enough baseline",
}

#: Reasons of ``analytics.outcomes.REASONS`` why an outcome is missing.
REASON_LABELS: dict[str, str] = {
    "no_index": "no session or start date yet",
    "insufficient_baseline": "not enough baseline days",
    "insufficient_followup": "not enough recent diary days",
    "zero_baseline": "baseline pain is 0, so no % change",
}

#: Adverse events of ``analytics.schema.ADVERSE_EVENTS`` and the ``any`` row of
#: ``analytics.safety.adverse_event_rates``.
ADVERSE_EVENT_LABELS: dict[str, str] = {
    "any": "Any event",
    "bleeding": "Bleeding",
    "bruising": "Bruising",
    "soreness": "Soreness",
    "dizziness": "Dizziness",
    "fainting": "Fainting",
    "nausea": "Nausea",
    "infection": "Infection",
    "other": "Other",
}

#: The ``group_by`` values of ``analytics.groups``.
GROUPING_LABELS: dict[str, str] = {
    "group": "Group",
    "condition": "Condition",
    "technique": "Technique / frequency band",
}


def _missing(code: Any) -> bool:
    return code is None or (not isinstance(code, str) and bool(pd.isna(code)))


def _label(mapping: Mapping[str, str], code: Any) -> str:
    if _missing(code):
        return MISSING
    text = str(code)
    return mapping.get(text, text.replace("_", " "))


def technique_label(code: Any) -> str:
    """'EA mixed (e.g. 2/100 Hz)' for ``electro_mixed``."""
    return _label(TECHNIQUE_LABELS, code)


def condition_label(code: Any) -> str:
    """'tension-type headache' for ``tension_type_headache``."""
    return _label(CONDITION_LABELS, code)


def category_label(code: Any) -> str:
    """'Moderate (30–49%)' for ``moderate``; :data:`MISSING` when missing."""
    return _label(CATEGORY_LABELS, code)


def adverse_event_label(code: Any) -> str:
    """'Any event' for ``any``, 'Bruising' for ``bruising``."""
    return _label(ADVERSE_EVENT_LABELS, code)


def group_label(by: str, code: Any) -> str:
    """The label of ``code`` in a ``group_by`` grouping (technique, condition or group)."""
    if by == "technique":
        return technique_label(code)
    if by == "condition":
        return condition_label(code)
    return _label({"unassigned": "not assigned"}, code)


def _joined(mapping: Mapping[str, str], codes: Any, sep: str) -> str:
    if _missing(codes):
        return ""
    return sep.join(mapping.get(c, c.replace("_", " ")) for c in str(codes).split(";") if c)


def flags_text(codes: Any) -> str:
    """'⚠️ worsening, 📉 low adherence' for ``"worsening;low_adherence"`` ("" for none)."""
    return _joined(FLAG_LABELS, codes, ", ")


def reasons_text(codes: Any) -> str:
    """'not enough baseline days; not enough recent diary days' for an outcome's ``reason``."""
    return _joined(REASON_LABELS, codes, "; ")


def relabel(values: Iterable[Any] | pd.Series, how: Any) -> pd.Series:
    """``values`` mapped through one of the ``*_label`` functions (index kept)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    unique = pd.unique(series.astype(object))
    lookup = {v: how(v) for v in unique if not _missing(v)}
    out = series.astype(object).map(lookup)
    return out.where(out.notna(), "" if how in (flags_text, reasons_text) else MISSING).astype(
        "str"
    )
