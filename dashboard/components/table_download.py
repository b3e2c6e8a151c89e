"""A table of patient data with its one download: a CSV made on the server, formula-safe, recorded.

Streamlit's own "Download as CSV" in a table's toolbar (and copying cells) is off for
every table of the app (``client.disableDataExport`` in ``dashboard/.streamlit/config.toml``):
it wrote no audit row and left formula-like text such as ``=HYPERLINK(...)`` as it was.
Instead, every table that shows patient data is drawn by :func:`data_table`, which puts
a "Download this table (CSV)" button under it. Streamlit calls the button's function
only when the person clicks it; that function asks the service for the file
(:meth:`analytics.service.Service.table_csv`), which checks that the user may record a
file of that patient (or of their cohort), writes the "export" row and only then
returns the bytes, written by the same writer as ``paindiary export``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from dashboard import data, session
from dashboard.components import feedback

__all__ = ["DOWNLOAD_LABEL", "data_table", "shown_columns", "csv_producer", "file_name"]

#: The label of every table's download button.
DOWNLOAD_LABEL = "Download this table (CSV)"


def shown_columns(frame: pd.DataFrame, column_config: Mapping[str, Any] | None) -> pd.DataFrame:
    """Return ``frame`` with the columns as the page shows them: titled, hidden ones left out.

    A column configured as ``None`` is hidden on the page and is left out of the file; a
    configured title (``st.column_config.*Column("Title")``) becomes the column's name.
    """
    config = dict(column_config or {})
    keep = [c for c in frame.columns if not (c in config and config[c] is None)]
    names: dict[Any, str] = {}
    for col in keep:
        spec = config.get(col)
        label = spec.get("label") if isinstance(spec, Mapping) else spec
        if isinstance(label, str) and label:
            names[col] = label
    return frame[keep].rename(columns=names)


def file_name(what: str, *, today: dt.date | None = None) -> str:
    """Return the download's file name: ``paindiary-<what in lower-case words>-<date>.csv``."""
    slug = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-") or "table"
    return f"paindiary-{slug}-{(today or dt.date.today()).isoformat()}.csv"


def csv_producer(
    frame: pd.DataFrame,
    what: str,
    *,
    patient_id: str | None,
    purpose: str,
    service: Any = None,
) -> Callable[[], bytes]:
    """Return the function a download button calls on a click: the recorded, formula-safe CSV.

    ``service``: the service to record with (a share link's own); by default the one
    of the signed-in user, naming ``purpose`` (the page) as the face.
    """

    def produce() -> bytes:
        svc = service if service is not None else data.service(session.user(), purpose)
        return bytes(svc.table_csv(frame, what, patient_id=patient_id))

    return produce


def data_table(
    frame: pd.DataFrame,
    *,
    what: str,
    patient_id: str | None,
    key: str,
    purpose: str,
    service: Any = None,
    column_config: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> Any:
    """Show a table of patient data and, under it, its recorded CSV download.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table as the page shows it.
    what : str
        What the file is, in words, for the audit log and the file name
        (e.g. ``"diary history of P003"``).
    patient_id : str or None
        The table's one patient; None for a table of the user's patients together.
    key : str
        The table's widget key; the button's is ``<key>.csv``.
    purpose : str
        The page, recorded as the face of the download.
    service : analytics.service.Service, optional
        Record with this service (a share link's) instead of the signed-in user's.
    column_config, **kwargs
        As :func:`dashboard.components.feedback.table`.

    Returns
    -------
    The value of ``st.dataframe`` (a selection when ``on_select`` is given).
    """
    shown = feedback.table(frame, key=key, column_config=column_config, **kwargs)
    if not frame.empty:
        st.download_button(
            DOWNLOAD_LABEL,
            csv_producer(
                shown_columns(frame, column_config),
                what,
                patient_id=patient_id,
                purpose=purpose,
                service=service,
            ),
            file_name=file_name(what),
            mime="text/csv",
            key=f"{key}.csv",
            icon=":material/download:",
            type="tertiary",
            on_click="ignore",  # the file is made on the click; the page need not run again
        )
    return shown
