"""A course of treatment in words: its state, why it ended, and the triage signals."""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "COURSE_STATE_LABELS",
    "COURSE_END_REASON_LABELS",
    "SIGNAL_LABELS",
    "PROBABLY_ENDED",
    "course_text",
    "signals_text",
]

#: The states of a course (``Store.course_states``' ``course_state``).
COURSE_STATE_LABELS: dict[str, str] = {
    "active": "active",
    "paused": "paused",
    "ended": "ended",
}

#: Why a course ended (:data:`analytics.contract.schema.COURSE_END_REASONS`).
COURSE_END_REASON_LABELS: dict[str, str] = {
    "completed": "completed",
    "discharged": "discharged",
    "dropped_out": "dropped out",
    "moved": "moved away",
}

#: What an active course with no session for weeks is shown as.
PROBABLY_ENDED = "probably ended — confirm"

#: The signals of :func:`analytics.stats.course_triage`, clinical first.
SIGNAL_LABELS: dict[str, str] = {
    "worse_than_baseline": "⚠️ worse than baseline",
    "rising_pain": "📈 pain rising",
    "recent_adverse_event": "🩹 recent adverse event",
    "opioid_rise": "💊 opioid dose up",
    "probably_ended": "⏹️ " + PROBABLY_ENDED,
    "not_logging": "💤 not logging",
    "low_adherence": "📉 low adherence",
    "insufficient_baseline": "❔ not enough baseline",
}


def _day(value: Any) -> str:
    return f"{pd.Timestamp(value):%d %b %Y}"


def course_text(state: str, since: Any = None, reason: str = "") -> str:
    """Word a course: "active", "paused since 03 Mar 2026", "ended 03 Mar 2026 (moved away)".

    Parameters
    ----------
    state : {"active", "paused", "ended"}
    since : date-like, optional
        The day the state began (missing: not said).
    reason : str, optional
        Why an ended course ended (:data:`COURSE_END_REASON_LABELS`).

    Returns
    -------
    str

    Examples
    --------
    >>> course_text("ended", "2026-03-03", "dropped_out")
    'ended 03 Mar 2026 (dropped out)'
    """
    label = COURSE_STATE_LABELS.get(state, state)
    known = since is not None and not pd.isna(since)
    if state == "ended":
        why = COURSE_END_REASON_LABELS.get(reason, reason)
        when = f" {_day(since)}" if known else ""
        return f"{label}{when}" + (f" ({why})" if why else "")
    if state == "paused" and known:
        return f"{label} since {_day(since)}"
    return label


def signals_text(signals: str, *, not_logging: str = "", weeks_since_session: Any = None) -> str:
    """Word the ``;``-joined signals of a patient, most urgent first.

    Parameters
    ----------
    signals : str
        ``course_triage``'s ``signals``.
    not_logging : str, optional
        Words for "not logging" with its days (e.g. "not logging for 9 days").
    weeks_since_session : float, optional
        Weeks since the last session, said with "probably ended".

    Returns
    -------
    str
        E.g. "⚠️ worse than baseline, 💤 not logging for 9 days".

    Examples
    --------
    >>> signals_text("probably_ended", weeks_since_session=9.4)
    '⏹️ probably ended — confirm (no session for 9 weeks)'
    """
    words = []
    for code in str(signals).split(";"):
        if not code:
            continue
        text = SIGNAL_LABELS.get(code, code)
        if code == "not_logging" and not_logging:
            text = "💤 " + not_logging
        if code == "probably_ended" and weeks_since_session is not None:
            if not pd.isna(weeks_since_session):
                text += f" (no session for {int(weeks_since_session)} weeks)"
        words.append(text)
    return ", ".join(words)
