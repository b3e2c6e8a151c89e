"""The per-patient path of the service.

One patient's rows, their diary and sessions written, and the files made of them recorded.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from analytics.errors import ConflictError, NotFoundError
from analytics.service._door import COHORT, FAILURES, Door, PatientArg, as_text, governed
from analytics.store import SaveResult

__all__ = ["PatientRecords", "SESSION_PAIN_ITEMS"]

_ENTRY = PatientArg("entry", key="patient_id", own_by_default=True)
_SESSION = PatientArg("session", key="patient_id")
_DIARY_PATIENT = PatientArg("patient_id", own_by_default=True)
_ANSWER_PATIENT = PatientArg("patient_id", own_by_default=True)

#: The session items a patient may answer, with their words in messages.
SESSION_PAIN_ITEMS = {"pain_before": "pain just before", "pain_after": "pain just after"}
_FILE_PATIENT = PatientArg("patient_id", cohort=(None, "*"))


class PatientRecords(Door):
    """One patient at a time: reads, diary and session writes, files recorded."""

    # -- reads ---------------------------------------------------------------------

    @governed("view_patient", patient="patient_id")
    def patient_dataset(
        self, patient_id: str, *, purpose: str, questionnaires: bool = False
    ) -> Any:
        """Return one patient's rows, read with the user's scope in the query (audited "view").

        Parameters
        ----------
        patient_id : str
        purpose : str
            Why the rows are read (e.g. the page), recorded in the audit log.
        questionnaires : bool, default False
            Also read the patient's questionnaire answers (same scope, same audit row:
            a page showing them with the diary is one view).

        Returns
        -------
        analytics.contract.Dataset
            The patient's ``patients``, ``diary``, ``sessions`` and ``entries``
            (during the day) frames, and with ``questionnaires`` its
            ``questionnaires`` answers.

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
        scope = self._scope("view_patient")
        ds = self.store.patient_dataset(self.user.username, patient_id, **scope)
        answers = None
        if questionnaires:
            ids = [patient_id] if "patient_ids" not in scope else [
                p for p in scope["patient_ids"] if p == patient_id
            ]  # fmt: skip
            answers = self.store.questionnaire_answers(
                self.user.username, patient_ids=ids,
                clinician_user_id=scope.get("clinician_user_id"),
            )  # fmt: skip
            ds = dataclasses.replace(ds, questionnaires=answers)
        self._audit(
            "view", patient_id, purpose=purpose, diary=len(ds.diary), sessions=len(ds.sessions),
            entries=len(ds.entries), questionnaires=None if answers is None else len(answers),
        )  # fmt: skip
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

    @governed("answer_session_pain", patient=_ANSWER_PATIENT)
    def answer_session_pain(
        self,
        session_date: Any,
        *,
        pain_before: int | None = None,
        pain_after: int | None = None,
        patient_id: str | None = None,
    ) -> SaveResult:
        """Add the patient's own pain just before and after a stored session (audited "edit").

        Only an empty item is filled: every other value of the session stays as the
        clinician recorded it, and a stored pain score is never replaced (a clinician
        corrects it with :meth:`save_session`). The change is kept in the history under
        the user who answered.

        Parameters
        ----------
        session_date : datetime-like
            The session's stored date and time (its key with the patient).
        pain_before, pain_after : int, optional
            Whole numbers 0-10; at least one is given.
        patient_id : str, optional
            None for a patient's own sessions.

        Returns
        -------
        analytics.store.SaveResult
            ``updated`` with the previous and the new session record.

        Raises
        ------
        AccessDeniedError
            The user is not the session's patient.
        ValueError
            A score is not a whole number from 0 to 10, or none is given.
        NotFoundError
            No session of the patient at that time is stored (recorded as failed).
        ConflictError
            An answered item already holds a score (recorded as failed); nothing was written.
        """
        answers = _pain_answers(pain_before=pain_before, pain_after=pain_after)
        pid = str(patient_id)
        when = pd.Timestamp(session_date)

        def run() -> SaveResult:
            frame = self.store.sessions(self.user.username, pid)
            rows = frame[frame["date"] == when]
            if rows.empty:
                raise NotFoundError(
                    f"No session of patient {pid} on {when:%d %b %Y at %H:%M} is stored; "
                    "ask the clinic to record it first."
                )
            record = {k: _plain(v) for k, v in rows.iloc[0].items()}
            for field in answers:
                if record.get(field) is not None:
                    raise ConflictError(
                        f"The {SESSION_PAIN_ITEMS[field]} the session on "
                        f"{when:%d %b %Y at %H:%M} is already recorded "
                        f"({record[field]:g}/10); ask the clinic to correct it."
                    )
            record.update(answers)
            return self.store.save_session(self.user.username, record, replace=True)

        return self._edit(
            pid, "answer_session_pain",
            {"table": "sessions", "date": as_text(when), "items": ",".join(answers)}, run,
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


def _pain_answers(**given: Any) -> dict[str, int]:
    """Return the given answers; raise ValueError unless each is a whole number 0-10."""
    answers = {k: v for k, v in given.items() if v is not None}
    if not answers:
        raise ValueError(
            "Service.answer_session_pain needs the pain just before or just after the "
            "session. Got neither."
        )
    for field, value in answers.items():
        whole = isinstance(value, int) and not isinstance(value, bool)
        if not whole or not 0 <= value <= 10:
            raise ValueError(
                f"The '{field}' parameter of Service.answer_session_pain must be an int in "
                f"[0, 10]. Got {value!r} instead."
            )
    return answers


def _plain(value: Any) -> Any:
    """Return a stored value as a plain Python value (None for a missing one)."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return None
    return value.item() if hasattr(value, "item") else value
