"""Share links: the panel that creates, lists and revokes them, and the page a link opens.

A clinician (for an assigned patient) or the patient creates a link to one
patient's read-only summary, valid 1-90 days (14 by default). The service
(:meth:`analytics.service.Service.create_share_link`) makes the token, stores only
its SHA-256 hash and records the creation; the panel shows the link once, with a
QR code drawn locally by segno, and never keeps it in the session.

The link opens ``/shared?token=...`` without signing in. The router sends every
request that carries a ``token`` (or asks for ``/shared``) to :func:`share_page`
alone: no menu, no other page, no other patient. Each run of that page asks
:meth:`~analytics.service.Service.for_share_link` again, so a revoked or expired
link stops working at once, and every use is in the audit log. An unknown,
expired or revoked link gets one refusal that reveals nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from analytics.errors import AccessDeniedError, AuthenticationError, NotFoundError
from dashboard import data, downloads, widgets
from dashboard.text import shown

__all__ = [
    "SHARE_PATH",
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "is_share_request",
    "share_url",
    "qr_svg",
    "share_panel",
    "share_page",
]

#: URL path of the share page.
SHARE_PATH = "shared"
#: Validity of a new link, days (default and longest).
DEFAULT_DAYS = 14
MAX_DAYS = 90
#: The clock of the share page (None: real UTC time); tests move it.
_clock: Callable[[], dt.datetime] | None = None
_REFUSAL = (
    "This share link is not valid: it may have expired or been revoked. "
    "Ask the person who shared it for a new one."
)


def is_share_request() -> bool:
    """True when this run asks for the share page (a ``token`` or the ``/shared`` path)."""
    if "token" in st.query_params:
        return True
    try:
        url = st.context.url
    except Exception:  # no browser context (a bare script run)
        url = None
    return bool(url) and urlsplit(str(url)).path.rstrip("/").endswith("/" + SHARE_PATH)


def share_url(token: str) -> str:
    """The full link of ``token``, on the host and port the app is served from."""
    try:
        url = st.context.url
    except Exception:
        url = None
    if not url:
        return f"/{SHARE_PATH}?token={token}"
    parts = urlsplit(str(url))
    path = parts.path
    # st.context.url ends with the current page's path: keep only the app's base path
    from dashboard import state

    pages = {p.url_path for p in state.PAGES} | {"login", SHARE_PATH}
    head, _, last = path.rstrip("/").rpartition("/")
    base = head if last in pages else path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{base}/{SHARE_PATH}?token={token}"


def qr_svg(text: str) -> str:
    """A QR code of ``text`` as an SVG document (segno, drawn locally)."""
    from analytics.reports import qr_svg as make

    return make(text)


def qr_png(text: str) -> bytes:
    """A QR code of ``text`` as PNG bytes (segno, drawn locally)."""
    from analytics.reports import qr_png as make

    return make(text)


# --------------------------------------------------------------------------- the panel


def _active(links: pd.DataFrame, now: dt.datetime) -> pd.DataFrame:
    if links.empty:
        return links
    expires = pd.to_datetime(links["expires_at"], utc=True)
    revoked = pd.to_datetime(links["revoked_at"], utc=True)
    return links[revoked.isna() & (expires > pd.Timestamp(now))].reset_index(drop=True)


def _show_new_link(token: str, days: int) -> None:
    url = share_url(token)
    st.success(
        f"Link created, valid for {days} day{'s' if days != 1 else ''}. Copy it now: it is "
        "shown only this once.",
        icon="🔗",
    )
    st.code(url, language=None, wrap_lines=True)
    c1, c2 = st.columns([1, 2])
    with c1:
        st.image(qr_png(url), caption="Scan to open the summary", width=180)
    with c2:
        st.caption(
            "Anyone with this link can see the read-only summary, the PDF and the FHIR "
            "bundle until it expires or you revoke it. Every use is recorded."
        )


def share_panel(user: Any, patient_id: str, *, purpose: str, key: str) -> None:
    """Create, list and revoke the share links of ``patient_id``."""
    who = "your" if user.role == "patient" else f"{shown(patient_id)}'s"
    with st.expander(f"🔗 Share {who} summary by link", expanded=False):
        st.caption(
            "A read-only summary (numbers, pain chart, sessions, PDF and FHIR download) "
            "that opens without signing in, until the link expires or is revoked."
        )
        days = st.number_input(
            "Valid for (days)",
            min_value=1,
            max_value=MAX_DAYS,
            value=DEFAULT_DAYS,
            step=1,
            key=f"{key}.days",
        )
        if st.button("Create share link", key=f"{key}.create", icon="🔗"):
            try:
                token = data.create_share_link(user, patient_id, days=int(days), purpose=purpose)
            except (AccessDeniedError, NotFoundError, ValueError) as exc:
                st.error(f"No link was created: {shown(exc)}", icon="⛔")
            else:
                _show_new_link(token, int(days))
        links = _active(data.share_links(user, patient_id, purpose=purpose), _now())
        if links.empty:
            st.caption("No active share links.")
            return
        st.markdown("**Active links**")
        widgets.table(
            links[["link_id", "created_by", "created_at", "expires_at"]],
            column_config={
                "link_id": st.column_config.NumberColumn("link"),
                "created_by": st.column_config.TextColumn("created by"),
                "created_at": st.column_config.DatetimeColumn(
                    "created (UTC)", format="YYYY-MM-DD HH:mm"
                ),
                "expires_at": st.column_config.DatetimeColumn(
                    "expires (UTC)", format="YYYY-MM-DD HH:mm"
                ),
            },
        )
        c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
        chosen = c1.selectbox(
            "Link to revoke", links["link_id"].tolist(), index=None, key=f"{key}.pick"
        )
        if c2.button("Revoke", key=f"{key}.revoke", icon="🚫", disabled=chosen is None):
            try:
                data.revoke_share_link(user, int(chosen), purpose=purpose)
            except (AccessDeniedError, NotFoundError) as exc:
                st.error(f"Not revoked: {shown(exc)}", icon="⛔")
            else:
                st.session_state.pop(f"{key}.pick", None)
                st.rerun()


def _now() -> dt.datetime:
    return _clock() if _clock is not None else dt.datetime.now(dt.UTC)


# --------------------------------------------------------------------------- the page


def _refuse() -> None:
    st.title("🔗 Shared summary")
    st.error(_REFUSAL, icon="⛔")
    st.stop()


def share_page() -> None:
    """The read-only summary a share link opens (the only thing it opens)."""
    token = st.query_params.get("token")
    if not token:
        _refuse()
    try:
        # the service compares with naive UTC times (as stored)
        now = _now().astimezone(dt.UTC).replace(tzinfo=None) if _clock is not None else None
        svc = data.share_service(str(token), now=now)
    except AuthenticationError:
        _refuse()
    pid = str(svc.user.patient_id)
    ds = data.share_dataset(svc, pid, purpose="shared summary")
    settings = svc.analysis_settings()
    rows = downloads.patient_rows(ds)

    from analytics.reports import patient_report_data
    from dashboard import charts, labels

    report = patient_report_data(rows.patients, rows.diary, rows.sessions, pid, settings=settings)
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
            f"| {widgets.fmt(outcome['baseline_pain'])}/10 "
            f"| {widgets.fmt(outcome['followup_pain'])}/10 "
            f"| {widgets.fmt(outcome['pct_change'], '+.0f')}% "
            f"| {report.n_sessions} |"
        )
        category = labels.category_label(outcome["response_category"])
        st.caption(
            f"Response: {category}. Pain reduction: + = less pain than at baseline. Baseline: "
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
        widgets.table(
            table,
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

    downloads.patient_files(
        rows,
        pid,
        settings=settings,
        record=record,
        key="shared.files",
        allow_notes=False,
        share_url=share_url(str(token)),
    )
    st.caption("Shared through paindiary. This page shows one patient's summary only.")
