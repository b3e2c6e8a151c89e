"""Sentences about one patient that the dashboard and the PDF reports both print."""

from __future__ import annotations

from typing import Any

from ._labels import FLAG_TEXT, REASON_TEXT, is_missing

__all__ = ["trailing_mean_label", "quality_notes", "days_text"]

#: A gap in the diary at least this long is worth a note.
_GAP_NOTE_DAYS = 7


def trailing_mean_label(window_days: int) -> str:
    """Name the trailing mean of pain over ``window_days`` days.

    Parameters
    ----------
    window_days : int
        Days of the window (``AnalysisSettings.trend_window_days``).

    Returns
    -------
    str
        "7-day mean" for 7.

    Examples
    --------
    >>> trailing_mean_label(14)
    '14-day mean'
    """
    return f"{int(window_days)}-day mean"


def days_text(n: Any) -> str:
    """Write a count of days: "1 day", "12 days".

    Parameters
    ----------
    n : int
        Days.

    Returns
    -------
    str

    Examples
    --------
    >>> days_text(1), days_text(12)
    ('1 day', '12 days')
    """
    return "1 day" if int(n) == 1 else f"{int(n)} days"


def _day(value: Any) -> str:
    """Write a date as "06 Dec 2026"."""
    import pandas as pd

    return f"{pd.Timestamp(value):%d %b %Y}"


def _flag_sentence(flag: str, outcome: dict[str, Any], recent_days: int) -> str:
    """Say what a data-quality flag means, with the days it counts when they are known."""
    end = outcome.get("status_date")
    if is_missing(end):
        return FLAG_TEXT.get(flag, flag.replace("_", " "))
    if flag == "low_adherence":
        return f"Fewer than half of the {recent_days} days up to {_day(end)} were logged."
    if flag == "recent_adverse_event":
        return f"An adverse event was recorded in the {recent_days} days up to {_day(end)}."
    return FLAG_TEXT.get(flag, flag.replace("_", " "))


def _not_logging_note(outcome: dict[str, Any]) -> list[str]:
    """Say how long the patient has not logged, when the status says so."""
    if not bool(outcome.get("not_logging")):
        return []
    since = outcome.get("days_since_last_entry")
    if is_missing(since):
        return ["No diary entry yet."]
    return [f"No diary entry for {days_text(since)} (last on {_day(outcome['last_entry_date'])})."]


def quality_notes(outcome: dict[str, Any] | None, *, recent_days: int = 28) -> tuple[str, ...]:
    """Write the data-quality notes of one patient in plain sentences.

    The patient chart and the PDF visit report print the same notes.

    Parameters
    ----------
    outcome : dict or None
        The patient's outcome row (``analytics.pipeline.PatientSummary.outcome_row``).
    recent_days : int, default 28
        Days the adherence and recent adverse events count
        (``AnalysisSettings.recent_days``).

    Returns
    -------
    tuple of str
        In order: not logging (with the days since the last entry), the flags
        (worsening, low adherence and recent adverse events over the days up to
        the status date, insufficient baseline), why an outcome is missing, a gap
        of at least 7 days. Empty without an outcome.

    Examples
    --------
    >>> quality_notes({"flags": "worsening", "reason": "", "longest_gap_days": 9})
    ('Pain is worse than at baseline (≥ 2 points or ≥ 30%).', 'The diary has a gap of 9 days without entries.')
    """
    if outcome is None:
        return ()
    notes = _not_logging_note(outcome)
    flags = str(outcome.get("flags") or "").split(";")
    notes += [_flag_sentence(f, outcome, recent_days) for f in flags if f]
    reasons = str(outcome.get("reason") or "").split(";")
    notes += [REASON_TEXT[r] for r in reasons if r in REASON_TEXT]
    gap: Any = outcome.get("longest_gap_days")
    if not is_missing(gap) and gap >= _GAP_NOTE_DAYS:
        notes.append(f"The diary has a gap of {int(gap)} days without entries.")
    return tuple(notes)
