"""The one conversion of a diary day's named medicine and dose to MME (CDC 2022 factors)."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.contract import (
    MME_FACTORS,
    OPIOIDS,
    UNCONVERTED_OPIOIDS,
    daily_mme,
    medication_mme,
    mme_mismatch,
    opioid_code,
)


@pytest.mark.parametrize(
    ("name", "dose", "expected"),
    [
        # by hand: MME/day = total daily dose x CDC 2022 factor (Dowell et al. 2022)
        ("oxycodone", 30, 30 * 1.5),
        (" Oxycodone ", 30.0, 45.0),
        ("Fentanyl patch", 25, 25 * 2.4),  # 25 mcg/h patch: 60 MME/day
        ("fentanyl-patch", 12, 12 * 2.4),
        ("TRAMADOL", np.float64(200), 200 * 0.2),
        ("codeine", 240, 240 * 0.15),
        ("methadone", 20, 20 * 4.7),
    ],
)
def test_a_named_opioid_and_its_daily_dose_give_the_hand_calculated_mme(name, dose, expected):
    assert medication_mme(name, dose) == pytest.approx(expected, rel=1e-12)
    assert medication_mme(name, dose) == daily_mme(opioid_code(name), dose, 1)


@pytest.mark.parametrize(
    ("name", "dose"),
    [("ibuprofen", 400), ("paracetamol", 1000), ("gabapentin", 900), ("oxycodone", None),
     (None, 30), ("oxycodone", float("nan"))],
)  # fmt: skip
def test_no_mme_for_another_medicine_or_without_a_dose(name, dose):
    assert medication_mme(name, dose) is None


def test_every_unconverted_opioid_is_refused_with_the_converted_ones_listed():
    assert not set(UNCONVERTED_OPIOIDS) & set(MME_FACTORS)
    for name in UNCONVERTED_OPIOIDS:
        with pytest.raises(ValueError) as info:
            medication_mme(name, 10)
        assert f'"{name}" is not an opioid paindiary converts to MME' in str(info.value)
        assert ", ".join(OPIOIDS) in str(info.value)


def test_a_daily_dose_above_1000_is_refused_in_a_sentence():
    with pytest.raises(ValueError) as info:
        medication_mme("fentanyl_patch", 1200)
    assert str(info.value) == (
        "a daily dose of 1200 mcg/h of fentanyl_patch is above 1000; give the total of the day "
        "in mcg/h (the patch's strength)"
    )


def test_opioid_codes_ignore_case_spaces_and_dashes():
    assert opioid_code("Fentanyl Patch") == "fentanyl_patch"
    assert opioid_code("oxycodone hcl") is None
    assert opioid_code(float("nan")) is None


@pytest.mark.parametrize(
    ("given", "expected", "differs"),
    [(45.0, 45.0, False), (45.5, 45.0, False), (44.5, 45.0, False), (45.51, 45.0, True),
     (40.0, 45.0, True), (4.0, 4.5, False), (5.0, 4.5, False)],
)  # fmt: skip
def test_mme_may_differ_by_rounding_to_a_whole_number_only(given, expected, differs):
    assert mme_mismatch(given, expected) is differs
