"""Router of the paindiary dashboard: ``streamlit run dashboard/app.py``.

Every run starts here: who is signed in (:mod:`dashboard.session`), then which page
runs. Every page of the app is registered with ``st.navigation`` on every run, so
a deep link or a reload always resolves to the page that was asked for — never
"Page not found" and a fall-back to another page:

- nobody signed in: the login page runs, whatever page the URL names; after the
  sign-in the same URL opens the asked page (or its refusal);
- signed in: the role's pages are a row of links above the page, with Sign out last; any
  other page stays registered but hidden, and opening it (a deep link, an edited URL,
  ``st.switch_page``) shows a refusal (recorded once, with the page and the role) instead
  of running the page script, so no data are read for it;
- an address that names no page opens the role's home (or the sign-in form) without
  Streamlit's "Page not found" dialog;
- the side panel holds only the analysis settings of clinicians and admins (a patient
  has none) and starts closed on every page a phone opens.

The pages live in ``dashboard/views`` (not ``pages/``: Streamlit would also serve a
``pages/`` folder as stand-alone pages that bypass this router).
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from analytics.errors import StoreError
from dashboard import data, labels, navigation, session
from dashboard.components import phone_shell, settings_panel, share_panel, upload_gate
from dashboard.text import shown
from dashboard.views import login as login_view
from dashboard.views import shared as shared_view

st.set_page_config(page_title="Pain diary", page_icon="🩺", layout="wide")
# the first run of any kind (a share link's, one that stops early) puts the upload gate in
# place and drops what was uploaded before it; no code of the app runs before that run
upload_gate.install()

if share_panel.is_share_request():
    # A share link opens its one read-only page, signed in or not: no menu, no other page.
    # It is registered twice, as /shared and as the default page (the app's root), so the
    # link's path resolves without Streamlit's "Page not found".
    st.navigation(
        [
            st.Page(shared_view.page, title="Shared summary", icon="🔗", default=True),
            st.Page("views/shared.py", title="Shared summary", icon="🔗", url_path="shared"),
        ],
        position="hidden",
    ).run()
    st.stop()

_log = logging.getLogger("paindiary.dashboard")


def _run(page: Any, role: str | None) -> None:
    """Run a page; a database that cannot be read is said in a sentence, never a traceback.

    An administrator reads what failed; anyone else reads one neutral sentence, and the
    details go to the server's log.
    """
    try:
        page.run()
    except StoreError as exc:
        _log.error("a page could not read the database: %s", exc)
        st.error(str(exc) if role == "admin" else login_view.SIGN_IN_UNAVAILABLE, icon="⚠️")


try:
    data.get_store(data.db_url())  # a database that cannot be opened is said first, once
    user = session.signed_in()
except StoreError as exc:
    _log.error("the database cannot be opened: %s", exc)
    st.error(login_view.SIGN_IN_UNAVAILABLE, icon="⚠️")
    st.stop()
session.set_run_user(user)
if user is not None and st.query_params.get("invite"):
    # A first sign-in link is for a new account: say so rather than open the home page
    # of whoever is signed in on this browser.
    st.info(labels.INVITE_WHILE_SIGNED_IN.format(user=shown(user.username)), icon="🔑")
    if st.button("Sign out and use the link", key="invite.sign_out"):
        session.logout()
        st.rerun()
    st.stop()
# uploads are kept only for a session whose user may import (and within its limit)
_ctx = get_script_run_ctx()
upload_gate.allow(
    _ctx.session_id if _ctx else None,
    user.role if user is not None and not user.must_change_password else None,
)

LOGIN = st.Page(
    "views/login.py",
    title="Sign in",
    icon="🔑",
    url_path="login",
    default=user is None,
    visibility="visible" if user is None else "hidden",
)
allowed = {p.url_path for p in navigation.pages_for(user.role)} if user is not None else set()
home = navigation.home_page(user.role).url_path if user is not None else None
pages = {p.url_path: p for p in navigation.PAGES}
registered = {
    path: st.Page(
        spec.script,
        title=spec.title,
        icon=spec.icon,
        url_path=path,
        visibility="visible" if path in allowed else "hidden",
    )
    if user is not None
    # nobody signed in: every page's URL shows the sign-in form, the URL is kept
    else st.Page(login_view.page, title=spec.title, url_path=path, visibility="hidden")
    for path, spec in pages.items()
}


# The default page answers "/" only; a page made the default loses its own URL, so a
# deep link or a reload of /clinic_overview would find no page. Every real page keeps
# its URL, and "/" is a hidden page that opens the role's home page.
def _open_home() -> None:
    st.switch_page(registered[str(home)])


HOME = st.Page(_open_home, title="Home", url_path="home", default=True, visibility="hidden")
SIGN_OUT = st.Page(
    "views/sign_out.py", title="Sign out", icon="🚪", url_path="sign_out", visibility="hidden"
)
# an address that names no page goes to the role's home (or the sign-in), with no dialog
navigation.forget_unknown_address([*registered, "login", "home", "sign_out"])
sections: dict[str, list] = {
    "": [*registered.values(), LOGIN, *([HOME, SIGN_OUT] if user is not None else [])]
}
# Streamlit's own menu is hidden: on a phone both its side panel and its top bar (which
# falls back to the side panel on narrow screens) stay open over the page after a page
# is chosen. The role's pages are a row of links at the top of every page instead.
current = st.navigation(sections, position="hidden")
# which page this is, by identity (the default page's url_path reads as "")
current_path = next((path for path, pg in registered.items() if pg is current), LOGIN.url_path)

session.sync_cookie()

if user is None:
    # whatever page the URL names: sign in first; the rerun after it opens that page
    _run(current, None)
    st.stop()

if user.must_change_password:
    # an administrator set this password: its owner chooses their own before anything
    # else, at whatever address (the service refuses them every other call meanwhile)
    login_view.choose_password(user)
    st.stop()

if current is SIGN_OUT:
    current.run()  # ends the session and opens the sign-in form
    st.stop()
if current is LOGIN or current is HOME:
    st.switch_page(registered[str(home)])

# the menu: one row of links above the page, Sign out last (it wraps on a narrow phone);
# the side panel holds only the analysis settings of clinicians and admins, so a patient
# has none, and it starts closed on a phone
with st.container(horizontal=True, key="nav-row", gap="small"):
    for path in pages:
        if path in allowed:
            st.page_link(registered[path], label=pages[path].title, icon=pages[path].icon)
    st.page_link(SIGN_OUT, label="Sign out", icon="🚪")
st.caption(
    f"Signed in as **{shown(user.display_name or user.username)}**"
    + (f" ({shown(user.username)})" if user.display_name else "")
    + f" · {user.role}"
)

if data.is_demo():
    st.info(labels.DEMO_BANNER, icon="🧪")

if current_path not in allowed:
    navigation.refuse_page(user, current.title)  # recorded once per visit; stops the run
st.session_state.pop(navigation.REFUSED_KEY, None)
data.begin_run(current_path)

if user.role in ("clinician", "admin"):
    # the analysis settings define "improvement": patients never see or change them
    settings_panel.settings_sidebar()
    phone_shell.close_side_panel_on_phone()

_run(current, user.role)
