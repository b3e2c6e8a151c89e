"""Router of the paindiary dashboard: ``streamlit run dashboard/app.py``.

Draws the sidebar (role and patient selector, analysis settings) and the page
navigation; the pages themselves live in ``dashboard/views``. (Not ``pages/``:
Streamlit would also serve a ``pages/`` folder as stand-alone pages that bypass this
router, e.g. on a deep link to a fresh server.)
"""

from __future__ import annotations

import streamlit as st

from analytics.errors import StoreError
from dashboard import data, settings, state

st.set_page_config(page_title="Pain diary", page_icon="🩺", layout="wide")

PATIENT_PAGES = [
    st.Page("views/log_today.py", title="Log today", icon="📝", default=True),
    st.Page("views/my_progress.py", title="My progress", icon="📈"),
]
CLINICIAN_PAGES = [
    st.Page(
        "views/clinic_overview.py",
        title="Clinic overview",
        icon="🏥",
        default=True,
    ),
    st.Page("views/patient_chart.py", title="Patient chart", icon="🩺"),
    st.Page("views/treatment_response.py", title="Treatment response", icon="📊"),
    st.Page("views/data_manager.py", title="Data", icon="🗂️"),
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
