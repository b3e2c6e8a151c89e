"""Comparisons at a clinical threshold that forgive floating-point error.

Internal module. Means and percentages computed in floating point land a hair
off the exact value: a baseline of 7 and a follow-up of 4.9 give
``100·(7 − 4.9)/7 = 29.999999999999996`` instead of 30, and ``0.7 × 6`` is
``4.199999999999999``. DOMAIN.md puts the boundaries *at* the threshold
(responder = % change ≥ 30, IMMPACT "moderate" from exactly 30 %, a 7-day mean
≤ 70 % of baseline), so every threshold comparison of the analytics goes through
:func:`at_least` / :func:`at_most`, which accept values within :data:`EPS` of
the threshold. EPS is far below any difference a 0–10 scale can express and far
above the error of a mean of a few thousand entries.
"""

from __future__ import annotations

from typing import Any

__all__ = ["EPS", "at_least", "at_most"]

#: Absolute tolerance of threshold comparisons (in the unit compared: points or %).
EPS = 1e-9


def at_least(values: Any, threshold: Any) -> Any:
    """``values >= threshold`` allowing :data:`EPS`; NaN compares False.

    Examples
    --------
    >>> import numpy as np
    >>> bool(at_least(100 * (7 - 4.9) / 7, 30.0)), bool(at_least(np.nan, 30.0))
    (True, False)
    """
    return values >= threshold - EPS


def at_most(values: Any, threshold: Any) -> Any:
    """``values <= threshold`` allowing :data:`EPS`; NaN compares False.

    Examples
    --------
    >>> bool(at_most(4.2, 0.7 * 6))
    True
    """
    return values <= threshold + EPS
