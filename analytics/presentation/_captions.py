"""Captions that start from what happened, shared by the dashboard and the PDF reports.

- The interrupted time series says the observed direction after the start first
  ("pain kept rising, 0.34 points a week more slowly than before") and withholds
  the slope change when the diary before the start is too short to give a trend.
- The Emax fit says "no plateau within the data" when the curve has not levelled
  off by the last session number observed, instead of a maximum nobody reached.
- Adverse events name each rate with its own benchmark: events per 100 treatments
  against 9.4 per 100 treatments, patients with an event against 9.31 % of patients.
- "Sustained response" (the Kaplan–Meier rule) and "responder at follow-up" (the
  waterfall and responder tables) are two names for two rules, used everywhere.
"""

from __future__ import annotations

import math
from typing import Any

from ._labels import MISSING, is_missing
from ._numbers import number_text, percent_text

__all__ = [
    "SUSTAINED_RESPONSE",
    "SUSTAINED_RESPONSE_RULE",
    "FOLLOWUP_RESPONDER",
    "FOLLOWUP_RESPONDERS",
    "ITS_MIN_BASELINE_DAYS",
    "FLAT_POINTS_PER_WEEK",
    "its_caption",
    "emax_plateau_reached",
    "emax_text",
    "adverse_event_benchmark_text",
]

#: The Kaplan–Meier event: the trailing mean stays low for a run of days.
SUSTAINED_RESPONSE = "sustained response"
#: The rule behind :data:`SUSTAINED_RESPONSE` with the default settings.
SUSTAINED_RESPONSE_RULE = "7-day mean pain ≤ 70% of baseline for 7 days in a row"
#: The waterfall's and the responder tables' rule: the follow-up mean against baseline.
FOLLOWUP_RESPONDER = "responder at follow-up"
#: The plural of :data:`FOLLOWUP_RESPONDER`.
FOLLOWUP_RESPONDERS = "responders at follow-up"
#: Fewest days of diary before the start for the caption to state a slope change: a
#: pre-treatment slope from a few weeks, projected months ahead, is not a trend.
ITS_MIN_BASELINE_DAYS = 28
#: A slope under this many points a week either way reads as "level".
FLAT_POINTS_PER_WEEK = 0.05


def _direction(slope: float) -> str:
    if abs(slope) < FLAT_POINTS_PER_WEEK:
        return "level"
    return "rising" if slope > 0 else "falling"


def its_caption(outcome: dict[str, Any], *, start_word: str = "the start of treatment") -> str:
    """Say what the pain did after the start, then how that differs from before.

    Parameters
    ----------
    outcome : dict
        The patient's outcome row (``analytics.pipeline.PatientSummary.outcome_row``):
        ``its_pre_slope``, ``its_slope_change`` (points a week, + = more pain),
        ``its_level_change`` with its CI, ``index_date`` and ``first_date``.
    start_word : str
        How the start is named ("the start of treatment", "the comparison date").

    Returns
    -------
    str
        The observed direction after the start first; the slope change only when
        the diary began at least :data:`ITS_MIN_BASELINE_DAYS` days before the
        start (otherwise a sentence saying why it is withheld); then the level
        shift at the start.

    Examples
    --------
    >>> its_caption({"its_pre_slope": 0.9, "its_slope_change": -0.34,
    ...     "its_level_change": 0.2, "its_level_ci_low": -0.5, "its_level_ci_high": 0.9,
    ...     "index_date": "2026-03-01", "first_date": "2026-01-01"})
    'After the start of treatment pain kept rising, 0.34 points a week more slowly than before (0.90 a week before, 0.56 after). At the start the level shifted by +0.2 points (95% CI −0.5 to +0.9; + = more pain).'
    """
    import pandas as pd

    pre = float(outcome["its_pre_slope"])
    change = float(outcome["its_slope_change"])
    post = pre + change
    before, after = _direction(pre), _direction(post)
    days_before = (pd.Timestamp(outcome["index_date"]) - pd.Timestamp(outcome["first_date"])).days
    if days_before < ITS_MIN_BASELINE_DAYS:
        text = (
            f"After {start_word} pain was {after}"
            + ("" if after == "level" else f" ({number_text(abs(post), 2)} points a week)")
            + f". The change from the trend before is not given: the diary began {days_before} "
            f"days before {start_word}, fewer than the {ITS_MIN_BASELINE_DAYS} a trend needs."
        )
    elif after == before and after != "level":
        faster = (change > 0) == (after == "rising")
        text = (
            f"After {start_word} pain kept {after}, {number_text(abs(change), 2)} points a week "
            f"{'faster' if faster else 'more slowly'} than before ({number_text(abs(pre), 2)} "
            f"a week before, {number_text(abs(post), 2)} after)."
        )
    elif after == before:
        text = f"Before and after {start_word} pain stayed level."
    else:
        text = (
            f"After {start_word} pain was {after} ({number_text(abs(post), 2)} points a week); "
            f"before it, {before} ({number_text(abs(pre), 2)} a week)."
        )
    level = outcome["its_level_change"]
    if not is_missing(level):
        text += (
            f" At the start the level shifted by {number_text(level, 1, signed=True)} points "
            f"(95% CI {number_text(outcome['its_level_ci_low'], 1, signed=True)} to "
            f"{number_text(outcome['its_level_ci_high'], 1, signed=True)}; + = more pain)."
        )
    return text


