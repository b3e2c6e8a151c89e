"""Everything one patient's page, PDF report and FHIR bundle need, from that patient's rows.

:func:`summarize_patient` reads only the rows of one patient and returns a frozen
:class:`PatientSummary`; its numbers equal that patient's rows of
:func:`analytics.pipeline.analyze` on the whole clinic (the per-patient path
does not depend on other patients).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import pandas as pd

from analytics.contract import empty_answers, empty_entries, empty_frame, index_dates
from analytics.errors import InsufficientDataError
from analytics.pipeline._analyze import per_patient
from analytics.pipeline._entries import analysis_diary, flares
from analytics.settings import DEFAULT_SETTINGS, AnalysisSettings
from analytics.stats import (
    COMPOSITE_COLUMNS,
    FLARE_COLUMNS,
    adverse_event_list,
    composite_responders,
    its_fit_lines,
    medicine_table,
    opioid_change,
    questionnaire_table,
    region_change,
    region_days,
    region_frequency,
    rolling_mean,
    shared_patient_codes,
    weekly_means,
)

__all__ = ["PatientSummary", "outcome_summary", "summarize_patient"]


@dataclass(frozen=True)
class PatientSummary:
    """One patient's results; every table holds that patient's rows only.

    Attributes
    ----------
    patient_id : str
        The patient.
    settings : AnalysisSettings
        The settings the summary was computed with.
    outcome : pandas.DataFrame
        One row, the columns of :data:`analytics.pipeline.PATIENT_OUTCOME_COLUMNS`:
        index date, baseline and follow-up means with their windows and counts,
        change, % change, response category, responder, Theil–Sen slope, the
        interrupted time series, days to response, the secondary outcomes
        (``baseline_/followup_/change_`` of PEG, sleep, mood, stress, analgesic
        doses, opioid MME), the data-quality notes (adherence, longest gap,
        ``flag_*`` and ``flags``), the baseline and follow-up windows
        (``baseline_start``/``_end``, ``followup_start``/``_end``) and the status as
        of ``settings.as_of`` (:data:`analytics.stats.STATUS_COLUMNS`: current
        mean, days since the last entry, not logging, recent adverse events, most
        recent valid follow-up) and the headache days per 4 weeks
        (:data:`analytics.stats.HEADACHE_COLUMNS`: before, at follow-up, change, 50 %
        responder, migraine days) that the chart, My progress and the reports print.
    trend : pandas.DataFrame
        :func:`analytics.stats.rolling_mean` (trailing mean over
        ``settings.trend_window_days`` with ``settings.rolling_min_entries``):
        ``patient_id``, ``date``, ``pain``, ``pain_rolling_mean``, ``n_in_window``.
    diary : pandas.DataFrame
        The patient's diary rows sorted by date (every column of the canonical
        diary) plus ``pain_rolling_mean`` and ``n_in_window`` of ``trend``: what a
        chart of the patient's days draws.
    weekly : pandas.DataFrame
        :func:`analytics.stats.weekly_means` aligned on the index date.
    its_lines : pandas.DataFrame
        :func:`analytics.stats.its_fit_lines` (``date``, ``t``, ``segment``,
        ``fitted``, ``counterfactual``); no rows when the series is too short.
    session_response : pandas.DataFrame
        :func:`analytics.stats.session_response`, one row per session.
    dose_response : pandas.DataFrame
        :func:`analytics.stats.dose_response`, one row per session number.
    time_to_response : pandas.DataFrame
        :func:`analytics.stats.time_to_response`, zero or one row.
    adverse_events : pandas.DataFrame
        :func:`analytics.stats.adverse_event_list`, one row per session and event.
    adverse_event_counts : pandas.DataFrame
        :func:`analytics.stats.adverse_event_counts`, zero or one row.
    factor_effects : pandas.DataFrame
        :func:`analytics.stats.factor_effects`: pain on days with versus
        without poor sleep, high stress, low mood, an analgesic, a session the day
        before, at lags 0 and 1 (an association, not a cause).
    nof1_effects : pandas.DataFrame
        :func:`analytics.stats.nof1_effects`, one row: NAP and Tau-U of the
        baseline against the treatment days.
    medicines : pandas.DataFrame
        :func:`analytics.stats.medicine_table`: one row per named medicine of
        the diary (days taken, dose range and unit, MME/day range of an opioid,
        first and last day, ``started`` when an opioid was first taken after the
        baseline window).
    opioid_change : pandas.DataFrame
        :func:`analytics.stats.opioid_change`, one row: mean MME/day of the
        baseline window and of the last ``settings.trend_window_days`` days of the
        diary, ``flag_opioid_started`` and ``flag_mme_rose``.
    region_days : pandas.DataFrame
        :func:`analytics.stats.region_days`: one row per day with body regions
        marked, with its widespread pain index (0-19) and areas (0-5).
    region_weeks : pandas.DataFrame
        :func:`analytics.stats.region_frequency` in 7-day periods from the first
        day with regions marked: per week and region, the days with the map
        filled in, the days the region was marked and their share.
    region_change : pandas.DataFrame
        :func:`analytics.stats.region_change`, zero or one row: mean widespread
        pain index and painful regions of the baseline window and of the last
        ``settings.followup_days`` days of the diary, regions added and gone.
    questionnaires : pandas.DataFrame
        :func:`analytics.stats.questionnaire_table`: the patient's questionnaire
        scores with their change from baseline (no rows without answers).
    composite : pandas.DataFrame
        :func:`analytics.stats.composite_responders`, one row: responder by pain and
        by function or global impression (IMMPACT's two methods).
    flares : pandas.DataFrame
        :func:`analytics.pipeline.flares`: one row (the columns of
        :data:`analytics.stats.FLARE_COLUMNS`) when the patient logged entries during
        the day, none otherwise.
    """

    patient_id: str
    settings: AnalysisSettings
    outcome: pd.DataFrame
    trend: pd.DataFrame
    diary: pd.DataFrame
    weekly: pd.DataFrame
    its_lines: pd.DataFrame
    session_response: pd.DataFrame
    dose_response: pd.DataFrame
    time_to_response: pd.DataFrame
    adverse_events: pd.DataFrame
    adverse_event_counts: pd.DataFrame
    factor_effects: pd.DataFrame
    nof1_effects: pd.DataFrame
    medicines: pd.DataFrame
    opioid_change: pd.DataFrame
    region_days: pd.DataFrame
    region_weeks: pd.DataFrame
    region_change: pd.DataFrame
    questionnaires: pd.DataFrame = field(
        default_factory=lambda: questionnaire_table(empty_answers())
    )
    composite: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=COMPOSITE_COLUMNS))
    flares: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FLARE_COLUMNS))

    def to_frame(self) -> pd.DataFrame:
        """Return the one-row outcome table (a copy).

        Returns
        -------
        pandas.DataFrame
            :attr:`outcome`, copied.
        """
        return self.outcome.copy()

    def outcome_row(self) -> dict[str, Any] | None:
        """Return the outcome as a dict of column to value, or None without a row.

        Returns
        -------
        dict or None
            The columns of :attr:`outcome`; None when the patient has no outcome row.
        """
        return None if self.outcome.empty else self.outcome.iloc[0].to_dict()

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return every table of the summary by attribute name.

        Returns
        -------
        dict of str to pandas.DataFrame
            One entry per table attribute, in declaration order.
        """
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if isinstance(getattr(self, f.name), pd.DataFrame)
        }


