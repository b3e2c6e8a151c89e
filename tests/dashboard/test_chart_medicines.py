"""The patient chart's "Medicines in this period" table and opioid flags (AppTest).

The demo database is ``sample_data/`` as it is; "today" is fixed. P001 logs tramadol
100 mg today (100 × 0.2 = 20 MME, CDC 2022), as the entry form saves it.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import streamlit as st

from analytics.access import LOCAL_OPERATOR
from analytics.pipeline import summarize_patient
from analytics.presentation import medicine_texts
from analytics.service import Service
from analytics.settings import AnalysisSettings
from analytics.store import open_store
from dashboard import clock

from .conftest import open_page

TODAY = dt.date(2026, 11, 2)


@pytest.fixture
def tramadol_today(demo_db, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    with open_store(demo_db) as store:
        store.save_diary_entry(
            "test:setup",
            {
                "patient_id": "P001",
                "date": TODAY,
                "pain": 5.0,
                "medication": "tramadol",
                "medication_dose": 100.0,
                "opioid_mme": 20.0,
            },
        )
    return demo_db


@pytest.fixture(autouse=True)
def no_cached_cohort():
    """Leave no cached cohort behind for the next test.

    The cached cohort is keyed by the stored outcomes' version, not by the database:
    another test's copy of the demo database, with the same fixed "today", would be
    served this test's cohort.
    """
    yield
    st.cache_data.clear()


def _chart(patient_id: str):
    at = open_page("views/clinic_overview.py", user="admin")
    at.session_state["chart.patient"] = patient_id
    at.switch_page("views/patient_chart.py").run()
    assert not at.exception, at.exception
    return at


def _medicines_table(at) -> pd.DataFrame:
    tables = [t.value for t in at.dataframe if "Days taken" in str(t.proto.columns)]
    assert len(tables) == 1, "the chart shows one medicines table"
    return tables[0]


def test_chart_lists_the_opioid_logged_today_and_flags_its_start(tramadol_today):
    at = _chart("P001")
    assert "Medicines in this period" in [h.value for h in at.subheader]
    table = _medicines_table(at)
    assert len(table) == 1
    row = table.iloc[0]
    assert row["medicine"] == "tramadol (opioid)"
    assert row["days"] == 1
    assert row["dose"] == "100 mg"
    assert row["mme"] == "20"
    assert pd.Timestamp(row["first_day"]) == pd.Timestamp(TODAY)
    assert pd.Timestamp(row["last_day"]) == pd.Timestamp(TODAY)
    warnings = " ".join(str(w.value) for w in at.warning)
    # markdown-escaped on the page: compare without the backslashes
    plain = warnings.replace("\\", "").replace("\u2060", "")
    assert "Opioid started: tramadol, first logged on 02 Nov 2026" in plain
    assert "(20 MME/day)" in plain
    assert any("CDC 2022" in str(c.value) for c in at.caption)

    # the same rows as the summary's medicines field, worded by the shared presentation
    with open_store(tramadol_today) as store:
        svc = Service(store, LOCAL_OPERATOR, face="test:check")
        ds = svc.patient_dataset("P001", purpose="test")
    summary = summarize_patient(
        ds.patients, ds.diary, ds.sessions, AnalysisSettings(as_of=TODAY), patient_id="P001"
    )
    texts = medicine_texts(summary.medicines)
    assert list(table["medicine"]) == list(texts["medicine"])
    assert list(table["dose"]) == list(texts["dose"])
    assert list(table["mme"]) == list(texts["mme"])
    assert list(table["days"]) == list(summary.medicines["n_days"])


def test_chart_without_a_named_medicine_says_so(demo_db, monkeypatch):
    monkeypatch.setattr(clock, "today", lambda: TODAY)
    at = _chart("P006")
    assert "No medicine named in the diary yet." in [str(c.value) for c in at.caption]
