"""The one rounding rule (half away from zero) and the change in words, against hand calculations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from analytics.presentation import (
    NO_CHANGE_PCT,
    change_words,
    format_shown,
    number_text,
    percent_text,
    round_shown,
    shown_difference,
)

MINUS = "\u2212"


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (6.25, 1, 6.3),  # Python's round gives 6.2 (half to even)
        (56.5, 0, 57.0),  # Python's round gives 56
        (-2.45, 1, -2.5),  # stored as -2.4500000000000002; read as the -2.45 printed
        (2.675, 2, 2.68),  # stored as 2.67499999999999982236431605997495353221893310546875
        (0.5, 0, 1.0),
        (-0.5, 0, -1.0),
        (1.5, 0, 2.0),
        (2.5, 0, 3.0),  # half to even would give 2
        (6.24, 1, 6.2),
        (6.26, 1, 6.3),
        (-0.04, 1, 0.0),
    ],
)
def test_round_shown_rounds_ties_away_from_zero(value, decimals, expected):
    assert round_shown(value, decimals) == expected


def test_round_shown_never_gives_a_negative_zero_and_passes_missing_values():
    assert math.copysign(1.0, round_shown(-0.04, 1)) == 1.0
    assert math.isnan(round_shown(None))
    assert math.isnan(round_shown(float("nan")))
    assert math.isnan(round_shown(float("inf")))


@pytest.mark.parametrize(
    ("value", "kw", "expected"),
    [
        (6.25, {}, "6.3"),
        (-2.45, {}, f"{MINUS}2.5"),
        (-2.45, {"signed": True}, f"{MINUS}2.5"),
        (0.35, {"signed": True}, "+0.4"),
        (-0.04, {"signed": True}, "0.0"),  # rounds to zero: no sign
        (56.5, {"decimals": 0}, "57"),
        (None, {}, "—"),
        (np.float64(6.25), {}, "6.3"),
    ],
)
def test_number_text_writes_the_rounded_value(value, kw, expected):
    assert number_text(value, **kw) == expected
    if expected != "—":
        decimals = kw.get("decimals", 1)
        assert float(expected.replace(MINUS, "-")) == round_shown(value, decimals)


def test_a_share_prints_the_percent_a_person_reads():
    # 0.565 × 100 is 56.49999999999999 in binary; the share is 56.5% and prints 57%
    assert 0.565 * 100 < 56.5
    assert percent_text(0.565) == "57%"
    assert percent_text(1 / 28) == "4%"  # 3.571...%


def test_shown_difference_is_the_difference_of_the_printed_values():
    # sleep 3.75 → 6.125 prints 3.8 → 6.1: the change beside them is 3.8 − 6.1 = −2.3
    assert 3.75 - 6.125 == -2.375  # unrounded: would print −2.4
    assert shown_difference(3.75, 6.125) == pytest.approx(-2.3, abs=1e-12)
    assert number_text(shown_difference(3.75, 6.125)) == f"{MINUS}2.3"
    assert shown_difference(6.25, 6.0) == pytest.approx(0.3, abs=1e-12)
    assert math.isnan(shown_difference(None, 6.0))


@pytest.mark.parametrize(
    ("pct_reduction", "expected"),
    [
        (-14.0, "Worse (pain +14%)"),  # pain rose 14%
        (-5.0, "No change"),
        (5.0, "No change"),
        (32.0, f"Improved (pain {MINUS}32%)"),
        (-9.4, "No change"),  # prints 9%: below the threshold
        (9.5, f"Improved (pain {MINUS}10%)"),  # prints 10%: the words follow the number
        (10.0, f"Improved (pain {MINUS}10%)"),
        (-10.0, "Worse (pain +10%)"),
        (float("nan"), "—"),
        (None, "—"),
    ],
)
def test_change_words(pct_reduction, expected):
    assert change_words(pct_reduction) == expected


def test_the_no_change_threshold_is_immpacts_smallest_category():
    assert NO_CHANGE_PCT == 10.0


@pytest.mark.parametrize(
    ("value", "spec", "expected"),
    [
        (6.25, ".1f", "6.3"),
        (-2.45, "+.1f", "-2.5"),
        (0.565, ".0%", "57%"),
        (56.5, "+.0f", "+57"),
        (7, "g", "7"),
        ("text", ".1f", None),
    ],
)
def test_format_shown_follows_format_with_the_one_rule(value, spec, expected):
    if expected is None:
        with pytest.raises(ValueError):
            format_shown(value, spec)
    else:
        assert format_shown(value, spec) == expected
