"""The ``patient_outcomes`` table: every per-patient measure joined to the outcomes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.settings import AnalysisSettings
from analytics.stats import (
    HEADACHE_COLUMNS,
    STATUS_COLUMNS,
    data_quality,
    headache_days,
    interrupted_time_series,
    patient_status,
    secondary_outcomes,
    theil_sen_slopes,
    time_to_response,
)

__all__ = ["PATIENT_OUTCOME_COLUMNS", "outcome_table"]

#: Columns of ``patient_outcomes.csv`` in order (all documented in docs/analytics.md).
PATIENT_OUTCOME_COLUMNS = [
    "patient_id",
    "group",
    "condition",
    "technique",
    "control",
    "index_date",
    "n_diary_days",
    "first_date",
    "last_date",
    "adherence",
    "n_sessions",
    "baseline_pain",
    "baseline_n",
    "baseline_start",
    "baseline_end",
    "sessions_in_baseline",
    "followup_pain",
    "followup_n",
    "followup_start",
    "followup_end",
    "change",
    "pct_change",
    "response_category",
    "responder",
    "responder_2pt",
    "slope_per_week",
    "slope_ci_low",
    "slope_ci_high",
    "its_pre_slope",
    "its_level_change",
    "its_level_ci_low",
    "its_level_ci_high",
    "its_slope_change",
    "its_slope_ci_low",
    "its_slope_ci_high",
    "its_reason",
    "days_to_response",
    "ttr_reason",
    "reason",
    *[
        f"{stage}_{m}"
        for m in ("peg", "sleep_quality", "mood", "stress", "analgesic_doses", "opioid_mme")
        for stage in ("baseline", "followup", "change")
    ],
    "adherence_28d",
    "longest_gap_days",
    "baseline_sufficient",
    "flag_worsening",
    "flag_low_adherence",
    "flag_recent_adverse_event",
    "flag_insufficient_baseline",
    "flags",
    *[c for c in STATUS_COLUMNS if c != "patient_id"],
    *HEADACHE_COLUMNS[1:],
]


def outcome_table(
    diary: pd.DataFrame,
    sessions: pd.DataFrame,
    patients: pd.DataFrame | None,
    index: pd.Series,
    outcomes: pd.DataFrame,
    baseline: pd.Series,
    s: AnalysisSettings,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Join every per-patient measure to the outcomes: the ``patient_outcomes`` table.

    Slopes, interrupted time series, secondary outcomes, data quality, status and
    time to response, computed in that order; returns the table and the time to
    response (a table of its own).
    """
    slopes = theil_sen_slopes(diary, index, period="treatment", min_entries=max(2, s.min_entries))
    its = interrupted_time_series(diary, index, min_entries=s.its_min_entries)
    secondary = secondary_outcomes(diary, index, **s.window_kwargs())
    quality = data_quality(diary, sessions, outcomes, as_of=s.as_of, window_days=s.recent_days)
    status = patient_status(
        diary,
        sessions,
        index,
        patients=patients,
        as_of=s.as_of,
        window_days=s.trend_window_days,
        min_entries=s.rolling_min_entries,
        followup_days=s.followup_days,
        followup_min_entries=s.min_entries,
        recent_days=s.recent_days,
        not_logging_days=s.not_logging_days,
    )

    ttr = time_to_response(
        diary,
        index,
        baseline,
        fraction=s.response_fraction,
        hold_days=s.response_hold_days,
        window_days=s.trend_window_days,
        min_entries=s.rolling_min_entries,
    )
    reached = ttr.set_index("patient_id")
    days = reached["days_to_response"].where(reached["event"].astype(bool))

    table = outcomes.set_index("patient_id")
    headache = headache_days(diary, patients, index, followup_at=s.followup_at)
    columns: dict[str, object] = {"patient_id": table.index}
    columns.update((c, table[c].array) for c in table.columns)
    for frame in (
        slopes[["patient_id", "slope_per_week", "slope_ci_low", "slope_ci_high"]],
        its.drop(columns=["n_pre", "n_post", "lags"]),
    ):
        columns.update(_joined(table, frame))
    columns["days_to_response"] = days.astype("float64").reindex(table.index).array
    base = table["baseline_pain"]
    columns["ttr_reason"] = pd.array(
        np.select(
            [
                table["index_date"].isna(),
                table["n_diary_days"] == 0,
                base.isna(),
                base == 0,
            ],
            ["no_index", "no_diary", "insufficient_baseline", "zero_baseline"],
            default="",
        ),
        dtype="str",
    )
    for frame in (
        secondary,
        quality.drop(columns=["n_diary_days"]),
        status,
        headache,
    ):
        columns.update(_joined(table, frame))
    columns["its_reason"] = pd.Series(columns["its_reason"]).fillna("no_diary").astype("str").array
    label = pd.Series(table["group"].array).astype("str").str.strip().str.lower()
    columns["control"] = (
        label.isin(s.control_labels).to_numpy() | (table["n_sessions"].to_numpy() == 0)
    ).astype("bool")
    out = pd.DataFrame({c: columns[c] for c in PATIENT_OUTCOME_COLUMNS})
    out["patient_id"] = out["patient_id"].astype(table.index.dtype)
    return out, ttr


def _joined(table: pd.DataFrame, frame: pd.DataFrame) -> dict[str, object]:
    """Left-join the columns of ``frame`` (with ``patient_id``) to ``table``'s patients.

    A frame with exactly ``table``'s patients in its order (every per-patient table
    is sorted by patient) is taken as it is; any other is joined.
    """
    keys = frame["patient_id"]
    if len(keys) == len(table) and (keys.to_numpy() == table.index.to_numpy()).all():
        return {c: frame[c].array for c in frame.columns if c != "patient_id"}
    joined = table[[]].join(frame.set_index("patient_id"))
    return {c: joined[c].array for c in joined.columns}
