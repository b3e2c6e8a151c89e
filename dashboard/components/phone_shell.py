"""The side panel closed on every page a phone opens.

Clinicians and admins keep their analysis settings in the side panel. On a phone it
covers most of the screen, and Streamlit remembers it open across pages and reloads
(``localStorage``). A few lines of JavaScript, run once for each page the browser
shows, close it there when the screen is narrow and forget the remembered state, so
every page on a phone opens with the page itself in view; the panel's button still
opens it. Wide screens keep the panel as the person left it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

__all__ = ["PHONE_MAX_WIDTH_PX", "close_side_panel_on_phone"]

#: Screens this wide or narrower are phones: the side panel starts closed on each page.
PHONE_MAX_WIDTH_PX = 640

_JS = """
export default function (component) {
  const { data } = component;
  const page = window.location.pathname;
  if (!data || window.__paindiarySidePanelPage === page) { return; }
  window.__paindiarySidePanelPage = page;
  if (window.innerWidth > data.max_width) { return; }
  for (const key of Object.keys(window.localStorage)) {
    if (key.startsWith("stSidebarCollapsed-")) { window.localStorage.removeItem(key); }
  }
  const close = () => {
    const panel = document.querySelector('[data-testid="stSidebar"]');
    if (!panel || panel.getAttribute("data-collapsed") === "true") { return; }
    const button = document.querySelector('[data-testid="stSidebarCollapseButton"] button');
    if (button) { button.click(); }
  };
  close();
  setTimeout(close, 250);
}
"""


@st.cache_resource(show_spinner=False)
def _closer() -> Callable[..., Any]:
    return st.components.v2.component("paindiary_side_panel", js=_JS)


def close_side_panel_on_phone() -> None:
    """Close the side panel when a phone opens a page (once per page shown)."""
    _closer()(
        data={"max_width": PHONE_MAX_WIDTH_PX},
        key="shell.side_panel",
        height=0,
        width="content",
    )
