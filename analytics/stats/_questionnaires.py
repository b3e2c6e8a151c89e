"""Scores of the outcome questionnaires and their change from baseline.

The scoring rules are data (:data:`analytics.contract.INSTRUMENTS`); this module
applies them to a tidy frame of answers for every patient at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..contract import INSTRUMENTS, Instrument
from ._common import no_rows

__all__ = [
    "ANSWER_COLUMNS",
    "SCORE_COLUMNS",
    "QUESTIONNAIRE_COLUMNS",
    "score_questionnaires",
    "questionnaire_table",
    "questionnaires_due",
    "DUE_COLUMNS",
    "COMPOSITE_COLUMNS",
    "COMPOSITE_METHODS",
    "composite_responders",
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
            "reduction_pct": np.nan
            if score.responder_reduction_pct is None
            else score.responder_reduction_pct,
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
        difference, or the published share of the baseline value (headache days:
        at least 50 % fewer; missing when the baseline is 0), or — for a score that
        is itself a rating of change (PGIC) — the value is a responder answer
        ("much" or "very much improved"). Scores that are
        a rating of change have no baseline: their baseline and change columns are
        missing.

    Notes
    -----
    Baseline = the first answered date of that score for that patient, usually the
    questionnaire given before the first session.
    """
    if instruments is None and not len(answers):  # a patient page without questionnaires
        return no_rows(
            questionnaire_table, answers, lambda: _questionnaire_table(answers, INSTRUMENTS)
        )
    instruments = INSTRUMENTS if instruments is None else instruments
    return _questionnaire_table(answers, instruments)


def _questionnaire_table(answers: pd.DataFrame, instruments: dict[str, Instrument]) -> pd.DataFrame:
    """:func:`questionnaire_table` with the instruments given."""
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
    by_share = table["reduction_pct"].notna() & (table["baseline_value"] > 0)
    wanted = table["reduction_pct"] / 100 * table["baseline_value"]
    important[by_share] = table.loc[by_share, "improvement"] >= wanted[by_share] - 1e-9
    table["important_improvement"] = important
    return table[QUESTIONNAIRE_COLUMNS].reset_index(drop=True)


#: Columns of :func:`questionnaires_due`.
DUE_COLUMNS = ["patient_id", "instrument", "time_point", "session_number", "due_since"]


def _reached(
    sessions: pd.DataFrame, patients: pd.Index, at_sessions: tuple[int, ...]
) -> pd.DataFrame:
    """Per patient: sessions so far, the latest scheduled session reached and its date."""
    days = sessions[["patient_id", "date"]].assign(date=lambda d: d["date"].dt.normalize())
    days = days.sort_values(["patient_id", "date"], kind="stable")
    days["number"] = days.groupby("patient_id").cumcount() + 1
    n_sessions = days.groupby("patient_id")["number"].max().reindex(patients, fill_value=0)
    scheduled = days[days["number"].isin(at_sessions)]
    latest = scheduled.groupby("patient_id").last().reindex(patients)
    return pd.DataFrame(
        {
            "n_sessions": n_sessions,
            "session_number": latest["number"],
            "session_date": latest["date"],
        },
        index=patients,
    )


