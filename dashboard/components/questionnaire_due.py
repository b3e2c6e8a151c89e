"""The questionnaires due today, told to the patient with a link to answer them."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from analytics.access import User
from analytics.contract import INSTRUMENTS
from dashboard import data

__all__ = ["questionnaire_due", "QUESTIONNAIRE_PAGE"]

#: The page where a patient answers them.
QUESTIONNAIRE_PAGE = "views/questionnaire.py"


def questionnaire_due(user: User, patient_id: str, *, today: dt.date, purpose: str) -> pd.DataFrame:
    """Say which questionnaires are due and link to the page that asks them; return them.

    Nothing is drawn when none is due.
    """
    due = data.questionnaires_due(user, patient_id, today=today, purpose=purpose)
    if due.empty:
        return due
    names = [INSTRUMENTS[i].name for i in due["instrument"]]
    minutes = max(1, len(due))
    st.info(
        f"**{len(due)} short questionnaire{'s are' if len(due) != 1 else ' is'} due** "
        f"({', '.join(names)}): about {minutes} minute{'s' if minutes != 1 else ''}. "
        "Your answers show you and your clinician how treatment is going beyond pain.",
        icon="📋",
    )
    # a button, not a link: the page's last link is the menu's Sign out
    if st.button(
        "Answer now", key="questionnaire_due.open", icon="📋", type="primary", width="stretch"
    ):
        st.switch_page(QUESTIONNAIRE_PAGE)
    return due
