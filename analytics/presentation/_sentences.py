"""Sentences about one patient that the dashboard and the PDF reports both print."""

from __future__ import annotations

from typing import Any

from ._labels import FLAG_TEXT, MISSING, REASON_TEXT, is_missing

__all__ = [
    "trailing_mean_label",
    "quality_notes",
    "days_text",
    "range_text",
    "medicine_texts",
    "MEDICINE_RULE",
    "medicine_rule",
    "medicine_notes",
]

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
        the status date, insufficient baseline), why an outcome is missing,
        sessions inside the baseline window, a gap of at least 7 days. Empty without an outcome.

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
    in_baseline: Any = outcome.get("sessions_in_baseline")
    if not is_missing(in_baseline) and in_baseline > 0:
        n = int(in_baseline)
        notes.append(
            f"{n} session{'s' if n != 1 else ''} fell inside the baseline window: the baseline "
            "is not treatment-free, so the change may understate the effect of treatment."
        )
    gap: Any = outcome.get("longest_gap_days")
    if not is_missing(gap) and gap >= _GAP_NOTE_DAYS:
        notes.append(f"The diary has a gap of {int(gap)} days without entries.")
    return tuple(notes)


def _amount(value: Any) -> str:
    """Write a dose or an MME with at most one decimal: 20, 12.5."""
    text = f"{float(value):.1f}"
    return text[:-2] if text.endswith(".0") else text


def range_text(low: Any, high: Any, unit: str = "") -> str:
    """Write a range of doses or MME: "100–200 mg", "20 MME/day" when both ends agree.

    Parameters
    ----------
    low, high : float
        Smallest and largest value; missing gives the missing mark.
    unit : str, optional
        Unit after the numbers.

    Returns
    -------
    str

    Examples
    --------
    >>> range_text(100, 200, "mg"), range_text(20, 20, "MME/day"), range_text(None, None)
    ('100–200 mg', '20 MME/day', '—')
    """
    if is_missing(low) or is_missing(high):
        return MISSING
    lo, hi = _amount(low), _amount(high)
    text = lo if lo == hi else f"{lo}–{hi}"
    return f"{text} {unit}".strip()


def medicine_texts(medicines: Any) -> Any:
    """Write the worded columns of the medicines table, as the chart and the PDF print them.

    Parameters
    ----------
    medicines : pandas.DataFrame
        ``analytics.pipeline.PatientSummary.medicines``.

    Returns
    -------
    pandas.DataFrame
        Same index; ``medicine`` ("tramadol (opioid)" for an opioid), ``dose``
        ("100–200 mg", the missing mark without a dose) and ``mme`` ("20–40",
        "not an opioid").

    Examples
    --------
    >>> import pandas as pd
    >>> meds = pd.DataFrame({"medicine": ["tramadol"], "opioid": [True], "dose_min": [100.0],
    ...     "dose_max": [200.0], "dose_unit": ["mg"], "mme_min": [20.0], "mme_max": [40.0]})
    >>> medicine_texts(meds).iloc[0].tolist()
    ['tramadol (opioid)', '100–200 mg', '20–40']
    """
    import pandas as pd

    rows = [
        (
            f"{r.medicine} (opioid)" if r.opioid else str(r.medicine),
            range_text(r.dose_min, r.dose_max, str(r.dose_unit)),
            range_text(r.mme_min, r.mme_max) if r.opioid else "not an opioid",
        )
        for r in medicines.itertuples(index=False)
    ]
    return pd.DataFrame(rows, columns=["medicine", "dose", "mme"], index=medicines.index)


def _span(start: Any, end: Any) -> str:
    return f"{_day(start)} to {_day(end)}"


#: How the medicine flags are decided, printed under the medicines table.
MEDICINE_RULE = (
    "Days taken: diary days naming the medicine. MME: morphine milligram equivalents per day "
    "(CDC 2022 factors; a blank day counts as 0 until an opioid is logged). Flags: an opioid "
    "first logged after the baseline window, and a mean MME/day over the {recent_days} days "
    "up to the last diary day at least {min_rise} above the baseline window's."
)


def medicine_rule(recent_days: int, min_rise: float) -> str:
    """Say how the medicine flags are decided (:data:`MEDICINE_RULE` filled in).

    Parameters
    ----------
    recent_days : int
        Days of the recent window (``AnalysisSettings.trend_window_days``).
    min_rise : float
        Smallest rise of the mean MME/day that is flagged
        (``analytics.stats.MIN_MME_RISE``).

    Returns
    -------
    str
    """
    return MEDICINE_RULE.format(recent_days=int(recent_days), min_rise=_amount(min_rise))


def medicine_notes(medicines: Any, change: dict[str, Any] | None) -> tuple[str, ...]:
    """Write the opioid flags of one patient in plain sentences.

    The patient chart and the PDF visit report print the same sentences.

    Parameters
    ----------
    medicines : pandas.DataFrame
        ``analytics.pipeline.PatientSummary.medicines`` (``medicine``, ``started``,
        ``first_day``, ``mme_min``, ``mme_max``).
    change : dict or None
        The row of ``analytics.pipeline.PatientSummary.opioid_change`` as a dict.

    Returns
    -------
    tuple of str
        One sentence per opioid started after the baseline window (with its first
        day and MME/day), then one when the mean MME/day rose; empty without a
        flag.

    Examples
    --------
    >>> import pandas as pd
    >>> meds = pd.DataFrame({"medicine": ["tramadol"], "started": [True],
    ...     "first_day": [pd.Timestamp("2026-12-06")], "mme_min": [20.0], "mme_max": [20.0]})
    >>> medicine_notes(meds, None)
    ('Opioid started: tramadol, first logged on 06 Dec 2026, after the baseline window (20 MME/day).',)
    """
    notes: list[str] = []
    for row in medicines[medicines["started"]].itertuples(index=False):
        mme = range_text(row.mme_min, row.mme_max, "MME/day")
        dose = "dose not logged" if mme == MISSING else mme
        notes.append(
            f"Opioid started: {row.medicine}, first logged on {_day(row.first_day)}, "
            f"after the baseline window ({dose})."
        )
    if change and bool(change.get("flag_mme_rose")):
        before = (
            "the baseline window"
            if change.get("reference") == "baseline"
            else "the first days of the diary"
        )
        notes.append(
            f"Opioid dose rose: a mean of {_amount(change['recent_mme'])} MME/day from "
            f"{_span(change['recent_start'], change['recent_end'])}, against "
            f"{_amount(change['reference_mme'])} MME/day in {before} "
            f"({_span(change['reference_start'], change['reference_end'])}): "
            f"+{_amount(change['mme_rise'])} MME/day."
        )
    return tuple(notes)
