"""The month calendar of a patient's diary: a mark per logged day, gaps visible, a tap opens a day.

Each day of the month is a button in a row of seven (Monday first) that stays one row on a
390 px phone. A logged day is filled with the colour of its pain
(:func:`analytics.presentation.pain_color`) inside a dark outline; a past day without an
entry has a dashed outline and no fill; days not yet come (and days before the first entry)
are faded and cannot be tapped. ✏️ marks a day changed after it was first logged, ⚡ a day
with a flare or attack, and a legend below says every colour, outline and mark in words.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pandas as pd
import streamlit as st

from analytics.presentation import month_grid, month_span, pain_band, pain_legend, shift_month

__all__ = ["WEEKDAYS", "LEGEND", "calendar_css", "month_calendar"]

#: Column headings, Monday first.
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

#: Everything the calendar draws, in words.
LEGEND = (
    f"Colour = the day's pain: {pain_legend()}. "
    "Dashed outline = no entry that day. Faded = not yet come, or before your first entry. "
    "Underlined = today. ✏️ = changed after it was first logged. ⚡ = a flare or attack. "
    "Tap a day to open it."
)

#: Days that cannot be opened: nothing was or can yet be logged there.
_CLOSED = ("future", "before_start")

_OUTLINE = "#424242"  # logged days: 10:1 on white
_GAP_OUTLINE = "#767676"  # days without an entry: 4.5:1 on white
_OPENED = "#1F2937"  # the open day's ring
_WIDTH_PX = 560


def _cell_css(selector: str, cell: Any) -> str:
    """Return the CSS of one day's button."""
    if cell.status == "logged":
        band = pain_band(cell.pain)
        fill, ink = (band.fill, band.ink) if band else ("#FFFFFF", "#1A1A1A")
        rule = (
            f"{selector} button {{ background-color: {fill} !important; "
            f"border: 2px solid {_OUTLINE} !important; }}\n"
            f"{selector} button p {{ color: {ink} !important; }}\n"
        )
    elif cell.status in ("gap", "today"):
        rule = (
            f"{selector} button {{ background-color: #FFFFFF !important; "
            f"border: 2px dashed {_GAP_OUTLINE} !important; }}\n"
        )
    else:
        rule = f"{selector} button {{ border-color: transparent !important; }}\n"
    if cell.is_today:
        rule += (
            f"{selector} button p {{ text-decoration: underline; text-underline-offset: 3px; }}\n"
        )
    if cell.changed:
        rule += (
            f'{selector} button::after {{ content: "✏️"; position: absolute; top: 1px; '
            "right: 2px; font-size: 0.65rem; line-height: 1; }\n"
        )
    if cell.flare:
        rule += (
            f'{selector} button::before {{ content: "⚡"; position: absolute; bottom: 1px; '
            "left: 2px; font-size: 0.65rem; line-height: 1; }\n"
        )
    return rule


def calendar_css(grid: pd.DataFrame, *, key: str, opened: dt.date | None) -> str:
    """Return the style of a month of :func:`analytics.presentation.month_grid`.

    One row of seven buttons per week at any width, each at least 44 px tall (a
    fingertip), and one rule per day of the month: its fill, outline and marks.
    """
    box = f".st-key-{key}-grid"
    rules = [
        f'{box}, {box} [data-testid="stVerticalBlock"] {{ gap: 0.35rem !important; }}\n',
        f'{box} [data-testid="stHorizontalBlock"] {{ flex-wrap: nowrap !important; '
        "gap: 4px !important; }\n",
        f'{box} [data-testid="stColumn"] {{ min-width: 0 !important; flex: 1 1 0 !important; '
        "width: auto !important; }\n",
        f"{box} button {{ min-height: 2.75rem; width: 100%; min-width: 0; padding: 0 !important; "
        "position: relative; border-radius: 0.4rem; }\n",
        f"{box} button p {{ font-weight: 600; }}\n",
    ]
    for cell in grid[grid["in_month"]].itertuples(index=False):
        day = pd.Timestamp(cell.date).date()
        selector = f".st-key-{key}-{day.isoformat()}"
        rules.append(_cell_css(selector, cell))
        if day == opened:
            rules.append(f"{selector} button {{ box-shadow: 0 0 0 3px {_OPENED}; }}\n")
    return "<style>\n" + "".join(rules) + "</style>"


