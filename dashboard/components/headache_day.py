"""The diary's optional "Headache today?" choice, for patients with a headache condition."""

from __future__ import annotations

from typing import Any

import streamlit as st

from analytics.access import User
from analytics.contract.schema import HEADACHE_KINDS
from analytics.presentation import HEADACHE_CHOICE_LABELS, HEADACHE_QUESTION
from analytics.stats import HEADACHE_CONDITIONS
from dashboard import data

__all__ = ["asks_headache", "headache_choice"]


def asks_headache(user: User, patient_id: str, *, purpose: str) -> bool:
    """Tell whether the diary asks this patient about headache.

    True for a headache condition (migraine, tension-type headache) and for a
    patient whose diary already marks a headache or migraine day; read from the
    patient's rows of this visit (no second read).
    """
    view = data.patient_view(user, patient_id, purpose=purpose)
    if view.patient is not None and str(view.patient.get("condition")) in HEADACHE_CONDITIONS:
        return True
    marks = view.diary.get("headache")
    return marks is not None and bool(marks.isin(["headache", "migraine"]).any())


def headache_choice(prefix: str, *, ask: bool) -> dict[str, Any]:
    """Draw the optional choice inside the diary form; return ``{"headache": kind or None}``.

    Without ``ask`` nothing is drawn and a stored kind of the day is kept as it was.
    """
    key = f"{prefix}.headache"
    if not ask:
        return {"headache": st.session_state.get(key)}
    choice = st.pills(
        f"{HEADACHE_QUESTION} (optional)",
        list(HEADACHE_KINDS),
        format_func=lambda kind: HEADACHE_CHOICE_LABELS[kind],
        key=key,
    )
    return {"headache": choice}
