"""The clinician's patient chart, My progress and the PDF draw the same trailing mean.

All three take it from ``analytics.pipeline.summarize_patient`` with the same
settings; this runs them with settings away from the defaults (a 14-day window, at
least 10 entries, a 21-day baseline) and compares each day's value with each other
and with pandas' own time-based rolling mean of the daily values (the daily log with
the day's entries folded in: P003 logs flares during the day).
"""

from __future__ import annotations

import base64
import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analytics.access import LOCAL_OPERATOR
from analytics.io import load_dataset
from analytics.pipeline import AnalysisSettings, analysis_diary
from analytics.reports import patient_report_data
from analytics.reports._charts import pain_trajectory_figure
from analytics.service import Service
from analytics.store import open_store, project_root
from dashboard import clock
from dashboard.components import settings_panel
from dashboard.data import ClinicData
from tests.dashboard.conftest import open_page

PATIENT = "P003"
SETTINGS = AnalysisSettings(trend_window_days=14, min_entries=10, baseline_days=21)
LINE = "14-day mean"


def _array(values) -> np.ndarray:
    """Plotted values as floats: plain lists (None = a break) or plotly's base64 ``bdata``."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).astype(float)
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def _plotted(at, name: str) -> pd.Series:
    """The trace called ``name`` of the page's charts, by day (breaks dropped)."""
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            if trace.get("name") == name:
                days = pd.to_datetime(pd.Series(trace["x"]), format="mixed")
                values = pd.Series(_array(trace["y"]), index=days)
                return values[values.index.notna() & values.notna()].sort_index()
    raise AssertionError(f"no trace {name!r} on the page")


@pytest.fixture(scope="module")
def expected() -> pd.Series:
    """pandas' trailing 14-day mean of the daily values, with at least 10 entries."""
    ds = load_dataset(project_root() / "sample_data")
    diary = analysis_diary(ds.diary, ds.entries)
    assert (ds.entries["patient_id"] == PATIENT).any()
    rows = diary[diary["patient_id"] == PATIENT].sort_values("date")
    pain = pd.Series(rows["pain"].astype(float).to_numpy(), index=rows["date"])
    return pain.rolling("14D", min_periods=10).mean().dropna()


def test_chart_progress_and_pdf_draw_the_same_trailing_mean(demo_db, monkeypatch, expected):
    assert len(expected) > 50  # the settings leave many days with a mean to compare

    def chosen(*, as_of_today: bool = False) -> AnalysisSettings:
        return dataclasses.replace(SETTINGS, as_of=clock.today() if as_of_today else None)

    # the clinician's sidebar choice, and the clinic's settings a patient sees
    monkeypatch.setattr(settings_panel, "current_settings", chosen)
    with open_store(demo_db) as store:
        Service(store, LOCAL_OPERATOR, face="test:setup").save_analysis_settings(SETTINGS)

    at = open_page("views/patient_chart.py", user="dr.a")
    at.session_state["chart.patient"] = PATIENT
    at.run()
    assert not at.exception, at.exception
    chart = _plotted(at, LINE)

    at = open_page("views/my_progress.py", user="p003")
    at.segmented_control(key="progress.range").set_value("All").run()
    assert not at.exception, at.exception
    progress = _plotted(at, LINE)

    ds = load_dataset(project_root() / "sample_data")
    report = patient_report_data(
        ds.patients, ds.diary, ds.sessions, PATIENT, settings=SETTINGS, entries=ds.entries
    )
    drawn = report.diary.set_index("date")["pain_rolling_mean"].dropna()
    figure = pain_trajectory_figure(report.diary, window_days=SETTINGS.trend_window_days)
    (line,) = [ln for ln in figure.axes[0].get_lines() if ln.get_label() == LINE]
    on_paper = pd.Series(line.get_ydata(), index=pd.to_datetime(line.get_xdata())).dropna()

    for name, shown in (
        ("chart", chart),
        ("progress", progress),
        ("PDF data", drawn),
        ("PDF", on_paper),
    ):
        assert list(shown.index) == list(expected.index), name
        assert_allclose(shown.to_numpy(float), expected.to_numpy(float), rtol=1e-12, err_msg=name)


def test_an_added_or_answered_entry_changes_the_version_of_the_patients_rows() -> None:
    ds = load_dataset(project_root() / "sample_data")
    mine = ds.entries[ds.entries["patient_id"] == PATIENT].reset_index(drop=True)
    rows = [ds.patients, ds.diary, ds.sessions]
    versions = {
        ClinicData(*rows, entries=mine.iloc[:-1]).fingerprint(),
        ClinicData(*rows, entries=mine).fingerprint(),  # an entry added
        ClinicData(*rows, entries=mine.assign(rescue_helped="no")).fingerprint(),  # answered
    }
    assert len(versions) == 3
