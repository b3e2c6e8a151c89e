"""The outcome questionnaires of one patient, through the service: due, answered, scored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from analytics.access import User
from dashboard.data._access import (
    forget_rows,
    kept_in_scope,
    patient_view,
    service,
    user_key,
    visit_rows,
)

__all__ = [
    "questionnaires_due",
    "save_questionnaire",
    "questionnaire_scores",
    "questionnaire_answers",
    "answers_version",
    "cohort_questionnaires_due",
]


def questionnaire_answers(user: User, patient_id: str, *, purpose: str) -> pd.DataFrame:
    """Return the patient's stored answers, read with the visit's rows (no second audited read).

    The canonical ``questionnaires`` frame that :func:`dashboard.data.patient_view` reads
    through the service in the same call and audit row as the diary and sessions; a
    save forgets it.
    """
    answers: pd.DataFrame = patient_view(user, patient_id, purpose=purpose).data.questionnaires
    return answers


def answers_version(answers: pd.DataFrame) -> tuple[int, int]:
    """Return a cheap key of a frame of answers (a hash of its rows and their count)."""
    if answers.empty:
        return (0, 0)
    return (int(pd.util.hash_pandas_object(answers, index=False).sum()), len(answers))


def cohort_questionnaires_due(user: User, *, today: dt.date, purpose: str) -> pd.DataFrame:
    """Return the questionnaires due today for every patient the user may see (one audited read per visit).

    :meth:`analytics.service.Service.cohort_questionnaires_due`: the scope in the
    SQL query, one grouped pass over the patients.
    """
    key = ("questionnaires due", user_key(user), purpose, today)
    rows = visit_rows()
    if key not in rows:
        rows[key] = service(user, purpose).cohort_questionnaires_due(purpose=purpose, today=today)
    due: pd.DataFrame = rows[key]
    return due


def questionnaires_due(
    user: User, patient_id: str, *, today: dt.date, purpose: str
) -> pd.DataFrame:
    """Return the questionnaires due for the patient today (one audited view per visit).

    Reruns of the visit show the list read first, while the patient is still in the
    user's scope; a save forgets it with the visit's other rows.
    """
    key = ("questionnaires due", user_key(user), purpose, str(patient_id), today)
    if not kept_in_scope(user, key, [patient_id]):
        visit_rows()[key] = service(user, purpose).questionnaires_due(patient_id, today=today)
    due: pd.DataFrame = visit_rows()[key]
    return due


def save_questionnaire(
    user: User,
    patient_id: str,
    day: dt.date,
    instrument: str,
    answers: Mapping[str, int],
    *,
    today: dt.date,
    purpose: str,
) -> str:
    """Save one filled-in questionnaire (audited edit); "created", "updated" or "unchanged".

    The rows read in this visit are forgotten, so the next read sees the answers.
    """
    result = service(user, purpose).save_questionnaire(
        patient_id, day, instrument, answers, today=today
    )
    forget_rows()
    return result


def questionnaire_scores(user: User, patient_id: str, *, purpose: str) -> pd.DataFrame:
    """Return the patient's scores and their change from baseline (audited view)."""
    return service(user, purpose).questionnaire_scores(patient_id)
