"""Technique bands: a session's technique and electro frequency as one code."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["frequency_band"]


def frequency_band(technique: pd.Series, frequency_hz: pd.Series) -> pd.Series:
    """Label each session ``manual``, ``auricular``, ``other`` or ``electro_<band>``.

    Bands (DOMAIN.md section 1): low < 20 Hz, medium 20-49 Hz, high >= 50 Hz,
    mixed = two frequencies "a/b". An electro session without a frequency is
    ``electro_unknown``.
    """
    freq = frequency_hz.astype("str").where(frequency_hz.notna(), None)
    mixed = freq.str.contains("/", na=False)
    hz = pd.to_numeric(freq.where(~mixed), errors="coerce")
    band = np.select(
        [mixed, hz < 20, hz < 50, hz >= 50],
        ["electro_mixed", "electro_low", "electro_medium", "electro_high"],
        default="electro_unknown",
    )
    label = pd.Series(band, index=technique.index, dtype="str")
    return label.where(technique == "electro", technique.astype("str")).rename("technique_band")
