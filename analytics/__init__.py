"""paindiary analytics: the data contract, loaders, store and outcome statistics.

Everything a clinician could want from a script, a notebook or the CLI lives
here; the Streamlit dashboard is a thin face on it. This package never imports
streamlit or plotly.

Session-level response is deliberately not re-exported here: its function
``session_response`` is a name of :mod:`analytics.stats`; import it from there.

The public names below are loaded on first use (PEP 562 ``__getattr__``), so
``import analytics`` — and with it ``paindiary --help``, ``paindiary validate``
and the store — never pays for scipy or statsmodels; ``from analytics import
analyze`` imports the pipeline when it is asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the eager imports, for type checkers and IDEs only
    from analytics.contract import Dataset, frequency_band, index_dates
    from analytics.errors import (
        ConflictError,
        DataQualityWarning,
        DataValidationError,
        InsufficientDataError,
        NotFoundError,
        StoreError,
    )
    from analytics.io import (
        load_dataset,
        load_diary,
        load_patients,
        load_sessions,
        table_to_csv_bytes,
        validate_records,
        write_dataset,
        write_rejects,
        write_table,
    )
    from analytics.pipeline import (
        AnalysisResult,
        AnalysisSettings,
        PatientSummary,
        analyze,
        cohort,
        per_patient,
        summarize_patient,
    )
    from analytics.stats import (
        RESPONSE_CATEGORIES,
        EmaxFit,
        KaplanMeier,
        adverse_event_list,
        adverse_event_rates,
        cpra_curve,
        data_quality,
        dose_response,
        dose_response_summary,
        fit_emax,
        group_comparison,
        group_summary,
        interrupted_time_series,
        its_fit_lines,
        kaplan_meier,
        patient_outcomes,
        predominant_technique,
        response_category,
        rolling_mean,
        secondary_outcomes,
        theil_sen_slopes,
        time_to_response,
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

#: Where each public name lives (a package of this library).
_LAZY = {
    "Dataset": "analytics.contract",
    "frequency_band": "analytics.contract",
    "index_dates": "analytics.contract",
    "ConflictError": "analytics.errors",
    "DataQualityWarning": "analytics.errors",
    "DataValidationError": "analytics.errors",
    "InsufficientDataError": "analytics.errors",
    "NotFoundError": "analytics.errors",
    "StoreError": "analytics.errors",
    "load_dataset": "analytics.io",
    "load_diary": "analytics.io",
    "load_patients": "analytics.io",
    "load_sessions": "analytics.io",
    "table_to_csv_bytes": "analytics.io",
    "validate_records": "analytics.io",
    "write_dataset": "analytics.io",
    "write_rejects": "analytics.io",
    "write_table": "analytics.io",
    "AnalysisResult": "analytics.pipeline",
    "AnalysisSettings": "analytics.pipeline",
    "analyze": "analytics.pipeline",
    "cohort": "analytics.pipeline",
    "PatientSummary": "analytics.pipeline",
    "per_patient": "analytics.pipeline",
    "summarize_patient": "analytics.pipeline",
    "adverse_event_list": "analytics.stats",
    "adverse_event_rates": "analytics.stats",
    "cpra_curve": "analytics.stats",
    "data_quality": "analytics.stats",
    "dose_response": "analytics.stats",
    "dose_response_summary": "analytics.stats",
    "EmaxFit": "analytics.stats",
    "fit_emax": "analytics.stats",
    "group_comparison": "analytics.stats",
    "group_summary": "analytics.stats",
    "interrupted_time_series": "analytics.stats",
    "its_fit_lines": "analytics.stats",
    "kaplan_meier": "analytics.stats",
    "KaplanMeier": "analytics.stats",
    "patient_outcomes": "analytics.stats",
    "predominant_technique": "analytics.stats",
    "RESPONSE_CATEGORIES": "analytics.stats",
    "response_category": "analytics.stats",
    "rolling_mean": "analytics.stats",
    "secondary_outcomes": "analytics.stats",
    "theil_sen_slopes": "analytics.stats",
    "time_to_response": "analytics.stats",
    "weekly_means": "analytics.stats",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'analytics' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
