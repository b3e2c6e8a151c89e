"""The analysis as a whole.

The per-patient path, the cohort path, one patient's summary, the Dask engine, the
per-patient tables as they are stored and their upkeep in the database.
"""

from __future__ import annotations

from ._analyze import (
    OUTPUT_FILES,
    PATIENT_OUTCOME_COLUMNS,
    PER_PATIENT_TABLES,
    QUESTIONNAIRE_FILE,
    AnalysisResult,
    AnalysisSettings,
    analyze,
    cohort,
    group_tables,
    per_patient,
    with_comparison_columns,
    write_questionnaire_table,
)
from ._distributed import (
    DEFAULT_WORKER_MEMORY,
    ROWS_PER_PARTITION,
    DistributedRun,
    analyze_distributed,
    check_memory,
    partition_bounds,
    start_client,
)
from ._entries import FLARE_FILE, analysis_diary, flares, write_flare_table
from ._stored import (
    AS_OF_COLUMNS,
    FINGERPRINT_VERSION,
    STATUS_TABLES,
    apply_status_date,
    assemble,
    needs_recompute,
    per_patient_tables,
    settings_fingerprint,
    split_by_patient,
    stored_settings,
    stored_tables,
)
from ._summary import PatientSummary, outcome_summary, summarize_patient
from ._upkeep import (
    StoredCohort,
    fill_missing_outcomes,
    refresh_after_write,
    refresh_stored_outcomes,
    store_outcomes,
    stored_cohort,
)

__all__ = [
    "AnalysisSettings",
    "AnalysisResult",
    "PATIENT_OUTCOME_COLUMNS",
    "OUTPUT_FILES",
    "QUESTIONNAIRE_FILE",
    "FLARE_FILE",
    "analysis_diary",
    "flares",
    "write_flare_table",
    "write_questionnaire_table",
    "PER_PATIENT_TABLES",
    "analyze",
    "cohort",
    "group_tables",
    "with_comparison_columns",
    "per_patient",
    "outcome_summary",
    "DEFAULT_WORKER_MEMORY",
    "ROWS_PER_PARTITION",
    "DistributedRun",
    "analyze_distributed",
    "check_memory",
    "partition_bounds",
    "start_client",
    "FINGERPRINT_VERSION",
    "STATUS_TABLES",
    "per_patient_tables",
    "AS_OF_COLUMNS",
    "settings_fingerprint",
    "stored_settings",
    "stored_tables",
    "split_by_patient",
    "assemble",
    "needs_recompute",
    "apply_status_date",
    "PatientSummary",
    "summarize_patient",
    "StoredCohort",
    "store_outcomes",
    "refresh_after_write",
    "refresh_stored_outcomes",
    "fill_missing_outcomes",
    "stored_cohort",
]
