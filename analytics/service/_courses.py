"""Courses of treatment through the service: set one, read the current ones and a history.

A course is active, paused or ended (with its day and reason). Clinicians set the
courses of their patients, administrators any patient's; every change and every
read is recorded in the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from analytics.service._door import COHORT, FAILURES, Door, as_text, governed

__all__ = ["CourseRecords"]


class CourseRecords(Door):
    """A patient's course of treatment: its state, its changes, the clinic's current ones."""

    @governed("set_course", patient="patient_id")
    def set_course_state(
        self,
        patient_id: str,
        state: str,
        *,
        effective_date: Any = None,
        reason: str | None = None,
        today: dt.date | None = None,
    ) -> dict[str, Any]:
        """Start, pause or end one patient's course (audited "edit").

        Parameters
        ----------
        patient_id : str
        state : {"active", "paused", "ended"}
        effective_date : date-like, optional
            The day it took effect; default today; never after today.
        reason : {"completed", "discharged", "dropped_out", "moved"}, optional
            Why an ended course ended (default "completed"); only with "ended".
        today : datetime.date, optional
            The clinic's today (default the machine's date).

        Returns
        -------
        dict
            As :meth:`analytics.store.Store.set_course_state`.

        Raises
        ------
        AccessDeniedError
            A patient or share link, or a clinician for a patient not assigned to them.
        DataValidationError
            A value is not allowed (recorded as failed; nothing written).
        NotFoundError
            No such patient (admins only).
        """
        detail = {
            "state": state,
            "effective_date": as_text(effective_date),
            "reason": reason,
        }
        try:
            result = self.store.set_course_state(
                self.user.username,
                patient_id,
                state,
                effective_date=effective_date,
                reason=reason,
                today=today,
            )
        except FAILURES as exc:
            self._audit(
                "edit", patient_id, outcome="failed", call="set_course_state",
                error=type(exc).__name__, **detail,
            )  # fmt: skip
            raise
        self._audit(
            "edit", patient_id, call="set_course_state", previous=result["previous"],
            changed=result["changed"], **{**detail, "effective_date": as_text(
                result["effective_date"]), "reason": result["reason"]},
        )  # fmt: skip
        return result

    @governed("view_patient", patient="patient_id")
    def course_history(self, patient_id: str) -> pd.DataFrame:
        """Return every change of one patient's course, oldest first (audited "view").

        Returns
        -------
        pandas.DataFrame
            As :meth:`analytics.store.Store.course_history`.
        """
        frame = self.store.course_history(self.user.username, patient_id)
        self._audit("view", patient_id, purpose="course history", rows=len(frame))
        return frame

    @governed("view_cohort", patient=COHORT)
    def course_states(self, *, purpose: str = "courses of treatment") -> pd.DataFrame:
        """Return the current course of every visible patient, read in scope (audited "view", "*").

        Parameters
        ----------
        purpose : str, default "courses of treatment"
            Recorded in the audit log (the page that shows them).

        Returns
        -------
        pandas.DataFrame
            As :meth:`analytics.store.Store.course_states`: one row per visible patient.
        """
        frame = self.store.course_states(self.user.username, **self._scope("view_cohort"))
        self._audit("view", "*", purpose=purpose, n_patients=len(frame))
        return frame
