"""Words for headache days: the diary question, the patient's sentence, the clinician's line.

The numbers come from the ``*_headache_days`` columns of a patient's outcome row
(:func:`analytics.stats.headache_days`); the dashboard and the PDF reports print
these words, so a patient reads the same sentence on My progress and in a report.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ._labels import is_missing
from ._numbers import interval_text, number_text, percent_text, too_few_text

__all__ = [
    "HEADACHE_QUESTION",
    "HEADACHE_CHOICE_LABELS",
    "headache_sentence",
    "headache_line",
    "HEADACHE_SUMMARY_HEADER",
    "headache_summary_rows",
]

#: The optional diary question of a patient with a headache condition.
HEADACHE_QUESTION = "Headache today?"
#: Words for the diary's ``headache`` choices, in the contract's order.
HEADACHE_CHOICE_LABELS = {"none": "No headache", "headache": "Headache", "migraine": "Migraine"}

_PERIOD = 28

#: Column titles of :func:`headache_summary_rows`.
HEADACHE_SUMMARY_HEADER = (
    "Group",
    "Headache patients",
    "Evaluable",
    "Responders",
    "Rate",
    "Wilson 95% CI",
    "Fewer days per 4 weeks",
    "Difference from the control (Newcombe 95% CI)",
)


def _get(row: Mapping[str, Any], key: str) -> Any:
    return row.get(key)


def _days(value: Any) -> str:
    text = number_text(float(value), 0)
    return f"{text} headache day" + ("" if text == "1" else "s")


def headache_sentence(outcome: Mapping[str, Any] | None, *, before: str = "treatment") -> str:
    """Say in plain words how many headache days a patient had lately and the change.

    Parameters
    ----------
    outcome : mapping or None
        The patient's outcome row (``headache_patient`` and the
        ``*_headache_days`` / ``*_headache_n`` columns).
    before : str, default "treatment"
        What the baseline came before: "treatment", or for a patient without
        sessions the start event ("you joined the waiting list").

    Returns
    -------
    str
        "" for a patient whose headache days are not counted; otherwise e.g.
        "You had 9 headache days in the last 4 weeks, 5 fewer than before
        treatment." ("about" when some of the 28 days were not logged and the
        count is scaled to 4 weeks).

    Examples
    --------
    >>> row = {"headache_patient": True, "baseline_headache_days": 14.0,
    ...        "followup_headache_days": 9.0, "followup_headache_n": 28}
    >>> headache_sentence(row)
    'You had 9 headache days in the last 4 weeks, 5 fewer than before treatment.'
    >>> headache_sentence({**row, "followup_headache_n": 21, "followup_headache_days": 16.0})
    'You had about 16 headache days in the last 4 weeks, 2 more than before treatment.'
    """
    o = outcome or {}
    if not _get(o, "headache_patient"):
        return ""
    follow = _get(o, "followup_headache_days")
    if is_missing(follow):
        return (
            "Not enough diary days in your last 4 weeks to count your headache days "
            "(at least 20 of the 28 days are needed)."
        )
    n = _get(o, "followup_headache_n")
    about = "" if not is_missing(n) and int(n) >= _PERIOD else "about "
    head = f"You had {about}{_days(follow)} in the last 4 weeks"
    base = _get(o, "baseline_headache_days")
    if is_missing(base):
        return head + "."
    diff = float(base) - float(follow)
    if number_text(abs(diff), 0) == "0":
        return f"{head}, about as many as before {before}."
    word = "fewer" if diff > 0 else "more"
    return f"{head}, {number_text(abs(diff), 0)} {word} than before {before}."


def headache_line(outcome: Mapping[str, Any] | None) -> str:
    """Write the clinician's one line on headache days: before, after, change, responder.

    Parameters
    ----------
    outcome : mapping or None
        The patient's outcome row.

    Returns
    -------
    str
        "" for a patient whose headache days are not counted; otherwise e.g.
        "Headache days per 4 weeks: 16.0 before, 4.7 at follow-up (11.3 fewer,
        71%; a 50% responder). Migraine days: 9.3 before, 2.3 at follow-up."

    Examples
    --------
    >>> headache_line({"headache_patient": True, "baseline_headache_days": 16.0,
    ...                "followup_headache_days": 28 / 6, "change_headache_days": 16 - 28 / 6,
    ...                "pct_change_headache_days": 70.8, "headache_responder_50": True})
    'Headache days per 4 weeks: 16.0 before, 4.7 at follow-up (11.3 fewer, 71%; a 50% responder).'
    """
    o = outcome or {}
    if not _get(o, "headache_patient"):
        return ""
    text = (
        f"Headache days per 4 weeks: {number_text(_get(o, 'baseline_headache_days'))} before, "
        f"{number_text(_get(o, 'followup_headache_days'))} at follow-up"
    )
    change = _get(o, "change_headache_days")
    if not is_missing(change):
        word = "fewer" if float(change) >= 0 else "more"
        pct = _get(o, "pct_change_headache_days")
        share = "" if is_missing(pct) else f", {number_text(abs(float(pct)), 0)}%"
        responder = _get(o, "headache_responder_50")
        verdict = (
            ""
            if is_missing(responder)
            else ("; a 50% responder" if bool(responder) else "; not a 50% responder")
        )
        text += f" ({number_text(abs(float(change)))} {word}{share}{verdict})"
    text += "."
    if not is_missing(_get(o, "baseline_migraine_days")) or not is_missing(
        _get(o, "followup_migraine_days")
    ):
        text += (
            f" Migraine days: {number_text(_get(o, 'baseline_migraine_days'))} before, "
            f"{number_text(_get(o, 'followup_migraine_days'))} at follow-up."
        )
    return text


def headache_summary_rows(summary: Any, *, min_group_size: int = 5) -> list[list[str]]:
    """Write the rows of ``AnalysisResult.headache_summary`` as printed cells.

    Parameters
    ----------
    summary : pandas.DataFrame
        :func:`analytics.stats.headache_summary`.
    min_group_size : int, default 5
        The size it was computed with: a withheld interval reads
        "too few patients to compare (n < 5 per group)".

    Returns
    -------
    list of list of str
        One row per group, cells in :data:`HEADACHE_SUMMARY_HEADER` order; the
        difference reads "+25% (−10% to 55%) vs waitlist", empty on the control's row.

    Examples
    --------
    >>> import pandas as pd
    >>> row = {"group": "acupuncture", "n_headache_patients": 11, "n_evaluable": 4,
    ...        "n_responders": 2, "responder_rate": 0.5, "responder_ci_low": 0.15,
    ...        "responder_ci_high": 0.85, "mean_change_headache_days": 9.75,
    ...        "compared_with": "waitlist", "risk_difference": 0.25, "rd_ci_low": -0.1,
    ...        "rd_ci_high": 0.55, "reason": ""}
    >>> headache_summary_rows(pd.DataFrame([row]))[0][4:]
    ['50%', '15% to 85%', '9.8', '+25% (−10% to 55%) vs waitlist']
    """
    too = too_few_text(min_group_size)
    rows = []
    for r in summary.to_dict("records"):
        diff = too if r["compared_with"] and r["reason"] else ""
        if r["compared_with"] and not is_missing(r["risk_difference"]):
            diff = (
                f"{percent_text(r['risk_difference'], signed=True)} "
                f"({interval_text(r['rd_ci_low'], r['rd_ci_high'], percent=True)}) "
                f"vs {r['compared_with']}"
            )
        rows.append(
            [
                str(r["group"]) or "(no group)",
                str(int(r["n_headache_patients"])),
                str(int(r["n_evaluable"])),
                str(int(r["n_responders"])),
                percent_text(r["responder_rate"]),
                too
                if is_missing(r["responder_ci_low"]) and r["reason"]
                else interval_text(r["responder_ci_low"], r["responder_ci_high"], percent=True),
                number_text(r["mean_change_headache_days"]),
                diff,
            ]
        )
    return rows
