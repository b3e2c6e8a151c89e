"""Who is signed in: the login session of a browser tab.

Identity
--------
A person signs in with a username and password (or, when ``[auth]`` is configured
in ``.streamlit/secrets.toml``, through single sign-on with ``st.login``). The
library (:mod:`analytics.access`) checks the password, counts failures, locks the
account and issues a *signed, expiring session token*. The dashboard keeps only
that token: in ``st.session_state`` for the life of the websocket session, and in
a cookie so that a reload or a deep link finds it again. Every run reads the user
back from the token through the library, so nothing a page (or a person editing
session state, a query parameter or a widget key) puts in the session can change
who is signed in: a patient's patient id always comes from the account.

Why a cookie written by a small same-origin component, not a query parameter
---------------------------------------------------------------------------
Streamlit cannot set a cookie from Python, but it reads the cookies the browser
sends when it opens the app's websocket (``st.context.cookies``). A token in the
URL (``st.query_params``) would be kept in the browser history and bookmarks,
copied with every shared link ("look at my chart" would hand over the session),
shown on screen and in screenshots, and sent in ``Referer`` headers. A cookie is
none of that. It is written by :data:`_cookie_writer`, a few lines of JavaScript
registered with ``st.components.v2`` and served by the app itself (no CDN), with
``SameSite=Strict`` (never sent by another site, so no cross-site websocket can
ride on it), ``Path=/``, ``Secure`` when the page is served over HTTPS and a
``Max-Age`` of the idle timeout. What it cannot be is ``HttpOnly`` (JavaScript
wrote it, so JavaScript can read it): the app renders no untrusted HTML (stored
text is escaped) and the token is worth little once stolen late — it lapses after
:data:`IDLE_MINUTES` without activity, and logout revokes it in the database.

Idle expiry and renewal
-----------------------
The library refuses a token :data:`IDLE_MINUTES` after it was issued. Each run
with a valid token counts as activity: once the token is older than
:data:`RENEW_AFTER_SECONDS`, a fresh one replaces it (in the session and in the
cookie), so a person who keeps working stays signed in and one who walks away is
signed out half an hour later, even with the tab still open.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import threading
import time
from collections.abc import Callable
from typing import Any

import streamlit as st

from analytics import access
from analytics.access import User
from analytics.errors import AuthenticationError
from dashboard import data

__all__ = [
    "COOKIE",
    "IDLE_MINUTES",
    "RENEW_AFTER_SECONDS",
    "sso_enabled",
    "signed_in",
    "set_run_user",
    "user",
    "pop_notice",
    "login",
    "password_ok",
    "logout",
    "login_sso",
    "sync_cookie",
    "selected_patient",
    "select_patient",
]


#: Name of the session cookie.
COOKIE = "paindiary_session"


#: Minutes without activity after which a session ends (the library's default).
IDLE_MINUTES = 30


#: A token older than this is replaced by a fresh one on the next run.
RENEW_AFTER_SECONDS = 60


_TOKEN = "auth.token"


_ISSUED = "auth.issued"


_DEAD_COOKIE = "auth.dead_cookie"


_NOTICE = "auth.notice"


_COOKIE_STATE = "auth.cookie"


_SELECTED = "chart.patient"


# a session token is URL-safe base64 and dots; anything else is not ours
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9_\-.:]{16,4096}$")


def _store() -> data.Store:
    return data.get_store(data.db_url())


#: The clock of the sign-in code (None: the library's, real UTC time); tests move it.
_clock: Callable[[], dt.datetime] | None = None


def _source() -> str | None:
    """Return the address a sign-in comes from (the proxy's header only when configured)."""
    return access.source_address(
        st.context.ip_address,
        dict(st.context.headers or {}),
        forwarded_header=os.environ.get(access.FORWARDED_HEADER_VARIABLE),
    )


def _authenticate(username: str, password: str) -> tuple[User, str]:
    account = access.authenticate(
        _store(), username, password, face="dashboard:login", clock=_clock, source=_source()
    )
    return account, access.issue_token(_store(), account, clock=_clock)


def _password_ok(username: str, password: str) -> bool:
    try:
        access.authenticate(_store(), username, password, face="dashboard:Account", clock=_clock)
    except AuthenticationError:
        return False
    return True


def _user_of(token: str) -> User:
    return access.read_token(_store(), token, max_idle_minutes=IDLE_MINUTES, clock=_clock)


def _renew(token: str) -> str:
    return str(access.renew_token(_store(), token, max_idle_minutes=IDLE_MINUTES, clock=_clock))


def _revoke(token: str) -> None:
    access.revoke_token(_store(), token, face="dashboard:logout", clock=_clock)


def _sso_session(username: str) -> tuple[User, str]:
    account = access.user_for_sso(_store(), username, face="dashboard:sso", clock=_clock)
    return account, access.issue_token(_store(), account, clock=_clock)


def sso_enabled() -> bool:
    """Tell whether single sign-on (``[auth]`` in ``.streamlit/secrets.toml``) is configured."""
    try:
        return "auth" in st.secrets
    except FileNotFoundError:
        return False
    except Exception:  # a malformed secrets file is reported by Streamlit itself
        return False


def _now() -> float:
    if _clock is None:
        return time.time()
    return _clock().replace(tzinfo=dt.UTC).timestamp()


def _request_cookies() -> dict[str, str]:
    """Return the cookies the browser sent when it opened this session's websocket."""
    try:
        return st.context.cookies.to_dict()
    except Exception:  # no browser context (a bare script run)
        return {}


def _cookie_token() -> str | None:
    token = _request_cookies().get(COOKIE)
    if not token or not _TOKEN_CHARS.match(token):
        return None
    if token in st.session_state.get(_DEAD_COOKIE, ()):
        return None  # refused before in this session (e.g. signed out), still in the request
    return str(token)


def _end(notice: str | None) -> None:
    """Forget the session of this tab (everything in it) and delete the cookie."""
    # the request's cookie keeps the token the page was opened with (older than the
    # session's after a renewal): neither may sign anyone in again in this session
    dead = set(st.session_state.get(_DEAD_COOKIE, ()))
    dead |= {t for t in (st.session_state.get(_TOKEN), _request_cookies().get(COOKIE)) if t}
    for key in list(st.session_state.keys()):
        del st.session_state[key]
    st.session_state[_DEAD_COOKIE] = frozenset(dead)
    if notice:
        st.session_state[_NOTICE] = notice
    st.session_state[_COOKIE_STATE] = {"token": None}


def _start(user: User, token: str) -> User:
    st.session_state[_TOKEN] = token
    st.session_state[_ISSUED] = _now()
    st.session_state[_COOKIE_STATE] = {"token": token}
    return user


def signed_in() -> User | None:
    """Return the signed-in :class:`analytics.access.User` of this run, or None.

    Reads the token from the session (or, after a reload, the cookie), asks the
    library who it belongs to and renews it when due. Without a token, a person
    signed in with single sign-on gets a session for their account in the user
    table. A refused token (expired, revoked, password changed, account disabled)
    ends the session with a notice for the login page, and the single sign-on
    session too, so that idle expiry means the same for everyone.
    """
    token = st.session_state.get(_TOKEN) or _cookie_token()
    if token is None:
        return _sso_start() if sso_enabled() and _sso_logged_in() else None
    try:
        current = _user_of(token)
    except AuthenticationError:
        _end(
            f"You were signed out: {IDLE_MINUTES} minutes without activity, a sign-out or "
            "a password change ended the session. Please sign in again."
        )
        if sso_enabled() and _sso_logged_in():
            st.logout()
        return None
    issued = st.session_state.get(_ISSUED)
    if token != st.session_state.get(_TOKEN) or issued is None:
        issued = 0.0  # first run after a reload: renew at once so the idle clock restarts
    if _now() - issued >= RENEW_AFTER_SECONDS:
        _start(current, _renew(token))
    return current


# The user the router signed in for the current run. Streamlit runs each session's
# script in its own thread, so the value is per run and never seen by another session.
_run = threading.local()


def set_run_user(current: User | None) -> None:
    """Keep the user of this run (the router calls it once, before the page runs)."""
    _run.user = current


def user() -> User:
    """Return the signed-in user of this run; a page that runs without one stops."""
    current = getattr(_run, "user", None)
    if current is None:
        st.warning("Please sign in.")
        st.stop()
    return current


def pop_notice() -> str | None:
    """Return the message kept for the login page (why the last session ended), once."""
    return st.session_state.pop(_NOTICE, None)


def login(username: str, password: str) -> User:
    """Check the password and start a session; raises AuthenticationError."""
    account, token = _authenticate(username, password)
    for key in list(st.session_state.keys()):
        if key not in (_DEAD_COOKIE,):
            del st.session_state[key]
    return _start(account, token)


def password_ok(username: str, password: str) -> bool:
    """Tell whether ``password`` is the account's (a failure counts towards the lockout)."""
    return _password_ok(username, password)


def logout() -> None:
    """Revoke the token in the database, forget the session and delete the cookie."""
    token = st.session_state.get(_TOKEN)
    if token:
        try:
            _revoke(token)
        except AuthenticationError:
            pass  # already refused: nothing left to revoke
    _end("You are signed out.")
    if sso_enabled() and _sso_logged_in():
        st.logout()


def _sso_claims() -> dict[str, Any]:
    try:
        return dict(st.user.to_dict())
    except Exception:  # no user info outside a Streamlit session
        return {}


def _sso_logged_in() -> bool:
    return bool(_sso_claims().get("is_logged_in"))


def _sso_name() -> str:
    """Return the identity provider's name for the person: e-mail, else preferred username."""
    claims = _sso_claims()
    for claim in ("email", "preferred_username"):
        value = claims.get(claim)
        if value:
            # e-mail addresses are matched in lower case (accounts are added that way)
            return str(value).strip().lower()
    return ""


def _sso_start() -> User | None:
    """Start a session for the identity-provider user, matched in the user table."""
    name = _sso_name()
    try:
        if not name:
            raise AuthenticationError("no e-mail address from the identity provider")
        account, token = _sso_session(name)
    except AuthenticationError:
        st.session_state[_NOTICE] = (
            "Your organisation's sign-in worked, but no active paindiary account matches it. "
            "Ask an administrator to add your e-mail address as a user."
        )
        st.logout()
        return None
    return _start(account, token)


def login_sso() -> None:
    """Send the browser to the identity provider (``st.login``)."""
    st.login()


_COOKIE_JS = """
export default function (component) {
  const { data } = component;
  if (!data || !data.name) { return; }
  const secure = window.location.protocol === "https:" ? "; Secure" : "";
  const value = data.token || "";
  const age = data.token ? data.max_age : 0;
  document.cookie = data.name + "=" + value + "; Path=/; Max-Age=" + age +
    "; SameSite=Strict" + secure;
}
"""


@st.cache_resource(show_spinner=False)
def _cookie_writer() -> Callable[..., Any]:
    return st.components.v2.component("paindiary_session_cookie", js=_COOKIE_JS)


def sync_cookie() -> None:
    """Write (or delete) the session cookie in the browser when it changed this session."""
    wanted = st.session_state.get(_COOKIE_STATE)
    if wanted is None:
        return
    token = wanted.get("token")
    if token is not None and not _TOKEN_CHARS.match(token):
        return
    _cookie_writer()(
        data={"name": COOKIE, "token": token, "max_age": IDLE_MINUTES * 60},
        key="auth.cookie_writer",
        height=0,
        width="content",
    )


def selected_patient(ids: list[str]) -> str | None:
    """Return the patient chosen for the patient chart (the first visible one by default)."""
    chosen = st.session_state.get(_SELECTED)
    if chosen not in ids:
        chosen = ids[0] if ids else None
    return chosen


def select_patient(patient_id: str) -> None:
    """Make ``patient_id`` the patient of the patient chart (call from a widget callback)."""
    st.session_state[_SELECTED] = patient_id
