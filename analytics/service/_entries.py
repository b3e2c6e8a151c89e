"""Entries during the day through the door: add one, answer "Did it help?", read them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from analytics.service._door import FAILURES, Door, PatientArg, as_text, governed
from analytics.stats import rescue_questions_due

__all__ = ["EntryRecords"]

_OWN_BY_DEFAULT = PatientArg("patient_id", own_by_default=True)


class EntryRecords(Door):
    """One patient's entries during the day: add one as it happens, answer, read."""

    @governed("add_entry", patient=_OWN_BY_DEFAULT)
    def add_entry(
        self, patient_id: str | None, record: dict[str, Any], *, today: dt.date | None = None
    ) -> str:
        """Store one entry of a patient (audited "edit").

        Parameters
        ----------
        patient_id : str or None
            None for a patient's own entry.
        record : dict
            Fields of :data:`analytics.contract.ENTRIES` but ``patient_id``: ``date``,
            ``time`` (HH:MM), ``pain``, and optionally ``flare``, ``duration_minutes``,
            ``rescue_medication``, ``notes``.
        today : date, optional
            The latest day accepted (default today).

        Returns
        -------
        str
            "created", "updated" (an entry at the same minute replaced) or "unchanged".

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope, or the user is a share link.
        DataValidationError
            The entry breaks the contract (recorded as failed).
        """
        pid = str(patient_id)
        detail = {"table": "entries", "date": as_text(record.get("date")),
                  "time": str(record.get("time")), "flare": str(record.get("flare") or "no")}  # fmt: skip
        try:
            result = self.store.add_entry(
                self.user.username, {**record, "patient_id": pid}, today=today
            )
        except FAILURES as exc:
            self._audit("edit", pid, outcome="failed", call="add_entry",
                        error=type(exc).__name__, **detail)  # fmt: skip
            raise
        self._audit("edit", pid, call="add_entry", result=result, **detail)
        if result != "unchanged":  # the day's pain folds the entry in: its outcomes change
            self._refresh_after_write([pid])
        return result

    @governed("answer_rescue", patient=_OWN_BY_DEFAULT)
    def answer_rescue(
        self, patient_id: str | None, date: dt.date | str, time: str, helped: str
    ) -> None:
        """Store whether an entry's rescue medicine helped, with who answered (audited "edit").

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope, or the user is a share link.
        DataValidationError, NotFoundError
            Not an answer, or no such entry with a rescue medicine (recorded as failed).
        """
        pid = str(patient_id)
        detail = {"table": "entries", "date": as_text(date), "time": str(time),
                  "helped": str(helped)}  # fmt: skip
        try:
            self.store.answer_rescue(self.user.username, pid, date, time, helped)
        except FAILURES as exc:
            self._audit("edit", pid, outcome="failed", call="answer_rescue",
                        error=type(exc).__name__, **detail)  # fmt: skip
            raise
        self._audit("edit", pid, call="answer_rescue", **detail)

    @governed("view_patient", patient=_OWN_BY_DEFAULT)
    def entries(self, patient_id: str | None) -> pd.DataFrame:
        """Return one patient's entries during the day (audited "view").

        Returns
        -------
        pandas.DataFrame
            As :meth:`analytics.store.Store.entries` for that patient.
        """
        pid = str(patient_id)
        found = self.store.entries(self.user.username, patient_ids=[pid])
        self._audit("view", pid, purpose="entries", rows=len(found))
        return found

    @governed("view_patient", patient=_OWN_BY_DEFAULT)
    def rescue_questions(self, patient_id: str | None, *, now: dt.datetime) -> pd.DataFrame:
        """Return the entries whose "Did it help?" is due now (audited "view").

        Returns
        -------
        pandas.DataFrame
            As :func:`analytics.stats.rescue_questions_due`.
        """
        pid = str(patient_id)
        due = rescue_questions_due(self.store.entries(self.user.username, patient_ids=[pid]), now)
        self._audit("view", pid, purpose="rescue questions", due=len(due))
        return due
