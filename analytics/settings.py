"""The analysis settings: the one home of every default, range and help text.

:class:`AnalysisSettings` is a frozen dataclass whose fields carry their range,
help text and labels as field metadata (an :class:`Option`). Everything else is
generated from it: the checks on creation, the options of ``paindiary analyze``
(:func:`add_arguments`, :func:`from_arguments`) and the dashboard's sidebar
widgets (``dashboard/settings.py`` reads :func:`options`).
"""

from __future__ import annotations

import argparse
import datetime as dt
from dataclasses import Field, dataclass, field, fields
from typing import Any, Literal

__all__ = [
    "ADJUSTABLE_COLUMNS",
    "RD_INTERVALS",
    "AnalysisSettings",
    "DEFAULT_SETTINGS",
    "FHIR_PATIENT_FIELDS",
    "fhir_patient_fields",
    "Option",
    "options",
    "add_arguments",
    "from_arguments",
]


#: Patient columns a comparison between groups can adjust for (``sex``, ``condition``
#: and ``clinician_id`` as factors, ``age`` and ``pain_duration_years`` as numbers).
ADJUSTABLE_COLUMNS = ("age", "pain_duration_years", "sex", "condition", "clinician_id")
#: Intervals of the responder risk difference: Newcombe's alone, or Wald's beside it.
RD_INTERVALS = ("newcombe", "wald")


@dataclass(frozen=True)
class Option:
    """What a setting means and which values it takes (field metadata).

    Attributes
    ----------
    kind : {"int", "float", "date", "text"}
        Type of the value.
    low, high : float or None
        Inclusive range checked on creation (None = no bound; dates unbounded).
    help : str
        One sentence for ``--help`` and the docs.
    label : str
        Short label of the dashboard widget (empty = no widget).
    ui_low, ui_high, step : float or None
        Range and step of the dashboard widget (narrower than the library's).
    widget : {"number", "slider", ""}
        Dashboard widget, "" for none.
    none_as_zero : bool
        The widget shows "not set" (None) as 0.
    cli : bool
        Offered as a ``paindiary analyze`` option.
    """

    kind: Literal["int", "float", "date", "text"]
    low: float | None
    high: float | None
    help: str
    label: str = ""
    ui_low: float | None = None
    ui_high: float | None = None
    step: float | None = None
    widget: Literal["number", "slider", ""] = ""
    none_as_zero: bool = False
    cli: bool = True
    format: str | None = None
    metavar: str | None = None


#: Patient fields a clinic may share in a FHIR export (``fhir_patient_fields``).
FHIR_PATIENT_FIELDS = ("sex", "birth_year", "clinician")


def _opt(default: Any, **kw: Any) -> Any:
    return field(default=default, metadata={"option": Option(**kw)})


