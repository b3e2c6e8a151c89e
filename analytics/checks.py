"""Parameter checks shared by every layer, worded as scikit-learn words them.

"The 'window_days' parameter of weekly_trend must be an int in [1, 365]. Got 0 instead."
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

__all__ = ["check_int", "check_number", "check_choice"]


def check_int(value: Any, name: str, func: str, low: int, high: int | None = None) -> int:
    """Return ``value`` as int or raise ValueError in scikit-learn's wording."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if ok and value >= low and (high is None or value <= high):
        return int(value)
    upper = "inf" if high is None else str(high)
    raise ValueError(
        f"The '{name}' parameter of {func} must be an int in [{low}, {upper}]. Got {value!r} instead."
    )


def check_number(value: Any, name: str, func: str, low: float, high: float | None = None) -> float:
    """Return ``value`` as float or raise ValueError in scikit-learn's wording."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if ok and math.isfinite(value) and value >= low and (high is None or value <= high):
        return float(value)
    upper = "inf" if high is None else str(high)
    raise ValueError(
        f"The '{name}' parameter of {func} must be a number in [{low}, {upper}]. "
        f"Got {value!r} instead."
    )


def check_choice(value: Any, name: str, func: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices`` else raise ValueError."""
    choices = tuple(choices)
    if value in choices:
        return str(value)
    raise ValueError(
        f"The '{name}' parameter of {func} must be one of {', '.join(map(repr, choices))}. "
        f"Got {value!r} instead."
    )
