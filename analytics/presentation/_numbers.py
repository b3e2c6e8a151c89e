"""Number formats the dashboard and the PDF reports both print.

One rule for every number written here: rounded half away from zero at the
precision shown (``Decimal`` of the shortest repr, so 0.565 is 57 %, not the 56 %
of its binary value), a typographic minus sign (U+2212), never a signed zero,
and :data:`MISSING` for a missing value. Percentages are whole.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ._labels import MISSING, is_missing

__all__ = [
    "MINUS",
    "number_text",
    "percent_text",
    "share_text",
    "interval_text",
    "p_value_text",
    "too_few_text",
    "CLIPPED_NOTE",
]

#: The minus sign of every printed number.
MINUS = "\u2212"

#: Said after an interval cut at the end of the pain scale.
CLIPPED_NOTE = "cut at the end of the 0–10 scale"


def number_text(value: Any, decimals: int = 1, *, signed: bool = False, scale: float = 1) -> str:
    """Write a number rounded half away from zero, with a true minus sign.

    Parameters
    ----------
    value : float or None
        The number; None/NaN give :data:`MISSING`.
    decimals : int, default 1
        Places shown.
    signed : bool, default False
        Prefix ``+`` to a positive value (a value that shows as zero has no sign).
    scale : float, default 1
        Multiply first (100 for a fraction shown as a percentage).

    Returns
    -------
    str

    Examples
    --------
    >>> number_text(2.25), number_text(-0.04), number_text(3.2, signed=True)
    ('2.3', '0.0', '+3.2')
    >>> number_text(-1.25, 1)
    '−1.3'
    """
    if is_missing(value):
        return MISSING
    x = Decimal(repr(float(value))) * Decimal(repr(float(scale)))
    q = x.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    if q == 0:
        return f"{abs(q):.{decimals}f}"
    text = f"{abs(q):.{decimals}f}"
    if q < 0:
        return MINUS + text
    return ("+" + text) if signed else text


def percent_text(fraction: Any, *, signed: bool = False) -> str:
    """Write a fraction 0-1 as a whole percentage: 1/3 → "33%".

    Examples
    --------
    >>> percent_text(1 / 3), percent_text(0.5), percent_text(-0.125, signed=True)
    ('33%', '50%', '−13%')
    >>> percent_text(float("nan"))
    '—'
    """
    text = number_text(fraction, 0, signed=signed, scale=100)
    return text if text == MISSING else text + "%"


def share_text(count: Any, total: Any) -> str:
    """Write a count of a total with its whole percentage: "1 of 3 (33%)".

    Examples
    --------
    >>> share_text(1, 3), share_text(0, 0)
    ('1 of 3 (33%)', '0 of 0')
    """
    if is_missing(count) or is_missing(total):
        return MISSING
    k, n = int(count), int(total)
    return f"{k} of {n} ({percent_text(k / n)})" if n else f"{k} of {n}"


def interval_text(
    low: Any, high: Any, *, decimals: int = 1, percent: bool = False, clipped: bool = False
) -> str:
    """Write a confidence interval: "1.5 to 2.7", "23% to 88%".

    Parameters
    ----------
    low, high : float
        Bounds (fractions 0-1 when ``percent``); a missing bound gives :data:`MISSING`.
    decimals : int, default 1
        Places of a bound in points (percentages are whole).
    percent : bool, default False
        Bounds are fractions written as whole percentages.
    clipped : bool, default False
        The interval was cut at the end of the 0-10 scale: say so.

    Examples
    --------
    >>> interval_text(-0.84, 5.06), interval_text(0.2307, 0.8824, percent=True)
    ('−0.8 to 5.1', '23% to 88%')
    >>> interval_text(-0.04, 2.3)
    '−0.040 to 2.3'
    >>> interval_text(-1.2, 10.0, clipped=True)
    '−1.2 to 10.0 (cut at the end of the 0–10 scale)'
    """
    if is_missing(low) or is_missing(high):
        return MISSING
    if percent:
        text = f"{percent_text(low)} to {percent_text(high)}"
    else:
        text = f"{_bound_text(low, decimals)} to {_bound_text(high, decimals)}"
    return f"{text} ({CLIPPED_NOTE})" if clipped else text


def _bound_text(value: Any, decimals: int) -> str:
    """Write a bound; one that would read 0 but is not shows two more places, so its side of 0 shows."""
    text = number_text(value, decimals)
    if float(value) != 0 and float(text.replace(MINUS, "-")) == 0:
        return number_text(value, decimals + 2)
    return text


def p_value_text(p: Any) -> str:
    """Write a p-value to 3 places, "< 0.001" below that.

    A p-value under 0.05 that would read "0.050" gets a fourth place, so the p
    shown and the interval beside it never seem to disagree.

    Examples
    --------
    >>> p_value_text(0.04349), p_value_text(0.00002), p_value_text(0.04962)
    ('0.043', '< 0.001', '0.0496')
    """
    if is_missing(p):
        return MISSING
    if float(p) < 0.0005:
        return "< 0.001"
    text = number_text(p, 3)
    if float(p) < 0.05 <= float(text):
        # 0.0496 would read "0.050" beside an interval that excludes 0
        return number_text(p, 4)
    return text


def too_few_text(min_group_size: int) -> str:
    """Say why a group or a pair has no interval or p-value.

    Examples
    --------
    >>> too_few_text(5)
    'too few patients to compare (n < 5 per group)'
    """
    return f"too few patients to compare (n < {int(min_group_size)} per group)"
