"""paindiary analytics: the data contract, loaders, store and outcome statistics.

Everything a clinician could want from a script, a notebook or the CLI lives
here; the Streamlit dashboard is a thin face on it. This package never imports
streamlit or plotly.
"""

from __future__ import annotations

from ._common import frequency_band, index_dates
from .errors import (
    ConflictError,
    DataQualityWarning,
    DataValidationError,
    InsufficientDataError,
    StoreError,
)
from .exports import table_to_csv_bytes, write_dataset, write_rejects, write_table
from .loaders import (
    Dataset,
    load_dataset,
    load_diary,
    load_patients,
    load_sessions,
    validate_records,
)

__version__ = "0.1.0"

__all__ = [
    "ConflictError",
    "DataQualityWarning",
    "DataValidationError",
    "Dataset",
    "InsufficientDataError",
    "StoreError",
    "frequency_band",
    "index_dates",
    "load_dataset",
    "load_diary",
    "load_patients",
    "load_sessions",
    "table_to_csv_bytes",
    "validate_records",
    "write_dataset",
    "write_rejects",
    "write_table",
]
