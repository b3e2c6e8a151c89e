"""The one module of the dashboard that reads and writes data, through the service.

Pages never talk to the store or run an analysis themselves: they call these
functions, which call :class:`analytics.service.Service` built for the signed-in
user of the run. The service scopes every query to what that user may see, refuses
the rest (:class:`analytics.errors.AccessDeniedError`) and writes the audit log.

Caching, and why it cannot mix users
------------------------------------
- **Rows of patients** are read through the service once per *visit* (a page
  opened, or another patient chosen on it) and kept in that browser session's own
  ``st.session_state`` — never in a cache shared by sessions. Each such read is
  one audited "view" with the page as its purpose; reruns of the same page (a
  filter, a tab) reuse the rows without another read.
- **Cohort analyses** (Clinic overview, Treatment response) are built from each
  patient's stored outcomes (``Service.cohort_tables``), never from the clinic's
  diary, and cached under the service's ``outcomes_version`` of the user's scope,
  which changes with any visible patient's stored rows.
- **Analyses** (``analytics.pipeline.analyze`` and friends) are expensive and cached
  with ``st.cache_data``; their key holds the user (id, role, patient id and the
  patient ids in scope), a fingerprint of the rows analysed and the settings, so
  one user's cached result can never be served to another, and new rows give a
  new result.
- A write made here forgets the session's rows, so the next read sees it.

Exports are produced only when the person clicks the download button, and
recorded then (``on_click`` calls ``Service.record_export``), not when the page
renders.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from analytics.contract import frequency_band

__all__ = [
    "TTL_SECONDS",
    "ClinicData",
    "PatientView",
    "db_url",
    "get_store",
    "service",
    "begin_run",
    "forget_rows",
    "patient_ids",
    "patients",
    "cohort",
    "patient_view",
    "analysis",
    "stored_cohort",
    "stored_outcomes",
    "clinic_settings",
    "patient_trends",
    "its_lines",
    "outcome_row",
    "get_diary_entry",
    "save_diary_entry",
    "BACKFILL_DAYS",
    "today",
    "status_settings",
    "diary_history",
    "factor_rows",
    "save_session",
    "import_dataset",
    "load_uploads",
    "release_uploads",
    "export_csv_callable",
    "record_export",
    "csv_bytes",
    "assigned_patients",
    "demo_accounts",
    "users",
    "add_user",
    "set_password",
    "disable_user",
    "assign",
    "unassign",
    "audit_log",
    "GROUPINGS",
    "group_summaries",
    "group_comparisons",
    "kaplan_meier_table",
    "kaplan_meier_median",
    "dose_summary",
    "session_response_by_technique",
    "emax_points",
    "dose_views",
    "secondary_table",
    "patient_adverse_events",
    "quality_notes",
    "not_logging_text",
    "ATTENTION_ORDER",
    "followup_status",
    "overview_table",
    "build_overview",
    "status_lines",
    "factor_effects_of",
    "nof1_of",
    "create_share_link",
    "revoke_share_link",
    "share_links",
    "share_service",
    "share_dataset",
    "record_file",
]

#: Cached analyses are recomputed at least this often (seconds).
TTL_SECONDS = 600
_ROWS = "data.rows"
_PAGE = "data.page"
#: Per-thread count of cohort results computed (each session's script runs in its own thread).
_MISS = threading.local()


def db_url() -> str:
    """The database URL the app uses: ``$PAINDIARY_DB`` or the store's default."""
    from analytics.store import default_url

    return str(default_url())


@st.cache_resource(show_spinner=False)
def get_store(url: str) -> Any:
    """The store of ``url`` (one connection pool per server process), for the service."""
    from analytics.store import open_store

    return open_store(url)


def service(user: Any, purpose: str = "") -> Any:
    """:class:`analytics.service.Service` for ``user``; ``purpose`` names the page."""
    from analytics.service import Service

    face = f"dashboard:{purpose}" if purpose else "dashboard"
    return Service(get_store(db_url()), user, face=face)


def _user_key(user: Any) -> tuple[Any, ...]:
    return (int(user.user_id), str(user.username), str(user.role), user.patient_id)


# --------------------------------------------------------------------------- rows, per visit


def begin_run(page: str) -> None:
    """Start a new visit when the page changed since the last run of this session."""
    if st.session_state.get(_PAGE) != page:
        st.session_state[_PAGE] = page
        forget_rows()


def forget_rows() -> None:
    """Drop the rows this session read: the next read goes to the service (and the log)."""
    st.session_state.pop(_ROWS, None)


def _rows() -> dict[tuple[Any, ...], Any]:
    rows = st.session_state.get(_ROWS)
    if rows is None:
        rows = st.session_state[_ROWS] = {}
    return rows


