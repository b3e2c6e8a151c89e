"""Shared summary: what a share link opens, without signing in (one patient, read-only).

The router runs :func:`page` for every address of a share request.
"""

from __future__ import annotations

import streamlit as st

from analytics.errors import AuthenticationError
from analytics.presentation import SHARE_LINK_REFUSED, change_words
from dashboard import data
from dashboard.components import feedback, file_buttons, table_download
from dashboard.components.share_panel import fixed_now, share_url
from dashboard.text import shown

__all__ = ["page"]


def _refuse() -> None:
    st.title("🔗 Shared summary")
    st.error(SHARE_LINK_REFUSED, icon="⛔")
    st.stop()


def page() -> None:
    """Show the read-only summary a share link opens (the only thing it opens).

    The service checks the link when it is built (each run) and again at every call it
    answers (a file recorded on a click, a table's download). A link that stopped
    working during a run leaves none of the summary on the page, only the refusal.
    """
    token = st.query_params.get("token")
    if not token:
        _refuse()
    body = st.empty()
    try:
        with body.container():
            _summary(str(token))
    except AuthenticationError:
        body.empty()
        _refuse()


def _summary(token: str) -> None:
    """Draw the summary the link ``token`` opens; AuthenticationError when it does not (any more)."""
    # the service compares with naive UTC times (as stored)
    svc = data.share_service(token, now=fixed_now())
    pid = str(svc.user.patient_id)
    ds = data.share_dataset(svc, pid, purpose="shared summary")
    settings = svc.analysis_settings()
    rows = file_buttons.patient_rows(ds)

    from analytics.reports import patient_report_data
    from dashboard import charts, labels

    report = patient_report_data(
        rows.patients, rows.diary, rows.sessions, pid, settings=settings, entries=rows.entries
    )
    st.title("🔗 Shared summary")
    st.markdown(
        f"**{shown(pid)}**"
        + (f" · {shown(labels.condition_label(report.condition))}" if report.condition else "")
        + f" · read-only, as of {report.as_of:%d %B %Y}"
    )
    outcome = report.outcome
    if outcome is not None:
        # one small table rather than four metrics: it stays one block on a phone
        st.markdown(
            "| Baseline pain | Follow-up pain | Pain reduction | Sessions |\n"
            "| --- | --- | --- | --- |\n"
            f"| {feedback.fmt(outcome['baseline_pain'])}/10 "
            f"| {feedback.fmt(outcome['followup_pain'])}/10 "
            f"| {feedback.fmt(outcome['pct_change'], '+.0f')}% "
            f"| {report.n_sessions} |"
        )
        category = labels.category_label(outcome["response_category"])
        st.caption(
            f"Response: {change_words(outcome['pct_change'])} (category: {category}). "
            "Pain reduction: + = less pain than at baseline. Baseline: "
            f"the {settings.baseline_days} days before the first session; follow-up: the last "
            f"{settings.followup_days} diary days."
        )
    if report.diary.empty:
        st.info("No diary days yet.")
    else:
        baseline = None
        if report.baseline_window is not None and outcome is not None:
            baseline = (*report.baseline_window, outcome["baseline_pain"])
        st.plotly_chart(
            charts.pain_trajectory(
                report.diary,
                rolling=report.diary["pain_rolling_mean"],
                sessions=report.sessions,
                baseline=baseline,
                title=f"Pain trajectory of {pid}",
            ),
            key="shared.trajectory",
            config=charts.CHART_CONFIG,
        )
    st.subheader("Sessions")
    if report.sessions.empty:
        st.caption("No sessions recorded.")
    else:
        columns = [
            c
            for c in (
                "session_number",
                "date",
                "technique_band",
                "frequency_hz",
                "points",
                "needles",
                "retention_min",
                "pain_before",
                "pain_after",
                "adverse_events",
            )
            if c in report.sessions.columns
        ]
        table = report.sessions[columns].assign(
            technique_band=labels.relabel(report.sessions["technique_band"], labels.technique_label)
        )
        table_download.data_table(
            table,
            what=f"sessions of {pid}",
            patient_id=pid,
            purpose="shared summary",
            service=svc,
            key="shared.sessions",
            column_config={
                "date": st.column_config.DatetimeColumn("date", format="YYYY-MM-DD"),
                "session_number": st.column_config.NumberColumn("#"),
                "technique_band": st.column_config.TextColumn("technique"),
            },
        )

    def record(what: str, *, report: bool) -> None:
        if report:
            svc.record_report(what, patient_id=pid)
        else:
            svc.record_export(what, patient_id=pid)

    file_buttons.patient_files(
        rows,
        pid,
        settings=settings,
        record=record,
        key="shared.files",
        allow_notes=False,
        share_url=share_url(token),
    )
    st.caption("Shared through paindiary. This page shows one patient's summary only.")


if __name__ == "__main__":  # run by Streamlit as the page script
    page()
