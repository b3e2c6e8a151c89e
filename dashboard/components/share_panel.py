"""Share links: the panel that creates, lists and revokes them.

A clinician (for an assigned patient) or the patient creates a link to one
patient's read-only summary, valid 1-90 days (14 by default). The service
(:meth:`analytics.service.Service.create_share_link`) makes the token, stores only
its SHA-256 hash and records the creation; the panel shows the link once, with a
QR code drawn locally by segno, and never keeps it in the session.

The link opens ``/shared?token=...`` without signing in. The router sends every
request that carries a ``token`` (or asks for ``/shared``) to the shared page
(``views/shared.py``) alone: no menu, no other page, no other patient. Each run of
that page asks :meth:`~analytics.service.Service.for_share_link` again, so a revoked
or expired link stops working at once, and every use is in the audit log. An
unknown, expired or revoked link gets one refusal that reveals nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from urllib.parse import urlsplit

import streamlit as st

from analytics.access import User
from analytics.errors import AccessDeniedError, NotFoundError
from dashboard import data, navigation
from dashboard.components import share_link_review
from dashboard.text import shown

__all__ = [
    "now",
    "fixed_now",
    "SHARE_PATH",
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "is_share_request",
    "app_address",
    "share_url",
    "qr_svg",
    "qr_png",
    "share_panel",
]


#: URL path of the share page.
SHARE_PATH = "shared"


#: Validity of a new link, days (default and longest).
DEFAULT_DAYS = 14


MAX_DAYS = 90


#: The clock of the share page (None: real UTC time); tests move it.
_clock: Callable[[], dt.datetime] | None = None


def now() -> dt.datetime:
    """Return the time share links are checked against (UTC, aware)."""
    return _clock() if _clock is not None else dt.datetime.now(dt.UTC)


def fixed_now() -> dt.datetime | None:
    """Return the moment a test fixed (naive UTC) for the service's checks, or None."""
    return now().astimezone(dt.UTC).replace(tzinfo=None) if _clock is not None else None


def is_share_request() -> bool:
    """Tell whether this run asks for the share page (a ``token`` or the ``/shared`` path)."""
    if "token" in st.query_params:
        return True
    try:
        url = st.context.url
    except Exception:  # no browser context (a bare script run)
        url = None
    return bool(url) and urlsplit(str(url)).path.rstrip("/").endswith("/" + SHARE_PATH)


def app_address() -> str | None:
    """Return the app's own address (scheme, host, port and base path), None outside a browser."""
    try:
        url = st.context.url
    except Exception:
        url = None
    if not url:
        return None
    parts = urlsplit(str(url))
    path = parts.path
    # st.context.url ends with the current page's path: keep only the app's base path
    pages = {p.url_path for p in navigation.PAGES} | {"login", SHARE_PATH}
    head, _, last = path.rstrip("/").rpartition("/")
    base = head if last in pages else path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{base}"


def share_url(token: str) -> str:
    """Return the full link of ``token``, on the host and port the app is served from."""
    address = app_address()
    if address is None:
        return f"/{SHARE_PATH}?token={token}"
    return f"{address}/{SHARE_PATH}?token={token}"


def qr_svg(text: str) -> str:
    """Draw a QR code of ``text`` as an SVG document (segno, locally)."""
    from analytics.reports import qr_svg as make

    return make(text)


def qr_png(text: str) -> bytes:
    """Draw a QR code of ``text`` as PNG bytes (segno, locally)."""
    from analytics.reports import qr_png as make

    return make(text)


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
            "Anyone with this link can see the read-only summary, the report (PDF) and the "
            "health-record file until it expires or you revoke it. Every use is recorded."
        )


def share_panel(user: User, patient_id: str, *, purpose: str, key: str) -> None:
    """Create, list and revoke the share links of ``patient_id``."""
    who = "your" if user.role == "patient" else f"{shown(patient_id)}'s"
    with st.expander(f"🔗 Share {who} summary by link", expanded=False):
        st.caption(
            "A read-only summary (numbers, pain chart, sessions, the report and the "
            "health-record file to download) that opens without signing in, until the link "
            "expires or is revoked."
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
        moment = now().astimezone(dt.UTC).replace(tzinfo=None)  # the store's naive UTC
        links = data.share_links(user, patient_id, purpose=purpose, active_at=moment)
        if links.empty:
            st.caption("No active share links.")
            return
        st.markdown("**Active links**")
        revoke = share_link_review.active_links_panel(links, key=key, explain=False)
        if revoke is not None:
            try:
                data.revoke_share_link(user, revoke, purpose=purpose)
            except (AccessDeniedError, NotFoundError) as exc:
                st.error(f"Not revoked: {shown(exc)}", icon="⛔")
            else:
                st.rerun()
