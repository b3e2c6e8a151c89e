"""Where a patient stands: the status card, the next step and the sentences behind them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.components.feedback import fmt, plain_value
from dashboard.text import shown

__all__ = [
    "CATEGORY_WORDS",
    "describe_entry",
    "logging_streak",
    "adherence_summary",
    "improvement_sentence",
    "next_step",
    "status_lines",
    "status_card",
]


#: Plain-language names of the IMMPACT categories (Dworkin 2008).
CATEGORY_WORDS = {
    "none": "no meaningful improvement",
    "minimal": "a minimal improvement",
    "moderate": "a moderate improvement",
    "substantial": "a substantial improvement",
}


def describe_entry(entry: Mapping[str, Any]) -> str:
    """'pain 6/10, worst 8/10, sleep 5/10' for a diary entry."""
    parts = [f"pain {fmt(entry.get('pain'), 'g')}/10"]
    for key, label in (
        ("worst_pain", "worst"),
        ("sleep_quality", "sleep"),
        ("mood", "mood"),
        ("stress", "stress"),
    ):
        if plain_value(entry.get(key)) is not None:
            parts.append(f"{label} {fmt(entry.get(key), 'g')}/10")
    if plain_value(entry.get("notes")):
        parts.append(f"note “{shown(entry['notes'])}”")  # shown in markdown
    return ", ".join(parts)


def logging_streak(dates: pd.Series, *, today: dt.date) -> int:
    """Consecutive logged days ending today (or yesterday, if today is not logged yet).

    A count for the patient's encouragement card, not a statistic.
    """
    days = pd.DatetimeIndex(pd.to_datetime(dates).dt.normalize().unique())
    end = pd.Timestamp(today)
    if end not in days:
        end -= pd.Timedelta(days=1)
    if end not in days:
        return 0
    logged = days[days <= end].sort_values()
    gaps = (end - logged).days.to_numpy()
    # the streak runs while the k-th most recent day is exactly k days before `end`
    expected = np.arange(len(logged))[::-1]
    ok = gaps == expected
    return int(len(ok) - np.flatnonzero(~ok).max() - 1) if (~ok).any() else len(ok)


def adherence_summary(diary: pd.DataFrame, *, today: dt.date) -> str:
    """'🔥 3-day streak · 5/7 days logged this week · 20/28 in 4 weeks' (one line).

    Short enough to sit above the log form on a phone without pushing the pain
    buttons below the fold.
    """
    dates = diary["date"]
    streak = logging_streak(dates, today=today)
    start7 = pd.Timestamp(today - dt.timedelta(days=6))
    start28 = pd.Timestamp(today - dt.timedelta(days=27))
    n7 = int((dates >= start7).sum())
    n28 = int((dates >= start28).sum())
    # never "yet": after months of logging a pause is not a beginner's state
    lead = f"🔥 {streak}-day streak" if streak else "No current streak"
    return f"{lead} · {n7}/7 days logged this week · {n28}/28 in 4 weeks"


def improvement_sentence(change: float, pct: float, category: Any) -> str:
    """'Your pain is down 2.4 points (38%) — a moderate improvement.' (IMMPACT wording)."""
    change, pct = plain_value(change), plain_value(pct)
    if change is None:
        return "Not enough diary days yet to compare with your baseline."
    words = CATEGORY_WORDS.get(str(category), "")
    if change > 0:
        head = f"down {fmt(change)} points"
    elif change < 0:
        head = f"up {fmt(-change)} points"
    else:
        head = "unchanged"
    pct_text = f" ({fmt(abs(pct), '.0f')}%)" if pct is not None and change != 0 else ""
    tail = f" — {words}" if words else ""
    return f"Your pain is {head}{pct_text} compared with before treatment{tail}."


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def next_step(
    diary_dates: pd.Series, *, today: dt.date, window_days: int = 7, min_entries: int = 4
) -> str | None:
    """How many more days of logging bring back a 7-day average, as a sentence.

    The trailing window of ``window_days`` days needs ``min_entries`` entries. The
    answer counts the entries that are still inside the window on the day the
    person would reach it, so older days dropping out are accounted for. None when
    the average exists today.
    """
    days = pd.DatetimeIndex(pd.to_datetime(diary_dates).dt.normalize().unique())
    end = pd.Timestamp(today)
    days = days[days <= end]
    logged_today = end in days
    for extra in range(window_days + 1):
        last = end + pd.Timedelta(days=extra)
        first = last - pd.Timedelta(days=window_days - 1)
        old = int(((days >= first) & (days <= end)).sum())
        new = extra + (0 if logged_today else 1)
        if old + new >= min_entries:
            if new == 0:
                return None
            start = "tomorrow" if logged_today else "today"
            need = f"({min_entries} entries in {window_days} days are needed)"
            if new == 1:
                return f"Log {start} to see your {window_days}-day average {need}."
            return (
                f"Log on {new} days in a row, starting {start}, to see your "
                f"{window_days}-day average {need}."
            )
    return None


def _when(day: Any, today: dt.date) -> str:
    d = pd.Timestamp(day).date()
    n = (today - d).days
    if n == 0:
        return f"today ({d:%d %b})"
    if n == 1:
        return f"yesterday ({d:%d %b})"
    return f"{d:%d %b %Y}, {n} days ago"


def status_lines(
    outcome: Mapping[str, Any] | None,
    diary_dates: pd.Series,
    *,
    today: dt.date,
    settings: Any,
) -> list[str]:
    """Where the patient stands today, as short markdown lines.

    From the as-of columns of ``analytics.pipeline.analyze`` run with
    ``as_of=today`` (``current_mean``, ``last_valid_mean``, ``days_since_last_entry``,
    ``not_logging``, ``adherence_28d``): the current 7-day average with its dates
    or the next step to get one back, the last entry, and the days logged in the
    last 28 days counted back from today.
    """
    o = dict(outcome or {})
    window, need = int(settings.trend_window_days), int(settings.rolling_min_entries)
    lines = []
    current = plain_value(o.get("current_mean"))
    start = today - dt.timedelta(days=window - 1)
    if current is not None:
        lines.append(
            f"**Your {window}-day average: {fmt(current)}/10** "
            f"({start:%d %b}–{today:%d %b}, {int(o.get('current_n') or 0)} entries)."
        )
    else:
        step = next_step(diary_dates, today=today, window_days=window, min_entries=need)
        last_mean = plain_value(o.get("last_valid_mean"))
        if last_mean is not None and o.get("last_valid_mean_date") is not None:
            lines.append(
                f"**Your last {window}-day average: {fmt(last_mean)}/10** "
                f"(the {window} days to {pd.Timestamp(o['last_valid_mean_date']):%d %b %Y})."
            )
        if step:
            lines.append(step)
    since = plain_value(o.get("days_since_last_entry"))
    last = plain_value(o.get("last_entry_date"))
    if last is not None and since is not None:
        if bool(o.get("not_logging")):
            lines.append(
                f"⏸️ **Not logging for {_days(int(since))}** — last entry "
                f"{_when(last, today)}. Any day you log counts."
            )
        else:
            lines.append(f"Last entry: {_when(last, today)}.")
    share = plain_value(o.get("adherence_28d"))
    days = int(getattr(settings, "recent_days", 28))
    if share is not None:
        lines.append(
            f"Logged on {round(float(share) * days)} of the last {days} days (to {today:%d %b})."
        )
    return lines


def status_card(
    outcome: Mapping[str, Any] | None,
    diary_dates: pd.Series,
    *,
    today: dt.date,
    settings: Any,
) -> None:
    """:func:`status_lines` in a bordered box."""
    lines = status_lines(outcome, diary_dates, today=today, settings=settings)
    if lines:
        with st.container(border=True, key="status-card"):
            st.markdown("  \n".join(lines))
