"""What a report prints, gathered in one place: small frozen dataclasses.

:func:`patient_report_data` is the only code that turns a patient's canonical
rows into the numbers of a patient report; every number, window and line comes
from :func:`analytics.pipeline.summarize_patient`, the per-patient path the
dashboard's patient pages share, so screen and paper agree. The PDF
builders (:mod:`analytics.reports._patient`, :mod:`analytics.reports._cohort`)
only lay out what these dataclasses hold; they compute nothing.

Free text (diary and session notes) is dropped here unless the caller asks for
it, so a report built without notes cannot print them by mistake.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from analytics.contract import empty_answers, empty_entries, frequency_band
from analytics.pipeline import (
    AnalysisResult,
    AnalysisSettings,
    PatientSummary,
    analysis_diary,
    cohort,
    per_patient,
    summarize_patient,
)
from analytics.presentation import is_missing, medicine_notes, medicine_rule, quality_notes
from analytics.stats import MIN_MME_RISE

__all__ = [
    "VISIT_COUNT",
    "VISIT_WINDOW_DAYS",
    "PatientReportData",
    "Visit12",
    "CohortReportData",
    "patient_report_data",
    "visit12_evidence",
    "cohort_report_data",
]

#: Sessions after which improvement must be demonstrated (Medicare NCD 30.3.3).
VISIT_COUNT = 12
#: Days within which the NCD allows those sessions.
VISIT_WINDOW_DAYS = 90


def _ts(value: Any) -> pd.Timestamp | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value)


def _num(value: Any) -> float | None:
    if value is None or pd.isna(value):
        return None
    return float(value)


@dataclass(frozen=True)
class Visit12:
    """Whether improvement is demonstrated after the first :data:`VISIT_COUNT` sessions.

    Attributes
    ----------
    n_sessions : int
        Sessions recorded up to the report date.
    first_session, last_counted_session : pandas.Timestamp or None
        Date-times of session 1 and session 12 (None before the 12th).
    days_first_to_last : int or None
        Calendar days from session 1 to session 12.
    within_window : bool or None
        The 12 sessions fell within :data:`VISIT_WINDOW_DAYS` days.
    threshold : float
        Responder rule: % pain reduction at least this (``AnalysisSettings``).
    baseline_start, baseline_end, followup_start, followup_end : pandas.Timestamp or None
        Windows (inclusive). The follow-up window ends on the last diary day on or
        before the 12th session's date.
    baseline_pain, followup_pain : float or None
        Window means (NRS 0-10), None with fewer than ``min_entries`` entries.
    baseline_n, followup_n : int
        Diary entries in the windows.
    change : float or None
        Baseline − follow-up, points (positive = less pain).
    pct_change : float or None
        100·change/baseline, %.
    category : str or None
        IMMPACT category code.
    demonstrated : bool or None
        ``pct_change >= threshold``; None when it cannot be decided.
    reason : str
        Why it cannot be decided ("" when it can).
    composite : dict or None
        The row of :func:`analytics.stats.composite_responders`: pain responder after
        the first 12 sessions and (function or global impression of change), the
        questionnaires answered up to the report's date; None before the 12th session.
    """

    n_sessions: int
    first_session: pd.Timestamp | None
    last_counted_session: pd.Timestamp | None
    days_first_to_last: int | None
    within_window: bool | None
    threshold: float
    baseline_start: pd.Timestamp | None = None
    baseline_end: pd.Timestamp | None = None
    baseline_pain: float | None = None
    baseline_n: int = 0
    followup_start: pd.Timestamp | None = None
    followup_end: pd.Timestamp | None = None
    followup_pain: float | None = None
    followup_n: int = 0
    change: float | None = None
    pct_change: float | None = None
    category: str | None = None
    demonstrated: bool | None = None
    reason: str = ""
    composite: dict[str, Any] | None = None


@dataclass(frozen=True)
class PatientReportData:
    """Everything a patient report prints.

    Attributes
    ----------
    patient_id : str
    condition, group, clinician_id : str or None
        From the patients table.
    period_start, period_end : pandas.Timestamp or None
        Days the chart, the session table and the event list cover (inclusive).
    as_of : pandas.Timestamp
        The report's date: later diary days and sessions are left out of every
        number; days since the last entry count to it.
    generated : datetime.datetime
        When the report was made (UTC).
    settings : AnalysisSettings
        The settings of the report, ``as_of`` set to the report's date.
    outcome : dict or None
        The patient's row of ``AnalysisResult.patient_outcomes`` (columns of
        ``analytics.pipeline.PATIENT_OUTCOME_COLUMNS``) with the status columns
        (``days_since_last_entry``, ``adherence_28d`` over ``settings.recent_days``,
        recent adverse events) counted back from ``as_of``; None without diary.
    baseline_window : (start, end) or None
        Baseline window (inclusive), None without an index date.
    diary : pandas.DataFrame
        Diary rows in the period plus ``pain_rolling_mean`` and ``n_in_window``
        (``analytics.pipeline.PatientSummary.diary``: the trailing mean over
        ``settings.trend_window_days`` of the whole diary); ``notes`` only when
        ``include_notes``.
    sessions : pandas.DataFrame
        Sessions in the period plus ``technique_band`` and ``session_number``
        (1-based over all sessions); ``notes`` only when ``include_notes``.
    adverse_events : pandas.DataFrame
        ``analytics.stats.adverse_event_list`` rows in the period.
    n_sessions : int
        Sessions up to ``as_of``.
    first_session : pandas.Timestamp or None
        Date-time of the first session (before the period too).
    days_since_last_entry : int or None
        ``as_of`` − last diary day, days (the outcome's status column).
    quality_notes : tuple of str
        Plain sentences (:func:`analytics.presentation.quality_notes`, as the
        dashboard's patient chart shows them).
    medicines : pandas.DataFrame
        ``analytics.pipeline.PatientSummary.medicines`` (the whole diary up to
        ``as_of``), limited to the medicines taken on or after ``period_start``
        when the report starts later.
    medicine_notes : tuple of str
        The opioid flags in sentences (:func:`analytics.presentation.medicine_notes`,
        as the patient chart shows them).
    medicine_rule : str
        How the flags are decided (:func:`analytics.presentation.medicine_rule`).
    include_notes : bool
    visit12 : Visit12 or None
        Only for the visit-12 variant.
    questionnaires : pandas.DataFrame
        :func:`analytics.stats.questionnaire_table` of the answers up to ``as_of``
        (``PatientSummary.questionnaires``); empty without answers.
    flares : pandas.DataFrame
        ``PatientSummary.flares`` of the entries during the day up to ``as_of``: one
        row, or none without entries.
    """

    patient_id: str
    condition: str | None
    group: str | None
    clinician_id: str | None
    period_start: pd.Timestamp | None
    period_end: pd.Timestamp | None
    as_of: pd.Timestamp
    generated: dt.datetime
    settings: AnalysisSettings
    outcome: dict[str, Any] | None
    baseline_window: tuple[pd.Timestamp, pd.Timestamp] | None
    diary: pd.DataFrame
    sessions: pd.DataFrame
    adverse_events: pd.DataFrame
    n_sessions: int
    first_session: pd.Timestamp | None
    days_since_last_entry: int | None
    quality_notes: tuple[str, ...]
    medicines: pd.DataFrame
    medicine_notes: tuple[str, ...]
    medicine_rule: str
    include_notes: bool = False
    visit12: Visit12 | None = None
    questionnaires: pd.DataFrame = field(default_factory=pd.DataFrame)
    flares: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class CohortReportData:
    """Everything a cohort report prints.

    Attributes
    ----------
    result : AnalysisResult
        ``analytics.pipeline.cohort`` of the clinic's ``per_patient`` tables.
    n_patients, n_diary_days, n_sessions : int
    first_date, last_date : pandas.Timestamp or None
        First and last diary day of the clinic.
    generated : datetime.datetime
    n_evaluable, n_responders : int
        Patients with a % change; of them, responders (``AnalysisSettings``'s
        threshold).
    responder_rate, responder_ci_low, responder_ci_high : float
        Share of responders with its Wilson 95% CI (fractions 0-1; NaN without
        evaluable patients).
    notes : tuple of str
        Remarks of the analysis (e.g. why the Emax fit was skipped).
    """

    result: AnalysisResult
    n_patients: int
    n_diary_days: int
    n_sessions: int
    first_date: pd.Timestamp | None
    last_date: pd.Timestamp | None
    generated: dt.datetime
    n_evaluable: int = 0
    n_responders: int = 0
    responder_rate: float = float("nan")
    responder_ci_low: float = float("nan")
    responder_ci_high: float = float("nan")
    notes: tuple[str, ...] = field(default=())


def _outcome(summary: PatientSummary) -> dict[str, Any] | None:
    """Return the outcome row of a summary, None when the patient has no diary day."""
    if summary.diary.empty:
        return None
    return summary.outcome_row()


def _day(value: Any, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value).normalize()
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"The '{name}' parameter of patient_report_data must be a date (YYYY-MM-DD). "
            f"Got {value!r} instead."
        ) from exc


def visit12_evidence(
    patients: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    settings: AnalysisSettings,
    questionnaires: pd.DataFrame | None = None,
) -> Visit12:
    """Improvement after the first :data:`VISIT_COUNT` sessions of one patient.

    Parameters
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical rows of one patient.
    settings : AnalysisSettings
        Baseline window, minimum entries and responder threshold.
    questionnaires : pandas.DataFrame, optional
        The patient's canonical questionnaire answers (up to the report's date), for
        the composite responder.

    Returns
    -------
    Visit12

    Notes
    -----
    The outcome of :func:`analytics.pipeline.summarize_patient` on the diary up to
    the 12th session's date and the first 12 sessions: the baseline is the usual one (the
    ``baseline_days`` before the index date) and the follow-up window is the
    ``followup_days`` ending on the last diary day on or before the 12th session.
    Improvement is demonstrated when the % reduction reaches the responder
    threshold (Medicare NCD 30.3.3 asks for demonstrated improvement before
    sessions 13 to 20, within 12 sessions in 90 days). The composite responder is
    that summary's (:func:`analytics.stats.composite_responders`): the same pain
    responder and a second method, function or the global impression of change
    (IMMPACT, Dworkin 2008).
    """
    s = sessions.sort_values("date", kind="stable")
    n = len(s)
    first = _ts(s["date"].iloc[0]) if n else None
    if n < VISIT_COUNT:
        return Visit12(
            n_sessions=n,
            first_session=first,
            threshold=settings.responder_threshold,
            last_counted_session=None,
            days_first_to_last=None,
            within_window=None,
            reason=f"only {n} of {VISIT_COUNT} sessions so far",
        )
    last = pd.Timestamp(s["date"].iloc[VISIT_COUNT - 1])
    start = pd.Timestamp(s["date"].iloc[0])
    days = int((last.normalize() - start.normalize()).days)
    first12 = s.iloc[:VISIT_COUNT]
    upto = diary[diary["date"] <= last.normalize()]
    pid = str(s["patient_id"].iloc[0])
    summary = summarize_patient(
        patients, upto, first12, settings, patient_id=pid, questionnaires=questionnaires
    )
    row = summary.outcome_row() or {}
    composite = summary.composite.iloc[0].to_dict() if len(summary.composite) else None
    pct = _num(row.get("pct_change"))
    reason = str(row.get("reason") or "")
    category = row.get("response_category")
    return Visit12(
        n_sessions=n,
        first_session=first,
        threshold=settings.responder_threshold,
        last_counted_session=last,
        days_first_to_last=days,
        within_window=days <= VISIT_WINDOW_DAYS,
        baseline_start=_ts(row.get("baseline_start")),
        baseline_end=_ts(row.get("baseline_end")),
        baseline_pain=_num(row.get("baseline_pain")),
        baseline_n=int(row.get("baseline_n") or 0),
        followup_start=_ts(row.get("followup_start")),
        followup_end=_ts(row.get("followup_end")),
        followup_pain=_num(row.get("followup_pain")),
        followup_n=int(row.get("followup_n") or 0),
        change=_num(row.get("change")),
        pct_change=pct,
        category=None if category is None or pd.isna(category) else str(category),
        demonstrated=None if pct is None else bool(pct >= settings.responder_threshold),
        reason="" if pct is not None else (reason or "no outcome"),
        composite=composite,
    )


def patient_report_data(
    patients: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    patient_id: str,
    *,
    settings: AnalysisSettings | None = None,
    start: Any = None,
    end: Any = None,
    include_notes: bool = False,
    visit_12: bool = False,
    questionnaires: pd.DataFrame | None = None,
    entries: pd.DataFrame | None = None,
    today: dt.date | None = None,
    now: dt.datetime | None = None,
) -> PatientReportData:
    """Gather what the patient report of ``patient_id`` prints.

    Parameters
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical frames; rows of other patients are ignored. Never modified.
    patient_id : str
    settings : AnalysisSettings, optional
    start, end : date-like, optional
        The report's period. ``end`` is the report's date: diary days and sessions
        after it are left out of every number (default: today). ``start`` limits
        what is listed and drawn (default: the first diary day); the baseline is
        always the ``baseline_days`` before the start of treatment, even when they
        lie before ``start``.
    include_notes : bool, default False
        Keep the free-text notes of diary days and sessions.
    visit_12 : bool, default False
        Add :func:`visit12_evidence`.
    questionnaires : pandas.DataFrame, optional
        Canonical questionnaire answers (read through the service); answers after
        ``end`` are left out.
    entries : pandas.DataFrame, optional
        Canonical entries during the day (``Dataset.entries``); entries after
        ``end`` are left out. They fold into the daily values as in every other face
        (:func:`analytics.pipeline.analysis_diary`) and give the flare table.
    today, now : optional
        The current date and time (UTC) for tests; default the clock.

    Returns
    -------
    PatientReportData

    Raises
    ------
    LookupError
        When ``patient_id`` has no row in any frame.
    ValueError
        When ``start`` is after ``end`` or a date does not parse.
    """
    settings = settings if settings is not None else AnalysisSettings()
    now = now if now is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    start_day, as_of = _period(start, end, today if today is not None else now.date())
    pid = str(patient_id)
    p, d, s = _rows_up_to(patients, diary, sessions, pid, as_of)
    answers = _answers_up_to(questionnaires, pid, as_of)
    # the status columns (days since the last entry, adherence and adverse events of
    # the last recent_days days) count back from the report's date, as the dashboard's
    # count back from today; the trial-style outcomes do not depend on it
    settings = replace(settings, as_of=as_of)
    e = _entries_up_to(entries, pid, as_of)
    summary = summarize_patient(
        p, d, s, settings, patient_id=pid, questionnaires=answers, entries=e
    )
    outcome = _outcome(summary)
    trend, shown, events = _listed(summary, s, start_day, include_notes=include_notes)
    first_day = start_day
    if first_day is None and len(d):
        first_day = pd.Timestamp(d["date"].min())
    if first_day is None and len(s):
        first_day = pd.Timestamp(s["date"].min()).normalize()
    since: Any = None if outcome is None else outcome.get("days_since_last_entry")
    info = p.iloc[0] if len(p) else None
    return PatientReportData(
        patient_id=pid,
        condition=_text(info, "condition"),
        group=_text(info, "group"),
        clinician_id=_text(info, "clinician_id"),
        period_start=first_day,
        period_end=as_of,
        as_of=as_of,
        generated=now,
        settings=settings,
        outcome=outcome,
        baseline_window=_baseline_window(outcome),
        diary=trend,
        sessions=shown,
        adverse_events=events,
        n_sessions=len(s),
        first_session=pd.Timestamp(s["date"].iloc[0]) if len(s) else None,
        days_since_last_entry=None if is_missing(since) else int(since),
        quality_notes=quality_notes(outcome, recent_days=settings.recent_days),
        medicines=_medicines_in(summary.medicines, start_day),
        medicine_notes=medicine_notes(summary.medicines, _first_row(summary.opioid_change)),
        medicine_rule=medicine_rule(settings.trend_window_days, MIN_MME_RISE),
        include_notes=include_notes,
        visit12=visit12_evidence(p, analysis_diary(d, e), s, settings, answers)
        if visit_12
        else None,
        questionnaires=summary.questionnaires,
        flares=summary.flares,
    )


def _entries_up_to(entries: pd.DataFrame | None, pid: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Return the patient's entries during the day dated on or before the report's date."""
    if entries is None:
        return empty_entries()
    return entries[(entries["patient_id"] == pid) & (entries["date"] <= as_of)]


