"""The whole analysis in one call: settings, :func:`analyze` and the ``analyze`` command.

:class:`AnalysisSettings` is the single settings object shared by the CLI and the
dashboard; :func:`analyze` turns the three canonical frames into an
:class:`AnalysisResult` whose :meth:`AnalysisResult.write_csv` writes the files
documented in ``docs/analytics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path

import pandas as pd

from analytics.contract import empty_frame, index_dates
from analytics.errors import InsufficientDataError
from analytics.io import neutralise_cell
from analytics.pipeline._outcome_table import PATIENT_OUTCOME_COLUMNS, outcome_table
from analytics.settings import DEFAULT_SETTINGS, AnalysisSettings
from analytics.stats import (
    EMAX_COLUMNS,
    GROUPINGS,
    KM_COLUMNS,
    EmaxFit,
    KaplanMeier,
    adverse_event_counts,
    cpra_curve,
    dose_response,
    dose_response_summary,
    factor_effects,
    factor_effects_summary,
    fit_emax,
    group_comparison,
    group_summary,
    headache_summary,
    kaplan_meier,
    nof1_effects,
    patient_outcomes,
    questionnaire_table,
    rates_from_counts,
    session_response,
    session_response_by_technique,
    shared_patient_codes,
)

__all__ = [
    "AnalysisSettings",
    "AnalysisResult",
    "PATIENT_OUTCOME_COLUMNS",
    "OUTPUT_FILES",
    "QUESTIONNAIRE_FILE",
    "write_questionnaire_table",
    "csv_cells",
    "PER_PATIENT_TABLES",
    "analyze",
    "cohort",
    "group_tables",
    "with_comparison_columns",
    "per_patient",
]

#: File written by :meth:`AnalysisResult.write_csv` for each result attribute.
OUTPUT_FILES = {
    "patient_outcomes": "patient_outcomes.csv",
    "group_summary": "group_summary.csv",
    "group_comparison": "group_comparison.csv",
    "session_response": "session_response.csv",
    "session_response_by_technique": "session_response_by_technique.csv",
    "dose_response": "dose_response.csv",
    "dose_response_summary": "dose_response_summary.csv",
    "emax_fit": "emax_fit.csv",
    "time_to_response": "time_to_response.csv",
    "kaplan_meier": "kaplan_meier.csv",
    "adverse_events": "adverse_events.csv",
    "cpra": "cpra.csv",
    "factor_effects": "factor_effects.csv",
    "factor_effects_summary": "factor_effects_summary.csv",
    "nof1_effects": "nof1_effects.csv",
    "headache_summary": "headache_summary.csv",
}


#: Tables returned by :func:`per_patient`, each one with rows of one patient only.
PER_PATIENT_TABLES = (
    "patient_outcomes",
    "session_response",
    "dose_response",
    "time_to_response",
    "adverse_event_counts",
    "factor_effects",
    "nof1_effects",
)


@dataclass(frozen=True)
class AnalysisResult:
    """Everything :func:`analyze` computed; tables are DataFrames.

    Attributes
    ----------
    settings : AnalysisSettings
    patient_outcomes : pandas.DataFrame
        One row per patient, columns :data:`PATIENT_OUTCOME_COLUMNS`.
    group_summary, group_comparison : pandas.DataFrame
        :func:`analytics.stats.group_summary` / ``group_comparison`` for
        ``by`` = group, condition and technique, stacked (column ``group_by``).
    session_response, session_response_by_technique : pandas.DataFrame
        :mod:`analytics.stats`.
    dose_response, dose_response_summary : pandas.DataFrame
        :mod:`analytics.stats` (per patient and session number; per session number).
    emax_fit : EmaxFit or None
        :func:`analytics.stats.fit_emax` on the per-patient points; None when there
        are too few session numbers.
    time_to_response : pandas.DataFrame
        :func:`analytics.stats.time_to_response`.
    kaplan_meier : KaplanMeier or None
        :func:`analytics.stats.kaplan_meier` of ``time_to_response``; None
        without patients.
    adverse_events : pandas.DataFrame
        :func:`analytics.stats.adverse_event_rates`.
    cpra : pandas.DataFrame
        :func:`analytics.stats.cpra_curve` of the patients' % change.
    factor_effects, factor_effects_summary : pandas.DataFrame
        :func:`analytics.stats.factor_effects` (per patient, factor and lag) and
        :func:`analytics.stats.factor_effects_summary` (cohort).
    nof1_effects : pandas.DataFrame
        :func:`analytics.stats.nof1_effects`: NAP and Tau-U per patient.
    headache_summary : pandas.DataFrame
        :func:`analytics.stats.headache_summary` by group.
    """

    settings: AnalysisSettings
    patient_outcomes: pd.DataFrame
    group_summary: pd.DataFrame
    group_comparison: pd.DataFrame
    session_response: pd.DataFrame
    session_response_by_technique: pd.DataFrame
    dose_response: pd.DataFrame
    dose_response_summary: pd.DataFrame
    emax_fit: EmaxFit | None
    time_to_response: pd.DataFrame
    kaplan_meier: KaplanMeier | None
    adverse_events: pd.DataFrame
    cpra: pd.DataFrame
    factor_effects: pd.DataFrame
    factor_effects_summary: pd.DataFrame
    nof1_effects: pd.DataFrame
    headache_summary: pd.DataFrame
    notes: tuple[str, ...] = field(default=())

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every result table by the attribute name (fits as one-row/curve frames)."""
        out: dict[str, pd.DataFrame] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, pd.DataFrame):
                out[f.name] = value
        out["emax_fit"] = _fit_frame(self.emax_fit, EMAX_COLUMNS)
        out["kaplan_meier"] = _fit_frame(self.kaplan_meier, KM_COLUMNS)
        return out

    def write_csv(self, out_dir: str | Path) -> list[Path]:
        """Write every table of :data:`OUTPUT_FILES` to ``out_dir`` (created if needed).

        Numbers are written unrounded (shortest text that reads back to the same
        float), dates as ``YYYY-MM-DD``, booleans as ``True``/``False``, missing
        values as empty cells; text cells a spreadsheet would run as a formula get
        a leading ``'`` (``analytics.io.neutralise_cell``).

        Returns
        -------
        list of pathlib.Path
            The files written, in :data:`OUTPUT_FILES` order.
        """
        base = Path(out_dir)
        base.mkdir(parents=True, exist_ok=True)
        tables = self.tables()
        paths = []
        for name, file_name in OUTPUT_FILES.items():
            path = base / file_name
            csv_cells(tables[name]).to_csv(path, index=False, lineterminator="\n")
            paths.append(path)
        return paths


