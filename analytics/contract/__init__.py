"""The data contract.

The schema of the three CSV files and its description in words, the dataset type, words for
codes, body regions, medicines and their morphine equivalents, technique bands, the outcome
questionnaires, entries logged during the day.
"""

from __future__ import annotations

from ._answers import QUESTIONNAIRES, answer_problems, empty_answers
from ._bands import frequency_band
from ._dataset import Dataset, empty_frame
from ._describe import COLUMN_TABLE_COLUMNS, CONDITIONALLY_REQUIRED, UNITS, column_table
from ._entries import (
    DURATION_MAX_MINUTES,
    ENTRIES,
    FLARE_MARKS,
    RESCUE_ANSWERS,
    empty_entries,
    entry_problems,
    is_flare,
)
from ._index import index_dates
from ._instruments import (
    INSTRUMENTS,
    SCORE_RULES,
    AnswerOption,
    Band,
    Instrument,
    Item,
    ScoreRule,
    load_instrument,
)
from ._medications import (
    DOSE_UNITS,
    MME_FACTORS,
    MME_TOLERANCE,
    OPIOIDS,
    UNCONVERTED_OPIOIDS,
    daily_mme,
    medication_mme,
    mme_mismatch,
    opioid_code,
)
from ._regions import BODY_AREAS, BODY_REGIONS, REGION_AREA
from ._vocabulary import ADVERSE_EVENT_LABELS, CONDITION_LABELS, TECHNIQUE_LABELS

__all__ = [
    "ENTRIES",
    "FLARE_MARKS",
    "RESCUE_ANSWERS",
    "DURATION_MAX_MINUTES",
    "empty_entries",
    "entry_problems",
    "is_flare",
    "QUESTIONNAIRES",
    "answer_problems",
    "empty_answers",
    "INSTRUMENTS",
    "SCORE_RULES",
    "AnswerOption",
    "Band",
    "Instrument",
    "Item",
    "ScoreRule",
    "load_instrument",
    "column_table",
    "COLUMN_TABLE_COLUMNS",
    "CONDITIONALLY_REQUIRED",
    "UNITS",
    "frequency_band",
    "Dataset",
    "empty_frame",
    "index_dates",
    "MME_FACTORS",
    "DOSE_UNITS",
    "OPIOIDS",
    "daily_mme",
    "medication_mme",
    "mme_mismatch",
    "opioid_code",
    "UNCONVERTED_OPIOIDS",
    "MME_TOLERANCE",
    "TECHNIQUE_LABELS",
    "CONDITION_LABELS",
    "ADVERSE_EVENT_LABELS",
    "BODY_AREAS",
    "BODY_REGIONS",
    "REGION_AREA",
]
