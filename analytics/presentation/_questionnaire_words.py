"""Words for the outcome questionnaires: the clinician's table, the patient's sentences.

One home for what the patient chart, My progress, the clinic overview and the PDF
reports say about questionnaire scores, their change from baseline, the composite
responder and the questionnaires due. The numbers come from
:func:`analytics.stats.questionnaire_table`, :func:`analytics.stats.composite_responders`
and :func:`analytics.stats.questionnaires_due`; the instruments' names, score labels,
answer labels and minimal important differences from their definition files
(:data:`analytics.contract.INSTRUMENTS`), so a new instrument needs no new words here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from analytics.contract import INSTRUMENTS, Instrument

from ._labels import is_missing

__all__ = [
    "QUESTIONNAIRE_PANEL_COLUMNS",
    "NO_QUESTIONNAIRES_TEXT",
    "visit_numbers",
    "questionnaire_panel",
    "questionnaire_sentences",
    "composite_lines",
    "due_names",
    "due_text",
]

#: Columns of :func:`questionnaire_panel`, all text.
QUESTIONNAIRE_PANEL_COLUMNS = [
    "questionnaire",
    "score",
    "baseline",
    "latest",
    "since_baseline",
    "meaningful",
]

#: What a patient reads before answering any questionnaire.
NO_QUESTIONNAIRES_TEXT = (
    "You have not answered a questionnaire yet. When one is due, Log today shows it; your "
    "answers then appear here, compared with your first ones."
)

# a patient's name for each domain's main score: no abbreviations, no instrument names
_PLAIN_NAMES = {
    "global impression of change": "overall impression of change",
    "physical functioning": "function score",
    "emotional functioning": "anxiety and low mood score",
}


def visit_numbers(dates: pd.Series, sessions: pd.DataFrame | None) -> pd.Series:
    """Count the sessions on or before each date (0 = before the first session).

    Parameters
    ----------
    dates : pandas.Series
        Answer dates (datetime64).
    sessions : pandas.DataFrame or None
        One patient's sessions (``date``, date-times).

    Returns
    -------
    pandas.Series
        Whole numbers, same index as ``dates``.

    Examples
    --------
    >>> s = pd.DataFrame({"date": pd.to_datetime(["2026-01-05 10:00", "2026-01-12 09:00"])})
    >>> visit_numbers(pd.Series(pd.to_datetime(["2026-01-01", "2026-01-12"])), s).tolist()
    [0, 2]
    """
    if sessions is None or sessions.empty:
        return pd.Series(0, index=dates.index, dtype="int64")
    days = np.sort(pd.to_datetime(sessions["date"]).dt.normalize().to_numpy())
    counts = np.searchsorted(days, pd.to_datetime(dates).dt.normalize().to_numpy(), side="right")
    return pd.Series(counts, index=dates.index, dtype="int64")


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if not is_missing(value) else "—"


def _points(value: float) -> str:
    text = _number(abs(value))
    return f"{text} point" if text == "1" else f"{text} points"


def _answer_label(instrument: Instrument, score_id: str, value: float) -> str | None:
    """Return the answer's own words when the score is one item's answer (PGIC), else None."""
    rule = next(s for s in instrument.scores if s.id == score_id)
    if len(rule.items) != 1 or is_missing(value):
        return None
    item = next(i for i in instrument.items if i.id == rule.items[0])
    labels = {o.value: o.label for o in item.options}
    return labels.get(int(value))


def _when(visit: int, date: Any) -> str:
    day = f"{pd.Timestamp(date):%d %b %Y}"
    return f"{day}, before session 1" if visit == 0 else f"{day}, after session {visit}"


def _meaningful(rule: Any, latest: pd.Series, later: bool) -> str:
    important = latest["important_improvement"]
    reached = not is_missing(important) and bool(important)
    if rule.responder_at_most is not None:
        return (
            "yes: much or very much improved (a responder answer)"
            if reached
            else "no: not much or very much improved"
        )
    if rule.mid is None:
        return "no published minimal important difference"
    if not later:
        return f"baseline only (minimal important difference {_number(rule.mid)} points)"
    return (
        f"yes: reaches the {_number(rule.mid)}-point minimal important difference"
        if reached
        else f"no: below the {_number(rule.mid)}-point minimal important difference"
    )


def _change_cell(latest: pd.Series, later: bool) -> str:
    if not later or is_missing(latest["change"]):
        return "—"
    improvement = float(latest["improvement"])
    if abs(improvement) < 0.05:
        return "no change"
    return f"{'better' if improvement > 0 else 'worse'} by {_points(improvement)}"


def questionnaire_panel(
    table: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    scores: Literal["all", "main"] = "all",
    instruments: Mapping[str, Instrument] | None = None,
) -> pd.DataFrame:
    """Return the clinician's questionnaire table: one row per score, baseline against latest.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`analytics.stats.questionnaire_table` of one patient.
    sessions : pandas.DataFrame, optional
        The patient's sessions, to say after which session an answer was given.
    scores : {"all", "main"}, default "all"
        Every score, or only each instrument's main (first) score, for a compact view.
    instruments : mapping, optional
        Default the shipped :data:`analytics.contract.INSTRUMENTS`.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`QUESTIONNAIRE_PANEL_COLUMNS`, all text:
        ``questionnaire`` (short name), ``score`` (its label), ``baseline`` (value
        and date, "—" for a rating of change), ``latest`` (value, the answer's words
        for a single-item score or the score's band, date and session), ``since_baseline`` (the change
        from baseline in words, "better by 2.3 points", whichever way the score
        runs; "—" without a later answer), ``meaningful`` (whether
        the improvement reaches the instrument's published minimal important
        difference, or the answer is a responder answer), in words. Empty without
        answers.
    """
    instruments = INSTRUMENTS if instruments is None else instruments
    if table.empty:
        return pd.DataFrame(columns=QUESTIONNAIRE_PANEL_COLUMNS)
    ordered = table.sort_values("date", kind="stable")
    visits = visit_numbers(ordered["date"], sessions)
    rows = []
    for instrument in instruments.values():
        rules = instrument.scores if scores == "all" else instrument.scores[:1]
        for rule in rules:
            mine = ordered[(ordered["instrument"] == instrument.id) & (ordered["score"] == rule.id)]
            if not mine.empty:
                rows.append(_panel_row(instrument, rule, mine, int(visits[mine.index[-1]])))
    return pd.DataFrame(rows, columns=QUESTIONNAIRE_PANEL_COLUMNS)


def _panel_row(instrument: Instrument, rule: Any, mine: pd.DataFrame, visit: int) -> dict[str, str]:
    """One score's cells: its first answer against its latest."""
    latest = mine.iloc[-1]
    later = rule.baseline and len(mine) > 1
    words = _answer_label(instrument, rule.id, float(latest["value"]))
    band = None if is_missing(latest["band"]) or not rule.baseline else str(latest["band"])
    value = ", ".join([_number(float(latest["value"]))] + [w.lower() for w in (words, band) if w])
    baseline = (
        f"{_number(float(latest['baseline_value']))} "
        f"({pd.Timestamp(latest['baseline_date']):%d %b %Y})"
        if rule.baseline
        else "—"
    )
    return {
        "questionnaire": instrument.short_name,
        "score": rule.label,
        "baseline": baseline,
        "latest": f"{value} ({_when(visit, latest['date'])})"
        if later or not rule.baseline
        else "—",
        "since_baseline": _change_cell(latest, later),
        "meaningful": _meaningful(rule, latest, later),
    }


