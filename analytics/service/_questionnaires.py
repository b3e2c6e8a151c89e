"""The outcome questionnaires through the door: answering and reading, each checked and audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import pandas as pd

from analytics.service._door import FAILURES, Door, PatientArg, as_text, governed
from analytics.stats import questionnaire_table, questionnaires_due

__all__ = ["QuestionnaireRecords", "due_in_scope"]

_ANSWERING = PatientArg("patient_id", own_by_default=True)


def due_in_scope(
    store: Any,
    actor: str,
    patient_ids: list[str],
    *,
    at_sessions: tuple[int, ...],
    today: dt.date,
    scope: Mapping[str, Any],
) -> pd.DataFrame:
    """Return the questionnaires due now for the patients of a scope, in four queries.

    The sessions, answers and conditions are read with ``scope`` in the SQL query (the keyword
    arguments of :meth:`Door._scope`); the due rule is
    :func:`analytics.stats.questionnaires_due`, one grouped pass over every patient,
    so one patient and a clinic are answered by the same code.

    Parameters
    ----------
    store : analytics.store.Store
    actor : str
        Who reads (recorded by the store).
    patient_ids : list of str
        The patients of the scope (a patient without sessions may be due at baseline).
    at_sessions : tuple of int
        ``AnalysisSettings.questionnaire_session_numbers``.
    today : date
    scope : mapping
        ``clinician_user_id`` and/or ``patient_ids`` restricting the reads.

    Returns
    -------
    pandas.DataFrame
        As :func:`analytics.stats.questionnaires_due`.
    """
    sessions = store.sessions(actor, **scope)
    answers = store.questionnaire_answers(actor, **scope)
    conditions = store.patients(actor, **scope).set_index("patient_id")["condition"]
    return questionnaires_due(
        sessions, answers, at_sessions=at_sessions, patient_ids=patient_ids, today=today,
        conditions=conditions,
    )  # fmt: skip


class QuestionnaireRecords(Door):
    """One patient's questionnaires: answer one, read the scores, see which are due."""

    @governed("answer_questionnaire", patient=_ANSWERING)
    def save_questionnaire(
        self,
        patient_id: str | None,
        date: dt.date | str,
        instrument: str,
        answers: Mapping[str, Any],
        *,
        today: dt.date | None = None,
    ) -> str:
        """Store one filled-in questionnaire (audited "edit").

        Parameters
        ----------
        patient_id : str or None
            None for a patient's own questionnaire.
        date : date or "YYYY-MM-DD"
        instrument : str
            An id of :data:`analytics.contract.INSTRUMENTS`.
        answers : dict
            Item id → value of the chosen option, every item answered.
        today : date, optional
            The latest date accepted (default today).

        Returns
        -------
        str
            "created", "updated" (answered again that day) or "unchanged".

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope, or the user is a share link.
        DataValidationError
            An answer breaks the instrument's definition (recorded as failed).
        """
        pid = str(patient_id)
        detail = {"table": "questionnaires", "instrument": str(instrument), "date": as_text(date)}
        try:
            result = self.store.save_questionnaire(
                self.user.username, pid, date, instrument, answers, today=today
            )
        except FAILURES as exc:
            self._audit(
                "edit",
                pid,
                outcome="failed",
                call="save_questionnaire",
                error=type(exc).__name__,
                **detail,
            )
            raise
        self._audit("edit", pid, call="save_questionnaire", result=result, **detail)
        return result

    @governed("view_patient", patient="patient_id")
    def questionnaire_answers(self, patient_id: str) -> pd.DataFrame:
        """Return one patient's stored answers (audited "view").

        Returns
        -------
        pandas.DataFrame
            The canonical ``questionnaires`` frame of that patient.
        """
        answers = self.store.questionnaire_answers(self.user.username, patient_ids=[patient_id])
        self._audit("view", patient_id, purpose="questionnaires", rows=len(answers))
        return answers

    @governed("view_patient", patient="patient_id")
    def questionnaire_scores(self, patient_id: str) -> pd.DataFrame:
        """Return one patient's scores and their change from baseline (audited "view").

        Returns
        -------
        pandas.DataFrame
            As :func:`analytics.stats.questionnaire_table`.
        """
        answers = self.store.questionnaire_answers(self.user.username, patient_ids=[patient_id])
        self._audit("view", patient_id, purpose="questionnaire scores", rows=len(answers))
        return questionnaire_table(answers)

    @governed("view_patient", patient=PatientArg("patient_id", own_by_default=True))
    def questionnaires_due(
        self, patient_id: str | None, *, today: dt.date | None = None
    ) -> pd.DataFrame:
        """Return the questionnaires due for one patient now (audited "view").

        Due at baseline and after the session numbers of the clinic's settings
        (``AnalysisSettings.questionnaire_sessions``), until answered; an
        instrument for some conditions only (headache days) only for patients with
        one of them.

        Returns
        -------
        pandas.DataFrame
            As :func:`analytics.stats.questionnaires_due`.
        """
        pid = str(patient_id)
        due = due_in_scope(
            self.store, self.user.username, [pid],
            at_sessions=self.analysis_settings().questionnaire_session_numbers,
            today=today or dt.date.today(), scope={"patient_ids": [pid]},
        )  # fmt: skip
        self._audit("view", pid, purpose="questionnaires due", due=len(due))
        return due