@dataclass(frozen=True)
class ClinicData:
    """The canonical frames one user may see (``analytics.contract.schema``).

    ``sessions`` has an extra ``technique_band`` column
    (:func:`analytics.stats._common.frequency_band`) for colouring.
    """

    patients: pd.DataFrame
    diary: pd.DataFrame
    sessions: pd.DataFrame

    def fingerprint(self) -> tuple[int, ...]:
        """A cheap hash of the rows, part of the key of every cached analysis."""
        return tuple(
            int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0
            for frame in (self.patients, self.diary, self.sessions)
        ) + (len(self.patients), len(self.diary), len(self.sessions))


def _with_band(ds: Any) -> ClinicData:
    sessions = ds.sessions.assign(
        technique_band=frequency_band(ds.sessions["technique"], ds.sessions["frequency_hz"])
    )
    return ClinicData(patients=ds.patients, diary=ds.diary, sessions=sessions)


def patient_ids(user: Any) -> list[str]:
    """Sorted ids of the patients ``user`` may see (no patient data, not a "view")."""
    return sorted(str(p) for p in service(user).visible_patient_ids())


def patients(user: Any) -> pd.DataFrame:
    """The patients frame of the visible patients (who, condition, clinician)."""
    return service(user).patients()


def cohort(user: Any, *, purpose: str) -> ClinicData:
    """Rows of every patient ``user`` may see; one audited read per visit."""
    key = ("cohort", _user_key(user), purpose)
    rows = _rows()
    if key not in rows:
        rows[key] = _with_band(service(user, purpose).cohort_dataset(purpose=purpose))
    return rows[key]


@dataclass(frozen=True)
class PatientView:
    """One patient's rows."""

    patient: pd.Series | None
    diary: pd.DataFrame
    sessions: pd.DataFrame
    data: ClinicData


def patient_view(user: Any, patient_id: str, *, purpose: str) -> PatientView:
    """The rows of ``patient_id``; one audited read per visit.

    Raises :class:`analytics.errors.AccessDeniedError` outside the user's scope.
    """
    key = ("patient", _user_key(user), purpose, str(patient_id))
    rows = _rows()
    if key not in rows:
        ds = service(user, purpose).patient_dataset(str(patient_id), purpose=purpose)
        rows[key] = _with_band(ds)
    data: ClinicData = rows[key]
    pats = data.patients[data.patients["patient_id"] == patient_id]
    return PatientView(
        patient=pats.iloc[0] if len(pats) else None,
        diary=data.diary.reset_index(drop=True),
        sessions=data.sessions.reset_index(drop=True),
        data=data,
    )


# --------------------------------------------------------------------------- analyses (cached)


def clinic_settings(user: Any) -> Any:
    """The clinic-wide :class:`analytics.pipeline.AnalysisSettings` (what patients are shown).

    Set by admins; the defaults until then.
    """
    return service(user).analysis_settings()


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=32)
def _analysis(
    user_key: tuple[Any, ...], fingerprint: tuple[int, ...], settings: Any, _data: ClinicData
) -> Any:
    from analytics.pipeline import analyze

    sessions = _data.sessions.drop(columns="technique_band")
    return analyze(_data.patients, _data.diary, sessions, settings)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=32)
def _stored_result(
    user_key: tuple[Any, ...],
    version: tuple[Any, ...],
    settings: Any,
    purpose: str,
    _user: Any,
    outcomes_only: bool = False,
) -> tuple[Any, pd.DataFrame]:
    _MISS.count = getattr(_MISS, "count", 0) + 1  # this thread ran the body: not a cache hit
    tables = service(_user, purpose).cohort_tables(
        settings, purpose=purpose, tables=() if outcomes_only else None
    )
    anchor = tables.pop("status_anchor")
    if outcomes_only:
        return tables["patient_outcomes"], anchor
    from analytics.pipeline import cohort as cohort_summary

    return cohort_summary(tables, settings=settings), anchor


def _stored(
    user: Any, settings: Any, purpose: str, outcomes_only: bool
) -> tuple[Any, pd.DataFrame]:
    svc = service(user, purpose)
    version = svc.outcomes_version(settings)
    key = ("stored", _user_key(user), purpose, version, settings, outcomes_only)
    rows = _rows()
    if key not in rows:
        before = _stored_result_misses()
        found = _stored_result(_user_key(user), version, settings, purpose, user, outcomes_only)
        if _stored_result_misses() == before:  # served from the cache: record the visit
            n = len(found[0] if outcomes_only else found[0].patient_outcomes)
            svc.record_cohort_view(purpose=purpose, n_patients=n)
        rows[key] = found
    return rows[key]  # type: ignore[no-any-return]


