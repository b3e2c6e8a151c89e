"""Who is using the app: the sidebar's role and patient selector.

Until accounts exist, the sidebar chooses a role (patient or clinician) and a
patient. The actor string passed to the store is ``"patient:<id>"`` or
``"clinician:demo"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import streamlit as st

__all__ = [
    "ROLES",
    "CLINICIAN_ACTOR",
    "Identity",
    "identity_sidebar",
    "current",
    "select_patient",
    "require_clinician",
]

ROLES: tuple[str, ...] = ("patient", "clinician")
CLINICIAN_ACTOR = "clinician:demo"
_ROLE_LABELS = {"patient": "🙂 Patient", "clinician": "🩺 Clinician"}


@dataclass(frozen=True)
class Identity:
    """The role, the selected patient (None when there is none) and the actor string."""

    role: Literal["patient", "clinician"]
    patient_id: str | None

    @property
    def actor(self) -> str:
        if self.role == "patient" and self.patient_id:
            return f"patient:{self.patient_id}"
        return CLINICIAN_ACTOR


def select_patient(patient_id: str) -> None:
    """Make ``patient_id`` the selected patient (call from a widget callback)."""
    st.session_state["patient_id"] = patient_id


def identity_sidebar(patient_ids: Sequence[str]) -> Identity:
    """Draw the role and patient selectors in the sidebar and return the identity."""
    st.session_state.setdefault("role", "patient")
    ids = list(patient_ids)
    if st.session_state.get("patient_id") not in ids:
        st.session_state["patient_id"] = ids[0] if ids else None
    with st.sidebar:
        st.radio(
            "I am a",
            ROLES,
            key="role",
            persist_state="session",
            format_func=_ROLE_LABELS.__getitem__,
            horizontal=True,
        )
        if ids:
            st.selectbox(
                "Patient" if st.session_state["role"] == "clinician" else "My patient id",
                ids,
                key="patient_id",
                persist_state="session",
            )
        else:
            st.caption("No patients in the database yet.")
    return current()


def current() -> Identity:
    """The identity chosen in the sidebar of this run."""
    role = st.session_state.get("role", "patient")
    return Identity(role=role, patient_id=st.session_state.get("patient_id"))


def require_clinician(purpose: str) -> Identity:
    """The identity, or stop the page with a hint when the role is not clinician."""
    identity = current()
    if identity.role != "clinician":
        st.info(f"Switch to the clinician role in the sidebar to {purpose}.")
        st.stop()
    return identity