def questionnaires_due(
    sessions: pd.DataFrame,
    answers: pd.DataFrame,
    *,
    at_sessions: tuple[int, ...] = (6, 12),
    patient_ids: list[str] | None = None,
    today: object = None,
    instruments: dict[str, Instrument] | None = None,
    conditions: pd.Series | None = None,
) -> pd.DataFrame:
    """List the questionnaires each patient should answer now.

    Parameters
    ----------
    sessions : pandas.DataFrame
        Canonical sessions (``patient_id``, ``date``).
    answers : pandas.DataFrame
        Canonical questionnaire answers.
    at_sessions : tuple of int, default (6, 12)
        Session numbers after which every instrument is due again
        (``AnalysisSettings.questionnaire_session_numbers``).
    patient_ids : list of str, optional
        Patients to consider besides those with sessions (a new patient has none).
    today : date-like, optional
        Answers dated after it are ignored (default: all).
    instruments : dict, optional
        Default the shipped :data:`INSTRUMENTS`.
    conditions : pandas.Series, optional
        Each patient's condition code, indexed by patient id (the ``condition``
        column of ``patients``). An instrument for some conditions only (headache
        days: migraine, tension-type headache) is due only for patients with one of
        them; without ``conditions`` it is due for nobody.

    Returns
    -------
    pandas.DataFrame
        One row per patient and due instrument, sorted that way: ``patient_id``,
        ``instrument``, ``time_point`` ("baseline" or "session N"),
        ``session_number`` (0 at baseline), ``due_since`` (the date of that session;
        NaT at baseline).

    Notes
    -----
    Baseline: due for an instrument that measures a state (not PGIC, itself a rating
    of change) while the patient has had fewer than two sessions and never answered
    it. Session N: due from the day of the patient's N-th session (the latest of
    ``at_sessions`` reached) until an answer dated that day or later; an earlier
    time point not answered is superseded by the later one.
    """
    instruments = INSTRUMENTS if instruments is None else instruments
    cutoff = pd.Timestamp.max if today is None else pd.Timestamp(today)
    ids = pd.Index(sorted(set(sessions["patient_id"]) | set(patient_ids or [])), name="patient_id")
    state = _reached(sessions, ids, tuple(at_sessions))
    answered = answers[answers["date"] <= cutoff]
    last = answered.groupby(["patient_id", "instrument"])["date"].max()
    rows = []
    for instrument in instruments.values():
        last_answer = (
            last.xs(instrument.id, level="instrument")
            if instrument.id in last.index.get_level_values("instrument")
            else pd.Series(dtype="datetime64[ns]")
        )
        mine = state.assign(last=last_answer.reindex(ids))
        if instrument.conditions:
            known = pd.Series(dtype="str") if conditions is None else conditions
            mine = mine[known.reindex(ids).isin(instrument.conditions).to_numpy()]
        at_session = mine["session_number"].notna() & ~(mine["last"] >= mine["session_date"])
        base_due = any(score.baseline for score in instrument.scores)
        at_baseline = (mine["n_sessions"] < 2) & mine["last"].isna() & base_due & ~at_session
        for due, number, since in (
            (at_session, mine["session_number"], mine["session_date"]),
            (
                at_baseline,
                pd.Series(0, index=ids),
                pd.Series(pd.NaT, index=ids, dtype="datetime64[ns]"),
            ),
        ):
            picked = due[due].index
            rows.append(
                pd.DataFrame(
                    {
                        "patient_id": picked,
                        "instrument": instrument.id,
                        "session_number": number[picked].astype("int64").to_numpy(),
                        "due_since": since[picked].to_numpy(),
                    }
                )
            )
    due = pd.concat(rows, ignore_index=True)
    due["time_point"] = np.where(
        due["session_number"] == 0, "baseline", "session " + due["session_number"].astype("str")
    )
    due["due_since"] = due["due_since"].astype("datetime64[ns]")
    return due.sort_values(["patient_id", "instrument"], kind="stable")[DUE_COLUMNS].reset_index(
        drop=True
    )


#: Columns of :func:`composite_responders`.
COMPOSITE_COLUMNS = [
    "patient_id",
    "pain_responder",
    "function_responder",
    "pgic_responder",
    "composite_responder",
]
#: The two methods of the composite responder, in words (IMMPACT, Dworkin 2008).
COMPOSITE_METHODS = (
    "pain reduction of at least the responder threshold (diary, numeric rating scale)",
    "and at least one of: physical function improved by at least its minimal important "
    "difference (PSFS, 2 points), or a global impression of change of much or very much "
    "improved (PGIC)",
)


def _latest_judgement(table: pd.DataFrame, score: str) -> pd.Series:
    rows = table[(table["score"] == score) & table["important_improvement"].notna()]
    rows = rows[rows["date"] > rows["baseline_date"]] if score != "pgic" else rows
    return (
        rows.sort_values("date", kind="stable")
        .groupby("patient_id")["important_improvement"]
        .last()
    )


def composite_responders(outcomes: pd.DataFrame, questionnaires: pd.DataFrame) -> pd.DataFrame:
    """Call a patient a responder by two methods, as IMMPACT asks.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        Per-patient outcomes with ``patient_id`` and ``responder`` (pain reduction ≥ the
        responder threshold; boolean, missing when not evaluable).
    questionnaires : pandas.DataFrame
        :func:`questionnaire_table` of the same patients.

    Returns
    -------
    pandas.DataFrame
        One row per patient of ``outcomes``: ``patient_id``, ``pain_responder``,
        ``function_responder`` (the latest PSFS after baseline improved by at least its
        minimal important difference), ``pgic_responder`` (the latest PGIC is "much" or
        "very much improved"), ``composite_responder`` = pain and (function or PGIC).
        All nullable booleans; missing = not known (three-valued logic: a pain
        non-responder is not a composite responder whatever else is known).

    Notes
    -----
    Dworkin RH et al. J Pain 2008;9:105-121: responders defined by at least two
    methods; pain ≥ 30 % (Farrar 2001), function by the instrument's minimal important
    difference, PGIC much or very much improved.
    """
    ids = outcomes["patient_id"].astype("str")
    pain = pd.array(outcomes["responder"].astype("boolean"), dtype="boolean")
    function = pd.array(
        _latest_judgement(questionnaires, "psfs_mean").reindex(ids), dtype="boolean"
    )
    pgic = pd.array(_latest_judgement(questionnaires, "pgic").reindex(ids), dtype="boolean")
    return pd.DataFrame(
        {
            "patient_id": ids.to_numpy(),
            "pain_responder": pain,
            "function_responder": function,
            "pgic_responder": pgic,
            "composite_responder": pain & (function | pgic),
        }
    )
