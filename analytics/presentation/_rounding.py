"""How a number is rounded and written wherever a person reads it.

The one rounding rule of every face (the PDF reports and the dashboard): **half
away from zero** at the precision shown, on the decimal a number prints as —
:func:`analytics.presentation.number_text`, which every function here writes
through.
6.25 is written 6.3, 56.5% is 57%, −2.45 is −2.5. Python's ``format`` and
``round`` round half to even on the binary value instead (6.25 → "6.2",
56.5 → "56", 2.675 → "2.67"), so two faces using them could show one value two
ways.

A change printed beside the two values it is the difference of is worked out
from those printed values (:func:`shown_difference`), so the row adds up on
paper: 3.8 → 6.1 is a change of −2.3, never −2.4.

A change in pain is put in words by :func:`change_words` ("Worse (pain +14%)",
"No change", "Improved (pain −32%)"): a change whose shown size is below
:data:`NO_CHANGE_PCT` percent is "No change" — words, not a verdict.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

from ._labels import MISSING, is_missing
from ._numbers import MINUS, number_text

__all__ = [
    "NO_CHANGE_PCT",
    "round_shown",
    "shown_difference",
    "change_words",
    "format_shown",
]

#: A change in pain smaller than this many percent of the baseline (after rounding to
#: a whole percent) reads "No change". IMMPACT (Dworkin 2008, J Pain 9:105) calls less
#: than a 10% reduction no important improvement; the same size is used for a rise.
NO_CHANGE_PCT = 10.0


def _decimal(value: Any, decimals: int) -> Decimal | None:
    """Return ``value`` as :func:`number_text` writes it, as a Decimal; None when not finite."""
    if is_missing(value) or not math.isfinite(float(value)):
        return None
    return Decimal(number_text(value, decimals).replace(MINUS, "-"))


def round_shown(value: Any, decimals: int = 1) -> float:
    """Round a number half away from zero, as every face shows it.

    Parameters
    ----------
    value : float
        The number; missing or not finite gives NaN.
    decimals : int, default 1
        Places after the decimal point (0 for a whole number).

    Returns
    -------
    float
        The nearest float to the rounded decimal (a negative number rounding to
        zero gives 0.0, never −0.0).

    Notes
    -----
    The value :func:`analytics.presentation.number_text` writes, read back: it
    rounds the decimal the float prints as (its ``repr``) with
    :data:`decimal.ROUND_HALF_UP`, which rounds ties away from zero. Python's
    ``round`` rounds ties to even on the binary value: ``round(6.25, 1)`` is 6.2.

    Examples
    --------
    >>> round_shown(6.25), round_shown(56.5, 0), round_shown(-2.45), round_shown(2.675, 2)
    (6.3, 57.0, -2.5, 2.68)
    """
    d = _decimal(value, decimals)
    if d is None:
        return float("nan")
    return float(d) + 0.0  # + 0.0 turns -0.0 into 0.0


#: A fixed-point format specification: sign, grouping, places, ``f`` or ``%``.
_FIXED_SPEC = re.compile(r"([+\- ]?)(,?)\.(\d+)([f%])")


def format_shown(value: Any, spec: str) -> str:
    """Format a number with a format specification, rounding half away from zero.

    Parameters
    ----------
    value : Any
        The value; anything but a finite real number is formatted as ``format``
        would.
    spec : str
        A :func:`format` specification. A fixed-point one (``".1f"``, ``"+.0f"``,
        ``".0%"``) rounds the number first with :func:`round_shown` at the places
        shown (two more for ``%``), so the digits follow the one rule; any other
        (``"g"``, ``"d"``) is passed to :func:`format` unchanged.

    Returns
    -------
    str
        As :func:`format` writes it (ASCII minus); the faces add their own sign
        rules.

    Examples
    --------
    >>> format_shown(6.25, ".1f"), format_shown(0.565, ".0%"), format_shown(-2.45, "+.1f")
    ('6.3', '57%', '-2.5')
    """
    match = _FIXED_SPEC.fullmatch(spec)
    if match is None or isinstance(value, bool) or not isinstance(value, int | float):
        return format(value, spec)
    if not math.isfinite(value):
        return format(value, spec)
    places = int(match.group(3)) + (2 if match.group(4) == "%" else 0)
    return format(round_shown(value, places), spec)


def shown_difference(first: Any, second: Any, decimals: int = 1) -> float:
    """Return ``first − second`` of the two values as shown (each rounded first).

    Parameters
    ----------
    first, second : float
        The two values printed beside the change (e.g. baseline and follow-up).
    decimals : int, default 1
        Places both are shown with.

    Returns
    -------
    float
        The difference of the rounded values, exact to ``decimals`` places; NaN
        when either is missing.

    Examples
    --------
    >>> shown_difference(3.75, 6.149)  # shown 3.8 and 6.1
    -2.3
    """
    a, b = _decimal(first, decimals), _decimal(second, decimals)
    if a is None or b is None:
        return float("nan")
    return float(a - b) + 0.0


def change_words(pct_reduction: Any) -> str:
    """Put a % change in pain in words: worse, no change or improved, with its size.

    Parameters
    ----------
    pct_reduction : float
        % pain reduction, 100·(baseline − follow-up)/baseline (positive = less
        pain), as ``pct_change`` of the outcome tables.

    Returns
    -------
    str
        ``"Worse (pain +14%)"`` when pain rose, ``"Improved (pain −32%)"`` when it
        fell, ``"No change"`` when the change, rounded to a whole percent, is
        smaller than :data:`NO_CHANGE_PCT`; :data:`MISSING` without a value. The
        sign in brackets is that of the change in pain (+ = more pain), so the
        words and the number read the same way.

    Examples
    --------
    >>> change_words(-14.0), change_words(5.0), change_words(32.0)
    ('Worse (pain +14%)', 'No change', 'Improved (pain −32%)')
    """
    pain_change = _decimal(None if is_missing(pct_reduction) else -float(pct_reduction), 0)
    if pain_change is None:
        return MISSING
    if abs(pain_change) < Decimal(repr(NO_CHANGE_PCT)):
        return "No change"
    word = "Worse" if pain_change > 0 else "Improved"
    return f"{word} (pain {number_text(pain_change, 0, signed=True)}%)"
