"""Files in and out.

The CSV loaders (the only CSV parser), Parquet, CSV exports, the calendar reminder
(.ics) and FHIR bundles.
"""

from __future__ import annotations

from ._exports import (
    check_targets,
    format_table,
    neutralise_cell,
    table_to_csv_bytes,
    write_dataset,
    write_rejects,
    write_table,
    write_tables,
)
from ._fhir import (
    ACUPUNCTURE_SNOMED,
    EXTENSION,
    LOINC,
    PAIN_LOINC,
    PATIENT_ID_SYSTEM,
    PEG_LOINC,
    SNOMED,
    bundle_json,
    patient_bundle,
)
from ._fhir_import import BundleContent, bundle_dataset, fill_from_stored, read_bundle
from ._ics import ICS_FILE_NAME, ICS_MEDIA_TYPE, escape_text, fold_line, reminder_calendar
from ._loaders import (
    DEFAULT_MAX_BYTES,
    EXTRA_CELLS,
    REJECT_COLUMNS,
    load_dataset,
    load_diary,
    load_patients,
    load_sessions,
    raise_problems,
    restore_cell,
    today_and_now,
    validate_records,
)
from ._parquet import (
    PARQUET_FILES,
    ROW_GROUP_ROWS,
    Slice,
    arrow_schema,
    dataset_format,
    load_parquet,
    load_parquet_dataset,
    load_tables,
    read_dataset,
    write_parquet,
    write_parquet_dataset,
)

__all__ = [
    "neutralise_cell",
    "format_table",
    "write_table",
    "write_tables",
    "write_dataset",
    "check_targets",
    "write_rejects",
    "table_to_csv_bytes",
    "LOINC",
    "SNOMED",
    "PAIN_LOINC",
    "PEG_LOINC",
    "ACUPUNCTURE_SNOMED",
    "PATIENT_ID_SYSTEM",
    "EXTENSION",
    "BundleContent",
    "patient_bundle",
    "bundle_json",
    "read_bundle",
    "bundle_dataset",
    "fill_from_stored",
    "ICS_MEDIA_TYPE",
    "ICS_FILE_NAME",
    "escape_text",
    "fold_line",
    "reminder_calendar",
    "PARQUET_FILES",
    "ROW_GROUP_ROWS",
    "Slice",
    "arrow_schema",
    "dataset_format",
    "load_parquet",
    "load_parquet_dataset",
    "read_dataset",
    "write_parquet",
    "write_parquet_dataset",
    "load_tables",
    "load_patients",
    "load_diary",
    "load_sessions",
    "load_dataset",
    "validate_records",
    "restore_cell",
    "DEFAULT_MAX_BYTES",
    "REJECT_COLUMNS",
    "EXTRA_CELLS",
    "raise_problems",
    "today_and_now",
]