def _plain_name(instrument: Instrument) -> str:
    if instrument.domain in _PLAIN_NAMES:
        return _PLAIN_NAMES[instrument.domain]
    return instrument.scores[0].label.split(" (")[0].lower()


def _state_sentence(name: str, rule: Any, mine: pd.DataFrame) -> str:
    latest = mine.iloc[-1]
    if len(mine) == 1:
        return (
            f"Your {name} when you started: {_number(float(latest['value']))}. "
            "Your next answers are compared with it."
        )
    change, improvement = float(latest["change"]), float(latest["improvement"])
    direction = "higher" if rule.better == "higher" else "lower"
    if abs(change) < 0.05:
        text = f"Your {name} is the same as when you started"
    else:
        moved = "rose" if change > 0 else "fell"
        text = f"Your {name} {moved} by {_points(change)} since you started"
    if rule.mid is not None and improvement > 0:
        mid = _number(rule.mid)
        if improvement > rule.mid + 1e-9:
            compare = "more than"
        elif improvement >= rule.mid - 1e-9:
            compare = "as much as"
        else:
            compare = "less than"
        text += f" — {compare} the {mid}-point change that counts as meaningful"
    elif abs(change) >= 0.05:
        text += f" ({direction} is better)"
    band = latest["band"]
    if not is_missing(band) and rule.bands:
        text += f". It is now in the “{band}” range"
    return text + "."


