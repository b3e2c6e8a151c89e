"""The one module of the dashboard that reads and writes data, with caching.

Pages never talk to the store or run an analysis themselves: they call these
functions. Reads are cached with ``st.cache_data`` keyed on the database URL,
the actor, the analysis settings and a *data version*; every write made through
this module bumps the version of its database, so the next read sees it. The
version also lapses after :data:`TTL_SECONDS` so that imports done outside the
app (``paindiary import``) show up without a restart.

The store itself is a ``st.cache_resource`` (one connection pool per URL per
server process).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from analytics._common import frequency_band

__all__ = [
    "TTL_SECONDS",
    "ClinicData",
    "db_url",
    "get_store",
    "data_version",
    "bump_version",
    "clinic",
    "patient_ids",
    "analysis",
    "patient_view",
    "patient_trends",
    "its_lines",
    "outcome_row",
    "save_diary_entry",
    "save_session",
    "get_diary_entry",
    "import_dataset",
    "load_uploads",
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
    "overview_table",
    "export_csv",
]

#: Cached reads are recomputed at least this often (seconds).
TTL_SECONDS = 600
_VERSION_ACTOR = "dashboard:cache"


def db_url() -> str:
    """The database URL the app uses: ``$PAINDIARY_DB`` or the store's default."""
    from analytics.store import default_url

    return str(default_url())


@st.cache_resource(show_spinner=False)
def get_store(url: str) -> Any:
    """The :class:`analytics.store.Store` of ``url`` (one per server process)."""
    from analytics.store import open_store

    return open_store(url)


class _Versions:
    """Write counters per database URL, shared by every session of the server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}

    def get(self, url: str) -> int:
        with self._lock:
            return self._counts.get(url, 0)

    def bump(self, url: str) -> int:
        with self._lock:
            self._counts[url] = self._counts.get(url, 0) + 1
            return self._counts[url]


@st.cache_resource(show_spinner=False)
def _versions() -> _Versions:
    return _Versions()


def data_version(url: str | None = None) -> tuple[int, ...]:
    """Current data version of ``url`` (default: :func:`db_url`).

    The number of writes made through this module plus the store's row counts
    (patients, diary, sessions, history): cheap to read, and it changes with
    every write, including imports made outside the app.
    """
    url = url or db_url()
    counts = get_store(url).counts(_VERSION_ACTOR)
    return (_versions().get(url), *(int(v) for _, v in sorted(counts.items())))


def bump_version(url: str | None = None) -> None:
    """Mark the data of ``url`` as changed: cached reads of it are recomputed."""
    _versions().bump(url or db_url())


@dataclass(frozen=True)
class ClinicData:
    """The canonical frames one actor may see (``analytics.schema``).

    ``sessions`` has an extra ``technique_band`` column
    (:func:`analytics._common.frequency_band`) for colouring.
    """

    patients: pd.DataFrame
    diary: pd.DataFrame
    sessions: pd.DataFrame


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=64)
def _clinic(url: str, actor: str, version: tuple[int, ...]) -> ClinicData:
    store = get_store(url)
    if actor.startswith("patient:"):
        # a patient sees (and is analysed on) their own rows only
        pid = actor.partition(":")[2]
        everyone = store.patients(actor)
        patients = everyone[everyone["patient_id"] == pid].reset_index(drop=True)
        diary, sessions = store.diary(actor, pid), store.sessions(actor, pid)
    else:
        ds = store.dataset(actor)
        patients, diary, sessions = ds.patients, ds.diary, ds.sessions
    sessions = sessions.assign(
        technique_band=frequency_band(sessions["technique"], sessions["frequency_hz"])
    )
    return ClinicData(patients=patients, diary=diary, sessions=sessions)


def clinic(actor: str) -> ClinicData:
    """Patients, diary and sessions visible to ``actor`` (cached)."""
    url = db_url()
    return _clinic(url, actor, data_version(url))


def patient_ids(actor: str = "clinician:demo") -> list[str]:
    """Sorted ids of the patients ``actor`` may see."""
    return clinic(actor).patients["patient_id"].astype("str").tolist()


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=32)
def _analysis(url: str, actor: str, version: tuple[int, ...], settings: Any) -> Any:
    from analytics.pipeline import analyze

    data = _clinic(url, actor, version)
    sessions = data.sessions.drop(columns="technique_band")
    return analyze(data.patients, data.diary, sessions, settings)


def analysis(actor: str, settings: Any) -> Any:
    """``analytics.pipeline.analyze`` of the data ``actor`` sees (cached).

    ``settings`` is the :class:`analytics.pipeline.AnalysisSettings` chosen in the
    sidebar (:func:`dashboard.settings.current_settings`).
    """
    url = db_url()
    return _analysis(url, actor, data_version(url), settings)


@dataclass(frozen=True)
class PatientView:
    """One patient's rows of the clinic data."""

    patient: pd.Series | None
    diary: pd.DataFrame
    sessions: pd.DataFrame


