"""The group summary and comparison tables in words, as the dashboard and the PDF print them.

Both faces print these cells, so a group of two patients reads the same on
screen and on paper: its counts, and "too few patients to compare (n < 5 per
group)" where an interval or a p-value would be.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.stats import TOO_FEW_PATIENTS

from ._labels import MISSING, group_label
from ._numbers import (
    interval_text,
    number_text,
    p_value_text,
    percent_text,
    share_text,
    too_few_text,
)

__all__ = [
    "SUMMARY_CELLS",
    "COMPARISON_CELLS",
    "group_summary_cells",
    "group_comparison_cells",
    "holm_label",
    "small_pairs_text",
    "COVARIATE_WORDS",
    "adjusted_for_text",
    "comparison_basis_text",
]

#: How each term an ANCOVA adjusts for is named in a sentence.
COVARIATE_WORDS = {
    "baseline": "baseline pain",
    "age": "age",
    "sex": "sex",
    "condition": "condition",
    "pain_duration_years": "years with pain",
    "clinician_id": "clinician",
}

#: Columns of :func:`group_summary_cells`.
SUMMARY_CELLS = [
    "group",
    "n_patients",
    "n_evaluable",
    "n_responders",
    "responders",
    "responder_rate",
    "responder_ci",
    "mean_change",
    "mean_change_ci",
]

#: Columns of :func:`group_comparison_cells`.
COMPARISON_CELLS = [
    "group_a",
    "group_b",
    "patients",
    "adjusted_difference",
    "ci",
    "p_value",
    "p_value_holm",
    "responder_rates",
    "risk_difference",
    "rd_ci",
]


def _withheld(reason: object, value: object) -> bool:
    """Tell whether a missing value is missing because the group is too small."""
    return reason == TOO_FEW_PATIENTS and bool(pd.isna(value))  # type: ignore[arg-type]


def group_summary_cells(summary: pd.DataFrame, by: str, *, min_group_size: int) -> pd.DataFrame:
    """Write one grouping of ``group_summary`` as text cells.

    Parameters
    ----------
    summary : pandas.DataFrame
        Rows of :func:`analytics.stats.group_summary` with ``group_by == by``.
    by : {"group", "condition", "technique"}
        The grouping (how labels are written).
    min_group_size : int
        ``AnalysisSettings.min_group_size`` (named in the sentence of a small group).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_CELLS`, all ``str``: the label, the counts, the
        responders as "3 of 5 (60%)", the rate as a whole percentage, the Wilson
        interval "23% to 88%", the mean reduction "+2.1" and its interval
        "0.7 to 4.5" (with a note when cut at the end of the scale). Where an
        interval was withheld for the group's size the cell says
        "too few patients to compare (n < 5 per group)".

    Examples
    --------
    >>> from analytics.stats import group_summary
    >>> o = pd.DataFrame({"group": ["a", "a"], "baseline_pain": [6.0, 5.0],
    ...                   "followup_pain": [2.0, 5.0]})
    >>> cells = group_summary_cells(group_summary(o), "group", min_group_size=5)
    >>> cells.loc[0, ["responders", "responder_ci"]].tolist()
    ['1 of 2 (50%)', 'too few patients to compare (n < 5 per group)']
    """
    too_few = too_few_text(min_group_size)
    rows = []
    for r in summary.itertuples(index=False):
        rows.append(
            [
                group_label(by, r.group),
                str(int(r.n_patients)),
                str(int(r.n_evaluable)),
                str(int(r.n_responders)),
                share_text(r.n_responders, r.n_evaluable),
                percent_text(r.responder_rate),
                too_few
                if _withheld(r.reason, r.responder_ci_low)
                else interval_text(r.responder_ci_low, r.responder_ci_high, percent=True),
                number_text(r.mean_change, 1, signed=True),
                too_few
                if _withheld(r.reason, r.mean_change_ci_low)
                else interval_text(
                    r.mean_change_ci_low,
                    r.mean_change_ci_high,
                    clipped=bool(r.mean_change_ci_clipped),
                ),
            ]
        )
    return pd.DataFrame(rows, columns=SUMMARY_CELLS, dtype="str")


def holm_label(comparison: pd.DataFrame) -> str:
    """Name the Holm column with the number of pairs it adjusts for.

    Examples
    --------
    >>> holm_label(pd.DataFrame({"p_value": [0.01, float("nan"), 0.2]}))
    'p (Holm-adjusted for 2 pairs)'
    """
    m = int(np.isfinite(comparison["p_value"].to_numpy("float64")).sum())
    return f"p (Holm-adjusted for {m} pair{'' if m == 1 else 's'})"


def group_comparison_cells(
    comparison: pd.DataFrame, by: str, *, min_group_size: int
) -> pd.DataFrame:
    """Write one grouping of ``group_comparison`` as text cells.

    Parameters
    ----------
    comparison : pandas.DataFrame
        Rows of :func:`analytics.stats.group_comparison` with ``group_by == by``.
    by : {"group", "condition", "technique"}
        The grouping (how labels are written).
    min_group_size : int
        ``AnalysisSettings.min_group_size``.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`COMPARISON_CELLS`, all ``str``: the labels, the patients
        "5 / 8", the adjusted pain difference "−0.6" with its unadjusted 95 %
        interval and the unadjusted p that goes with it, the Holm-adjusted p
        (labelled apart by :func:`holm_label`), the responder rates "40% / 50%",
        their difference in whole percentage points "−10" and Newcombe's
        interval "−50 to 37". A pair with a group below ``min_group_size`` gets
        "too few patients to compare (n < 5 per group)" in both interval
        cells and :data:`MISSING` for the differences and p-values.
    """
    too_few = too_few_text(min_group_size)
    rows = []
    for r in comparison.itertuples(index=False):
        small = r.reason == TOO_FEW_PATIENTS
        rows.append(
            [
                group_label(by, r.group_a),
                group_label(by, r.group_b),
                f"{int(r.n_a)} / {int(r.n_b)}",
                number_text(r.adjusted_difference, 1, signed=True),
                too_few
                if _withheld(r.reason, r.ci_low)
                else interval_text(r.ci_low, r.ci_high, clipped=bool(r.ci_clipped)),
                p_value_text(r.p_value),
                p_value_text(r.p_value_holm),
                f"{percent_text(r.responder_rate_a)} / {percent_text(r.responder_rate_b)}",
                number_text(r.risk_difference, 0, signed=True, scale=100),
                too_few
                if small and pd.isna(r.rd_ci_low)
                else MISSING
                if pd.isna(r.rd_ci_low)
                else f"{number_text(r.rd_ci_low, 0, scale=100)} to "
                f"{number_text(r.rd_ci_high, 0, scale=100)}",
            ]
        )
    return pd.DataFrame(rows, columns=COMPARISON_CELLS, dtype="str")


def small_pairs_text(comparison: pd.DataFrame, *, min_group_size: int) -> str:
    """Say how many pairs show counts only because a group is too small ("" when none).

    Examples
    --------
    >>> small_pairs_text(pd.DataFrame({"reason": ["too_few_patients", ""]}), min_group_size=5)
    '1 pair with a group of fewer than 5 patients: counts only, too few patients to compare (n < 5 per group).'
    """
    n = int((comparison["reason"] == TOO_FEW_PATIENTS).sum())
    if not n:
        return ""
    return (
        f"{n} pair{'s' if n != 1 else ''} with a group of fewer than {int(min_group_size)} "
        f"patients: counts only, {too_few_text(min_group_size)}."
    )


def _and_list(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def adjusted_for_text(columns=()) -> str:
    """Name what the pain differences are adjusted for, baseline pain first.

    Parameters
    ----------
    columns : sequence of str or pandas.DataFrame
        The patient columns adjusted for besides the baseline
        (``AnalysisSettings.adjust_columns``), or rows of
        :func:`analytics.stats.group_comparison`, whose ``adjusted_for`` column
        (absent = baseline only) says what their fit used.

    Examples
    --------
    >>> adjusted_for_text()
    'adjusted for baseline pain'
    >>> adjusted_for_text(["age", "sex", "pain_duration_years"])
    'adjusted for baseline pain, age, sex and years with pain'
    """
    if isinstance(columns, pd.DataFrame):
        used = columns["adjusted_for"].dropna() if "adjusted_for" in columns else []
        columns = next(iter(used), "baseline").split(", ")
    terms = ["baseline", *(c for c in columns if c != "baseline")]
    return "adjusted for " + _and_list([COVARIATE_WORDS.get(t, t) for t in terms])


def comparison_basis_text(adjust=(), completers_at: int | None = None) -> str:
    """Say how the groups are compared: the ANCOVA's terms and, if set, the completers.

    Examples
    --------
    >>> comparison_basis_text(["age"], 365)
    'Pain differences between groups: follow-up pain adjusted for baseline pain and age (ANCOVA), among the patients with a valid follow-up at day 365.'
    """
    text = f"Pain differences between groups: follow-up pain {adjusted_for_text(adjust)} (ANCOVA)"
    if completers_at is not None:
        text += f", among the patients with a valid follow-up at day {int(completers_at)}"
    return text + "."
