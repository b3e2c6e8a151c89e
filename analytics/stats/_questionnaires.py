"""Scores of the outcome questionnaires and their change from baseline.

The scoring rules are data (:data:`analytics.contract.INSTRUMENTS`); this module
applies them to a tidy frame of answers for every patient at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import INSTRUMENTS, Instrument

__all__ = [
    "ANSWER_COLUMNS",
    "SCORE_COLUMNS",
    "QUESTIONNAIRE_COLUMNS",
    "score_questionnaires",
    "questionnaire_table",
]

#: Columns of a tidy frame of answers (the canonical ``questionnaires`` frame).
ANSWER_COLUMNS = ["patient_id", "date", "instrument", "item", "answer"]
#: Columns of :func:`score_questionnaires`.
SCORE_COLUMNS = ["patient_id", "date", "instrument", "score", "value", "band"]
#: Columns of :func:`questionnaire_table`.
QUESTIONNAIRE_COLUMNS = [
    *SCORE_COLUMNS,
    "baseline_date",
    "baseline_value",
    "change",
    "improvement",
    "important_improvement",
]


def _rules(instruments: dict[str, Instrument]) -> pd.DataFrame:
    rows = [
        (instrument.id, score.id, item, score.rule, len(score.items))
        for instrument in instruments.values()
        for score in instrument.scores
        for item in score.items
    ]
    return pd.DataFrame(rows, columns=["instrument", "score", "item", "rule", "n_items"])


def _score_facts(instruments: dict[str, Instrument]) -> pd.DataFrame:
    rows = [
        {
            "instrument": instrument.id,
            "score": score.id,
            "sign": 1.0 if score.better == "higher" else -1.0,
            "mid": np.nan if score.mid is None else score.mid,
            "responder_at_most": np.nan
            if score.responder_at_most is None
            else score.responder_at_most,
            "has_baseline": score.baseline,
        }
        for instrument in instruments.values()
        for score in instrument.scores
    ]
    return pd.DataFrame(rows)


def _bands(scores: pd.DataFrame, instruments: dict[str, Instrument]) -> pd.Series:
    band = pd.Series(np.nan, index=scores.index, dtype="str")
    for instrument in instruments.values():
        for score in instrument.scores:
            mine = (scores["instrument"] == instrument.id) & (scores["score"] == score.id)
            for entry in score.bands:
                band[mine & scores["value"].between(entry.low, entry.high)] = entry.label
    return band


def score_questionnaires(
    answers: pd.DataFrame, *, instruments: dict[str, Instrument] | None = None
) -> pd.DataFrame:
    """Compute every score of every answered questionnaire.

    Parameters
    ----------
    answers : pandas.DataFrame
        Columns ``patient_id``, ``date``, ``instrument``, ``item``, ``answer`` (the
        value of the chosen option), one row per answered item; checked against the
        definitions by the loaders or the store.
    instruments : dict, optional
        Instrument definitions by id; default the shipped :data:`INSTRUMENTS`.

    Returns
    -------
    pandas.DataFrame
        One row per patient, date, instrument and score, sorted that way:
        ``patient_id``, ``date``, ``instrument``, ``score`` (the score's id),
        ``value`` (float, in the score's own points), ``band`` (its named range,
        e.g. "mild", missing when the score has none).

    Notes
    -----
    A score's rule is the sum or the mean of its items' answer values; it is only
    computed when every one of its items was answered (the PHQ-4 manual, Kroenke
    2009, gives no rule for missing items). Scores of items not answered that day
    are absent, not zero.

    Examples
    --------
    >>> import pandas as pd
    >>> answers = pd.DataFrame({"patient_id": "P001", "date": pd.Timestamp("2026-01-05"),
    ...     "instrument": "phq4", "item": ["nervous", "worrying", "interest", "down"],
    ...     "answer": [1, 2, 0, 3]})
    >>> score_questionnaires(answers).set_index("score")["value"].to_dict()
    {'gad2': 3.0, 'phq2': 3.0, 'phq4_total': 6.0}
    """
    instruments = INSTRUMENTS if instruments is None else instruments
    merged = answers[ANSWER_COLUMNS].merge(
        _rules(instruments), on=["instrument", "item"], how="inner"
    )
    merged["answer"] = merged["answer"].astype("float64")
    keys = ["patient_id", "date", "instrument", "score"]
    grouped = merged.groupby(keys, sort=True).agg(
        n=("answer", "count"),
        total=("answer", "sum"),
        n_items=("n_items", "first"),
        rule=("rule", "first"),
    )
    grouped = grouped[grouped["n"] == grouped["n_items"]].reset_index()
    value = np.where(grouped["rule"] == "mean", grouped["total"] / grouped["n"], grouped["total"])
    scores = grouped[keys].assign(value=value.astype("float64"))
    scores["band"] = _bands(scores, instruments)
    return scores[SCORE_COLUMNS].reset_index(drop=True)


def questionnaire_table(
    answers: pd.DataFrame, *, instruments: dict[str, Instrument] | None = None
) -> pd.DataFrame:
    """Scores with their change from each patient's first (baseline) answer.

    Parameters
    ----------
    answers : pandas.DataFrame
        The tidy answers, as :func:`score_questionnaires` takes them.
    instruments : dict, optional
        Instrument definitions by id; default the shipped :data:`INSTRUMENTS`.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`score_questionnaires`, then ``baseline_date`` (the
        patient's first date with this score), ``baseline_value``, ``change``
        (value − baseline value, score points), ``improvement`` (the change signed so
        that positive = better, whichever way the score runs), and
        ``important_improvement`` (boolean, missing when not defined): the
        improvement reaches the instrument's published minimal important
        difference, or — for a score that is itself a rating of change (PGIC) — the
        value is a responder answer ("much" or "very much improved"). Scores that are
        a rating of change have no baseline: their baseline and change columns are
        missing.

    Notes
    -----
    Baseline = the first answered date of that score for that patient, usually the
    questionnaire given before the first session.
    """
    instruments = INSTRUMENTS if instruments is None else instruments
    scores = score_questionnaires(answers, instruments=instruments)
    facts = _score_facts(instruments)
    table = scores.merge(facts, on=["instrument", "score"], how="left")
    keys = ["patient_id", "instrument", "score"]
    first = table.groupby(keys, sort=False)[["date", "value"]].transform("first")
    with_baseline = table["has_baseline"].astype(bool)
    table["baseline_date"] = first["date"].where(with_baseline)
    table["baseline_value"] = first["value"].where(with_baseline)
    table["change"] = table["value"] - table["baseline_value"]
    table["improvement"] = table["change"] * table["sign"]
    important = pd.Series(pd.NA, index=table.index, dtype="boolean")
    by_mid = table["mid"].notna() & table["improvement"].notna()
    important[by_mid] = table.loc[by_mid, "improvement"] >= table.loc[by_mid, "mid"] - 1e-9
    by_value = table["responder_at_most"].notna()
    important[by_value] = table.loc[by_value, "value"] <= table.loc[by_value, "responder_at_most"]
    table["important_improvement"] = important
    return table[QUESTIONNAIRE_COLUMNS].reset_index(drop=True)