@dataclass(frozen=True)
class AnalysisSettings:
    """Every option of the analysis, validated on creation.

    Each field's range and help text live in its metadata (:func:`options`);
    ``docs/analytics.md`` lists them with their defaults.

    Parameters
    ----------
    baseline_days : int, default 14
        Baseline window before the index date, days, in [1, 3650].
    followup_days : int, default 14
        Follow-up window length, days, in [1, 3650].
    followup_at : int or None, default None
        Follow-up horizon H in days after the index date (window ends on day
        H − 1); None = the patient's last diary days.
    min_entries : int, default 4
        Fewest diary entries for a valid baseline or follow-up mean, a Theil–Sen
        slope (at least 2), and (capped at ``trend_window_days``) a 7-day trailing mean, in
        [1, 3650].
    responder_threshold : float, default 30.0
        % pain reduction that makes a responder, in [0, 100].
    trend_window_days : int, default 7
        Length of the trailing mean used by time to response (and the trend), in
        [1, 365].
    response_fraction : float, default 0.7
        Time to response: the trailing mean must be at most this fraction of the
        baseline, in [0.01, 1].
    response_hold_days : int, default 7
        Time to response: consecutive days the trailing mean must stay there, in
        [1, 365].
    its_min_entries : int, default 7
        Fewest diary entries on each side of the index date for an interrupted
        time series, in [2, 3650].
    session_window_days : int, default 3
        Session response: days before and after a session in the short-term
        windows, in [1, 30].
    session_min_entries : int, default 2
        Session response: entries needed in each short-term window, in [1, 30]
        (at most ``session_window_days``).
    relief_points : float, default 1.0
        Session response: points below the pre-session mean that count as relief,
        in [0, 10].
    as_of : date-like or None, default None
        Date D of the status columns (current trailing mean, days since the last
        entry, adherence, recent adverse events, recent valid follow-up),
        normalised to a midnight ``pandas.Timestamp``; None = each patient's last
        diary day. The trial-style baseline and follow-up never depend on it.
    recent_days : int, default 28
        Adherence and recent adverse events count the days
        ``[D − recent_days + 1, D]``, in [1, 3650].
    not_logging_days : int, default 7
        ``not_logging`` when the last entry is at least this many days before D,
        in [1, 3650].
    course_quiet_weeks : int, default 8
        An active course with no session for this many weeks is shown as "probably
        ended — confirm" rather than "not logging", in [1, 520].
    factor_min_days : int, default 3
        Factor effects: fewest days with and without a factor, in [2, 365].
    poor_sleep_max, high_stress_min, low_mood_max : float, default 4, 7, 4
        Factor effects: sleep quality <= 4 is poor sleep, stress >= 7 high stress,
        mood <= 4 low mood (0–10 items).
    control_groups : str, default "waitlist,wait_list,usual_care,control,sham,no_treatment"
        Comma-separated ``group`` labels of control patients, compared
        case-insensitively after trimming. A patient in one of them, or with no
        session, is ``control`` in ``patient_outcomes`` and left out of the
        condition and technique summaries (kept in the group summaries).
    min_group_size : int, default 5
        Fewest patients (with a baseline and a follow-up) in each group before a
        group summary or a comparison between groups shows a confidence interval
        or a p-value, in [2, 100000]; smaller groups get counts only.
    fhir_identifier_system : str, default "https://paindiary.org/fhir/patient-id"
        FHIR export: the identifier system of the patient id; a clinic sets the
        URI its record system knows the patient by.
    fhir_patient_fields : str, default "sex,birth_year"
        FHIR export: comma-separated patient fields shared (``sex``,
        ``birth_year``, ``clinician``); empty = the identifier only.
    adjust : str, default ""
        Comma-separated patient columns the comparisons between groups adjust
        for besides the baseline (:data:`ADJUSTABLE_COLUMNS`; ``sex``,
        ``condition`` and ``clinician_id`` enter as factors); "" = baseline only.
    completers_at : int or None, default None
        Group summaries and comparisons keep only the patients with a valid
        follow-up window ending on day H − 1 for H = this many days after the
        index date (a trial's completers at that visit), in [1, 36500].
    rd_interval : {"newcombe", "wald"}, default "newcombe"
        ``wald`` adds the Wald interval of the responder risk difference and
        the Pearson χ² p-value beside Newcombe's interval.
    questionnaire_sessions : str, default "6,12"
        Outcome questionnaires are due at baseline and after these session
        numbers (see :attr:`questionnaire_session_numbers`).
    seed : int, default 0
        Seed of the bootstrap confidence intervals, >= 0.
    n_boot : int, default 2000
        Bootstrap replicates, in [1, 1000000].

    Raises
    ------
    ValueError
        In scikit-learn's wording, naming the parameter and the allowed range.

    Examples
    --------
    >>> AnalysisSettings(responder_threshold=35.0).responder_threshold
    35.0
    """

    baseline_days: int = _opt(
        14,
        kind="int",
        low=1,
        high=3650,
        help="baseline window: days before the index date",
        label="Baseline: days before the start of treatment",
        ui_low=3,
        ui_high=90,
        step=1,
        widget="number",
    )
    followup_days: int = _opt(
        14,
        kind="int",
        low=1,
        high=3650,
        help="follow-up window length, days",
        label="Follow-up window length (days)",
        ui_low=3,
        ui_high=90,
        step=1,
        widget="number",
    )
    followup_at: int | None = _opt(
        None,
        kind="int",
        low=1,
        high=36500,
        help="follow-up window ends H days after the index date; not set = the diary's last days",
        label="Follow-up ends N days after the start (0 = at the diary's end)",
        ui_low=0,
        ui_high=730,
        step=7,
        widget="number",
        none_as_zero=True,
    )
    min_entries: int = _opt(
        4,
        kind="int",
        low=1,
        high=3650,
        help="fewest diary entries for a valid baseline, follow-up or 7-day mean",
        label="Fewest diary entries for a valid mean",
        ui_low=1,
        ui_high=30,
        step=1,
        widget="number",
    )
    responder_threshold: float = _opt(
        30.0,
        kind="float",
        low=0.0,
        high=100.0,
        help="% pain reduction that makes a responder",
        label="Responder threshold (% pain reduction)",
        ui_low=10.0,
        ui_high=90.0,
        step=5.0,
        widget="slider",
        format="%.0f%%",
    )
    trend_window_days: int = _opt(
        7,
        kind="int",
        low=1,
        high=365,
        help="length of the trailing mean used by time to response and the trend, days",
    )
    response_fraction: float = _opt(
        0.7,
        kind="float",
        low=0.01,
        high=1.0,
        help="time to response: trailing mean at most this fraction of baseline",
    )
    response_hold_days: int = _opt(
        7,
        kind="int",
        low=1,
        high=365,
        help="time to response: days the trailing mean must stay at or below it",
    )
    its_min_entries: int = _opt(
        7,
        kind="int",
        low=2,
        high=3650,
        help="fewest diary entries on each side of the index date for the interrupted time series",
    )
    session_window_days: int = _opt(
        3,
        kind="int",
        low=1,
        high=30,
        help="session response: days before and after a session in the short-term windows",
    )
    session_min_entries: int = _opt(
        2,
        kind="int",
        low=1,
        high=30,
        help="session response: entries needed in each short-term window",
    )
    relief_points: float = _opt(
        1.0,
        kind="float",
        low=0.0,
        high=10.0,
        help="session response: points below the pre-session mean that count as relief",
    )
    as_of: str | dt.date | None = _opt(  # a pandas.Timestamp (a date) once checked
        None,
        kind="date",
        low=None,
        high=None,
        help="date of the status columns (current mean, days since last entry, adherence, "
        "recent adverse events, recent valid follow-up); not set = each patient's last entry",
    )
    recent_days: int = _opt(
        28,
        kind="int",
        low=1,
        high=3650,
        help="adherence and recent adverse events count the days ending at the status date",
    )
    not_logging_days: int = _opt(
        7,
        kind="int",
        low=1,
        high=3650,
        help="a patient whose last entry is at least this many days old is not logging",
    )
    course_quiet_weeks: int = _opt(
        8,
        kind="int",
        low=1,
        high=520,
        help="an active course with no session for this many weeks is shown as probably ended",
    )
    factor_min_days: int = _opt(
        3,
        kind="int",
        low=2,
        high=365,
        help="factor effects: fewest days with and without a factor for an estimate",
    )
    poor_sleep_max: float = _opt(
        4.0,
        kind="float",
        low=0.0,
        high=10.0,
        help="factor effects: sleep quality at or below this is poor sleep",
    )
    high_stress_min: float = _opt(
        7.0,
        kind="float",
        low=0.0,
        high=10.0,
        help="factor effects: stress at or above this is high stress",
    )
    low_mood_max: float = _opt(
        4.0,
        kind="float",
        low=0.0,
        high=10.0,
        help="factor effects: mood at or below this is low mood",
    )
    control_groups: str = _opt(
        "waitlist,wait_list,usual_care,control,sham,no_treatment",
        kind="text",
        low=None,
        high=None,
        help="comma-separated group labels of control patients (compared case-insensitively), "
        "kept out of the condition and technique responder rates",
    )
    min_group_size: int = _opt(
        5,
        kind="int",
        low=2,
        high=100_000,
        help="fewest patients per group for a group's confidence interval or a comparison's "
        "p-value; smaller groups get counts only",
    )
    fhir_identifier_system: str = _opt(
        "https://paindiary.org/fhir/patient-id",
        kind="text",
        low=None,
        high=None,
        help="FHIR export: identifier system of the patient id (the clinic's own URI, so a "
        "receiving record system can match the patient)",
        cli=False,
    )
    fhir_patient_fields: str = _opt(
        "sex,birth_year",
        kind="text",
        low=None,
        high=None,
        help="FHIR export: comma-separated patient fields the clinic shares (sex, birth_year, "
        "clinician; empty = the identifier only)",
        cli=False,
    )
    adjust: str = _opt(
        "",
        kind="text",
        low=None,
        high=None,
        help="comparisons between groups adjust for these patient columns besides the baseline "
        "(comma-separated: age, pain_duration_years, sex, condition, clinician_id; the last "
        "three as factors)",
        metavar="COLUMNS",
    )
    completers_at: int | None = _opt(
        None,
        kind="int",
        low=1,
        high=36500,
        help="group summaries and comparisons keep only patients with a valid follow-up window "
        "ending H days after the index date (a trial's completers)",
        metavar="DAY",
    )
    rd_interval: str = _opt(
        "newcombe",
        kind="text",
        low=None,
        high=None,
        help="risk-difference interval: newcombe, or wald to add the Wald interval and the "
        "chi-squared p-value beside Newcombe's",
        metavar="METHOD",
    )
    questionnaire_sessions: str = _opt(
        "6,12",
        kind="text",
        low=None,
        high=None,
        help="outcome questionnaires are due at baseline and after these session numbers "
        "(comma-separated whole numbers from 1 to 100)",
        cli=False,
    )
    seed: int = _opt(
        0, kind="int", low=0, high=None, help="seed of the bootstrap confidence intervals"
    )
    n_boot: int = _opt(
        2000, kind="int", low=1, high=1_000_000, help="bootstrap replicates of the technique CIs"
    )

    def __post_init__(self) -> None:
        """Check every option against its range (scikit-learn's wording); normalise numbers and dates."""
        from analytics.checks import check_int, check_number

        func = "AnalysisSettings"
        for f, opt in options():
            value = getattr(self, f.name)
            if value is None and f.default is None:
                continue
            if opt.kind == "int":
                high = None if opt.high is None else int(opt.high)
                check_int(value, f.name, func, int(opt.low or 0), high)
            elif opt.kind == "float":
                value = check_number(value, f.name, func, float(opt.low or 0.0), opt.high)
                object.__setattr__(self, f.name, value)
            elif opt.kind == "text":
                if not isinstance(value, str):
                    raise ValueError(
                        f"The '{f.name}' parameter of {func} must be a str. Got {value!r} instead."
                    )
            else:
                object.__setattr__(self, f.name, _check_date(value, f.name, func))
        _check_fhir(self.fhir_identifier_system, self.fhir_patient_fields)
        _check_comparison_options(self)
        _ = self.questionnaire_session_numbers  # checks the text
        if self.session_min_entries > self.session_window_days:
            raise ValueError(
                "The 'session_min_entries' parameter of AnalysisSettings must be an int in "
                f"[1, session_window_days={self.session_window_days}]. "
                f"Got {self.session_min_entries!r} instead."
            )

    @property
    def questionnaire_session_numbers(self) -> tuple[int, ...]:
        """The ``questionnaire_sessions`` as sorted whole numbers, without repeats."""
        parts = [x.strip() for x in self.questionnaire_sessions.split(",") if x.strip()]
        if not all(x.isdigit() and 1 <= int(x) <= 100 for x in parts):
            raise ValueError(
                "The 'questionnaire_sessions' parameter of AnalysisSettings must be comma-separated "
                f"whole numbers from 1 to 100, e.g. '6,12'. Got {self.questionnaire_sessions!r} instead."
            )
        return tuple(sorted({int(x) for x in parts}))

    @property
    def control_labels(self) -> frozenset[str]:
        """The ``control_groups`` labels, trimmed and lower-cased."""
        return frozenset(x.strip().lower() for x in self.control_groups.split(",") if x.strip())

    @property
    def rolling_min_entries(self) -> int:
        """Fewest entries of a trailing mean: ``min_entries`` capped at its window."""
        return min(self.min_entries, self.trend_window_days)

    @property
    def adjust_columns(self) -> tuple[str, ...]:
        """The ``adjust`` columns, trimmed, in the order given, without repeats."""
        names = (x.strip() for x in self.adjust.split(","))
        return tuple(dict.fromkeys(x for x in names if x))

    def window_kwargs(self) -> dict[str, Any]:
        """Give the window options of :func:`analytics.stats.patient_outcomes` as keywords."""
        return {
            "baseline_days": self.baseline_days,
            "followup_days": self.followup_days,
            "followup_at": self.followup_at,
            "min_entries": self.min_entries,
        }