def _open(state: str, day: dt.date) -> None:
    st.session_state[state] = day


def _show_month(state: str, month: tuple[int, int]) -> None:
    st.session_state[state] = month


def _month_row(
    key: str, shown: tuple[int, int], first: tuple[int, int], last: tuple[int, int]
) -> None:
    """Draw "‹ Nov", the month, "Jan ›"; the buttons show the month before or after."""
    state = f"{key}-month"
    before, after = shift_month(*shown, -1), shift_month(*shown, 1)
    left, middle, right = st.columns([1, 2, 1], vertical_alignment="center", wrap=False)
    left.button(
        f"‹ {dt.date(*before, 1):%b}",
        key=f"{key}-previous",
        disabled=before < first,
        on_click=_show_month,
        args=(state, before),
        width="stretch",
    )
    middle.markdown(f"**{dt.date(*shown, 1):%B %Y}**", text_alignment="center")
    right.button(
        f"{dt.date(*after, 1):%b} ›",
        key=f"{key}-next",
        disabled=after > last,
        on_click=_show_month,
        args=(state, after),
        width="stretch",
    )


def _weeks(grid: pd.DataFrame, *, key: str) -> None:
    """Draw the weekday headings and a row of seven buttons per week."""
    state = f"{key}-day"
    heads = st.columns(7, gap=None, wrap=False)
    for col, name in zip(heads, WEEKDAYS, strict=True):
        col.caption(name, text_alignment="center")
    for _, week in grid.groupby("week", sort=True):
        cols = st.columns(7, gap=None, wrap=False)
        for col, cell in zip(cols, week.itertuples(index=False), strict=True):
            if not cell.in_month:
                continue
            day = pd.Timestamp(cell.date).date()
            col.button(
                str(day.day),
                key=f"{key}-{day.isoformat()}",
                disabled=cell.status in _CLOSED,
                on_click=_open,
                args=(state, day),
                width="stretch",
            )


def month_calendar(
    diary: pd.DataFrame,
    *,
    today: dt.date,
    changed: Iterable[object],
    default: dt.date,
    key: str,
    flares: Iterable[object] = (),
) -> dt.date:
    """Draw one month of the diary as a calendar; return the day opened.

    Parameters
    ----------
    diary : DataFrame
        The patient's diary rows (``date``, ``pain``).
    today : datetime.date
        Today: later days are not yet come.
    changed : iterable of dates or ISO strings
        Days changed after they were first logged (marked ✏️).
    default : datetime.date
        The day open until a day is tapped; the calendar first shows its month.
    key : str
        Prefix of the widget keys and of the session-state entries (``{key}-day`` holds
        the tapped day, ``{key}-month`` the month shown).
    flares : iterable of dates or ISO strings, optional
        Days with a flare or attack (marked ⚡).

    Returns
    -------
    datetime.date
        The day last tapped, else ``default``.
    """
    opened: dt.date = st.session_state.get(f"{key}-day", default)
    first, last = month_span(diary["date"], today)
    first = min(first, (opened.year, opened.month))
    last = max(last, (opened.year, opened.month))
    shown = st.session_state.get(f"{key}-month", (opened.year, opened.month))
    shown = min(max(tuple(shown), first), last)
    grid = month_grid(
        diary, year=shown[0], month=shown[1], today=today, changed=changed, flares=flares
    )
    # a calendar's width on a desk; a phone narrower than it gets the full width
    with st.container(key=f"{key}-grid", width=_WIDTH_PX):
        st.html(calendar_css(grid, key=key, opened=opened))
        _month_row(key, shown, first, last)
        _weeks(grid, key=key)
        st.caption(LEGEND)
    return opened