def questionnaire_sentences(
    table: pd.DataFrame,
    sessions: pd.DataFrame | None = None,
    *,
    instruments: Mapping[str, Instrument] | None = None,
) -> list[str]:
    """Return what a patient reads about their questionnaires: plain words, no abbreviations.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`analytics.stats.questionnaire_table` of one patient.
    sessions : pandas.DataFrame, optional
        The patient's sessions, to name the visit of a rating of change.
    instruments : mapping, optional
        Default the shipped :data:`analytics.contract.INSTRUMENTS`.

    Returns
    -------
    list of str
        One sentence per answered instrument (its main, first score), in the order
        of the instruments; empty without answers (show
        :data:`NO_QUESTIONNAIRES_TEXT`). A rating of change is told with its answer
        ("Your overall impression of change at visit 6: much improved."); a state
        with its change since the first answer, compared with the instrument's
        minimal important difference when it has one.

    Examples
    --------
    >>> from analytics.stats import questionnaire_table
    >>> answers = pd.DataFrame({"patient_id": "P1", "instrument": "psfs",
    ...     "date": pd.to_datetime(["2026-01-05"] * 3 + ["2026-03-01"] * 3),
    ...     "item": ["activity_1", "activity_2", "activity_3"] * 2,
    ...     "answer": [3, 4, 5, 6, 6, 7]})
    >>> questionnaire_sentences(questionnaire_table(answers))[0]
    'Your function score rose by 2.3 points since you started — more than the 2-point change that counts as meaningful.'
    """
    instruments = INSTRUMENTS if instruments is None else instruments
    if table.empty:
        return []
    ordered = table.sort_values("date", kind="stable")
    visits = visit_numbers(ordered["date"], sessions)
    sentences = []
    for instrument in instruments.values():
        rule = instrument.scores[0]
        mine = ordered[(ordered["instrument"] == instrument.id) & (ordered["score"] == rule.id)]
        if mine.empty:
            continue
        name = _plain_name(instrument)
        if rule.baseline:
            sentences.append(_state_sentence(name, rule, mine))
            continue
        latest = mine.iloc[-1]
        visit = int(visits[mine.index[-1]])
        words = _answer_label(instrument, rule.id, float(latest["value"]))
        answer = words.lower() if words else _number(float(latest["value"]))
        when = "before your first visit" if visit == 0 else f"at visit {visit}"
        sentences.append(f"Your {name} {when}: {answer}.")
    return sentences


def _yes_no(value: Any, *, unknown: str = "not known") -> str:
    if is_missing(value):
        return unknown
    return "yes" if bool(value) else "no"