def _only(frame: pd.DataFrame, patient_id: str) -> pd.DataFrame:
    """Keep the rows of one patient."""
    return frame[frame["patient_id"].astype("str") == patient_id].reset_index(drop=True)


def _one_patient_id(
    patients: pd.DataFrame | None,
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    patient_id: str | None,
) -> str:
    """Return ``patient_id``, or the only patient of the frames."""
    if patient_id is not None:
        return str(patient_id)
    ids: set[str] = set()
    for frame in (patients, diary, sessions):
        if frame is not None:
            ids |= set(frame["patient_id"].dropna().astype("str"))
    if len(ids) != 1:
        raise ValueError(
            "summarize_patient needs the rows of exactly one patient or a 'patient_id'; "
            f"got {len(ids)} patients."
        )
    return ids.pop()


def _with_trend(diary: pd.DataFrame, trend: pd.DataFrame) -> pd.DataFrame:
    """Return the diary rows sorted by date with the trailing mean of each day."""
    rows = diary.sort_values("date", kind="stable").reset_index(drop=True)
    if (
        len(rows) == len(trend)
        and (rows["date"].to_numpy() == trend["date"].to_numpy()).all()
        and (rows["date"].to_numpy()[1:] > rows["date"].to_numpy()[:-1]).all()
        and (rows["patient_id"].to_numpy() == trend["patient_id"].to_numpy()).all()
    ):  # one patient's distinct days, in the trend's order: its columns as they are
        return rows.assign(
            pain_rolling_mean=trend["pain_rolling_mean"].to_numpy(),
            n_in_window=trend["n_in_window"].to_numpy(),
        )
    return rows.merge(
        trend[["patient_id", "date", "pain_rolling_mean", "n_in_window"]],
        on=["patient_id", "date"],
        how="left",
        validate="one_to_one",
    )


def _its_lines(
    diary: pd.DataFrame, index: pd.DataFrame, patient_id: str, settings: AnalysisSettings
) -> pd.DataFrame:
    """Return the fitted interrupted time series, or an empty table when it is too short."""
    try:
        return its_fit_lines(diary, index, patient_id, min_entries=settings.its_min_entries)
    except InsufficientDataError:
        return pd.DataFrame(
            {
                "date": pd.Series(dtype="datetime64[ns]"),
                "t": pd.Series(dtype="int64"),
                "segment": pd.Series(dtype="str"),
                "fitted": pd.Series(dtype="float64"),
                "counterfactual": pd.Series(dtype="float64"),
            }
        )