def _check_fhir(system: str, shared: str) -> None:
    """Check the FHIR export settings: an absolute URI, and known patient fields."""
    if ":" not in system or any(c.isspace() for c in system) or system.startswith(":"):
        raise ValueError(
            "The 'fhir_identifier_system' parameter of AnalysisSettings must be an absolute "
            f"URI without spaces, such as https://clinic.example/patient-id. Got {system!r} "
            "instead."
        )
    unknown = [x for x in fhir_patient_fields(shared) if x not in FHIR_PATIENT_FIELDS]
    if unknown:
        raise ValueError(
            "The 'fhir_patient_fields' parameter of AnalysisSettings must name fields among "
            f"{', '.join(FHIR_PATIENT_FIELDS)}. Got {shared!r} instead."
        )


def fhir_patient_fields(text: str) -> tuple[str, ...]:
    """Split the ``fhir_patient_fields`` setting into trimmed, lower-case words."""
    return tuple(x.strip().lower() for x in text.split(",") if x.strip())


def _check_comparison_options(settings: AnalysisSettings) -> None:
    """Check ``adjust`` names patient columns and ``rd_interval`` a method; raise ValueError."""
    unknown = [c for c in settings.adjust_columns if c not in ADJUSTABLE_COLUMNS]
    if unknown:
        raise ValueError(
            "The 'adjust' parameter of AnalysisSettings must name patient columns from "
            f"{', '.join(ADJUSTABLE_COLUMNS)}, separated by commas. Got {', '.join(unknown)!s} "
            "instead."
        )
    if settings.rd_interval not in RD_INTERVALS:
        raise ValueError(
            "The 'rd_interval' parameter of AnalysisSettings must be one of "
            f"{', '.join(RD_INTERVALS)}. Got {settings.rd_interval!r} instead."
        )