def composite_lines(
    composite: Mapping[str, Any] | None,
    *,
    threshold: float,
    instruments: Mapping[str, Instrument] | None = None,
) -> tuple[str, list[str]]:
    """Return the composite responder's verdict and its two methods, each with its result.

    Parameters
    ----------
    composite : mapping or None
        One row of :func:`analytics.stats.composite_responders` (``pain_responder``,
        ``function_responder``, ``pgic_responder``, ``composite_responder``).
    threshold : float
        The pain responder threshold, % (``AnalysisSettings.responder_threshold``).
    instruments : mapping, optional
        Default the shipped :data:`analytics.contract.INSTRUMENTS`.

    Returns
    -------
    (str, list of str)
        The verdict ("Responder by two methods (IMMPACT): yes.") and one line per
        method: pain (diary), then function or the global impression of change.

    Notes
    -----
    IMMPACT (Dworkin RH et al. J Pain 2008;9:105-121) asks for a responder to be
    defined by at least two methods: pain reduction of at least 30 % (Farrar 2001)
    and function improved by the instrument's minimal important difference, or a
    global impression of change of "much" or "very much improved".
    """
    instruments = INSTRUMENTS if instruments is None else instruments
    row = dict(composite or {})
    function = instruments.get("psfs")
    mid = None if function is None else function.scores[0].mid
    function_name = "physical function" + (
        f" ({function.short_name}) improved by at least its {_number(mid)}-point minimal "
        "important difference"
        if function is not None and mid is not None
        else " improved by its minimal important difference"
    )
    pgic = instruments.get("pgic")
    pgic_name = "global impression of change" + (f" ({pgic.short_name})" if pgic else "")
    verdict = _yes_no(row.get("composite_responder"), unknown="cannot be decided")
    return (
        f"Responder by two methods (IMMPACT): {verdict}.",
        [
            f"Method 1, pain: diary pain reduced by at least {threshold:g}% — "
            f"{_yes_no(row.get('pain_responder'))}.",
            f"Method 2, function or global impression: {function_name} — "
            f"{_yes_no(row.get('function_responder'), unknown='not answered')}; or "
            f"{pgic_name} much or very much improved — "
            f"{_yes_no(row.get('pgic_responder'), unknown='not answered')}.",
        ],
    )


def due_names(
    due: pd.DataFrame, *, instruments: Mapping[str, Instrument] | None = None
) -> pd.Series:
    """Return, per patient, the short names of the questionnaires due ("PGIC, PSFS").

    Parameters
    ----------
    due : pandas.DataFrame
        :func:`analytics.stats.questionnaires_due` (any number of patients).
    instruments : mapping, optional
        Default the shipped :data:`analytics.contract.INSTRUMENTS`.

    Returns
    -------
    pandas.Series
        Text indexed by ``patient_id``; patients with nothing due are absent.
    """
    instruments = INSTRUMENTS if instruments is None else instruments
    if due.empty:
        return pd.Series(dtype="str", index=pd.Index([], name="patient_id"))
    names = due["instrument"].map(lambda i: instruments[i].short_name if i in instruments else i)
    return names.groupby(due["patient_id"]).agg(", ".join).rename("questionnaires_due")


def due_text(due: pd.DataFrame, *, instruments: Mapping[str, Instrument] | None = None) -> str:
    """Return one patient's due questionnaires for the clinician ("PGIC, PSFS due (session 6)").

    Parameters
    ----------
    due : pandas.DataFrame
        :func:`analytics.stats.questionnaires_due` of one patient.
    instruments : mapping, optional
        Default the shipped :data:`analytics.contract.INSTRUMENTS`.

    Returns
    -------
    str
        Empty when nothing is due.
    """
    instruments = INSTRUMENTS if instruments is None else instruments
    if due.empty:
        return ""
    names = due_names(due, instruments=instruments).iloc[0]
    points = ", ".join(dict.fromkeys(due["time_point"].astype("str")))
    return f"{names} due ({points})"