def emax_plateau_reached(fit: Any, max_session: float) -> bool:
    """Tell whether the Emax curve levels off within the session numbers observed.

    False when the fit failed, when Emax or k50 sits at the edge of its allowed
    range (``analytics.stats._dose`` bounds: |Emax| = 10 points, k50 = 100), or
    when 80 % of the maximum (after 4·k50 sessions) lies beyond ``max_session``.
    """
    if fit is None or is_missing(fit.emax) or is_missing(fit.k50):
        return False
    at_edge = abs(float(fit.emax)) >= 10.0 - 1e-6 or float(fit.k50) >= 100.0 - 1e-6
    return not at_edge and 4.0 * float(fit.k50) <= float(max_session)


def emax_text(fit: Any, max_session: float) -> tuple[str, str]:
    """Give the Emax headline and its sentence: a number only when there is a plateau.

    Returns
    -------
    (headline, sentence) : tuple of str
        ``("no plateau within the data", ...)`` when :func:`emax_plateau_reached`
        is False; else the maximum in points and the sessions to 80 % and 90 % of it.
    """
    if fit is None or is_missing(fit.emax):
        return MISSING, "The Emax curve could not be fitted."
    if not emax_plateau_reached(fit, max_session):
        return (
            "no plateau within the data",
            f"Improvement had not levelled off by session {int(max_session)}: the Emax "
            "curve gives no maximum within the data, so none is shown.",
        )
    return (
        f"{number_text(fit.emax, 1)} points",
        f"Emax fit on {fit.n_points} patient-sessions: at most {number_text(fit.emax, 1)} points "
        f"less pain (SE {number_text(fit.emax_se, 1)}), half of it after "
        f"{number_text(fit.k50, 1)} sessions; 80% of the maximum after about "
        f"{number_text(4 * fit.k50, 0)} sessions, 90% after {number_text(9 * fit.k50, 0)}.",
    )


def adverse_event_benchmark_text(
    per_100: Any, pct_patients: Any, *, per_100_benchmark: float, pct_benchmark: float
) -> str:
    """Compare each adverse-event rate with the benchmark of the same kind, both named.

    Examples
    --------
    >>> adverse_event_benchmark_text(3.2, 60.0, per_100_benchmark=9.4, pct_benchmark=9.31)
    'Per treatment: 3.2 events per 100 treatments, below the published 9.4 per 100 treatments. Per patient: 60% of patients had at least one event, above the published 9.31% of patients per course (Bäumler 2021).'
    """
    parts = []
    if not is_missing(per_100) and not math.isnan(float(per_100)):
        side = "below" if float(per_100) < per_100_benchmark else "at or above"
        parts.append(
            f"Per treatment: {number_text(per_100, 1)} events per 100 treatments, {side} the "
            f"published {per_100_benchmark:g} per 100 treatments."
        )
    if not is_missing(pct_patients) and not math.isnan(float(pct_patients)):
        side = "below" if float(pct_patients) < pct_benchmark else "above"
        parts.append(
            f"Per patient: {percent_text(float(pct_patients) / 100)} of patients had at least "
            f"one event, {side} the published {pct_benchmark:g}% of patients per course "
            "(Bäumler 2021)."
        )
    return " ".join(parts)