#: File :func:`write_questionnaire_table` writes next to :data:`OUTPUT_FILES`.
QUESTIONNAIRE_FILE = "questionnaire_scores.csv"


def write_questionnaire_table(answers: pd.DataFrame, out_dir: str | Path) -> Path | None:
    """Write the questionnaire scores and their change from baseline, when there are answers.

    Parameters
    ----------
    answers : pandas.DataFrame
        The canonical questionnaire answers (``Dataset.questionnaires``).
    out_dir : path
        The folder the other outputs go to.

    Returns
    -------
    pathlib.Path or None
        ``out_dir/questionnaire_scores.csv`` (the columns of
        :func:`analytics.stats.questionnaire_table`), or None when there are no answers:
        a clinic without questionnaires gets exactly the files it got before.
    """
    if not len(answers):
        return None
    path = Path(out_dir) / QUESTIONNAIRE_FILE
    csv_cells(questionnaire_table(answers)).to_csv(path, index=False, lineterminator="\n")
    return path


def _fit_frame(fit: EmaxFit | KaplanMeier | None, columns: dict[str, str]) -> pd.DataFrame:
    """Tabulate a fit, or give its header (``columns``) with no rows when there is no fit."""
    if isinstance(fit, KaplanMeier):
        return fit.table
    if fit is not None:
        return fit.to_frame()
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in columns.items()})


