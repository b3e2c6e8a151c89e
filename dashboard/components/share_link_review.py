"""The clinic's active share links, by creator, for an administrator to review and revoke.

The Admin page's **Share links** tab: every link that opens a patient's read-only
summary now (not revoked, not expired), who made it, for which patient, when it was
made and when it expires — in words, never a token. One link at a time is chosen
by its description and revoked with one button; the page does the revoking
(:meth:`analytics.service.Service.revoke_share_link`, recorded as "share_revoke").
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from analytics.presentation import SHARE_LINK_COLUMN_LABELS, share_link_table, share_link_words
from dashboard.components import feedback
from dashboard.text import shown

__all__ = ["EMPTY", "active_links_panel"]

#: What the tab says when no link works.
EMPTY = "No active share links."


def active_links_panel(links: pd.DataFrame, *, key: str, explain: bool = True) -> int | None:
    """Show the active share links in words; return the one to revoke when Revoke is pressed.

    The Admin page's list of the clinic's links and the patient chart's list of one
    patient's links.

    Parameters
    ----------
    links : pandas.DataFrame
        As :meth:`analytics.service.Service.active_share_links` returns it (sorted by
        creator), or one patient's active links.
    key : str
        The start of the widgets' keys.
    explain : bool, default True
        Say first what a share link is (a panel that says it already passes False).

    Returns
    -------
    int or None
        The ``link_id`` of the link chosen when Revoke was pressed in this run, else None.
    """
    if explain:
        st.caption(
            "Links that open one patient's read-only summary without signing in, until they "
            "expire or are revoked. A revoked link stops working at its next use."
        )
    if links.empty:
        st.info(EMPTY, icon="🔗")
        return None
    n_people = links["created_by"].nunique()
    st.caption(
        f"{len(links)} active link{'s' if len(links) != 1 else ''}, made by {n_people} "
        f"{'people' if n_people != 1 else 'person'}."
    )
    feedback.table(
        share_link_table(links),
        key=f"{key}.table",
        column_config={
            label: st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
            for column, label in SHARE_LINK_COLUMN_LABELS.items()
            if column in ("created_at", "expires_at")
        },
    )
    words = dict(
        zip(
            links["link_id"].astype(int).tolist(),
            links.apply(share_link_words, axis=1).tolist(),
            strict=True,
        )
    )
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    chosen = c1.selectbox(
        "Link to revoke",
        list(words),
        index=None,
        format_func=lambda link_id: shown(words.get(link_id, ""), "table"),
        placeholder="Choose a link",
        key=f"{key}.pick",
    )
    c2.button(
        "Revoke",
        key=f"{key}.revoke",
        icon="🚫",
        disabled=chosen is None,
        on_click=_take_choice,
        args=(key,),
    )
    taken = st.session_state.pop(f"{key}.taken", None)
    return None if taken is None else int(taken)


def _take_choice(key: str) -> None:
    """Before the run a Revoke press starts: keep the chosen link, and empty the choice.

    Emptied here, before the select box is drawn again, the box shows no link that is
    gone (a widget's value cannot be changed once it is drawn in a run).
    """
    st.session_state[f"{key}.taken"] = st.session_state.get(f"{key}.pick")
    st.session_state[f"{key}.pick"] = None
