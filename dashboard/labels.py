"""Human-readable labels of the codes ``analytics`` returns: the one mapping.

Tables, filters, chart legends and chart tooltips all name techniques, frequency
bands, conditions, response categories, flags, missing-outcome reasons, adverse
events, history and audit events and the columns of the analytics tables through
this module, so a code reads the same everywhere. Colours stay keyed on the
codes (:mod:`dashboard.charts`), never on these labels. The module imports
neither Streamlit nor plotly, so scripts and reports can use it too.

Signs follow one convention: a change is shown as an *improvement*, positive =
better, and its label says so in words ("pain reduction, points (positive =
better)"). Secondary measures where a higher value is better (sleep quality,
mood) are turned round by :func:`improvement`, so better sleep reads as an
improvement and never as a negative change.

Every ``*_label`` function returns the code itself, with underscores as spaces,
for a code it does not know (the data contract accepts any condition text), and
:data:`MISSING` for a missing value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

# The words for codes shared with the PDF reports live in the library (one home, free of
# streamlit); the dashboard adds its own below.
from analytics.contract import ADVERSE_EVENT_LABELS, CONDITION_LABELS, TECHNIQUE_LABELS
from analytics.presentation import (
    CATEGORY_LABELS,
    GROUPING_LABELS,
    MISSING,
    REASON_LABELS,
    SECONDARY_LABELS,
    adverse_event_label,
    category_label,
    condition_label,
    format_shown,
    group_label,
    is_missing,
    label_of,
    reasons_text,
    technique_label,
)

__all__ = [
    "RESCUE_ANSWER_LABELS",
    "DEMO_BANNER",
    "INVITE_WHILE_SIGNED_IN",
    "PATIENT_FILE_LABELS",
    "HEALTH_RECORD_NOTE",
    "FINDINGS_RULE",
    "MISSING",
    "TECHNIQUE_LABELS",
    "FREQUENCY_BAND_LABELS",
    "CONDITION_LABELS",
    "CATEGORY_LABELS",
    "FLAG_LABELS",
    "REASON_LABELS",
    "ADVERSE_EVENT_LABELS",
    "GROUPING_LABELS",
    "EVENT_LABELS",
    "SEX_LABELS",
    "COLUMN_LABELS",
    "TABLE_COLUMN_LABELS",
    "SECONDARY_LABELS",
    "HIGHER_IS_BETTER",
    "technique_label",
    "frequency_band_label",
    "condition_label",
    "category_label",
    "adverse_event_label",
    "group_label",
    "event_label",
    "sex_label",
    "flag_label",
    "reason_label",
    "flags_text",
    "reasons_text",
    "relabel",
    "column_label",
    "column_labels",
    "number_text",
    "drop_negative_zero",
    "improvement",
    "change_words",
    "pain_change_words",
]

#: The answers to "Did it help?" about a rescue medicine, in words (stored codes first).
RESCUE_ANSWER_LABELS = {"yes": "Yes", "a_little": "A little", "no": "No"}

#: Electroacupuncture frequency bands of ``analytics.contract.schema.FREQUENCY_BANDS``
#: (DOMAIN.md section 1) and ``unknown`` for an EA session without a frequency.
#: Shown above every page while the database is the demo clinic.
#: A first sign-in link opened where someone is signed in already.
INVITE_WHILE_SIGNED_IN = (
    "This is a first sign-in link for a new account, and {user} is signed in on this "
    "browser. Sign out to use it here, or open the link on the patient's own phone."
)
DEMO_BANNER = "Demo clinic, made-up patients: never enter a real patient here."

# --------------------------------------------------------------------------- patient pages
# A patient's pages carry no acronym and no statistical shorthand: the files and the
# findings are named in words (the clinician's pages keep the clinical names).

#: The files a patient can prepare on My progress, by kind of
#: ``dashboard.components.file_buttons`` (read after "Prepare" / "Download").
PATIENT_FILE_LABELS: dict[str, str] = {
    "visit": "report for my doctor (PDF)",
    "visit12": "progress report after 12 sessions (PDF)",
    "fhir": "health-record file",
}

#: What the health-record file is, in one line under the buttons.
HEALTH_RECORD_NOTE = (
    "The health-record file holds your diary and sessions in the standard format that "
    "clinic record systems read: give it to another clinic or a health app."
)

#: How My progress decides what counts as a finding, said once under the list.
FINDINGS_RULE = (
    "Only clear differences are listed: ones your diary days make unlikely to be chance. "
    "As you log more days, others may become clear, and listed ones may fade."
)

FREQUENCY_BAND_LABELS: dict[str, str] = {
    "low": "low frequency (< 20 Hz)",
    "medium": "medium frequency (20–49 Hz)",
    "high": "high frequency (≥ 50 Hz)",
    "mixed": "mixed frequencies (e.g. 2/100 Hz)",
    "unknown": "frequency not recorded",
}


#: Flags of ``analytics.stats.data_quality`` and the status' ``not_logging``
#: (no diary entry for ``AnalysisSettings.not_logging_days`` days or more, counted
#: back from today; a table says for how many days).
FLAG_LABELS: dict[str, str] = {
    "worsening": "⚠️ worsening",
    "not_logging": "💤 not logging",
    "low_adherence": "📉 low adherence",
    "recent_adverse_event": "🩹 recent adverse event",
    "insufficient_baseline": "❔ not enough baseline",
}


#: Events of the kept history (``Store.history``'s ``action``), of the audit log
#: (``Store.audit_log``'s ``action``) and of a save (``SaveResult.action``).
EVENT_LABELS: dict[str, str] = {
    "create": "added",
    "created": "added",
    "update": "changed",
    "updated": "changed",
    "unchanged": "unchanged",
    "delete": "deleted",
    "deleted": "deleted",
    "import": "imported CSV files",
    "export": "exported data",
    "view": "viewed",
    "edit": "edited",
}

#: The ``sex`` codes of ``analytics.contract.schema.SEXES``.
SEX_LABELS: dict[str, str] = {
    "F": "female",
    "M": "male",
    "X": "another sex",
    "U": "not stated",
}


def frequency_band_label(code: Any) -> str:
    """'mixed frequencies (e.g. 2/100 Hz)' for ``mixed``."""
    return label_of(FREQUENCY_BAND_LABELS, code)


def event_label(code: Any) -> str:
    """Name a history or audit event: 'changed' for ``update``, 'imported CSV files' for ``import``."""
    return label_of(EVENT_LABELS, code)


def sex_label(code: Any) -> str:
    """'female' for ``F``."""
    return label_of(SEX_LABELS, code)


def flag_label(code: Any) -> str:
    """'📉 low adherence' for ``low_adherence``."""
    return label_of(FLAG_LABELS, code)


def reason_label(code: Any) -> str:
    """'not enough baseline days' for ``insufficient_baseline``."""
    return label_of(REASON_LABELS, code)


def _joined(mapping: Mapping[str, str], codes: Any, sep: str) -> str:
    if is_missing(codes):
        return ""
    return sep.join(mapping.get(c, c.replace("_", " ")) for c in str(codes).split(";") if c)


def flags_text(codes: Any) -> str:
    """'⚠️ worsening, 📉 low adherence' for ``"worsening;low_adherence"`` ("" for none)."""
    return _joined(FLAG_LABELS, codes, ", ")


def relabel(values: Iterable[Any] | pd.Series, how: Any) -> pd.Series:
    """``values`` mapped through one of the ``*_label`` functions (index kept)."""
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    unique = pd.unique(series.astype(object))
    lookup = {v: how(v) for v in unique if not is_missing(v)}
    out = series.astype(object).map(lookup)
    return out.where(out.notna(), "" if how in (flags_text, reasons_text) else MISSING).astype(
        "str"
    )


# --------------------------------------------------------------------------- columns

_CI_LOW, _CI_HIGH = "95% CI low", "95% CI high"
_REDUCTION = "pain reduction, points (positive = better)"

#: Readable names of the columns of the analytics tables (group summary and
#: pairwise comparison of ``analytics.stats``, session response by technique of
#: ``analytics.stats``, the dose-response summary and a few columns of
#: the per-patient outcome table). Changes say their direction in words.
COLUMN_LABELS: dict[str, str] = {
    # analytics.stats._groups.SUMMARY_COLUMNS
    "group_by": "grouped by",
    "group": "group",
    "n_patients": "patients",
    "n_with_followup": "patients with a follow-up",
    "mean_baseline": "mean pain before treatment (0–10)",
    "mean_followup": "mean pain at follow-up (0–10)",
    "mean_change": f"mean {_REDUCTION}",
    "mean_change_ci_low": f"mean pain reduction, {_CI_LOW}",
    "mean_change_ci_high": f"mean pain reduction, {_CI_HIGH}",
    "mean_change_ci_clipped": "mean pain reduction, 95% CI cut at the end of the 0–10 scale",
    "pct_change_of_means": "pain reduction of the group means, % (positive = better)",
    "n_evaluable": "patients with a % change",
    "n_responders": "responders",
    "responder_rate": "responder rate",
    "responder_ci_low": f"responder rate, {_CI_LOW}",
    "responder_ci_high": f"responder rate, {_CI_HIGH}",
    "n_responders_30": "responders at ≥ 30%",
    "responder_rate_30": "responder rate at ≥ 30%",
    "n_responders_50": "responders at ≥ 50%",
    "responder_rate_50": "responder rate at ≥ 50%",
    # analytics.stats._groups.COMPARISON_COLUMNS
    "group_a": "group A",
    "group_b": "group B",
    "n_a": "patients in A",
    "n_b": "patients in B",
    "adjusted_difference": (
        "follow-up pain A − B at equal baseline, points (negative = less pain in A)"
    ),
    "ci_low": _CI_LOW,
    "ci_high": _CI_HIGH,
    "ci_clipped": "95% CI cut at the end of the 0–10 scale",
    "p_value": "p-value (unadjusted, goes with the 95% CI)",
    "p_value_holm": "p-value, Holm-adjusted for the pairs of the table",
    "responder_rate_a": "responder rate A",
    "responder_rate_b": "responder rate B",
    "risk_difference": "risk difference, responder rate A − B",
    "rd_ci_low": f"risk difference, {_CI_LOW}",
    "rd_ci_high": f"risk difference, {_CI_HIGH}",
    "nnt": "number needed to treat (1 / risk difference)",
    # analytics.stats.BY_TECHNIQUE_COLUMNS and RESPONSE_COLUMNS
    "technique_band": "technique (frequency band)",
    "n_sessions": "sessions",
    "n_immediate": "sessions with pain before and after",
    "mean_immediate_change": f"mean {_REDUCTION} during the session",
    "immediate_ci_low": f"reduction during the session, {_CI_LOW}",
    "immediate_ci_high": f"reduction during the session, {_CI_HIGH}",
    "n_short_term": "sessions with diary days around them",
    "mean_short_term_change": f"mean {_REDUCTION}, 3 days before → after",
    "short_term_ci_low": f"reduction 3 days before → after, {_CI_LOW}",
    "short_term_ci_high": f"reduction 3 days before → after, {_CI_HIGH}",
    "mean_relief_days": "mean relief, days",
    "session_date": "session date",
    "session_number": "session number",
    "immediate_change": f"{_REDUCTION} during the session",
    "short_term_change": f"{_REDUCTION}, 3 days before → after",
    "relief_days": "relief, days",
    "relief_censored": "relief cut off (next session or end of diary)",
    "pain_before": "pain before the session (0–10)",
    "pain_after": "pain after the session (0–10)",
    "adverse_events": "adverse events",
    "n_adverse_events": "adverse events (number)",
    "frequency_hz": "frequency (Hz)",
    "retention_min": "needle retention, minutes",
    # analytics.stats summary
    "n": "patients",
    "sd": "standard deviation",
    # analytics.pipeline.PATIENT_OUTCOME_COLUMNS (the ones a table shows)
    "patient_id": "patient",
    "condition": "condition",
    "technique": "technique",
    "index_date": "start of treatment",
    "baseline_pain": "pain before treatment (0–10)",
    "followup_pain": "pain at follow-up (0–10)",
    "change": _REDUCTION,
    "pct_change": "pain reduction, % (positive = better)",
    "response_category": "response",
    "adherence": "adherence",
    "adherence_28d": "adherence, last 28 days",
    "days_to_response": "days to response",
    "slope_per_week": "trend, points per week (negative = less pain)",
    "longest_gap_days": "longest gap, days",
    "reason": "why missing",
    "flags": "flags",
}


#: Names that depend on the table: ``ci_low``/``ci_high`` belong to the adjusted
#: difference in a group comparison and to the mean change in the dose summary.
TABLE_COLUMN_LABELS: dict[str, dict[str, str]] = {
    "group_comparison": {
        "ci_low": f"adjusted difference, {_CI_LOW}",
        "ci_high": f"adjusted difference, {_CI_HIGH}",
    },
    "dose_summary": {
        "mean_change": "mean pain reduction from baseline, points (positive = better)",
        "ci_low": f"mean pain reduction, {_CI_LOW}",
        "ci_high": f"mean pain reduction, {_CI_HIGH}",
    },
}


def column_label(name: Any, table: str | None = None) -> str:
    """Return the readable name of an analytics column ('risk difference, 95% CI low' for ``rd_ci_low``).

    ``table`` (a key of :data:`TABLE_COLUMN_LABELS`, e.g. ``"group_comparison"``)
    names columns whose meaning depends on the table. An unknown column comes
    back with underscores as spaces.
    """
    text = str(name)
    specific = TABLE_COLUMN_LABELS.get(table or "", {})
    if text in specific:
        return specific[text]
    return COLUMN_LABELS.get(text, text.replace("_", " "))


def column_labels(columns: Iterable[Any], table: str | None = None) -> dict[str, str]:
    """``{column: readable name}`` for every column of a table (e.g. ``frame.columns``)."""
    return {str(c): column_label(c, table) for c in columns}


# --------------------------------------------------------------------------- numbers


def number_text(value: Any, spec: str = ".2f", *, missing: str = MISSING) -> str:
    """``value`` formatted with ``spec``, never as a negative zero.

    ``-0.001`` with ``.2f`` would read "-0.00", a sign without a value: it is
    written "0.00". ``missing`` stands for None/NaN. Minus signs are the
    typographic "−" (U+2212), the same as the charts' axes.

    >>> number_text(-0.001), number_text(-1.5, "+.1f"), number_text(float("nan"))
    ('0.00', '−1.5', '—')
    """
    if is_missing(value):
        return missing
    try:
        text = format_shown(value, spec)
    except (TypeError, ValueError):
        return str(value)
    # a formatted zero with a sign ("-0", "-0.00", "+0.0", "-0%") carries no direction
    body = text.lstrip("+-")
    if re.fullmatch(r"[0.,]*0[0.,]*%?", body):
        text = body
    return text.replace("-", "−")


def drop_negative_zero(values: pd.Series | pd.DataFrame, digits: int = 2) -> Any:
    """``values`` with every number that would show as −0.00 at ``digits`` set to 0.0.

    For tables formatted by Streamlit's ``"%.2f"``: values in (−0.005, 0) would read
    "-0.00". The numbers themselves are not rounded; only those that display as
    zero become a true zero. Non-numeric columns are left as they are.
    """
    half = 0.5 * 10.0 ** (-digits)

    def _fix(col: pd.Series) -> pd.Series:
        if not pd.api.types.is_float_dtype(col):
            return col
        return col.mask((col > -half) & (col <= 0), 0.0)

    if isinstance(values, pd.DataFrame):
        return values.apply(_fix)
    return _fix(values)


# --------------------------------------------------------------------------- signs in words


#: Measures where a higher value is better (DOMAIN.md section 3: sleep quality and
#: mood, 10 = best). Everything else (pain, PEG, stress, doses, MME) is better lower.
HIGHER_IS_BETTER: frozenset[str] = frozenset({"sleep_quality", "mood"})

_UNITS: dict[str, tuple[str, str]] = {
    "analgesic_doses": ("dose", "doses"),
    "opioid_mme": ("MME", "MME"),
}


def improvement(measure: str, change: Any) -> float:
    """``change`` (baseline − follow-up) turned into an improvement, positive = better.

    ``analytics.stats`` reports every change as baseline − follow-up, which
    is an improvement for pain, PEG, stress and medication (lower is better) but
    a worsening for sleep quality and mood (higher is better). NaN stays NaN.

    >>> improvement("stress", 2.0), improvement("sleep_quality", -2.41)
    (2.0, 2.41)
    """
    if is_missing(change):
        return math.nan
    value = float(change)
    return -value if measure in HIGHER_IS_BETTER else value


def change_words(measure: str, change: Any, *, digits: int = 1) -> str:
    """'better by 2.4 points' / 'worse by 1.0 point' / 'no change' for a secondary measure.

    ``change`` is the analytics' baseline − follow-up; the direction is read
    through :func:`improvement`, so better sleep (follow-up above baseline)
    reads "better by ...".
    """
    value = improvement(measure, change)
    if np.isnan(value):
        return MISSING
    size = abs(value)
    shown = format(size, f".{digits}f")
    if float(shown) == 0:
        return "no change"
    one, many = _UNITS.get(measure, ("point", "points"))
    unit = one if float(shown) == 1 else many
    return f"{'better' if value > 0 else 'worse'} by {shown} {unit}"


def pain_change_words(reduction: Any, *, unit: str = "points", digits: int = 1) -> str:
    """'2.4 points less pain' / '1.0 point more pain' for a pain reduction (positive = better).

    Use with any pain change in the project's convention (baseline − follow-up,
    ``change``); for a change in the opposite convention (follow-up − baseline,
    e.g. an ITS level change) pass its negative.
    """
    if is_missing(reduction):
        return MISSING
    value = float(reduction)
    shown = format(abs(value), f".{digits}f")
    if float(shown) == 0:
        return "no change in pain"
    word = unit[:-1] if unit.endswith("s") and float(shown) == 1 else unit
    return f"{shown} {word} {'less' if value > 0 else 'more'} pain"
