"""The outcome questionnaires of one patient, through the service: due, answered, scored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import pandas as pd

from analytics.access import User
from dashboard.data._access import service

__all__ = ["questionnaires_due", "save_questionnaire", "questionnaire_scores"]


def questionnaires_due(
    user: User, patient_id: str, *, today: dt.date, purpose: str
) -> pd.DataFrame:
    """Return the questionnaires due for the patient today (audited view)."""
    return service(user, purpose).questionnaires_due(patient_id, today=today)


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
    """Save one filled-in questionnaire (audited edit); "created", "updated" or "unchanged"."""
    return service(user, purpose).save_questionnaire(
        patient_id, day, instrument, answers, today=today
    )


def questionnaire_scores(user: User, patient_id: str, *, purpose: str) -> pd.DataFrame:
    """Return the patient's scores and their change from baseline (audited view)."""
    return service(user, purpose).questionnaire_scores(patient_id)