def stored_cohort(user: Any, settings: Any, *, purpose: str) -> tuple[Any, pd.DataFrame]:
    """The cohort result of the user's patients from the stored outcomes, and their
    ``status_anchor`` table (``patient_id``, ``last_diary``, ``began``, ``latest_7day_mean``).

    Cached under the service's ``outcomes_version`` of the user's scope: a save by
    one patient changes the version (and recomputes that patient only, on the
    write), so the next read rebuilds the summaries from stored rows; the clinic's
    diary is never read. Each visit is recorded once in the audit log.
    """
    return _stored(user, settings, purpose, outcomes_only=False)


def stored_outcomes(user: Any, settings: Any, *, purpose: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ``patient_outcomes`` of the user's patients (status as of ``settings.as_of``)
    and their ``status_anchor``, from the stored outcomes, without the cohort summaries.

    Cached and recorded as :func:`stored_cohort`; what the Clinic overview needs.
    """
    return _stored(user, settings, purpose, outcomes_only=True)


def _stored_result_misses() -> int:
    return int(getattr(_MISS, "count", 0))


def analysis(user: Any, settings: Any, *, purpose: str, patient_id: str | None = None) -> Any:
    """The analysis of the user's cohort (from the stored outcomes), or of one patient (cached).

    With ``patient_id`` only that patient's rows are analysed (a patient's own
    pages); without, every patient in the user's scope, summarised from their
    stored per-patient outcomes (:func:`stored_cohort`).
    """
    if patient_id is None:
        return stored_cohort(user, settings, purpose=purpose)[0]
    data = patient_view(user, patient_id, purpose=purpose).data
    return _analysis(_user_key(user), data.fingerprint(), settings, data)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=256)
def _patient_trends(
    user_key: tuple[Any, ...],
    fingerprint: tuple[int, ...],
    patient_id: str,
    min_entries: int,
    _data: ClinicData,
) -> pd.DataFrame:
    from analytics.stats import rolling_mean

    diary = _data.diary[_data.diary["patient_id"] == patient_id]
    rolled = rolling_mean(diary, window_days=7, min_entries=min_entries)
    return diary.merge(
        rolled[["patient_id", "date", "pain_rolling_mean", "n_in_window"]],
        on=["patient_id", "date"],
        how="left",
        validate="one_to_one",
    )


def patient_trends(
    user: Any, patient_id: str, *, purpose: str, min_entries: int = 4
) -> pd.DataFrame:
    """The patient's diary rows plus ``pain_rolling_mean`` and ``n_in_window``.

    The 7-day trailing mean of :func:`analytics.stats.rolling_mean`.
    """
    data = patient_view(user, patient_id, purpose=purpose).data
    return _patient_trends(_user_key(user), data.fingerprint(), patient_id, min_entries, data)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=256)
def _its_lines(
    user_key: tuple[Any, ...], fingerprint: tuple[int, ...], patient_id: str, _data: ClinicData
) -> pd.DataFrame | None:
    from analytics.contract import index_dates
    from analytics.errors import InsufficientDataError
    from analytics.stats import its_fit_lines

    idx = index_dates(_data.patients, _data.sessions)
    try:
        return its_fit_lines(_data.diary, idx, patient_id)
    except InsufficientDataError:
        return None


def its_lines(user: Any, patient_id: str, *, purpose: str) -> pd.DataFrame | None:
    """Fitted interrupted-time-series segments of a patient, or None when not estimable."""
    data = patient_view(user, patient_id, purpose=purpose).data
    return _its_lines(_user_key(user), data.fingerprint(), patient_id, data)


def outcome_row(result: Any, patient_id: str) -> dict[str, Any] | None:
    """The patient's row of ``result.patient_outcomes`` as a dict, or None."""
    po = result.patient_outcomes
    rows = po[po["patient_id"] == patient_id]
    return None if rows.empty else rows.iloc[0].to_dict()


# --------------------------------------------------------------------------- a patient's own pages

#: A patient logs or changes the entry of today or of one of the last ``BACKFILL_DAYS``
#: days; older days are the clinic's record (a clinician corrects them).
BACKFILL_DAYS = 7


def today() -> Any:
    """Today's date: the day status columns count back from (tests replace it)."""
    import datetime as dt

    return dt.date.today()


def status_settings(settings: Any, day: Any = None) -> Any:
    """``settings`` with ``as_of`` = ``day`` (default :func:`today`).

    The status columns of the analysis (current 7-day mean, days since the last
    entry, adherence and recent adverse events over the days ending at that date,
    the recent valid follow-up) then count back from that day; the trial-style
    outcomes do not change.
    """
    import dataclasses

    return dataclasses.replace(settings, as_of=today() if day is None else day)