def summarize_patient(
    patients: pd.DataFrame | None,
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    settings: AnalysisSettings = DEFAULT_SETTINGS,
    *,
    patient_id: str | None = None,
    questionnaires: pd.DataFrame | None = None,
    entries: pd.DataFrame | None = None,
) -> PatientSummary:
    """Compute everything one patient's page, PDF and FHIR bundle need.

    The diary every stage uses is the daily values with the patient's entries during
    the day folded in (:func:`analytics.pipeline.analysis_diary`), as in
    ``paindiary analyze``; without entries it is the diary as logged.

    Parameters
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical frames holding that patient's rows (other patients' rows are
        dropped when ``patient_id`` is given); ``patients`` and ``sessions`` may be
        None. Never modified.
    settings : AnalysisSettings, optional
        Options; the defaults follow DOMAIN.md.
    patient_id : str, optional
        The patient; default: the only patient in the frames.
    questionnaires : pandas.DataFrame, optional
        Canonical questionnaire answers (``Dataset.questionnaires``); other
        patients' rows are dropped. Default: none.
    entries : pandas.DataFrame, optional
        Canonical entries during the day (``Dataset.entries``); other patients'
        rows are dropped. Default: none.

    Returns
    -------
    PatientSummary

    Raises
    ------
    ValueError
        When ``patient_id`` is not given and the frames hold no patient or
        several.

    Examples
    --------
    >>> import pandas as pd
    >>> from analytics.contract import empty_frame
    >>> diary = empty_frame("diary")
    >>> diary.loc[0, ["patient_id", "date", "pain"]] = ["p1", pd.Timestamp("2026-01-01"), 5]
    >>> summarize_patient(None, diary, None).outcome["n_diary_days"].tolist()
    [1]
    """
    patient_id = _one_patient_id(patients, diary, sessions, patient_id)
    with shared_patient_codes():  # stages share the codes and the results they recompute
        return _summary(patient_id, patients, diary, sessions, settings, questionnaires, entries)


def _summary(
    patient_id: str,
    patients: pd.DataFrame | None,
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    settings: AnalysisSettings,
    questionnaires: pd.DataFrame | None,
    entries: pd.DataFrame | None,
) -> PatientSummary:
    """:func:`summarize_patient` of ``patient_id``, inside the block that shares results."""
    p = _only(patients if patients is not None else empty_frame("patients"), patient_id)
    s = _only(sessions if sessions is not None else empty_frame("sessions"), patient_id)
    e = _only(entries if entries is not None else empty_entries(), patient_id)
    d = analysis_diary(_only(diary, patient_id), e)
    tables = per_patient(p, d, s, settings)
    scores = questionnaire_table(
        _only(questionnaires if questionnaires is not None else empty_answers(), patient_id)
    )
    index = index_dates(p, s)
    trend = rolling_mean(
        d, window_days=settings.trend_window_days, min_entries=settings.rolling_min_entries
    )
    return PatientSummary(
        patient_id=patient_id,
        settings=settings,
        outcome=tables["patient_outcomes"],
        trend=trend,
        diary=_with_trend(d, trend),
        weekly=weekly_means(d, index_dates=index),
        its_lines=_its_lines(d, index, patient_id, settings),
        session_response=tables["session_response"],
        dose_response=tables["dose_response"],
        time_to_response=tables["time_to_response"],
        adverse_events=adverse_event_list(s),
        adverse_event_counts=tables["adverse_event_counts"],
        factor_effects=tables["factor_effects"],
        nof1_effects=tables["nof1_effects"],
        medicines=medicine_table(d, index, baseline_days=settings.baseline_days),
        opioid_change=opioid_change(
            d,
            index,
            baseline_days=settings.baseline_days,
            recent_days=settings.trend_window_days,
        ),
        region_days=region_days(d),
        region_weeks=region_frequency(d, bin_days=7),
        region_change=region_change(
            d,
            index,
            baseline_days=settings.baseline_days,
            recent_days=settings.followup_days,
            min_days=settings.min_entries,
        ),
        questionnaires=scores,
        composite=composite_responders(tables["patient_outcomes"], scores),
        flares=flares(d, e, p, s, settings) if len(e) else pd.DataFrame(columns=FLARE_COLUMNS),
    )


def outcome_summary(patient_outcomes: pd.DataFrame, settings: AnalysisSettings) -> str:
    """Say how many patients were evaluated and how many responded.

    For example '40 with baseline and follow-up; 12 of 38 responders at 30% (32%)': the
    end of the line ``paindiary analyze`` prints, whichever engine ran.
    """
    responder = patient_outcomes["responder"]
    n_eval = int(responder.notna().sum())
    n_resp = int(responder.fillna(False).astype(bool).sum())
    rate = f" ({100 * n_resp / n_eval:.0f}%)" if n_eval else ""
    return (
        f"{int(patient_outcomes['change'].notna().sum())} with baseline and follow-up; "
        f"{n_resp} of {n_eval} responders at {settings.responder_threshold:g}%{rate}"
    )
