"""Index dates: when each patient's treatment starts (t0 of DOMAIN.md section 4)."""

from __future__ import annotations

import pandas as pd

from analytics.contract.schema import DATE_DTYPE

__all__ = ["index_dates"]


def index_dates(patients: pd.DataFrame | None, sessions: pd.DataFrame | None) -> pd.Series:
    """Index date (start of treatment) per patient.

    The patient's ``start_date`` when given, else the calendar date of the first
    session; patients with neither are absent (trend-only patients).

    Returns
    -------
    pandas.Series
        ``datetime64[ns]`` (midnight) indexed by ``patient_id``, named ``index_date``,
        sorted by patient_id.
    """
    parts = []
    if sessions is not None and len(sessions):
        first = sessions.groupby("patient_id", sort=True)["date"].min().dt.normalize()
        parts.append(first)
    if patients is not None and len(patients):
        start = patients.set_index("patient_id")["start_date"].dropna()
        parts.insert(0, start.dt.normalize())
    if not parts:
        return pd.Series(dtype=DATE_DTYPE, name="index_date", index=pd.Index([], name="patient_id"))
    out = parts[0]
    for p in parts[1:]:
        out = out.combine_first(p)
    out = out.dropna().astype(DATE_DTYPE).sort_index()
    out.index.name = "patient_id"
    out.name = "index_date"
    return out
