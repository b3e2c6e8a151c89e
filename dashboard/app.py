"""Router of the paindiary dashboard: ``streamlit run dashboard/app.py``.

Draws the sidebar (role and patient selector, analysis settings) and the page
navigation; the pages themselves live in ``dashboard/pages``.
"""

from __future__ import annotations

import streamlit as st

from analytics.errors import StoreError
from dashboard import data, settings, state

st.set_page_config(page_title="Pain diary", page_icon="🩺", layout="wide")

PATIENT_PAGES = [
    st.Page("pages/log_today.py", title="Log today", icon="📝", url_path="log", default=True),
    st.Page("pages/my_progress.py", title="My progress", icon="📈", url_path="progress"),
]
CLINICIAN_PAGES = [
    st.Page(
        "pages/clinic_overview.py",
        title="Clinic overview",
        icon="🏥",
        url_path="overview",
        default=True,
    ),
    st.Page("pages/patient_chart.py", title="Patient chart", icon="🩺", url_path="patient"),
    st.Page(
        "pages/treatment_response.py", title="Treatment response", icon="📊", url_path="response"
    ),
    st.Page("pages/data_manager.py", title="Data", icon="🗂️", url_path="data"),
]

try:
    ids = data.patient_ids(state.CLINICIAN_ACTOR)
except StoreError as exc:
    st.error(f"The database cannot be opened: {exc}")
    st.stop()

identity = state.identity_sidebar(ids)
settings.settings_sidebar()

if identity.role == "clinician":
    nav = st.navigation({"Clinician": CLINICIAN_PAGES})
else:
    nav = st.navigation({"Patient": PATIENT_PAGES})
nav.run()