def csv_cells(frame: pd.DataFrame) -> pd.DataFrame:
    """Give an output table's cells as the CSV writes them: ISO dates, formulas neutralised."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            has_time = (s.notna() & (s != s.dt.normalize())).any()
            out[col] = s.dt.strftime("%Y-%m-%dT%H:%M" if has_time else "%Y-%m-%d")
        elif isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(s):
            text = s.astype("str")
            # only a cell starting with ' or a formula trigger can change: test cheaply
            # first, then neutralise just those
            suspect = text.str.match(r"['=+\-@\t\r]").fillna(False).to_numpy(dtype=bool)
            if suspect.any():
                text = text.copy()
                text[suspect] = neutralise_cell(text[suspect])
            out[col] = text.where(text.notna(), "")
    return out


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [f for f in frames if len(f)] or frames[:1]
    return pd.concat(frames, ignore_index=True)


def _canonical_inputs(
    patients: pd.DataFrame | None, sessions: pd.DataFrame | None, settings: object, func: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Check ``settings`` and stand empty frames in for missing patients and sessions."""
    if not isinstance(settings, AnalysisSettings):
        raise TypeError(
            f"The 'settings' parameter of {func} must be an AnalysisSettings. "
            f"Got {settings!r} instead."
        )
    if patients is None:
        patients = empty_frame("patients")
    if sessions is None:
        sessions = empty_frame("sessions")
    return patients, sessions


def per_patient(
    patients: pd.DataFrame | None,
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    settings: AnalysisSettings = DEFAULT_SETTINGS,
) -> dict[str, pd.DataFrame]:
    """Every table whose rows depend only on one patient's rows.

    Running it on any partition of the patients (all rows of a patient in the
    same part) and concatenating the parts gives the same rows as one run on the
    whole clinic; :func:`cohort` then summarises the concatenation.

    Parameters
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical frames (``analytics.contract.schema``); ``patients`` and ``sessions`` may
        be None or empty. Never modified.
    settings : AnalysisSettings, optional
        Options; the defaults follow DOMAIN.md.

    Returns
    -------
    dict of str to pandas.DataFrame
        Keys :data:`PER_PATIENT_TABLES`, each sorted by ``patient_id``:

        - ``patient_outcomes``: one row per patient, columns
          :data:`PATIENT_OUTCOME_COLUMNS` (see :func:`analyze`);
        - ``session_response``: :func:`analytics.stats.session_response`;
        - ``dose_response``: :func:`analytics.stats.dose_response`;
        - ``time_to_response``: :func:`analytics.stats.time_to_response`;
        - ``adverse_event_counts``: :func:`analytics.stats.adverse_event_counts`;
        - ``factor_effects``: :func:`analytics.stats.factor_effects`;
        - ``nof1_effects``: :func:`analytics.stats.nof1_effects`.

    Examples
    --------
    >>> from analytics.contract import empty_frame
    >>> sorted(per_patient(None, empty_frame("diary"), None))[:2]
    ['adverse_event_counts', 'dose_response']
    """
    patients, sessions = _canonical_inputs(patients, sessions, settings, "per_patient")
    s = settings
    with shared_patient_codes():  # every stage reuses the first coding of a patient column
        index = index_dates(patients, sessions)
        outcomes = patient_outcomes(
            diary,
            patients,
            sessions,
            responder_threshold=s.responder_threshold,
            index=index,
            **s.window_kwargs(),
        )
        baseline = outcomes.set_index("patient_id")["baseline_pain"].dropna()

        table, ttr = outcome_table(diary, sessions, patients, index, outcomes, baseline, s)
        table = with_comparison_columns(table, patients, diary, sessions, s)
        return {
            "patient_outcomes": table,
            "session_response": session_response(
                diary,
                sessions,
                window_days=s.session_window_days,
                min_entries=s.session_min_entries,
                relief_points=s.relief_points,
            ),
            "dose_response": dose_response(diary, sessions, baseline),
            "time_to_response": ttr,
            "adverse_event_counts": adverse_event_counts(sessions, patients=patients),
            "factor_effects": factor_effects(
                diary,
                sessions,
                min_days=s.factor_min_days,
                poor_sleep_max=s.poor_sleep_max,
                high_stress_min=s.high_stress_min,
                low_mood_max=s.low_mood_max,
            ),
            "nof1_effects": nof1_effects(
                diary, index, baseline_days=s.baseline_days, min_entries=s.min_entries
            ),
        }


