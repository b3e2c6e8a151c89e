"""Analyses of the user's patients, cached per user, rows and settings."""

from __future__ import annotations

import threading
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import clock
from dashboard.data._access import (
    TTL_SECONDS,
    ClinicData,
    patient_version,
    patient_view,
    service,
    user_key,
    visit_rows,
)
from dashboard.data._questionnaires import answers_version, questionnaire_answers
from dashboard.frames import build_overview

__all__ = [
    "stored_cohort",
    "stored_outcomes",
    "analysis",
    "patient_summary",
    "outcome_row",
    "BACKFILL_DAYS",
    "status_settings",
    "overview_table",
]


#: Per-thread count of cohort results computed (each session's script runs in its own thread).
_MISS = threading.local()


# no time limit: the key holds the version of the rows and the settings (with the status
# date), so a cached summary is never stale, and a revisit with unchanged rows does no analysis
@st.cache_data(show_spinner=False, max_entries=256)
def _patient_summary(
    user_key: tuple[Any, ...],
    version: tuple[int, ...],
    patient_id: str,
    settings: Any,
    _data: ClinicData,
    _answers: pd.DataFrame,
) -> Any:
    from analytics.pipeline import summarize_patient

    sessions = _data.sessions.drop(columns="technique_band")
    return summarize_patient(
        _data.patients, _data.diary, sessions, settings, patient_id=patient_id,
        questionnaires=_answers, entries=_data.entries,
    )  # fmt: skip


@st.cache_data(show_spinner=False, ttl=TTL_SECONDS, max_entries=32)
def _stored_result(
    user_key: tuple[Any, ...],
    version: tuple[Any, ...],
    settings: Any,
    purpose: str,
    _user: Any,
    outcomes_only: bool = False,
) -> tuple[Any, pd.DataFrame, pd.DataFrame | None]:
    _MISS.count = getattr(_MISS, "count", 0) + 1  # this thread ran the body: not a cache hit
    tables = service(_user, purpose).cohort_tables(
        settings,
        purpose=purpose,
        tables=() if outcomes_only else None,
        with_patients=outcomes_only,  # the overview's patient list, in the same audited read
    )
    anchor = tables.pop("status_anchor")
    if outcomes_only:
        return tables["patient_outcomes"], anchor, tables["patients"]
    from analytics.pipeline import cohort as cohort_summary

    return cohort_summary(tables, settings=settings), anchor, None


def _stored(
    user: Any, settings: Any, purpose: str, outcomes_only: bool
) -> tuple[Any, pd.DataFrame]:
    """Read the stored outcomes once per visit, recording the visit in one audit row.

    A cache miss is recorded by the service's read itself. That read may store the
    outcomes of patients it computed, which moves the version it was keyed on; the
    result is kept under the version after the read too, so a rerun of the same
    visit does not read (and record) again. A cache hit is recorded here: by the
    read of the patient list the overview shows, else as a cached cohort view.
    """
    svc = service(user, purpose)
    version = svc.outcomes_version(settings)
    rows = visit_rows()

    def key_of(v: tuple[Any, ...]) -> tuple[Any, ...]:
        return ("stored", user_key(user), purpose, v, settings, outcomes_only)

    if key_of(version) not in rows:
        before = _stored_result_misses()
        result, anchor, pats = _stored_result(
            user_key(user), version, settings, purpose, user, outcomes_only
        )
        if _stored_result_misses() != before:  # read now: recorded by the service
            rows[key_of(svc.outcomes_version(settings))] = (result, anchor)
        elif outcomes_only:  # the patient list, fresh, is the visit's record
            pats = svc.patients(purpose=purpose)
        else:
            svc.record_cohort_view(purpose=purpose, n_patients=len(result.patient_outcomes))
        if pats is not None:
            rows[("patients", user_key(user), purpose)] = pats
        rows[key_of(version)] = (result, anchor)
    return rows[key_of(version)]  # type: ignore[no-any-return]


def stored_cohort(user: Any, settings: Any, *, purpose: str) -> tuple[Any, pd.DataFrame]:
    """Return the cohort result of the user's patients from the stored outcomes.

    With it, their ``status_anchor`` table (``patient_id``, ``last_diary``,
    ``began``, ``latest_7day_mean``).

    Cached under the service's ``outcomes_version`` of the user's scope: a save by
    one patient changes the version (and recomputes that patient only, on the
    write), so the next read rebuilds the summaries from stored rows; the clinic's
    diary is never read. Each visit is recorded once in the audit log.
    """
    return _stored(user, settings, purpose, outcomes_only=False)