def patient_view(actor: str, patient_id: str) -> PatientView:
    """The rows of ``patient_id`` in the data ``actor`` sees."""
    data = clinic(actor)
    pats = data.patients[data.patients["patient_id"] == patient_id]
    return PatientView(
        patient=pats.iloc[0] if len(pats) else None,
        diary=data.diary[data.diary["patient_id"] == patient_id].reset_index(drop=True),
        sessions=data.sessions[data.sessions["patient_id"] == patient_id].reset_index(drop=True),
    )


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=256)
def _patient_trends(
    url: str, actor: str, version: tuple[int, ...], patient_id: str, min_entries: int
) -> pd.DataFrame:
    from analytics.trends import rolling_mean

    data = _clinic(url, actor, version)
    diary = data.diary[data.diary["patient_id"] == patient_id]
    rolled = rolling_mean(diary, window_days=7, min_entries=min_entries)
    return diary.merge(
        rolled[["patient_id", "date", "pain_rolling_mean", "n_in_window"]],
        on=["patient_id", "date"],
        how="left",
        validate="one_to_one",
    )


def patient_trends(actor: str, patient_id: str, *, min_entries: int = 4) -> pd.DataFrame:
    """The patient's diary rows plus ``pain_rolling_mean`` and ``n_in_window``.

    The 7-day trailing mean of :func:`analytics.trends.rolling_mean`.
    """
    url = db_url()
    return _patient_trends(url, actor, data_version(url), patient_id, min_entries)


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=256)
def _its_lines(
    url: str, actor: str, version: tuple[int, ...], patient_id: str
) -> pd.DataFrame | None:
    from analytics._common import index_dates
    from analytics.errors import InsufficientDataError
    from analytics.trends import its_fit_lines

    data = _clinic(url, actor, version)
    idx = index_dates(data.patients, data.sessions)
    try:
        return its_fit_lines(data.diary, idx, patient_id)
    except InsufficientDataError:
        return None


def its_lines(actor: str, patient_id: str) -> pd.DataFrame | None:
    """Fitted interrupted-time-series segments of a patient, or None when not estimable."""
    url = db_url()
    return _its_lines(url, actor, data_version(url), patient_id)


def outcome_row(result: Any, patient_id: str) -> dict[str, Any] | None:
    """The patient's row of ``result.patient_outcomes`` as a dict, or None."""
    po = result.patient_outcomes
    rows = po[po["patient_id"] == patient_id]
    return None if rows.empty else rows.iloc[0].to_dict()


# --------------------------------------------------------------------------- writes


def get_diary_entry(actor: str, patient_id: str, date: Any) -> Any:
    """The stored diary entry of a day, or None (not cached: used right before a save)."""
    return get_store(db_url()).get_diary_entry(actor, patient_id, date)


def save_diary_entry(actor: str, entry: dict[str, Any], *, replace: bool = False) -> Any:
    """Save a diary day; raises ConflictError when it exists with other values."""
    url = db_url()
    try:
        return get_store(url).save_diary_entry(actor, entry, replace=replace)
    finally:
        bump_version(url)


def save_session(actor: str, session: dict[str, Any], *, replace: bool = False) -> Any:
    """Save a session; raises ConflictError when it exists with other values."""
    url = db_url()
    try:
        return get_store(url).save_session(actor, session, replace=replace)
    finally:
        bump_version(url)


def import_dataset(actor: str, dataset: Any, *, update: bool = False, dry_run: bool = False) -> Any:
    """Import a loaded :class:`analytics.loaders.Dataset`; a dry run changes nothing."""
    url = db_url()
    report = get_store(url).import_dataset(actor, dataset, update=update, dry_run=dry_run)
    if not dry_run:
        bump_version(url)
    return report


def load_uploads(actor: str, files: dict[str, Any]) -> tuple[Any, pd.DataFrame | None]:
    """Validate uploaded CSV files with the project's loaders.

    Parameters
    ----------
    actor : str
    files : dict
        Table name ("patients", "diary", "sessions") to an uploaded file object
        (``.name`` and ``.getvalue()``). Missing tables load as empty frames; diary
        rows and sessions are checked against the uploaded patients, else the
        stored ones.

    Returns
    -------
    (Dataset or None, problems or None)
        The canonical :class:`analytics.loaders.Dataset` when every file is
        valid, else None and the problems of all files (file, line, column,
        value, message).
    """

    payload = tuple((t, f.name, bytes(f.getvalue())) for t, f in sorted(files.items()))
    stored = clinic(actor).patients
    return _load_uploads(payload, stored)