def _answers_up_to(answers: pd.DataFrame | None, pid: str, as_of: pd.Timestamp) -> pd.DataFrame:
    """Return the patient's questionnaire answers dated on or before the report's date."""
    if answers is None:
        return empty_answers()
    return answers[(answers["patient_id"] == pid) & (answers["date"] <= as_of)]


def _period(start: Any, end: Any, today: dt.date) -> tuple[pd.Timestamp | None, pd.Timestamp]:
    """Return the first day listed (or None) and the report's date, checked."""
    start_day, end_day = _day(start, "start"), _day(end, "end")
    as_of = end_day if end_day is not None else pd.Timestamp(today)
    if start_day is not None and start_day > as_of:
        raise ValueError(
            f"The report period starts on {start_day:%Y-%m-%d}, after its end {as_of:%Y-%m-%d}; "
            "give --from on or before --to."
        )
    return start_day, as_of


def _rows_up_to(
    patients: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    pid: str,
    as_of: pd.Timestamp,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the patient's rows up to the report's date, diary and sessions by date."""
    p = patients[patients["patient_id"] == pid].reset_index(drop=True)
    known = len(p) or (diary["patient_id"] == pid).any() or (sessions["patient_id"] == pid).any()
    if not known:
        raise LookupError(f"no patient {pid!r} in the data")
    next_day = as_of + pd.Timedelta(days=1)
    d = diary[(diary["patient_id"] == pid) & (diary["date"] <= as_of)]
    d = d.sort_values("date", kind="stable").reset_index(drop=True)
    s = sessions[(sessions["patient_id"] == pid) & (sessions["date"] < next_day)]
    s = s.sort_values("date", kind="stable").reset_index(drop=True)
    return p, d, s


def _listed(
    summary: PatientSummary,
    sessions: pd.DataFrame,
    start_day: pd.Timestamp | None,
    *,
    include_notes: bool,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Return the diary (with its trailing mean), sessions and events of the period."""
    trend = summary.diary
    shown = sessions.assign(
        technique_band=frequency_band(sessions["technique"], sessions["frequency_hz"]),
        session_number=np.arange(1, len(sessions) + 1, dtype="int64"),
    )
    events = summary.adverse_events
    if not include_notes:
        trend = trend.drop(columns="notes")
        shown = shown.drop(columns="notes")
    if start_day is not None:
        trend = trend[trend["date"] >= start_day].reset_index(drop=True)
        shown = shown[shown["date"] >= start_day].reset_index(drop=True)
        events = events[events["date"] >= start_day].reset_index(drop=True)
    return trend, shown, events


def _medicines_in(medicines: pd.DataFrame, start_day: pd.Timestamp | None) -> pd.DataFrame:
    """Return the medicines taken on or after ``start_day`` (all without a start)."""
    if start_day is None:
        return medicines
    return medicines[medicines["last_day"] >= start_day].reset_index(drop=True)


def _first_row(frame: pd.DataFrame) -> dict[str, Any] | None:
    """Return the first row of a one-row table as a dict, None when it has no row."""
    return None if frame.empty else frame.iloc[0].to_dict()


def _baseline_window(
    outcome: dict[str, Any] | None,
) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """Return the outcome's baseline window, None without a start of treatment."""
    if not outcome:
        return None
    start, end = _ts(outcome.get("baseline_start")), _ts(outcome.get("baseline_end"))
    return None if start is None or end is None else (start, end)


def _text(info: pd.Series | None, col: str) -> str | None:
    """Return a patients-table cell as text, None when missing."""
    if info is None or pd.isna(info[col]):
        return None
    return str(info[col])


def cohort_report_data(
    patients: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    *,
    settings: AnalysisSettings | None = None,
    now: dt.datetime | None = None,
) -> CohortReportData:
    """Gather what the cohort report prints: the clinic's analysis and its size."""
    settings = settings if settings is not None else AnalysisSettings()
    now = now if now is not None else dt.datetime.now(dt.UTC).replace(microsecond=0)
    from analytics.stats import wilson_interval

    # the per-patient tables (each patient's rows alone, as summarize_patient), then
    # the cohort summaries built from them
    result = cohort(per_patient(patients, diary, sessions, settings), patients, sessions, settings)
    ids = set(patients["patient_id"]) | set(diary["patient_id"]) | set(sessions["patient_id"])
    responder = result.patient_outcomes["responder"]
    n_eval = int(responder.notna().sum())
    n_resp = int(responder.fillna(False).astype(bool).sum())
    low, high = wilson_interval(n_resp, n_eval)
    return CohortReportData(
        n_evaluable=n_eval,
        n_responders=n_resp,
        responder_rate=n_resp / n_eval if n_eval else float("nan"),
        responder_ci_low=float(low[0]),
        responder_ci_high=float(high[0]),
        result=result,
        n_patients=len(ids),
        n_diary_days=len(diary),
        n_sessions=len(sessions),
        first_date=_ts(diary["date"].min()) if len(diary) else None,
        last_date=_ts(diary["date"].max()) if len(diary) else None,
        generated=now,
        notes=result.notes,
    )
