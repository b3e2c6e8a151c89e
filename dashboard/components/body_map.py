"""Where does it hurt today? The body map of a diary day, inside the entry form.

Streamlit has no image map, so the 19 regions of the widespread pain index are
toggle pills grouped by the five areas (each pill at least 44 px tall), with a
small drawn front-and-back map of the regions marked. The pills sit inside the
entry form: a tap marks a region and the Save button stores it with the day.
"""

from __future__ import annotations

import streamlit as st

from analytics.contract import BODY_AREAS, BODY_REGIONS
from analytics.presentation import (
    AREA_LABELS,
    BODY_MAP_HELP,
    BODY_MAP_QUESTION,
    REGION_SHORT_LABELS,
    region_words,
)
from dashboard.charts import CHART_CONFIG, body_map_figure

__all__ = ["BODY_MAP_CSS", "body_map_input", "marked_regions"]

#: Pills of the body map: at least 44 px tall, wrapping on a phone.
BODY_MAP_CSS = """
<style>
[class*="st-key-body-map"] [data-testid="stButtonGroup"] button {
  min-height: 44px !important; min-width: 44px !important; padding: 0 0.8rem !important;
}
</style>
"""


def marked_regions(text: object) -> list[str]:
    """Return the region codes of a stored ``body_regions`` cell, in the contract's order."""
    if not isinstance(text, str):
        return []
    chosen = {c.strip() for c in text.split(";")}
    return [c for c in BODY_REGIONS if c in chosen]


def _prefill(prefix: str) -> None:
    """Put the day's stored regions into the pills whenever the form loads another day."""
    stored = st.session_state.get(f"{prefix}.body_regions")
    if st.session_state.get(f"{prefix}.body_regions.loaded", object()) == stored:
        return
    marked = set(marked_regions(stored))
    for area, codes in BODY_AREAS.items():
        st.session_state[f"{prefix}.body_regions.{area}"] = [c for c in codes if c in marked]
    st.session_state[f"{prefix}.body_regions.loaded"] = stored


def body_map_input(prefix: str) -> str | None:
    """Draw the body map of the entry form; return the regions marked.

    Parameters
    ----------
    prefix : str
        The entry form's key prefix; ``{prefix}.body_regions`` holds the stored
        cell of the day shown (the form's prefill puts it there).

    Returns
    -------
    str or None
        The codes marked, ``;``-joined in the contract's order; None when none.
    """
    _prefill(prefix)
    st.html(BODY_MAP_CSS)
    before = [
        c for area in BODY_AREAS for c in st.session_state.get(f"{prefix}.body_regions.{area}", [])
    ]
    label = BODY_MAP_QUESTION + (" (stored regions shown)" if before else " (optional)")
    chosen: list[str] = []
    with st.expander(label, expanded=bool(before)), st.container(key=f"body-map-{prefix}"):
        st.caption(BODY_MAP_HELP)
        for area, codes in BODY_AREAS.items():
            picked = st.pills(
                AREA_LABELS[area],
                list(codes),
                selection_mode="multi",
                format_func=REGION_SHORT_LABELS.__getitem__,
                key=f"{prefix}.body_regions.{area}",
            )
            chosen += list(picked or [])
        if before:
            st.caption("Marked: " + region_words(";".join(before)))
            st.plotly_chart(
                body_map_figure(before, height=220),
                config={**CHART_CONFIG, "staticPlot": True},
                key=f"{prefix}.body_regions.map",
            )
    ordered = [c for c in BODY_REGIONS if c in set(chosen)]
    return ";".join(ordered) or None