@st.cache_data(show_spinner=False, max_entries=8)
def _load_uploads(payload: tuple[tuple[str, str, bytes], ...], stored: pd.DataFrame):
    import io
    import warnings

    from analytics._common import empty_frame
    from analytics.errors import PROBLEM_COLUMNS, DataQualityWarning, DataValidationError
    from analytics.loaders import Dataset, load_diary, load_patients, load_sessions

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


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=16)
def _export(
    url: str, actor: str, version: tuple[int, ...], patient_id: str | None
) -> dict[str, bytes]:
    from analytics.exports import table_to_csv_bytes

    ds = get_store(url).export_dataset(actor, patient_id=patient_id)
    return {t: table_to_csv_bytes(getattr(ds, t), t) for t in ("patients", "diary", "sessions")}


def export_csv(actor: str, table: str, patient_id: str | None = None) -> bytes:
    """The contract CSV of ``table`` for a download button (formula-safe, cached)."""
    url = db_url()
    return _export(url, actor, data_version(url), patient_id)[table]


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


_SECONDARY_LABELS = {
    "peg": "PEG-3 score (0-10)",
    "sleep_quality": "Sleep quality (0-10, 10 = best)",
    "mood": "Mood (0-10, 10 = best)",
    "stress": "Stress (0-10, 10 = worst)",
    "analgesic_doses": "Analgesic doses per day",
    "opioid_mme": "Opioid MME per day",
}


def secondary_table(outcome: dict[str, Any] | None) -> pd.DataFrame | None:
    """Baseline, follow-up and change of each secondary measure of one patient."""
    if outcome is None:
        return None
    rows = [
        {
            "measure": label,
            "baseline": outcome.get(f"baseline_{m}"),
            "follow-up": outcome.get(f"followup_{m}"),
            "change (baseline − follow-up)": outcome.get(f"change_{m}"),
        }
        for m, label in _SECONDARY_LABELS.items()
    ]
    table = pd.DataFrame(rows)
    values = table.drop(columns="measure").apply(pd.to_numeric, errors="coerce").astype("float64")
    table = pd.concat([table[["measure"]], values], axis=1)
    return table[values.notna().any(axis=1)].reset_index(drop=True)


def patient_adverse_events(view: PatientView) -> pd.DataFrame:
    """The patient's adverse events, one row per event (``analytics.safety``)."""
    from analytics.safety import adverse_event_list

    return adverse_event_list(view.sessions.drop(columns="technique_band"))


_FLAG_TEXT = {
    "worsening": "Pain is worse than at baseline (≥ 2 points or ≥ 30%).",
    "low_adherence": "Fewer than half of the last 28 days were logged.",
    "recent_adverse_event": "An adverse event was recorded in the last 28 days.",
    "insufficient_baseline": "Not enough diary days before the first session for a baseline.",
}
_REASON_TEXT = {
    "no_index": "No start of treatment yet (no session and no start date).",
    "insufficient_followup": "Not enough diary days in the follow-up window.",
    "zero_baseline": "Baseline pain is 0, so a % change is undefined.",
}


def quality_notes(outcome: dict[str, Any] | None) -> list[str]:
    """Plain sentences for the patient's data-quality flags and missing outcomes."""
    if outcome is None:
        return []
    notes = [_FLAG_TEXT.get(f, f) for f in str(outcome.get("flags") or "").split(";") if f]
    notes += [
        _REASON_TEXT[r] for r in str(outcome.get("reason") or "").split(";") if r in _REASON_TEXT
    ]
    gap = outcome.get("longest_gap_days")
    if gap is not None and pd.notna(gap) and gap >= 7:
        notes.append(f"The diary has a gap of {int(gap)} days without entries.")
    return notes


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=32)
def _latest_means(url: str, actor: str, version: tuple[int, ...], min_entries: int) -> pd.Series:
    from analytics.trends import rolling_mean

    rolled = rolling_mean(
        _clinic(url, actor, version).diary, window_days=7, min_entries=min_entries
    )
    return rolled.groupby("patient_id", sort=True)["pain_rolling_mean"].last()


def overview_table(actor: str, settings: Any) -> pd.DataFrame:
    """One row per patient for the clinic overview.

    ``result.patient_outcomes`` plus ``clinician_id`` (from the patients) and
    ``latest_7day_mean`` (the last 7-day mean of
    :func:`analytics.trends.rolling_mean`).
    """
    url = db_url()
    version = data_version(url)
    result = _analysis(url, actor, version, settings)
    patients = _clinic(url, actor, version).patients[["patient_id", "clinician_id"]]
    latest = _latest_means(url, actor, version, settings.min_entries).rename("latest_7day_mean")
    return result.patient_outcomes.merge(
        patients, on="patient_id", how="left", validate="one_to_one"
    ).merge(latest, left_on="patient_id", right_index=True, how="left")
