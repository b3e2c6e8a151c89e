"""The synthetic demo clinic."""

from __future__ import annotations

from ._details import ARMS
from ._entries import demo_entries
from ._files import freshen_demo, main, shift_dates, write_clinic
from ._questionnaires import demo_answers
from ._synthetic import EDGE_CASES, TRUTH_COLUMNS, generate_clinic

__all__ = [
    "ARMS",
    "EDGE_CASES",
    "TRUTH_COLUMNS",
    "generate_clinic",
    "demo_answers",
    "demo_entries",
    "write_clinic",
    "shift_dates",
    "freshen_demo",
    "main",
]
