"""Words, labels, colours and number formats shared by the dashboard and the PDF reports.

No streamlit, no plotly: the one home of what both faces print and draw.
"""

from __future__ import annotations

from ._accounts import ACCOUNT_COLUMN_LABELS, ROLE_LABELS, account_table
from ._labels import (
    CATEGORY_LABELS,
    FLAG_TEXT,
    GROUPING_LABELS,
    MISSING,
    REASON_LABELS,
    REASON_TEXT,
    SECONDARY_LABELS,
    adverse_event_label,
    category_label,
    condition_label,
    events_text,
    group_label,
    is_missing,
    label_of,
    reasons_text,
    technique_label,
)
from ._palette import (
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
from ._sentences import days_text, quality_notes, trailing_mean_label

__all__ = [
    "ACCOUNT_COLUMN_LABELS",
    "ROLE_LABELS",
    "account_table",
    "MISSING",
    "CATEGORY_LABELS",
    "REASON_LABELS",
    "GROUPING_LABELS",
    "FLAG_TEXT",
    "REASON_TEXT",
    "SECONDARY_LABELS",
    "technique_label",
    "condition_label",
    "category_label",
    "adverse_event_label",
    "group_label",
    "events_text",
    "reasons_text",
    "is_missing",
    "label_of",
    "trailing_mean_label",
    "quality_notes",
    "days_text",
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
