"""The outcome questionnaires of one patient: the clinician's compact table, the patient's sentences.

The words are :mod:`analytics.presentation`'s (the PDF reports print the same table);
the scores and the composite responder come with the patient's summary
(:func:`analytics.pipeline.summarize_patient`, the answers read through the service).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd
import streamlit as st

from analytics.access import User
from analytics.presentation import (
    NO_QUESTIONNAIRES_TEXT,
    composite_lines,
    due_text,
    questionnaire_panel,
    questionnaire_sentences,
)
from dashboard import data

__all__ = ["clinician_panel", "patient_panel"]


def clinician_panel(
    user: User,
    patient_id: str,
    summary: Any,
    sessions: pd.DataFrame,
    *,
    today: dt.date,
    purpose: str,
) -> pd.DataFrame:
    """Show what is due, the scores against baseline and the composite responder; return the due rows.

    Parameters
    ----------
    user : User
    patient_id : str
    summary : analytics.pipeline.PatientSummary
        Of this patient, with its questionnaires.
    sessions : pandas.DataFrame
        The patient's sessions (to say after which session an answer came).
    today : date
    purpose : str
        The page, recorded in the audit log.
    """
    st.subheader("Outcome questionnaires")
    due = data.questionnaires_due(user, patient_id, today=today, purpose=purpose)
    if not due.empty:
        st.info(f"**{due_text(due)}** — the patient sees it on Log today.", icon="📋")
    panel = questionnaire_panel(summary.questionnaires, sessions, scores="main")
    if panel.empty:
        st.caption("No questionnaire answered yet.")
        return due
    # one line per questionnaire rather than a table: it stays within a phone's width
    for r in panel.itertuples(index=False):
        change = (
            f"{r.latest}" if r.baseline == "—" else f"{r.baseline} → {r.latest}: {r.since_baseline}"
        )
        st.markdown(f"- **{r.questionnaire}** {change}. Meaningful change: {r.meaningful}.")
    st.caption(
        "Each questionnaire's main score: "
        + "; ".join(
            f"{q}: {s}" for q, s in zip(panel["questionnaire"], panel["score"], strict=True)
        )
        + ". First answer → latest; the visit report (PDF) lists every score in a table."
    )
    composite = summary.composite
    if len(composite):
        verdict, methods = composite_lines(
            composite.iloc[0].to_dict(), threshold=summary.settings.responder_threshold
        )
        st.markdown(f"**{verdict}**")
        st.caption(" ".join(methods))
    return due


def patient_panel(summary: Any, sessions: pd.DataFrame) -> None:
    """Tell the patient their questionnaire results in plain words (or that there are none yet)."""
    st.subheader("Your questionnaires")
    sentences = questionnaire_sentences(summary.questionnaires, sessions)
    if not sentences:
        st.caption(NO_QUESTIONNAIRES_TEXT)
        return
    for sentence in sentences:
        st.markdown(f"- {sentence}")
    st.caption("Compared with your first answers. Your clinician sees the same results.")
