"""The synthetic demo clinic."""

from __future__ import annotations

from ._synthetic import (
    ARMS,
    EDGE_CASES,
    TRUTH_COLUMNS,
    freshen_demo,
    generate_clinic,
    main,
    shift_dates,
    write_clinic,
)

__all__ = [
    "ARMS",
    "EDGE_CASES",
    "TRUTH_COLUMNS",
    "generate_clinic",
    "write_clinic",
    "shift_dates",
    "freshen_demo",
    "main",
]