def with_comparison_columns(
    table: pd.DataFrame,
    patients: pd.DataFrame,
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    s: AnalysisSettings,
) -> pd.DataFrame:
    """Append the patient columns to adjust for and, with ``completers_at``, ``completer``.

    Parameters
    ----------
    table : pandas.DataFrame
        Per-patient rows with ``patient_id`` (``patient_outcomes``).
    patients, diary, sessions : pandas.DataFrame
        The canonical frames ``table`` was computed from.
    s : AnalysisSettings
        ``adjust`` names the patient columns appended (``condition`` is already
        there); ``completers_at`` = H appends ``completer`` (bool): the patient
        has a valid follow-up window ending on day H − 1.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with those columns after its own; ``table`` itself
        when neither option is set, so the default table keeps its columns.
    """
    if not s.adjust_columns and s.completers_at is None:
        return table
    table = table.copy()
    people = patients.set_index("patient_id")
    for name in s.adjust_columns:
        if name not in table.columns:
            table[name] = people[name].reindex(table["patient_id"]).to_numpy()
    if s.completers_at is not None:
        kwargs = {**s.window_kwargs(), "followup_at": s.completers_at}
        at_day = patient_outcomes(
            diary, patients, sessions, responder_threshold=s.responder_threshold, **kwargs
        ).set_index("patient_id")["followup_pain"]
        table["completer"] = at_day.reindex(table["patient_id"]).notna().to_numpy()
    return table


