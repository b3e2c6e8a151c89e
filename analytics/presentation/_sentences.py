"""Sentences about one patient that the dashboard and the PDF reports both print."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._labels import FLAG_TEXT, MISSING, REASON_TEXT, is_missing
from ._numbers import number_text

__all__ = [
    "trailing_mean_label",
    "quality_notes",
    "days_text",
    "range_text",
    "medicine_texts",
    "MEDICINE_RULE",
    "medicine_rule",
    "medicine_notes",
    "FACTOR_WORDS",
    "factor_label",
    "factor_name",
    "describe_factor_effect",
    "FactorFindings",
    "factor_findings",
    "start_event",
    "untreated_change_sentence",
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


# --------------------------------------------------------------------------- factor effects

#: Each factor and lag of ``analytics.stats.factor_effects`` in words: how a sentence about
#: it opens, and its short name in a list. Lag 0 = factor and pain on the same day; lag 1 =
#: factor on day t, pain on day t + 1 — so "a session the day before" at lag 1 is a
#: session two days before the day whose pain is compared.
FACTOR_WORDS: dict[tuple[str, int], tuple[str, str]] = {
    ("poor_sleep", 0): ("On days with poor sleep", "poor sleep"),
    ("poor_sleep", 1): ("On days after a day with poor sleep", "poor sleep the day before"),
    ("high_stress", 0): ("On days with high stress", "high stress"),
    ("high_stress", 1): ("On days after a day with high stress", "high stress the day before"),
    ("low_mood", 0): ("On days with low mood", "low mood"),
    ("low_mood", 1): ("On days after a day with low mood", "low mood the day before"),
    ("analgesic", 0): ("On days you took pain medicine", "pain medicine"),
    ("analgesic", 1): (
        "On days after a day you took pain medicine",
        "pain medicine the day before",
    ),
    ("session_day_before", 0): ("On days after a session", "a session the day before"),
    ("session_day_before", 1): ("On the second day after a session", "a session two days before"),
}


def _factor_words(factor: Any, lag: Any) -> tuple[str, str]:
    key = (str(factor), int(lag))
    if key in FACTOR_WORDS:
        return FACTOR_WORDS[key]
    name = str(factor).replace("_", " ")
    if int(lag) == 0:
        return f"On days with {name}", name
    return f"On days after a day with {name}", f"{name} the day before"


def factor_label(factor: Any, lag: Any) -> str:
    """Open a sentence about a factor at a lag: "On the second day after a session".

    Parameters
    ----------
    factor : str
        A factor code of ``analytics.stats.FACTORS``; another code is written
        with spaces for underscores.
    lag : int
        A lag of ``analytics.stats.LAGS`` (0 = same day, 1 = the day after).

    Returns
    -------
    str

    Examples
    --------
    >>> factor_label("poor_sleep", 1), factor_label("session_day_before", 1)
    ('On days after a day with poor sleep', 'On the second day after a session')
    """
    return _factor_words(factor, lag)[0]


def factor_name(factor: Any, lag: Any) -> str:
    """Name a factor at a lag in a list: "poor sleep the day before".

    Parameters
    ----------
    factor : str
        A factor code of ``analytics.stats.FACTORS``.
    lag : int
        A lag of ``analytics.stats.LAGS``.

    Returns
    -------
    str

    Examples
    --------
    >>> factor_name("analgesic", 0), factor_name("session_day_before", 1)
    ('pain medicine', 'a session two days before')
    """
    return _factor_words(factor, lag)[1]


def _points(size: float) -> str:
    """'1 point', '1.5 points', '0.4 points' (one decimal, a whole number without it)."""
    text = number_text(size, 1)
    text = text[:-2] if text.endswith(".0") else text
    return f"{text} point" if text == "1" else f"{text} points"


def describe_factor_effect(row: Any) -> str:
    """Say in one plain sentence how pain differed with a factor (a row of ``factor_effects``).

    Parameters
    ----------
    row : dict or pandas.Series
        ``factor``, ``lag``, ``difference`` and ``reason`` of a row of
        ``analytics.stats.factor_effects``.

    Returns
    -------
    str
        "On days with poor sleep your pain was about 1.5 points higher than on
        other days." — the size rounded to one decimal, no interval and no
        acronym; "…: not enough days of each kind to compare yet." without an
        estimate. Whether the row is a finding at all is
        ``analytics.stats.interval_excludes_zero``'s to say; the note that an
        association is not a cause (``analytics.stats.ASSOCIATION_NOTE``) goes
        once under the list.

    Examples
    --------
    >>> describe_factor_effect({"factor": "poor_sleep", "lag": 0, "difference": 1.04,
    ...     "reason": ""})
    'On days with poor sleep your pain was about 1 point higher than on other days.'
    """
    opening = factor_label(row["factor"], row["lag"])
    difference = row.get("difference")
    if row.get("reason") == "too_few_days" or is_missing(difference):
        return f"{opening}: not enough days of each kind to compare yet."
    d = float(difference)
    if number_text(abs(d), 1) == "0.0":
        return f"{opening} your pain was about the same as on other days."
    direction = "higher" if d > 0 else "lower"
    return f"{opening} your pain was about {_points(abs(d))} {direction} than on other days."


@dataclass(frozen=True)
class FactorFindings:
    """One patient's factor effects sorted into findings and the rest, in words.

    Attributes
    ----------
    findings : tuple of str
        One sentence (:func:`describe_factor_effect`) per factor and lag whose
        95 % interval leaves out no difference, largest difference first.
    unclear : tuple of str
        Short names (:func:`factor_name`) of those with an estimate whose interval
        holds no difference (or has none: pain the same on every day).
    too_few : tuple of str
        Short names of those with fewer days of each kind than needed; a factor
        that never occurred (no poor sleep logged, no session) is not named.
    """

    findings: tuple[str, ...]
    unclear: tuple[str, ...]
    too_few: tuple[str, ...]

    @property
    def rest_text(self) -> str:
        """The one line for everything that is not a finding ("" when there is none).

        "No clear link yet: high stress, pain medicine. Too few days to compare
        so far: low mood."
        """
        parts = []
        if self.unclear:
            parts.append("No clear link yet: " + ", ".join(self.unclear) + ".")
        if self.too_few:
            parts.append("Too few days to compare so far: " + ", ".join(self.too_few) + ".")
        return " ".join(parts)


def factor_findings(effects: Any) -> FactorFindings:
    """Sort one patient's factor effects into findings and the rest, in words.

    Parameters
    ----------
    effects : pandas.DataFrame
        Rows of ``analytics.stats.factor_effects`` for one patient
        (``analytics.pipeline.PatientSummary.factor_effects``).

    Returns
    -------
    FactorFindings
        A finding is a row whose 95 % interval leaves out no difference
        (``analytics.stats.interval_excludes_zero``); the others are named as
        "no clear link yet" or "too few days so far".

    Examples
    --------
    >>> import pandas as pd
    >>> rows = pd.DataFrame({"factor": ["poor_sleep", "low_mood"], "lag": [0, 0],
    ...     "n_with": [9, 8], "difference": [1.5, 0.3], "ci_low": [0.6, -0.4],
    ...     "ci_high": [2.4, 1.0], "reason": ["", ""]})
    >>> f = factor_findings(rows)
    >>> f.findings, f.rest_text
    (('On days with poor sleep your pain was about 1.5 points higher than on other days.',), 'No clear link yet: low mood.')
    """
    from analytics.stats import interval_excludes_zero

    clear = interval_excludes_zero(effects["ci_low"], effects["ci_high"])
    estimated = effects["difference"].notna().to_numpy()
    seen = effects["n_with"].to_numpy() > 0
    found = effects[clear]
    found = found.iloc[found["difference"].abs().to_numpy().argsort(kind="stable")[::-1]]
    return FactorFindings(
        findings=tuple(describe_factor_effect(r) for r in found.to_dict("records")),
        unclear=tuple(
            factor_name(r.factor, r.lag)
            for r in effects[estimated & ~clear].itertuples(index=False)
        ),
        too_few=tuple(
            factor_name(r.factor, r.lag) for r in effects[~estimated & seen].itertuples(index=False)
        ),
    )


# --------------------------------------------------------------------------- no treatment yet


def start_event(group: Any) -> str:
    """Name the start of a patient without sessions: "you joined the waiting list".

    A patient with a start date and no session (a waiting-list or other control
    group) is compared with the days before that date; the words say so and
    never call the change a result of treatment.

    Parameters
    ----------
    group : str or None
        The patient's ``group`` (free text of the data contract).

    Returns
    -------
    str
        "you joined the waiting list" when the group names a waiting list
        ("waitlist", "waiting list", "wait-list"), else "your start date"; it
        reads after "since" and "before".

    Examples
    --------
    >>> start_event("waitlist"), start_event("usual care"), start_event(None)
    ('you joined the waiting list', 'your start date', 'your start date')
    """
    if not is_missing(group) and "wait" in str(group).lower():
        return "you joined the waiting list"
    return "your start date"


def baseline_words(group: Any, *, treated: bool) -> str:
    """Name a patient's baseline window for the clinician, without a verdict about treatment.

    Parameters
    ----------
    group : str or None
        The patient's group (``patients.group``).
    treated : bool
        Whether the patient has sessions.

    Returns
    -------
    str
        "before treatment" for a treated patient; for one without sessions "before
        joining the waiting list" when the group names a waiting list, else "before
        the start date".

    Examples
    --------
    >>> baseline_words("acupuncture", treated=True), baseline_words("waitlist", treated=False)
    ('before treatment', 'before joining the waiting list')
    >>> baseline_words(None, treated=False)
    'before the start date'
    """
    if treated:
        return "before treatment"
    if not is_missing(group) and "wait" in str(group).lower():
        return "before joining the waiting list"
    return "before the start date"


def untreated_change_sentence(change: Any, pct: Any, group: Any) -> str:
    """Say how pain changed since a patient without sessions started, with no verdict.

    Parameters
    ----------
    change : float
        Baseline − follow-up, NRS points (positive = less pain now).
    pct : float
        ``100 · change / baseline``; missing leaves the percentage out.
    group : str or None
        The patient's group (:func:`start_event`).

    Returns
    -------
    str
        "Your pain is up 0.4 points (8%) since you joined the waiting list." —
        no "improvement" and no response category: there was no treatment to
        judge.

    Examples
    --------
    >>> untreated_change_sentence(-0.44, -7.9, "waitlist")
    'Your pain is up 0.4 points (8%) since you joined the waiting list.'
    >>> untreated_change_sentence(0.01, 0.2, "control")
    'Your pain is about the same as before your start date.'
    """
    event = start_event(group)
    if is_missing(change):
        return f"Not enough diary days yet to compare with the days before {event}."
    if number_text(abs(float(change)), 1) == "0.0":
        return f"Your pain is about the same as before {event}."
    head = "down" if float(change) > 0 else "up"
    share = "" if is_missing(pct) else f" ({number_text(abs(float(pct)), 0)}%)"
    return f"Your pain is {head} {_points(abs(float(change)))}{share} since {event}."
