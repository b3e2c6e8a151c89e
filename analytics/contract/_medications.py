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

import difflib
import math
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np

from analytics.checks import check_choice, check_int, check_number

__all__ = [
    "MME_FACTORS",
    "DOSE_UNITS",
    "OPIOIDS",
    "UNCONVERTED_OPIOIDS",
    "MME_TOLERANCE",
    "daily_mme",
    "opioid_code",
    "medication_mme",
    "mme_mismatch",
]

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

#: Opioids without a factor in the CDC 2022 table: a diary row naming one with a
#: dose must give its MME itself (buprenorphine, a partial agonist, is left out
#: of the table on purpose; fentanyl is converted only as a transdermal patch).
UNCONVERTED_OPIOIDS: tuple[str, ...] = (
    "alfentanil",
    "benzhydrocodone",
    "buprenorphine",
    "butorphanol",
    "dextropropoxyphene",
    "diamorphine",
    "dihydrocodeine",
    "fentanyl",
    "heroin",
    "levorphanol",
    "meperidine",
    "nalbuphine",
    "opium",
    "pentazocine",
    "pethidine",
    "propoxyphene",
    "remifentanil",
    "sufentanil",
)

#: A given MME within this of the computed one counts as the same value, rounded
#: (a whole-number MME is never more than 0.5 from the exact one).
MME_TOLERANCE = 0.5

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


def _normal(name: Any) -> str:
    """Write a medication name as a code: lower case, spaces and dashes as underscores."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def opioid_code(name: Any) -> str | None:
    """Return the opioid of :data:`OPIOIDS` a medication name stands for, or None.

    Case, surrounding spaces and the separator between words do not matter:
    ``"Fentanyl patch"``, ``"fentanyl-patch"`` and ``"FENTANYL_PATCH"`` are all
    ``"fentanyl_patch"``. Any other name (``"ibuprofen"``, ``"oxycodone hcl"``)
    gives None; :func:`medication_mme` tells an opioid it cannot convert from
    another medicine.

    Examples
    --------
    >>> opioid_code(" Oxycodone ")
    'oxycodone'
    >>> opioid_code("ibuprofen") is None
    True
    """
    if name is None or (isinstance(name, float) and math.isnan(name)):
        return None
    code = _normal(name)
    return code if code in MME_FACTORS else None


def _known_names() -> str:
    return ", ".join(OPIOIDS)


def _unconverted_hint(name: str) -> str | None:
    """Why ``name`` reads as an opioid without a factor here, or None for another medicine."""
    code = _normal(name)
    words = [w for w in re.split(r"[^a-z]+", code) if w]
    named = [w for w in words if w in MME_FACTORS or w in UNCONVERTED_OPIOIDS]
    if "fentanyl" in words and "patch" in words:
        named = ["fentanyl_patch"]
    if code in UNCONVERTED_OPIOIDS or (named and named[0] in UNCONVERTED_OPIOIDS):
        drug = code if code in UNCONVERTED_OPIOIDS else named[0]
        if drug == "fentanyl":
            return "fentanyl is converted only as a transdermal patch, written fentanyl_patch"
        return f"{drug} has no MME conversion factor in the CDC 2022 table"
    if named:
        unit = DOSE_UNITS.get(named[0], "mg")
        return f"write the opioid's name alone, {named[0]}, with its {unit} in medication_dose"
    close = difflib.get_close_matches(code, [*OPIOIDS, *UNCONVERTED_OPIOIDS], n=1, cutoff=0.8)
    if close:
        return f"did you mean {close[0]}?"
    return None


def medication_mme(medication: Any, dose: Any) -> float | None:
    """Morphine milligram equivalents of a diary day's named medicine and total dose.

    The one conversion every entry point uses: the diary entry form, the CSV and
    Parquet loaders, the FHIR import and the store's single-record saves.

    Parameters
    ----------
    medication : str or None
        The diary's ``medication``: a name from :data:`OPIOIDS` in any case and
        with spaces for underscores, or any other medicine.
    dose : float or None
        The diary's ``medication_dose``: the total dose of the day, mg (a
        fentanyl patch: its strength in mcg/h).

    Returns
    -------
    float or None
        ``daily_mme(opioid, dose, 1)`` for a named opioid with a dose; None when
        the medicine is not an opioid or no dose is given.

    Raises
    ------
    ValueError
        In a sentence that can be shown as it is: the name reads as an opioid
        without a CDC 2022 factor (:data:`UNCONVERTED_OPIOIDS`, a name with more
        words than the opioid's, a misspelling) and a dose is given, listing the
        opioids that are converted; or the dose is above 1000 (mg or mcg/h).

    Examples
    --------
    >>> medication_mme("Oxycodone", 30)
    45.0
    >>> medication_mme("ibuprofen", 400) is None
    True
    """
    missing_dose = dose is None or (isinstance(dose, float) and math.isnan(dose))
    if missing_dose or medication is None:
        return None
    code = opioid_code(medication)
    if code is None:
        hint = _unconverted_hint(str(medication))
        if hint is None:
            return None
        raise ValueError(
            f'"{str(medication).strip()}" is not an opioid paindiary converts to MME ({hint}); '
            f"name one of {_known_names()} (CDC 2022 factors), or give the day's MME in "
            "opioid_mme"
        )
    if isinstance(dose, (int, float, np.integer, np.floating)) and dose > _MAX_DOSE:
        raise ValueError(
            f"a daily dose of {dose:g} {DOSE_UNITS[code]} of {code} is above {_MAX_DOSE:g}; give "
            f"the total of the day in {DOSE_UNITS[code]}"
            + (" (the patch's strength)" if code == "fentanyl_patch" else "")
        )
    return daily_mme(code, dose, 1)


def mme_mismatch(given: float, expected: float) -> bool:
    """Whether a given MME differs from the computed one by more than rounding.

    More than :data:`MME_TOLERANCE` (0.5 MME) apart: 44.6 and 45.4 agree with
    45, 44 does not.
    """
    return abs(given - expected) > MME_TOLERANCE + 1e-9