def _check_date(value: object, name: str, func: str) -> dt.date:
    import pandas as pd

    try:
        if isinstance(value, (str, dt.date, pd.Timestamp)) and not pd.isna(value):
            return pd.Timestamp(value).normalize().as_unit("ns")
    except (ValueError, TypeError):
        pass
    raise ValueError(
        f"The '{name}' parameter of {func} must be a date (YYYY-MM-DD). Got {value!r} instead."
    )


def options() -> list[tuple[Field[Any], Option]]:
    """Every field of :class:`AnalysisSettings` with its :class:`Option`, in order."""
    return [(f, f.metadata["option"]) for f in fields(AnalysisSettings)]


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _range_text(opt: Option) -> str:
    if opt.kind == "date":
        return "YYYY-MM-DD"
    if opt.kind == "text":
        return "text"

    def text(v: float | None) -> str:
        return "inf" if v is None else str(int(v)) if opt.kind == "int" else f"{v:g}"

    return f"in [{text(opt.low)}, {text(opt.high)}]"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add one ``--option`` per setting to ``parser`` (defaults, ranges and help from metadata).

    Parsed values are checked by :func:`from_arguments` (through
    :class:`AnalysisSettings`), so a value out of range gets the library's message.
    """
    for f, opt in options():
        if not opt.cli:
            continue
        default = f.default
        if default is None:
            shown = "not set"
        elif opt.kind in ("int", "float"):
            shown = f"{default:g}"
        else:
            shown = str(default)
        types = {"int": int, "float": float, "date": str, "text": str}
        parser.add_argument(
            _flag(f.name),
            dest=f.name,
            type=types[opt.kind],
            default=default,
            metavar=opt.metavar
            or {"date": "DATE", "text": "LABELS"}.get(opt.kind, opt.kind.upper()),
            help=f"{opt.help}, {_range_text(opt)} (default {shown})".replace("%", "%%"),
        )


def from_arguments(args: argparse.Namespace) -> AnalysisSettings:
    """Build the :class:`AnalysisSettings` of parsed :func:`add_arguments` options.

    Raises
    ------
    ValueError
        When a value is out of range (the message names the setting).
    """
    values = {
        f.name: getattr(args, f.name) for f, opt in options() if opt.cli and hasattr(args, f.name)
    }
    return AnalysisSettings(**values)


#: The settings every default follows (DOMAIN.md section 4).
DEFAULT_SETTINGS = AnalysisSettings()
