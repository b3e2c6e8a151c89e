"""A few words on flares and rescue medicine under a patient's pain chart.

The words are :mod:`analytics.presentation`'s (the visit PDF prints the same); the
numbers the patient's summary's flare table (:attr:`analytics.pipeline.PatientSummary.flares`).
A patient without entries during the day gets nothing.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from analytics.presentation import flare_line, flare_sentences

__all__ = ["clinician_caption", "patient_lines"]


def clinician_caption(summary: Any) -> str:
    """Show the clinician's line on flares (per 4 weeks, duration, rescue); return it."""
    line = flare_line(summary.flares)
    if line:
        st.caption(line)
    return line


def patient_lines(summary: Any, *, before: str = "treatment") -> list[str]:
    """Show the patient's sentences on flares and rescue medicine; return them."""
    lines = flare_sentences(summary.flares, before=before)
    for line in lines:
        st.markdown(line)
    return lines