def stored_outcomes(user: Any, settings: Any, *, purpose: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the ``patient_outcomes`` of the user's patients, and their ``status_anchor``.

    From the stored outcomes (status as of ``settings.as_of``), without the cohort
    summaries.

    Cached and recorded as :func:`stored_cohort`; what the Clinic overview needs.
    """
    return _stored(user, settings, purpose, outcomes_only=True)


def _stored_result_misses() -> int:
    return int(getattr(_MISS, "count", 0))


def analysis(user: Any, settings: Any, *, purpose: str) -> Any:
    """Return the analysis of the user's cohort, from the stored outcomes.

    Every patient in the user's scope, summarised from their stored per-patient
    outcomes (:func:`stored_cohort`).

    Parameters
    ----------
    user : analytics.service.User
        The signed-in user.
    settings : analytics.settings.AnalysisSettings
        The analysis options.
    purpose : str
        The page, recorded in the audit log.

    Returns
    -------
    analytics.pipeline.AnalysisResult
    """
    return stored_cohort(user, settings, purpose=purpose)[0]


def patient_summary(user: Any, patient_id: str, settings: Any, *, purpose: str) -> Any:
    """Return everything one patient's page shows, from that patient's rows (cached).

    :func:`analytics.pipeline.summarize_patient`, the one per-patient path the
    patient chart, My progress, the PDF reports and the FHIR export share: the
    outcome row, the diary with its trailing mean (``settings.trend_window_days``,
    ``settings.rolling_min_entries``), the interrupted time series, the factor
    effects, the adverse events, the questionnaire scores and the composite
    responder (the answers read through the service, :func:`questionnaire_answers`).

    Parameters
    ----------
    user : analytics.service.User
        The signed-in user; the service decides whether they may see the patient.
    patient_id : str
        The patient.
    settings : analytics.settings.AnalysisSettings
        The analysis options.
    purpose : str
        The page, recorded in the audit log.

    Returns
    -------
    analytics.pipeline.PatientSummary
    """
    data = patient_view(user, patient_id, purpose=purpose).data
    answers = questionnaire_answers(user, patient_id, purpose=purpose)
    version = (*patient_version(user, patient_id, purpose=purpose), *answers_version(answers))
    # reruns of the visit reuse the summary itself; another visit finds it in the cache
    key = ("summary", user_key(user), str(patient_id), version, settings)
    rows = visit_rows()
    if key not in rows:
        rows[key] = _patient_summary(user_key(user), version, patient_id, settings, data, answers)
    return rows[key]


def outcome_row(summary: Any) -> dict[str, Any] | None:
    """Return the patient's outcome row of a :class:`~analytics.pipeline.PatientSummary`.

    Parameters
    ----------
    summary : analytics.pipeline.PatientSummary
        From :func:`patient_summary`.

    Returns
    -------
    dict or None
        The columns of ``summary.outcome``; None without a row.
    """
    row: dict[str, Any] | None = summary.outcome_row()
    return row


#: A patient logs or changes the entry of today or of one of the last ``BACKFILL_DAYS``
#: days; older days are the clinic's record (a clinician corrects them).
BACKFILL_DAYS = 7


def status_settings(settings: Any, day: Any = None) -> Any:
    """Return ``settings`` with ``as_of`` = ``day`` (default :func:`today`).

    The status columns of the analysis (current 7-day mean, days since the last
    entry, adherence and recent adverse events over the days ending at that date,
    the recent valid follow-up) then count back from that day; the trial-style
    outcomes do not change.
    """
    import dataclasses

    return dataclasses.replace(settings, as_of=clock.today() if day is None else day)


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
    rows = visit_rows()
    # built once per visit and outcomes read: reruns of the page (a filter, a sort)
    # reuse it; new outcomes (a save changed the version) build it again
    done = ("overview", user_key(user), purpose, id(outcomes))
    if done in rows:
        built: pd.DataFrame = rows[done]
        return built.copy()
    key = ("patients", user_key(user), purpose)
    if key not in rows:  # read with the outcomes (:func:`stored_outcomes`), in one audit row
        rows[key] = service(user, purpose).patients(purpose=purpose)
    table = build_overview(outcomes, rows[key])
    rows[done] = table
    return table.copy()
