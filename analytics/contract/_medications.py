"""Opioid doses as morphine milligram equivalents (MME) per day.

The diary analyses one number per day, ``opioid_mme``. A person who knows the
drug and the dose rather than the MME gets it here, from the conversion factors
of the CDC Clinical Practice Guideline for Prescribing Opioids for Pain (Dowell
et al. 2022, MMWR Recomm Rep 71(RR-3):1-95, the table of MME conversion factors;
DOMAIN.md section 3).

MME compare opioid exposure between people and over time; the guideline warns
that these factors are **not** for converting one opioid into another (dose
conversion tables for switching drugs are more conservative).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from analytics.checks import check_choice, check_int, check_number

__all__ = ["MME_FACTORS", "DOSE_UNITS", "OPIOIDS", "daily_mme"]

#: MME conversion factor per unit of dose (CDC 2022). Oral drugs: per mg;
#: ``fentanyl_patch`` (transdermal): per mcg/h of patch strength.
MME_FACTORS: Mapping[str, float] = MappingProxyType(
    {
        "codeine": 0.15,
        "fentanyl_patch": 2.4,
        "hydrocodone": 1.0,
        "hydromorphone": 5.0,
        "methadone": 4.7,
        "morphine": 1.0,
        "oxycodone": 1.5,
        "oxymorphone": 3.0,
        "tapentadol": 0.4,
        "tramadol": 0.2,
    }
)

#: Unit of ``dose`` for each drug of :data:`MME_FACTORS`.
DOSE_UNITS: Mapping[str, str] = MappingProxyType(
    {drug: ("mcg/h" if drug == "fentanyl_patch" else "mg") for drug in MME_FACTORS}
)

#: The drugs :func:`daily_mme` converts, in alphabetical order.
OPIOIDS: tuple[str, ...] = tuple(MME_FACTORS)

#: Upper bounds of the parameter checks: far above any prescribed dose, low
#: enough to catch a dose typed in micrograms instead of milligrams.
_MAX_DOSE = 1000.0
_MAX_DOSES_PER_DAY = 24


def daily_mme(drug: str, dose: Any, n_doses: Any = 1) -> float:
    """Morphine milligram equivalents per day of one opioid.

    Parameters
    ----------
    drug : str
        One of :data:`OPIOIDS` (``codeine``, ``fentanyl_patch``, ``hydrocodone``,
        ``hydromorphone``, ``methadone``, ``morphine``, ``oxycodone``,
        ``oxymorphone``, ``tapentadol``, ``tramadol``).
    dose : float
        Strength of one administration, in [0, 1000]: mg for the oral drugs,
        mcg/h for ``fentanyl_patch`` (the patch's labelled strength).
    n_doses : int
        Administrations taken in the day, in [0, 24]. For ``fentanyl_patch`` the
        number of patches worn at the same time (a patch delivers its dose every
        hour for days, so its daily MME is not multiplied by changes per day).

    Returns
    -------
    float
        MME/day = dose × n_doses × factor (CDC 2022: strength per unit ×
        number of units per day × conversion factor).

    Raises
    ------
    ValueError
        In scikit-learn's wording, when ``drug`` is not a known opioid, ``dose``
        is not a number in [0, 1000] or ``n_doses`` not an int in [0, 24].

    Notes
    -----
    Factors (:data:`MME_FACTORS`) are those of Dowell et al. 2022 (MMWR Recomm
    Rep 71(RR-3)): codeine 0.15, hydrocodone 1, hydromorphone 5, methadone 4.7
    (one factor at every dose, as in the 2022 guideline), morphine 1, oxycodone
    1.5, oxymorphone 3, tapentadol 0.4, tramadol 0.2, fentanyl patch 2.4 per
    mcg/h. They estimate exposure, not equianalgesic switching doses.

    Examples
    --------
    >>> daily_mme("oxycodone", 10, 3)
    45.0
    >>> daily_mme("fentanyl_patch", 25)
    60.0
    """
    func = "daily_mme"
    if not isinstance(drug, str):
        check_choice(drug, "drug", func, OPIOIDS)
    name = check_choice(drug.strip().lower(), "drug", func, OPIOIDS)
    amount = check_number(dose, "dose", func, 0.0, _MAX_DOSE)
    count = check_int(n_doses, "n_doses", func, 0, _MAX_DOSES_PER_DAY)
    return amount * count * MME_FACTORS[name]
