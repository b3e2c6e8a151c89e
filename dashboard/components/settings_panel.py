"""The analysis settings: edited in one place (the sidebar), applied on every page.

The values live in ``st.session_state`` under the widgets' keys; pages call
:func:`current_settings` to get the :class:`analytics.settings.AnalysisSettings`
that every cached analysis is keyed on.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from analytics.presentation import trailing_mean_label
from analytics.settings import AnalysisSettings
from dashboard import clock

__all__ = ["DEFAULTS", "settings_sidebar", "current_settings", "settings_caption"]


def _widget_options() -> list[tuple[str, Any, Any]]:
    """(name, default shown in the widget, Option) of every setting with a widget, in order."""
    from analytics.settings import options

    out = []
    for f, opt in options():
        if opt.widget:
            default = 0 if f.default is None and opt.none_as_zero else f.default
            out.append((f.name, default, opt))
    return out


#: Defaults of the editable settings, from :class:`analytics.settings.AnalysisSettings`
#: (a setting shown as 0 when not set, e.g. ``followup_at``, has default 0).
DEFAULTS: dict[str, Any] = {name: default for name, default, _ in _widget_options()}


def _key(name: str) -> str:
    # the reset button starts a new generation of widget keys, so the widgets are
    # created afresh with their defaults (never written through the Session State API)
    return f"settings.{st.session_state.get('settings.generation', 0)}.{name}"


def _values() -> dict[str, Any]:
    return {name: st.session_state.get(_key(name), default) for name, default in DEFAULTS.items()}


def _reset() -> None:
    st.session_state["settings.generation"] = st.session_state.get("settings.generation", 0) + 1


def settings_sidebar() -> None:
    """Draw the settings expander in the sidebar: one widget per setting that has one.

    Labels, ranges, steps and defaults come from the field metadata of
    :class:`analytics.settings.AnalysisSettings`.
    """
    values = _values()
    with st.sidebar.expander("⚙️ Analysis settings"):
        for name, _default, opt in _widget_options():
            cast = int if opt.kind == "int" else float
            common = {
                "min_value": cast(opt.ui_low),
                "max_value": cast(opt.ui_high),
                "step": cast(opt.step),
                "value": cast(values[name]),
                "key": _key(name),
                "help": opt.help[:1].upper() + opt.help[1:] + ".",
                "persist_state": "session",
            }
            if opt.format:
                common["format"] = opt.format
            if opt.widget == "slider":
                st.slider(opt.label, **common)
            else:
                st.number_input(opt.label, **common)
        st.button("Reset to defaults", on_click=_reset, key="settings.reset")


def current_settings(*, as_of_today: bool = False) -> AnalysisSettings:
    """Return the :class:`analytics.settings.AnalysisSettings` chosen in the sidebar.

    With ``as_of_today`` the status columns (current mean, days since the last
    entry, adherence, recent adverse events, recent valid follow-up) count back from
    today's date; without it from each patient's last entry. The trial-style
    outcomes never depend on it.
    """
    from analytics.settings import AnalysisSettings

    values = _values()
    chosen: dict[str, Any] = {}
    for name, _default, opt in _widget_options():
        value = int(values[name]) if opt.kind == "int" else float(values[name])
        chosen[name] = None if opt.none_as_zero and value == 0 else value
    if as_of_today:
        chosen["as_of"] = clock.today()
    return AnalysisSettings(**chosen)


def settings_caption(*, as_of_today: bool = False) -> str:
    """One line that says which settings the numbers on a page use.

    With ``as_of_today`` it also says the date the status columns count back from.
    """
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
    ) + (
        f" Status ({trailing_mean_label(current_settings().trend_window_days)}, adherence, flags) as of "
        f"today, {clock.today():%d %b %Y}."
        if as_of_today
        else ""
    )