def diary_history(user: Any, patient_id: str, *, purpose: str) -> pd.DataFrame:
    """The kept changes of the patient's diary, oldest first; one audited read per visit.

    Rows of :meth:`analytics.service.Service.history` for the ``diary`` table:
    ``changed_at`` (UTC), ``actor``, ``action`` (create/update/delete), ``key``
    (the ISO date of the day), ``old`` and ``new`` (JSON objects of the entry, NaN
    when none), ``reason``.
    """
    key = ("history", _user_key(user), purpose, str(patient_id))
    rows = _rows()
    if key not in rows:
        frame = service(user, purpose).history(str(patient_id))
        rows[key] = frame[frame["table"] == "diary"].reset_index(drop=True)
    history: pd.DataFrame = rows[key]
    return history


def factor_rows(result: Any, patient_id: str) -> pd.DataFrame:
    """The patient's rows of ``result.factor_effects`` (``analytics.stats``)."""
    fe = result.factor_effects
    return fe[fe["patient_id"] == patient_id].reset_index(drop=True)


# --------------------------------------------------------------------------- writes


def get_diary_entry(user: Any, patient_id: str, date: Any) -> Any:
    """The stored diary entry of a day, or None (not cached: used right before a save)."""
    return service(user, "Log today").get_diary_entry(patient_id, date)


def save_diary_entry(
    user: Any, entry: dict[str, Any], *, replace: bool = False, purpose: str = "Log today"
) -> Any:
    """Save a diary day; raises ConflictError when it exists with other values."""
    try:
        return service(user, purpose).save_diary_entry(entry, replace=replace)
    finally:
        forget_rows()


def save_session(
    user: Any, session: dict[str, Any], *, replace: bool = False, purpose: str = "Data"
) -> Any:
    """Save a session; raises ConflictError when it exists with other values."""
    try:
        return service(user, purpose).save_session(session, replace=replace)
    finally:
        forget_rows()


