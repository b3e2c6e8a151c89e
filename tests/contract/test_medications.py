"""Daily MME from drug and dose: CDC 2022 factors, hand calculations, parameter checks."""

from __future__ import annotations

import numpy as np
import pytest

from analytics.contract import DOSE_UNITS, MME_FACTORS, OPIOIDS, daily_mme

# CDC Clinical Practice Guideline for Prescribing Opioids for Pain (Dowell et al. 2022,
# MMWR Recomm Rep 71(RR-3)), as listed in DOMAIN.md section 3
CDC_2022 = {
    "codeine": 0.15,
    "hydrocodone": 1.0,
    "hydromorphone": 5.0,
    "methadone": 4.7,
    "morphine": 1.0,
    "oxycodone": 1.5,
    "oxymorphone": 3.0,
    "tapentadol": 0.4,
    "tramadol": 0.2,
    "fentanyl_patch": 2.4,
}


def test_factors_are_the_cdc_2022_table():
    assert dict(MME_FACTORS) == CDC_2022
    assert OPIOIDS == tuple(sorted(CDC_2022))
    assert DOSE_UNITS["fentanyl_patch"] == "mcg/h"
    assert {DOSE_UNITS[d] for d in OPIOIDS if d != "fentanyl_patch"} == {"mg"}
    with pytest.raises(TypeError):
        MME_FACTORS["tramadol"] = 0.1  # type: ignore[index]


@pytest.mark.parametrize(
    ("drug", "dose", "n_doses", "expected"),
    [
        # hand calculations: MME/day = dose x doses per day x factor
        ("codeine", 30, 4, 30 * 4 * 0.15),  # 18.0
        ("hydrocodone", 10, 4, 40.0),
        ("hydromorphone", 2, 6, 60.0),
        ("methadone", 10, 2, 94.0),  # 10 x 2 x 4.7
        ("morphine", 15, 2, 30.0),
        ("oxycodone", 5, 3, 22.5),
        ("oxymorphone", 10, 2, 60.0),
        ("tapentadol", 50, 4, 80.0),
        ("tramadol", 50, 4, 40.0),  # 0.2 since 2022 (0.1 in 2016)
        ("fentanyl_patch", 25, 1, 60.0),  # 25 mcg/h x 2.4
        ("fentanyl_patch", 12, 2, 57.6),  # two 12 mcg/h patches worn together
        ("morphine", 0, 3, 0.0),
        ("oxycodone", 10, 0, 0.0),
    ],
)
def test_daily_mme_equals_the_hand_calculation(drug, dose, n_doses, expected):
    assert daily_mme(drug, dose, n_doses) == pytest.approx(expected, rel=1e-12)


def test_thresholds_quoted_by_the_cdc_guideline():
    # CDC 2016 guideline (Dowell et al., MMWR Recomm Rep 65(1)), recommendation 5: 50 MME/day
    # = 50 mg hydrocodone (10 tablets of hydrocodone/acetaminophen 5/300) or 33 mg oxycodone;
    # 90 MME/day = 90 mg hydrocodone (9 tablets of 10/325) or 60 mg oxycodone. Both factors
    # are unchanged in 2022.
    assert daily_mme("hydrocodone", 5, 10) == pytest.approx(50.0)
    assert daily_mme("oxycodone", 33, 1) == pytest.approx(49.5)
    assert daily_mme("hydrocodone", 10, 9) == pytest.approx(90.0)
    assert daily_mme("oxycodone", 30, 2) == pytest.approx(90.0)


def test_drug_names_are_read_case_and_space_insensitively():
    assert daily_mme(" Oxycodone ", 10, 1) == 15.0
    assert daily_mme("TRAMADOL", np.float64(100), np.int64(2)) == pytest.approx(40.0)


def test_default_is_one_dose():
    assert daily_mme("morphine", 30) == 30.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("aspirin", 10, 1), "The 'drug' parameter of daily_mme must be one of 'codeine'"),
        ((None, 10, 1), "The 'drug' parameter of daily_mme must be one of"),
        (("morphine", -5, 1), r"The 'dose' parameter of daily_mme must be a number in \[0.0, 1000"),
        (("morphine", float("nan"), 1), "The 'dose' parameter of daily_mme"),
        (("morphine", "10", 1), "The 'dose' parameter of daily_mme"),
        (("morphine", True, 1), "The 'dose' parameter of daily_mme"),
        (("morphine", 10_000, 1), "The 'dose' parameter of daily_mme"),
        (
            ("morphine", 10, 1.5),
            r"The 'n_doses' parameter of daily_mme must be an int in \[0, 24\]",
        ),
        (("morphine", 10, -1), "The 'n_doses' parameter of daily_mme"),
        (("morphine", 10, 25), "The 'n_doses' parameter of daily_mme"),
    ],
)
def test_bad_parameters_raise_in_scikit_learn_wording(args, message):
    with pytest.raises(ValueError, match=message) as info:
        daily_mme(*args)
    assert "Got " in str(info.value) and str(info.value).endswith("instead.")
