"""Saves, imports, uploads and exports, each through the service."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from analytics.access import User
from analytics.contract import Dataset
from dashboard.data._access import (
    ImportReport,
    SaveResult,
    forget_rows,
    patients,
    service,
    user_key,
    visit_rows,
)

__all__ = [
    "get_diary_entry",
    "save_diary_entry",
    "save_session",
    "answer_session_pain",
    "import_dataset",
    "preview_import",
    "load_uploads",
    "release_uploads",
    "export_zip_callable",
    "csv_bytes",
    "record_export",
    "record_file",
]


def get_diary_entry(user: User, patient_id: str, date: dt.date) -> dict[str, Any] | None:
    """Return the stored diary entry of a day, or None (not cached: used right before a save)."""
    return service(user, "Log today").get_diary_entry(patient_id, date)


def save_diary_entry(
    user: User, entry: dict[str, Any], *, replace: bool = False, purpose: str = "Log today"
) -> SaveResult:
    """Save a diary day; raises ConflictError when it exists with other values."""
    try:
        return service(user, purpose).save_diary_entry(entry, replace=replace)
    finally:
        forget_rows()


def save_session(
    user: User, session: dict[str, Any], *, replace: bool = False, purpose: str = "Data"
) -> SaveResult:
    """Save a session; raises ConflictError when it exists with other values."""
    try:
        return service(user, purpose).save_session(session, replace=replace)
    finally:
        forget_rows()


def answer_session_pain(
    user: User,
    session_date: Any,
    *,
    pain_before: int | None = None,
    pain_after: int | None = None,
    purpose: str = "Log today",
) -> SaveResult:
    """Add the patient's own missing pain just before and after a stored session.

    ``Service.answer_session_pain``: only empty items change, audited and kept in
    the history under the user who answered.
    """
    try:
        return service(user, purpose).answer_session_pain(
            session_date, pain_before=pain_before, pain_after=pain_after
        )
    finally:
        forget_rows()


def import_dataset(
    user: User,
    dataset: Dataset,
    *,
    update: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    outcomes_progress: Callable[[int, int], None] | None = None,
) -> ImportReport:
    """Import a loaded :class:`analytics.contract.Dataset` (admins); a dry run changes nothing.

    ``progress(rows_written, rows)`` and ``outcomes_progress(patients_done, patients)``
    report the two steps of a long import.
    """
    report = service(user, "Data").import_dataset(
        dataset,
        update=update,
        dry_run=dry_run,
        progress=progress,
        outcomes_progress=outcomes_progress,
    )
    if not dry_run:
        forget_rows()
    return report


def preview_import(user: User, dataset: Dataset) -> ImportReport:
    """Return what importing ``dataset`` would change (a dry run), once per preview.

    The page reruns on every click while the preview shows (a toggle, a table
    sort); the dry run (and its audit row) runs once for these files in this
    visit. An import, or new files, starts a new preview.
    """
    version = tuple(
        int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0
        for frame in (dataset.patients, dataset.diary, dataset.sessions)
    ) + (len(dataset.patients), len(dataset.diary), len(dataset.sessions))
    key = ("import-preview", user_key(user), version)
    rows = visit_rows()
    if key not in rows:
        rows[key] = import_dataset(user, dataset, dry_run=True)
    report: ImportReport = rows[key]
    return report


def load_uploads(user: User, files: dict[str, Any]) -> tuple[Dataset | None, pd.DataFrame | None]:
    """Validate uploaded CSV files with the project's loaders.

    Parameters
    ----------
    user : analytics.access.User
    files : dict
        Table name ("patients", "diary", "sessions") to an uploaded file object
        (``.name`` and ``.getvalue()``). Missing tables load as empty frames; diary
        rows and sessions are checked against the uploaded patients, else the
        stored ones.

    Returns
    -------
    (Dataset or None, problems or None)
        The canonical :class:`analytics.io._loaders.Dataset` when every file is
        valid, else None and the problems of all files (file, line, column,
        value, message).
    """
    payload = tuple((t, f.name, bytes(f.getvalue())) for t, f in sorted(files.items()))
    stored = patients(user)
    return _load_uploads(user_key(user), payload, stored)


def release_uploads() -> None:
    """Forget every parsed upload (after an import), so its bytes leave the server."""
    _load_uploads.clear()


@st.cache_data(show_spinner=False, max_entries=8)
def _load_uploads(
    user_key: tuple[Any, ...], payload: tuple[tuple[str, str, bytes], ...], stored: pd.DataFrame
):
    import io
    import warnings

    from analytics.contract import Dataset, empty_frame
    from analytics.errors import PROBLEM_COLUMNS, DataQualityWarning, DataValidationError
    from analytics.io import load_diary, load_patients, load_sessions

    # the loaders' warnings (unknown columns not loaded, ...) go to the Data page
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        by_table = {t: (name, raw) for t, name, raw in payload}
        frames: dict[str, pd.DataFrame] = {}
        problems: list[pd.DataFrame] = []
        patients = stored
        if "patients" in by_table:
            name, raw = by_table["patients"]
            try:
                frames["patients"] = load_patients(io.BytesIO(raw), name=name)
                patients = pd.concat(
                    [
                        stored[~stored["patient_id"].isin(frames["patients"]["patient_id"])],
                        frames["patients"],
                    ],
                    ignore_index=True,
                )
            except DataValidationError as exc:
                problems.append(exc.problems)
                patients = None
        for table, loader in (("diary", load_diary), ("sessions", load_sessions)):
            if table in by_table:
                name, raw = by_table[table]
                try:
                    frames[table] = loader(io.BytesIO(raw), patients=patients, name=name)
                except DataValidationError as exc:
                    problems.append(exc.problems)
    if problems:
        return None, pd.concat(problems, ignore_index=True)[PROBLEM_COLUMNS]
    return Dataset(
        patients=frames.get("patients", empty_frame("patients")),
        diary=frames.get("diary", empty_frame("diary")),
        sessions=frames.get("sessions", empty_frame("sessions")),
        warnings=tuple(
            str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)
        ),
    ), None


def export_zip_callable(user: User, *, deidentify: bool = False) -> Callable[[], bytes]:
    """Return a function producing the clinic's export zip for ``st.download_button``.

    Streamlit calls it only when the person clicks the button (deferred data), so
    rendering the page exports nothing. It is ``Service.export_zip`` (admins only):
    the files ``paindiary export`` writes, de-identified or not, in one zip, recorded
    in the audit log once per download.
    """

    def produce() -> bytes:
        return service(user, "Data").export_zip(deidentify=deidentify)

    return produce


def csv_bytes(frame: pd.DataFrame, table: str) -> bytes:
    """``frame`` as the contract CSV of ``table`` (formula-safe), for a download button."""
    from analytics.io import table_to_csv_bytes

    return bytes(table_to_csv_bytes(frame, table))


def record_export(user: User, what: str, patient_id: str | None = None, detail: str = "") -> None:
    """Record a download of rows already on the page (a download button's ``on_click``)."""
    service(user, "download").record_export(what, patient_id=patient_id, detail=detail)


def record_file(
    user: User, what: str, patient_id: str | None, *, report: bool, purpose: str
) -> None:
    """Record that a file was produced for ``user``: "report" for a PDF, else "export"."""
    svc = service(user, purpose)
    if report:
        svc.record_report(what, patient_id=patient_id)
    else:
        svc.record_export(what, patient_id=patient_id)
