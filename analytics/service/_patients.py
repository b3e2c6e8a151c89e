"""The per-patient path of the service.

One patient's rows, their diary and sessions written, and the files made of them recorded.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from analytics.service._door import COHORT, FAILURES, Door, PatientArg, as_text, governed
from analytics.store import SaveResult

__all__ = ["PatientRecords"]

_ENTRY = PatientArg("entry", key="patient_id", own_by_default=True)
_SESSION = PatientArg("session", key="patient_id")
_DIARY_PATIENT = PatientArg("patient_id", own_by_default=True)
_FILE_PATIENT = PatientArg("patient_id", cohort=(None, "*"))


class PatientRecords(Door):
    """One patient at a time: reads, diary and session writes, files recorded."""

    # -- reads ---------------------------------------------------------------------

    @governed("view_patient", patient="patient_id")
    def patient_dataset(self, patient_id: str, *, purpose: str) -> Any:
        """Return one patient's rows, read with the user's scope in the query (audited "view").

        Parameters
        ----------
        patient_id : str
        purpose : str
            Why the rows are read (e.g. the page), recorded in the audit log.

        Returns
        -------
        analytics.contract.Dataset
            The patient's ``patients``, ``diary`` and ``sessions`` frames.

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope (recorded as denied).
        NotFoundError
            The patient does not exist and the user may see everyone.
        ValueError
            ``patient_id`` is not a non-empty str.
        """
        # the scope is applied in the query too, not only in the check
        ds = self.store.patient_dataset(
            self.user.username, patient_id, **self._scope("view_patient")
        )
        self._audit(
            "view", patient_id, purpose=purpose, diary=len(ds.diary), sessions=len(ds.sessions)
        )
        return ds

    @governed("view_patient", patient="patient_id")
    def get_diary_entry(self, patient_id: str, date: Any) -> dict[str, Any] | None:
        """Return the stored diary entry of one day (audited "view").

        Parameters
        ----------
        patient_id : str
        date : date-like

        Returns
        -------
        dict or None
            The stored record (column to value), None when the day has no entry.

        Raises
        ------
        AccessDeniedError, NotFoundError, ValueError
            As :meth:`patient_dataset`.
        """
        entry = self.store.get_diary_entry(self.user.username, patient_id, date)
        self._audit(
            "view", patient_id, purpose="diary entry", date=as_text(date), found=entry is not None
        )
        return entry

    @governed("view_patient", patient="patient_id")
    def history(self, patient_id: str) -> pd.DataFrame:
        """Return the recorded changes of one patient (audited "view").

        Parameters
        ----------
        patient_id : str

        Returns
        -------
        pandas.DataFrame
            As ``Store.history``: one row per change, with its old and new values.

        Raises
        ------
        AccessDeniedError, NotFoundError, ValueError
            As :meth:`patient_dataset`.
        """
        frame = self.store.history(self.user.username, patient_id)
        self._audit("view", patient_id, purpose="history", rows=len(frame))
        return frame

    # -- writes --------------------------------------------------------------------------

    def _edit(
        self, pid: str, what: str, detail: Mapping[str, Any], run: Callable[[], SaveResult]
    ) -> SaveResult:
        try:
            result = run()
        except FAILURES as exc:
            self._audit(
                "edit", pid, outcome="failed", call=what, error=type(exc).__name__, **detail
            )
            raise
        self._audit("edit", pid, call=what, result=result.action, **detail)
        if result.action != "unchanged":
            self._refresh_after_write([pid])
        return result

    @governed("edit_diary", patient=_ENTRY)
    def save_diary_entry(self, entry: Mapping[str, Any], *, replace: bool = False) -> SaveResult:
        """Store one diary day and refresh the patient's stored outcomes (audited "edit").

        Parameters
        ----------
        entry : dict
            The day's values by diary column. A patient's entry may omit
            ``patient_id``: it comes from the account.
        replace : bool, default False
            Replace a stored entry of that day (kept in the history).

        Returns
        -------
        analytics.store.SaveResult
            What the store did ("created", "updated" or "unchanged").

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope, or the user is a share link.
        ValueError
            ``entry`` is not a dict, or a value is invalid (recorded as failed).
        ConflictError
            A different entry of that day is stored and ``replace`` is False.
        """
        pid = str(entry["patient_id"])
        record = dict(entry)
        return self._edit(
            pid, "save_diary_entry", {"table": "diary", "date": as_text(entry.get("date"))},
            lambda: self.store.save_diary_entry(self.user.username, record, replace=replace),
        )  # fmt: skip

    @governed("edit_diary", patient=_DIARY_PATIENT)
    def delete_diary_entry(self, patient_id: str, date: Any, *, reason: str) -> SaveResult:
        """Delete one diary day, kept in the history with ``reason`` (audited "edit").

        Parameters
        ----------
        patient_id : str
            None for a patient's own diary.
        date : date-like
        reason : str
            Why the day is deleted, kept in the history.

        Returns
        -------
        analytics.store.SaveResult

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope, or the user is a share link.
        NotFoundError
            No entry of that day is stored (recorded as failed).
        """
        return self._edit(
            patient_id, "delete_diary_entry", {"table": "diary", "date": as_text(date)},
            lambda: self.store.delete_diary_entry(
                self.user.username, patient_id, date, reason=reason
            ),
        )  # fmt: skip

    @governed("record_session", patient=_SESSION)
    def save_session(self, session: Mapping[str, Any], *, replace: bool = False) -> SaveResult:
        """Store one treatment session and refresh the patient's stored outcomes (audited "edit").

        Parameters
        ----------
        session : dict
            The session's values by sessions column, ``patient_id`` included.
        replace : bool, default False
            Replace a stored session of that time (kept in the history).

        Returns
        -------
        analytics.store.SaveResult

        Raises
        ------
        AccessDeniedError
            The user is a patient or a share link, or the patient is not theirs.
        ValueError
            ``session`` is not a dict, or a value is invalid (recorded as failed).
        """
        pid = str(session["patient_id"])
        return self._edit(
            pid, "save_session", {"table": "sessions", "date": as_text(session.get("date"))},
            lambda: self.store.save_session(self.user.username, session, replace=replace),
        )  # fmt: skip

    # -- files produced ----------------------------------------------------------------------

    def _record_file(self, action: str, what: str, patient_id: str | None, detail: str) -> None:
        self._audit(action, patient_id or "*", what=what, detail=detail or None)

    @governed("record_export", patient=_FILE_PATIENT, cohort_action="record_cohort_export")
    def record_export(self, what: str, *, patient_id: str | None, detail: str = "") -> None:
        """Record that a file (CSV, PDF, FHIR) was actually produced or downloaded ("export").

        Parameters
        ----------
        what : str
            The file, e.g. ``"diary.csv"``.
        patient_id : str or None
            The patient the file is about; None (or ``"*"``) for the user's cohort,
            which patients and share links may not record.
        detail : str, default ""
            Anything else worth recording (e.g. the date range).

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope, or a patient records a cohort file.
        """
        self._record_file("export", what, patient_id, detail)

    @governed("record_export", patient=_FILE_PATIENT, cohort_action="record_cohort_export")
    def table_csv(
        self, frame: pd.DataFrame, what: str, *, patient_id: str | None, detail: str = ""
    ) -> bytes:
        """Return a table the user already sees as a CSV file, recorded as an "export" first.

        The one download of a page's table: the cells go through the export's own
        writer (:func:`analytics.io.table_files`, formula-like text neutralised, and
        :func:`analytics.io.csv_file_bytes`, byte for byte what ``paindiary export``
        writes for such a table). The export row is written before the bytes are
        returned: when it cannot be written, or the user may not record the file,
        no bytes leave.

        Parameters
        ----------
        frame : pandas.DataFrame
            The table as shown (columns in their shown names); kept unchanged.
        what : str
            The file, e.g. ``"history of P003 (CSV)"``.
        patient_id : str or None
            The patient the table is about; None (or ``"*"``) for the user's cohort,
            which patients and share links may not download.
        detail : str, default ""
            Anything else worth recording.

        Returns
        -------
        bytes
            UTF-8 CSV with one header row and one row per row of ``frame``.

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope, or a patient downloads a cohort table.
        """
        from analytics.io import csv_file_bytes, table_files

        cells = table_files({"table": frame})["table.csv"]
        self._record_file("export", what, patient_id, f"{detail}; {len(frame)} rows".lstrip("; "))
        return csv_file_bytes(cells)

    @governed("record_cohort_report", patient=COHORT)
    def check_cohort_report(self, what: str) -> None:
        """Refuse, before any row is read, a cohort report this user may not record.

        A command that writes a cohort report calls this first, so a refused user's
        rows are never read (the refusal is recorded like that of :meth:`record_report`).

        Parameters
        ----------
        what : str
            The report, e.g. ``"cohort report (PDF)"``.

        Raises
        ------
        AccessDeniedError
            The user may not record a report of the cohort (a patient).
        """

    @governed("record_report", patient=_FILE_PATIENT, cohort_action="record_cohort_report")
    def record_report(self, what: str, *, patient_id: str | None, detail: str = "") -> None:
        """Record that a report (e.g. a PDF for a referral) was produced ("report").

        Parameters
        ----------
        what : str
            The report, e.g. ``"referral.pdf"``.
        patient_id : str or None
            As :meth:`record_export`.
        detail : str, default ""

        Raises
        ------
        AccessDeniedError
            As :meth:`record_export`.
        """
        self._record_file("report", what, patient_id, detail)
