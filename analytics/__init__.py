"""paindiary analytics: the data contract, loaders, store and outcome statistics.

Everything a clinician could want from a script, a notebook or the CLI lives
here; the Streamlit dashboard is a thin face on it. This package never imports
streamlit or plotly.

Session-level response is deliberately not re-exported here: its function
``session_response`` would shadow the submodule ``analytics.session_response``;
import it from there.

The public names below are loaded on first use (PEP 562 ``__getattr__``), so
``import analytics`` — and with it ``paindiary --help``, ``paindiary validate``
and the store — never pays for scipy or statsmodels; ``from analytics import
analyze`` imports the pipeline when it is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the eager imports, for type checkers and IDEs only
    from ._common import frequency_band, index_dates
    from .dose import EmaxFit, dose_response, dose_response_summary, fit_emax
    from .errors import (
        ConflictError,
        DataQualityWarning,
        DataValidationError,
        InsufficientDataError,
        NotFoundError,
        StoreError,
    )
    from .exports import table_to_csv_bytes, write_dataset, write_rejects, write_table
    from .groups import group_comparison, group_summary, predominant_technique
    from .loaders import (
        Dataset,
        load_dataset,
        load_diary,
        load_patients,
        load_sessions,
        validate_records,
    )
    from .outcomes import RESPONSE_CATEGORIES, cpra_curve, patient_outcomes, response_category
    from .pipeline import (
        AnalysisResult,
        AnalysisSettings,
        PatientSummary,
        analyze,
        cohort,
        per_patient,
        summarize_patient,
    )
    from .safety import adverse_event_list, adverse_event_rates
    from .secondary import data_quality, secondary_outcomes
    from .survival import KaplanMeier, kaplan_meier, time_to_response
    from .trends import (
        interrupted_time_series,
        its_fit_lines,
        rolling_mean,
        theil_sen_slopes,
        weekly_means,
    )

__version__ = "0.1.0"

__all__ = [
    "adverse_event_list",
    "adverse_event_rates",
    "AnalysisResult",
    "AnalysisSettings",
    "analyze",
    "cohort",
    "per_patient",
    "PatientSummary",
    "summarize_patient",
    "ConflictError",
    "NotFoundError",
    "cpra_curve",
    "data_quality",
    "DataQualityWarning",
    "Dataset",
    "DataValidationError",
    "dose_response",
    "dose_response_summary",
    "EmaxFit",
    "fit_emax",
    "frequency_band",
    "group_comparison",
    "group_summary",
    "index_dates",
    "InsufficientDataError",
    "interrupted_time_series",
    "its_fit_lines",
    "kaplan_meier",
    "KaplanMeier",
    "load_dataset",
    "load_diary",
    "load_patients",
    "load_sessions",
    "patient_outcomes",
    "predominant_technique",
    "RESPONSE_CATEGORIES",
    "response_category",
    "rolling_mean",
    "secondary_outcomes",
    "StoreError",
    "table_to_csv_bytes",
    "theil_sen_slopes",
    "time_to_response",
    "validate_records",
    "weekly_means",
    "write_dataset",
    "write_rejects",
    "write_table",
]

#: Where each public name lives (module of this package).
_LAZY = {
    "frequency_band": "_common",
    "index_dates": "_common",
    "EmaxFit": "dose",
    "dose_response": "dose",
    "dose_response_summary": "dose",
    "fit_emax": "dose",
    "ConflictError": "errors",
    "DataQualityWarning": "errors",
    "DataValidationError": "errors",
    "InsufficientDataError": "errors",
    "NotFoundError": "errors",
    "StoreError": "errors",
    "table_to_csv_bytes": "exports",
    "write_dataset": "exports",
    "write_rejects": "exports",
    "write_table": "exports",
    "group_comparison": "groups",
    "group_summary": "groups",
    "predominant_technique": "groups",
    "Dataset": "loaders",
    "load_dataset": "loaders",
    "load_diary": "loaders",
    "load_patients": "loaders",
    "load_sessions": "loaders",
    "validate_records": "loaders",
    "RESPONSE_CATEGORIES": "outcomes",
    "cpra_curve": "outcomes",
    "patient_outcomes": "outcomes",
    "response_category": "outcomes",
    "AnalysisResult": "pipeline",
    "AnalysisSettings": "pipeline",
    "PatientSummary": "pipeline",
    "analyze": "pipeline",
    "cohort": "pipeline",
    "per_patient": "pipeline",
    "summarize_patient": "pipeline",
    "adverse_event_list": "safety",
    "adverse_event_rates": "safety",
    "data_quality": "secondary",
    "secondary_outcomes": "secondary",
    "KaplanMeier": "survival",
    "kaplan_meier": "survival",
    "time_to_response": "survival",
    "interrupted_time_series": "trends",
    "its_fit_lines": "trends",
    "rolling_mean": "trends",
    "theil_sen_slopes": "trends",
    "weekly_means": "trends",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'analytics' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