def group_tables(
    outcomes: pd.DataFrame, s: AnalysisSettings = DEFAULT_SETTINGS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give the group summaries and comparisons by group, condition and technique, stacked.

    Parameters
    ----------
    outcomes : pandas.DataFrame
        ``patient_outcomes`` of :func:`per_patient` (with the columns of
        :func:`with_comparison_columns` when ``adjust`` or ``completers_at`` is set).
    s : AnalysisSettings
        With ``completers_at`` set, only the patients flagged ``completer`` are
        summarised and compared; ``adjust`` and ``rd_interval`` reach
        :func:`analytics.stats.group_comparison`.

    Returns
    -------
    (group_summary, group_comparison) : tuple of pandas.DataFrame

    Raises
    ------
    ValueError
        When ``completers_at`` is set but ``outcomes`` has no ``completer`` column.
    """
    compared = outcomes
    if s.completers_at is not None:
        if "completer" not in outcomes.columns:
            raise ValueError(
                "The per-patient tables given to cohort were computed without completers_at; "
                "compute them with the same settings (per_patient(..., settings))."
            )
        compared = outcomes[outcomes["completer"].astype("bool").to_numpy()]
    threshold, size = s.responder_threshold, s.min_group_size
    summary = _stack(
        [
            group_summary(compared, by=by, responder_threshold=threshold, min_group_size=size)
            for by in GROUPINGS
        ]
    )
    comparison = _stack(
        [
            group_comparison(
                compared,
                by=by,
                responder_threshold=threshold,
                min_group_size=size,
                adjust=s.adjust_columns,
                rd_interval="wald" if s.rd_interval == "wald" else "newcombe",
            )
            for by in GROUPINGS
        ]
    )
    return summary, comparison


def cohort(
    per_patient_tables: dict[str, pd.DataFrame],
    patients: pd.DataFrame | None = None,
    sessions: pd.DataFrame | None = None,
    settings: AnalysisSettings = DEFAULT_SETTINGS,
) -> AnalysisResult:
    """Summarise the cohort from the per-patient tables only.

    Parameters
    ----------
    per_patient_tables : dict of str to pandas.DataFrame
        The tables of :func:`per_patient` (every key of
        :data:`PER_PATIENT_TABLES`), for one run or concatenated over partitions
        of the patients (in ``patient_id`` order for output identical to one run).
    patients, sessions : pandas.DataFrame or None, optional
        Not read: every summary comes from ``per_patient_tables``, so a caller
        that keeps per-patient rows (a store, a distributed engine) needs no raw
        rows here. Accepted so that the call mirrors :func:`per_patient`.
    settings : AnalysisSettings, optional
        The settings the per-patient tables were computed with.

    Returns
    -------
    AnalysisResult
        Group summaries and comparisons (by group, condition and technique),
        session response by technique (cluster bootstrap seeded by
        ``settings.seed``), dose-response summary and Emax fit, Kaplan–Meier
        curve, adverse-event rates, the CPRA curve and the cohort factor
        effects, with the per-patient tables themselves.

    Raises
    ------
    ValueError
        When a table of :data:`PER_PATIENT_TABLES` is missing.
    """
    _canonical_inputs(patients, sessions, settings, "cohort")
    missing = [name for name in PER_PATIENT_TABLES if name not in per_patient_tables]
    if missing:
        raise ValueError(
            "The 'per_patient_tables' parameter of cohort must hold every table of "
            f"per_patient; missing {', '.join(missing)}."
        )
    s = settings
    t = per_patient_tables
    outcomes = t["patient_outcomes"]
    notes: list[str] = []
    summary, comparison = group_tables(outcomes, s)
    responses = t["session_response"]
    by_technique = session_response_by_technique(responses, n_boot=s.n_boot, rng=s.seed)
    dose = t["dose_response"]
    try:
        emax = fit_emax(dose)
    except InsufficientDataError as exc:
        emax = None
        notes.append(f"Emax fit skipped: {exc}")
    ttr = t["time_to_response"]
    km = kaplan_meier(ttr["days_to_response"], ttr["event"]) if len(ttr) else None
    return AnalysisResult(
        settings=s,
        patient_outcomes=outcomes,
        group_summary=summary,
        group_comparison=comparison,
        session_response=responses,
        session_response_by_technique=by_technique,
        dose_response=dose,
        dose_response_summary=dose_response_summary(dose),
        emax_fit=emax,
        time_to_response=ttr,
        kaplan_meier=km,
        adverse_events=rates_from_counts(t["adverse_event_counts"]),
        cpra=cpra_curve(outcomes["pct_change"]),
        factor_effects=t["factor_effects"],
        factor_effects_summary=factor_effects_summary(t["factor_effects"]),
        nof1_effects=t["nof1_effects"],
        headache_summary=headache_summary(
            outcomes, control_labels=s.control_labels, min_group_size=s.min_group_size
        ),
        notes=tuple(notes),
    )


def analyze(
    patients: pd.DataFrame | None,
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    settings: AnalysisSettings = DEFAULT_SETTINGS,
) -> AnalysisResult:
    """Run every analysis of the project on a clinic's canonical frames.

    ``analyze(p, d, s, settings)`` is ``cohort(per_patient(p, d, s, settings), p,
    s, settings)``.

    Parameters
    ----------
    patients, diary, sessions : pandas.DataFrame
        Canonical frames (``analytics.contract.schema``); ``patients`` and ``sessions`` may
        be None or empty. Never modified.
    settings : AnalysisSettings, optional
        Options; the defaults follow DOMAIN.md.

    Returns
    -------
    AnalysisResult

    Notes
    -----
    Steps: :func:`analytics.stats.patient_outcomes` merged with Theil–Sen
    slopes over the treatment period, the interrupted time series, days to
    response, secondary outcomes and data-quality flags; group summaries and
    comparisons by group, condition and technique; the session-level analyses;
    the CPRA curve. ``days_to_response`` in the patient table is NaN when the
    response was not reached (the censored time is in ``time_to_response``).
    """
    patients, sessions = _canonical_inputs(patients, sessions, settings, "analyze")
    tables = per_patient(patients, diary, sessions, settings)
    return cohort(tables, patients, sessions, settings)
