"""The analysis settings: edited in one place (the sidebar), applied on every page.

The values live in ``st.session_state`` under the widgets' keys; pages call
:func:`current_settings` to get the :class:`analytics.pipeline.AnalysisSettings`
that every cached analysis is keyed on.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

__all__ = ["DEFAULTS", "settings_sidebar", "current_settings", "settings_caption"]

#: Defaults of the editable settings (DOMAIN.md section 4). ``followup_at`` 0
#: means "the last days of the diary".
DEFAULTS: dict[str, Any] = {
    "baseline_days": 14,
    "followup_days": 14,
    "followup_at": 0,
    "min_entries": 4,
    "responder_threshold": 30.0,
}


def _key(name: str) -> str:
    # the reset button starts a new generation of widget keys, so the widgets are
    # created afresh with their defaults (never written through the Session State API)
    return f"settings.{st.session_state.get('settings.generation', 0)}.{name}"


def _values() -> dict[str, Any]:
    return {name: st.session_state.get(_key(name), default) for name, default in DEFAULTS.items()}


def _reset() -> None:
    st.session_state["settings.generation"] = st.session_state.get("settings.generation", 0) + 1


def settings_sidebar() -> None:
    """Draw the settings expander in the sidebar."""
    values = _values()
    with st.sidebar.expander("⚙️ Analysis settings"):
        st.number_input(
            "Baseline: days before the start of treatment",
            min_value=3,
            max_value=90,
            step=1,
            value=values["baseline_days"],
            key=_key("baseline_days"),
            persist_state="session",
        )
        st.number_input(
            "Follow-up window length (days)",
            min_value=3,
            max_value=90,
            step=1,
            value=values["followup_days"],
            key=_key("followup_days"),
            persist_state="session",
        )
        st.number_input(
            "Follow-up ends N days after the start (0 = at the diary's end)",
            min_value=0,
            max_value=730,
            step=7,
            value=values["followup_at"],
            key=_key("followup_at"),
            persist_state="session",
        )
        st.number_input(
            "Fewest diary entries for a valid mean",
            min_value=1,
            max_value=30,
            step=1,
            value=values["min_entries"],
            key=_key("min_entries"),
            persist_state="session",
        )
        st.slider(
            "Responder threshold (% pain reduction)",
            min_value=10.0,
            max_value=90.0,
            step=5.0,
            format="%.0f%%",
            value=values["responder_threshold"],
            key=_key("responder_threshold"),
            persist_state="session",
        )
        st.button("Reset to defaults", on_click=_reset, key="settings.reset")


def current_settings() -> Any:
    """The :class:`analytics.pipeline.AnalysisSettings` chosen in the sidebar."""
    from analytics.pipeline import AnalysisSettings

    values = _values()
    return AnalysisSettings(
        baseline_days=int(values["baseline_days"]),
        followup_days=int(values["followup_days"]),
        followup_at=int(values["followup_at"]) or None,
        min_entries=int(values["min_entries"]),
        responder_threshold=float(values["responder_threshold"]),
    )


def settings_caption() -> str:
    """One line that says which settings the numbers on a page use."""
    v = _values()
    follow = (
        f"the {v['followup_days']} days ending day {v['followup_at']}"
        if v["followup_at"]
        else f"the last {v['followup_days']} diary days"
    )
    return (
        f"Baseline: {v['baseline_days']} days before the first session (≥ {v['min_entries']} entries); "
        f"follow-up: {follow}; responder: ≥ {v['responder_threshold']:g}% less pain. "
        "Change these in the sidebar."
    )