def import_dataset(
    user: Any,
    dataset: Any,
    *,
    update: bool = False,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
    outcomes_progress: Callable[[int, int], None] | None = None,
) -> Any:
    """Import a loaded :class:`analytics.io._loaders.Dataset` (admins); a dry run changes nothing.

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


def load_uploads(user: Any, files: dict[str, Any]) -> tuple[Any, pd.DataFrame | None]:
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
    return _load_uploads(_user_key(user), payload, stored)


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


# --------------------------------------------------------------------------- exports


def export_csv_callable(user: Any, table: str, *, deidentify: bool = False) -> Callable[[], bytes]:
    """A function producing the contract CSV of ``table`` for ``st.download_button``.

    Streamlit calls it only when the person clicks the button (deferred data), so
    rendering the page exports nothing. ``Service.export_dataset`` (admins only)
    records the export in the audit log at that moment, once per file produced.
    """
    from analytics.io import table_to_csv_bytes

    def produce() -> bytes:
        ds = service(user, "Data").export_dataset(deidentify=deidentify)
        return table_to_csv_bytes(getattr(ds, table), table)

    return produce


def csv_bytes(frame: pd.DataFrame, table: str) -> bytes:
    """``frame`` as the contract CSV of ``table`` (formula-safe), for a download button."""
    from analytics.io import table_to_csv_bytes

    return bytes(table_to_csv_bytes(frame, table))


def record_export(user: Any, what: str, patient_id: str | None = None, detail: str = "") -> None:
    """Record a download of rows already on the page (a download button's ``on_click``)."""
    service(user, "download").record_export(what, patient_id=patient_id, detail=detail)


# --------------------------------------------------------------------------- accounts (admin)


def demo_accounts() -> pd.DataFrame | None:
    """The demo accounts and passwords while the database is the demo clinic, else None."""
    from analytics import access as auth

    accounts = auth.demo_accounts(get_store(db_url()))
    if accounts is None:
        return None
    return pd.DataFrame(accounts)


def users(user: Any) -> pd.DataFrame:
    """Every account: username, role, patient_id, disabled, locked_until, ... (admins)."""
    return service(user, "Admin").users()


def add_user(
    user: Any, username: str, *, role: str, password: str, patient_id: str | None = None
) -> Any:
    """Create an account (admins)."""
    return service(user, "Admin").add_user(
        username, role=role, password=password, patient_id=patient_id
    )


def set_password(user: Any, username: str, password: str, *, purpose: str = "Admin") -> None:
    """Set a password: an admin for anyone, any user for themselves."""
    service(user, purpose).set_password(username, password)


def disable_user(user: Any, username: str) -> None:
    """Disable an account (admins); its sessions end."""
    service(user, "Admin").disable_user(username)


def assign(user: Any, clinician: str, patient_ids: Sequence[str]) -> None:
    """Assign patients to a clinician (admins)."""
    service(user, "Admin").assign(clinician, list(patient_ids))
    forget_rows()


def assigned_patients(user: Any, clinician: str) -> list[str]:
    """The patient ids assigned to ``clinician``: the scope the service gives that account.

    Admins only (the account list is theirs); ids alone show no patient data.
    """
    from analytics.access import User

    accounts = users(user)
    row = accounts[(accounts["username"] == clinician) & (accounts["role"] == "clinician")]
    if row.empty:
        return []
    them = User(int(row["user_id"].iloc[0]), clinician, "clinician", None)
    return sorted(service(them, "Admin").visible_patient_ids())


def unassign(user: Any, clinician: str, patient_ids: Sequence[str]) -> None:
    """Take patients away from a clinician (admins)."""
    service(user, "Admin").unassign(clinician, list(patient_ids))
    forget_rows()


def audit_log(
    user: Any,
    *,
    username: str | None = None,
    patient_id: str | None = None,
    since: Any = None,
    limit: int = 100,
    offset: int = 0,
) -> pd.DataFrame:
    """A page of the audit log, newest first (admins)."""
    return service(user, "Admin").audit_log(
        username=username, patient_id=patient_id, since=since, limit=limit, offset=offset
    )


# --------------------------------------------------------------------------- views of a result
# Selections and reshaping of analytics output for the pages; no statistic is computed here.

#: The ``group_by`` values of ``AnalysisResult.group_summary``, in tab order.
GROUPINGS = ("group", "condition", "technique")


def group_summaries(result: Any) -> dict[str, pd.DataFrame]:
    """``result.group_summary`` split by its ``group_by`` column (group, condition, technique)."""
    gs = result.group_summary
    return {
        by: gs[gs["group_by"] == by].reset_index(drop=True)
        for by in GROUPINGS
        if (gs["group_by"] == by).any()
    }


def group_comparisons(result: Any) -> dict[str, pd.DataFrame]:
    """``result.group_comparison`` split by its ``group_by`` column."""
    gc = result.group_comparison
    if "group_by" not in gc.columns:
        return {}
    return {
        by: gc[gc["group_by"] == by].reset_index(drop=True)
        for by in GROUPINGS
        if (gc["group_by"] == by).any()
    }


def kaplan_meier_table(result: Any) -> pd.DataFrame | None:
    """The Kaplan–Meier table of time to response, or None."""
    km = result.kaplan_meier
    return None if km is None else km.table


def kaplan_meier_median(result: Any) -> float | None:
    """Median days to response (NaN when fewer than half respond), or None."""
    km = result.kaplan_meier
    return None if km is None else float(km.median)


def dose_summary(result: Any) -> tuple[pd.DataFrame, Any]:
    """Cohort change by session number and the Emax fit (or None)."""
    return result.dose_response_summary, result.emax_fit


def session_response_by_technique(result: Any) -> pd.DataFrame:
    """Mean immediate/short-term session response per technique band."""
    return result.session_response_by_technique


def emax_points(fit: Any, max_session: float, n: int = 100) -> tuple[Any, Any] | None:
    """The Emax curve ``fit.predict`` on a grid of session numbers 1..max_session."""
    import numpy as np

    if fit is None or not np.isfinite(fit.emax) or max_session < 1:
        return None
    k = np.linspace(1.0, float(max_session), n)
    return k, fit.predict(k)


def dose_views(result: Any, patient_id: str) -> tuple[pd.DataFrame | None, pd.DataFrame, Any]:
    """The patient's change by session number, the cohort summary and the Emax curve."""
    dr = result.dose_response
    patient = dr[(dr["patient_id"] == patient_id) & dr["change_from_baseline"].notna()]
    cohort = result.dose_response_summary
    top = max(
        float(patient["session_number"].max()) if len(patient) else 0.0,
        float(cohort["session_number"].max()) if len(cohort) else 0.0,
    )
    return (patient if len(patient) else None), cohort, emax_points(result.emax_fit, top)


def secondary_table(outcome: dict[str, Any] | None) -> pd.DataFrame | None:
    """Baseline, follow-up and change in words of each secondary measure of one patient.

    Columns ``measure`` (:data:`dashboard.labels.SECONDARY_LABELS`), ``baseline``,
    ``follow-up`` (floats) and ``change`` ("better by 2.4 points", read through
    :func:`dashboard.labels.change_words`, so better sleep reads as better).
    """
    from dashboard import labels

    if outcome is None:
        return None
    rows = []
    for m, label in labels.SECONDARY_LABELS.items():
        before = pd.to_numeric(outcome.get(f"baseline_{m}"), errors="coerce")
        after = pd.to_numeric(outcome.get(f"followup_{m}"), errors="coerce")
        if pd.isna(before) and pd.isna(after):
            continue
        rows.append(
            {
                "measure": label[:1].upper() + label[1:],
                "baseline": float(before),
                "follow-up": float(after),
                "change": labels.change_words(m, outcome.get(f"change_{m}")),
            }
        )
    return pd.DataFrame(rows, columns=["measure", "baseline", "follow-up", "change"])


def patient_adverse_events(view: PatientView) -> pd.DataFrame:
    """The patient's adverse events, one row per event (``analytics.stats``)."""
    from analytics.stats import adverse_event_list

    return adverse_event_list(view.sessions.drop(columns="technique_band"))


_FLAG_TEXT = {
    "worsening": "Pain is worse than at baseline (≥ 2 points or ≥ 30%).",
    "low_adherence": "Fewer than half of the last 28 days (counted back from today) were logged.",
    "recent_adverse_event": "An adverse event was recorded in the last 28 days.",
    "insufficient_baseline": "Not enough diary days before the first session for a baseline.",
}
_REASON_TEXT = {
    "no_index": "No start of treatment yet (no session and no start date).",
    "insufficient_followup": "Not enough diary days in the follow-up window.",
    "zero_baseline": "Baseline pain is 0, so a % change is undefined.",
}


def _days(n: Any) -> str:
    return "1 day" if int(n) == 1 else f"{int(n)} days"


def not_logging_text(days: Any) -> str:
    """'not logging for 47 days' (the flag in words), 'no diary entry yet' without entries."""
    if days is None or pd.isna(days):
        return "no diary entry yet"
    return f"not logging for {_days(days)}"


def quality_notes(outcome: dict[str, Any] | None) -> list[str]:
    """Plain sentences for the patient's data-quality flags and missing outcomes."""
    if outcome is None:
        return []
    notes = []
    if bool(outcome.get("not_logging")):
        since = outcome.get("days_since_last_entry")
        notes.append(
            "No diary entry yet."
            if since is None or pd.isna(since)
            else f"No diary entry for {_days(since)} (last on "
            f"{pd.Timestamp(outcome['last_entry_date']):%d %b %Y})."
        )
    notes += [_FLAG_TEXT.get(f, f) for f in str(outcome.get("flags") or "").split(";") if f]
    notes += [
        _REASON_TEXT[r] for r in str(outcome.get("reason") or "").split(";") if r in _REASON_TEXT
    ]
    gap = outcome.get("longest_gap_days")
    if gap is not None and pd.notna(gap) and gap >= 7:
        notes.append(f"The diary has a gap of {int(gap)} days without entries.")
    return notes


#: Order of the flags in the clinic overview's "needs attention" text: most urgent first.
ATTENTION_ORDER = (
    "worsening",
    "not_logging",
    "recent_adverse_event",
    "low_adherence",
    "insufficient_baseline",
)


def followup_status(outcomes: pd.DataFrame) -> pd.DataFrame:
    """The follow-up a status view shows: the strict one, else the most recent valid one.

    The strict follow-up (the last ``followup_days`` diary days) is blank when those
    days hold too few entries — one entry after a long gap is enough for that. A
    status "as of today" then shows the most recent valid follow-up window
    (``recent_followup_*`` of ``patient_outcomes``) with its dates instead of a blank.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        ``AnalysisResult.patient_outcomes`` (with the status columns).

    Returns
    -------
    pandas.DataFrame
        Same index, columns:

        - ``shown_followup_pain`` (float, NRS): strict follow-up mean, else the recent one;
        - ``shown_followup_start``, ``shown_followup_end`` (datetime64): its window;
        - ``shown_pct_change`` (float, %, positive = better): strict ``pct_change``,
          else ``100·(baseline − recent follow-up)/baseline`` (NaN for a zero or
          missing baseline) — the same formula;
        - ``shown_response_category`` (str): IMMPACT category of it
          (:func:`analytics.stats.response_category`), "" when missing;
        - ``shown_responder`` (boolean): ``shown_pct_change`` ≥ the responder
          threshold is decided by the caller; here ``<NA>`` when missing;
        - ``followup_source`` (str): ``"strict"``, ``"recent"`` or ``""`` (none).
    """
    from analytics.stats import response_category

    strict = outcomes["pct_change"].notna()
    base = outcomes["baseline_pain"].astype("float64")
    recent = outcomes["recent_followup_pain"].astype("float64")
    use_recent = ~strict & recent.notna() & base.notna() & (base > 0)
    pct = (
        outcomes["pct_change"]
        .astype("float64")
        .where(strict, (100.0 * (base - recent) / base).where(use_recent))
    )
    source = pd.Series("", index=outcomes.index, dtype="str")
    source[strict] = "strict"
    source[use_recent] = "recent"
    category = response_category(pct).astype("object").where(pct.notna(), "")
    return pd.DataFrame(
        {
            "shown_followup_pain": outcomes["followup_pain"]
            .astype("float64")
            .where(strict, recent.where(use_recent)),
            "shown_followup_start": outcomes["followup_start"].where(
                strict, outcomes["recent_followup_start"].where(use_recent)
            ),
            "shown_followup_end": outcomes["followup_end"].where(
                strict, outcomes["recent_followup_end"].where(use_recent)
            ),
            "shown_pct_change": pct,
            "shown_response_category": category.astype("str"),
            "followup_source": source,
        },
        index=outcomes.index,
    )


def build_overview(outcomes: pd.DataFrame, pats: pd.DataFrame) -> pd.DataFrame:
    """The table of :func:`overview_table` from the patients' outcomes and the patients frame."""
    table = outcomes.merge(
        pats[["patient_id", "clinician_id"]],
        on="patient_id",
        how="left",
        validate="one_to_one",
    )
    table["flag_not_logging"] = table["not_logging"].fillna(True).astype(bool)
    flags = {
        name: table[f"flag_{name}"].fillna(False).astype(bool).to_numpy()
        for name in ATTENTION_ORDER
    }
    table["flags"] = [
        ";".join(name for name in ATTENTION_ORDER if flags[name][i]) for i in range(len(table))
    ]
    table = pd.concat([table, followup_status(table)], axis=1)
    table["attention"] = (table["flags"] == "").astype("int64")
    # flagged first; among them worsening, then a recent adverse event, then the
    # longest silence, then low adherence; the patient id breaks ties
    keys = [
        "attention",
        "flag_worsening",
        "flag_recent_adverse_event",
        "flag_not_logging",
        "silence",
        "flag_low_adherence",
        "patient_id",
    ]
    order = table.assign(
        **{f"flag_{n}": ~pd.Series(flags[n], index=table.index) for n in ATTENTION_ORDER},
        silence=-table["days_since_last_entry"].astype("float64").fillna(1e9),
    ).sort_values(keys, kind="stable")
    table = table.loc[order.index].reset_index(drop=True)
    return table


def overview_table(user: Any, settings: Any, *, purpose: str) -> pd.DataFrame:
    """One row per patient in the user's scope, attention first, for the clinic overview.

    ``patient_outcomes`` (status columns as of ``settings.as_of``) plus:

    - ``clinician_id`` (from the patients);
    - ``flag_not_logging`` (bool): the status' ``not_logging``, and ``flags`` with
      ``not_logging`` added, so the flag filter and the flag column treat it as a flag;
    - the columns of :func:`followup_status` (the strict follow-up, else the most
      recent valid one with its dates);
    - ``attention`` (int): 0 for the patients who need a look first (any flag), 1
      otherwise.

    Sorted by ``attention`` (flagged first), then worsening, a recent adverse event,
    not logging (the longest silence first), low adherence, then by patient id.
    """
    # from the stored per-patient outcomes (:func:`stored_outcomes`): the clinic's diary
    # is not read, nor the cohort summaries computed
    outcomes, _ = stored_outcomes(user, settings, purpose=purpose)
    rows = _rows()
    # built once per visit and outcomes read: reruns of the page (a filter, a sort)
    # reuse it; new outcomes (a save changed the version) build it again
    done = ("overview", _user_key(user), purpose, id(outcomes))
    if done in rows:
        built: pd.DataFrame = rows[done]
        return built.copy()
    key = ("patients", _user_key(user), purpose)
    if key not in rows:
        rows[key] = service(user, purpose).patients()
    table = build_overview(outcomes, rows[key])
    rows[done] = table
    return table.copy()


def status_lines(outcome: dict[str, Any] | None, today: Any) -> dict[str, str]:
    """The patient's status as of ``today`` in words, for a status block.

    Keys: ``mean`` ("4.2 on 28 Nov 2026 (7-day mean, 5 entries)" or why there is
    none), ``last_entry`` ("today", "3 days ago (27 Nov 2026)"), ``adherence``
    ("20 of the last 28 days"), ``events`` ("none in the last 28 days"),
    ``followup`` (the follow-up used for the response, with its dates).
    """
    if outcome is None:
        return {}

    def day(value: Any) -> str:
        return f"{pd.Timestamp(value):%d %b %Y}"

    out: dict[str, str] = {}
    current, last_valid = outcome.get("current_mean"), outcome.get("last_valid_mean")
    if current is not None and pd.notna(current):
        out["mean"] = (
            f"{current:.1f} on {day(outcome['status_date'])} "
            f"(7-day mean of {int(outcome['current_n'])} entries)"
        )
    elif last_valid is not None and pd.notna(last_valid):
        out["mean"] = (
            f"{last_valid:.1f} on {day(outcome['last_valid_mean_date'])} — the latest 7-day "
            f"mean; the last 7 days hold {_days(outcome.get('current_n') or 0)} of entries"
        )
    else:
        out["mean"] = "none yet — no 7 days with enough entries"
    since = outcome.get("days_since_last_entry")
    if since is None or pd.isna(since):
        out["last_entry"] = "no diary entry yet"
    elif int(since) == 0:
        out["last_entry"] = "today"
    else:
        ago = "yesterday" if int(since) == 1 else f"{int(since)} days ago"
        out["last_entry"] = f"{ago} ({day(outcome['last_entry_date'])})"
    adherence = outcome.get("adherence_28d")
    out["adherence"] = (
        "—" if adherence is None or pd.isna(adherence) else f"{100 * adherence:.0f}% of the days"
    )
    n_events = int(outcome.get("n_recent_adverse_events") or 0)
    out["events"] = "none" if n_events == 0 else f"{n_events}"
    frame = pd.DataFrame([outcome])
    shown_fu = followup_status(frame).iloc[0]
    if shown_fu["followup_source"]:
        window = (
            f"{pd.Timestamp(shown_fu['shown_followup_start']):%d %b}–"
            f"{day(shown_fu['shown_followup_end'])}"
        )
        out["followup"] = (
            f"{window} ({int(outcome['followup_n'])} diary entries)"
            if shown_fu["followup_source"] == "strict"
            else f"{window}: the most recent valid follow-up — the last diary days hold too "
            "few entries"
        )
    return out


def factor_effects_of(result: Any, patient_id: str) -> pd.DataFrame:
    """The patient's factor effects with an estimate (``result.factor_effects``).

    Rows of :func:`analytics.stats.factor_effects` whose ``reason`` is empty,
    same-day and next-day (lag 1) effects, in the library's order.
    """
    fe = result.factor_effects
    rows = fe[(fe["patient_id"] == patient_id) & (fe["reason"] == "")]
    return rows.reset_index(drop=True)


def nof1_of(result: Any, patient_id: str) -> dict[str, Any] | None:
    """The patient's row of ``result.nof1_effects`` (NAP and Tau-U) as a dict, or None."""
    ne = result.nof1_effects
    rows = ne[ne["patient_id"] == patient_id]
    return None if rows.empty else rows.iloc[0].to_dict()


# --------------------------------------------------------------------------- share links


def create_share_link(user: Any, patient_id: str, *, days: int, purpose: str) -> str:
    """A new share link token to ``patient_id`` (shown once; the service keeps its hash)."""
    return str(service(user, purpose).create_share_link(str(patient_id), days=int(days)))


def revoke_share_link(user: Any, link_id: int, *, purpose: str) -> None:
    """Revoke a share link of a patient ``user`` may see."""
    service(user, purpose).revoke_share_link(int(link_id))


def share_links(user: Any, patient_id: str, *, purpose: str) -> pd.DataFrame:
    """The share links of ``patient_id`` (never their tokens), newest first."""
    return service(user, purpose).share_links(str(patient_id))


def share_service(token: str, *, now: Any = None) -> Any:
    """The read-only :class:`analytics.service.Service` of a share link.

    The link is checked on every run (a revoked link stops working at the next
    click), and its use recorded ("share_use") once per visit of this browser
    session, like any other page's view.

    Raises :class:`analytics.errors.AuthenticationError` for an unknown, expired or
    revoked link, with one message for all three.
    """
    import hashlib

    from analytics.service import Service

    rows = _rows()
    key = ("share", hashlib.sha256(token.encode()).hexdigest())
    svc = Service.for_share_link(get_store(db_url()), token, now=now, record=key not in rows)
    rows.setdefault(key, True)
    return svc


def share_dataset(svc: Any, patient_id: str, *, purpose: str) -> Any:
    """The rows of a share link's patient, read (and recorded) once per visit."""
    key = ("share-rows", svc.face, str(patient_id), purpose)
    rows = _rows()
    if key not in rows:
        rows[key] = svc.patient_dataset(str(patient_id), purpose=purpose)
    return rows[key]


def record_file(
    user: Any, what: str, patient_id: str | None, *, report: bool, purpose: str
) -> None:
    """Record that a file was produced for ``user``: "report" for a PDF, else "export"."""
    svc = service(user, purpose)
    if report:
        svc.record_report(what, patient_id=patient_id)
    else:
        svc.record_export(what, patient_id=patient_id)
