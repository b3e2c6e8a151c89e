"""The pages of the dashboard, the roles that may open each, and the refusal of the others."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx

from analytics.access import User
from dashboard import data
from dashboard.session import user

__all__ = [
    "ROLES",
    "PageSpec",
    "PAGES",
    "pages_for",
    "home_page",
    "refuse",
    "refuse_page",
    "REFUSED_KEY",
    "require_role",
]


ROLES: tuple[str, ...] = ("patient", "clinician", "admin")


@dataclass(frozen=True)
class PageSpec:
    """A page of the dashboard and the roles that may open it."""

    url_path: str
    script: str
    title: str
    icon: str
    roles: tuple[str, ...]
    section: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("log_today", "views/log_today.py", "Log today", "📝", ("patient",), "My diary"),
    PageSpec("my_progress", "views/my_progress.py", "My progress", "📈", ("patient",), "My diary"),
    PageSpec("history", "views/history.py", "History", "🗓️", ("patient",), "My diary"),
    PageSpec(
        "questionnaire", "views/questionnaire.py", "Questionnaires", "📋", ("patient",), "My diary"
    ),
    PageSpec(
        "clinic_overview",
        "views/clinic_overview.py",
        "Clinic overview",
        "🏥",
        ("clinician", "admin"),
        "Clinic",
    ),
    PageSpec(
        "patient_chart",
        "views/patient_chart.py",
        "Patient chart",
        "🩺",
        ("clinician", "admin"),
        "Clinic",
    ),
    PageSpec(
        "treatment_response",
        "views/treatment_response.py",
        "Treatment response",
        "📊",
        ("clinician", "admin"),
        "Clinic",
    ),
    PageSpec(
        "data_manager", "views/data_manager.py", "Data", "🗂️", ("clinician", "admin"), "Clinic"
    ),
    PageSpec("admin", "views/admin.py", "Admin", "🛡️", ("admin",), "Administration"),
    PageSpec("account", "views/account.py", "Account", "👤", ROLES, "Account"),
)


def pages_for(role: str) -> list[PageSpec]:
    """Return the pages ``role`` may open, in menu order."""
    return [p for p in PAGES if role in p.roles]


def home_page(role: str) -> PageSpec:
    """Return the page a role lands on after signing in."""
    return pages_for(role)[0]


def refuse(page_title: str, role: str | None = None) -> None:
    """Show a refusal (no data, no other page) and stop the run."""
    st.title("⛔ Not available")
    who = f"your account (role: {role})" if role else "your account"
    st.error(f"**{page_title}** is not open to {who}.", icon="⛔")
    st.caption("Use the menu to open one of your pages.")
    st.stop()


def forget_unknown_address(url_paths: Iterable[str]) -> bool:
    """Send an address that names no page of the app to the app's root, without a dialog.

    Streamlit answers an unknown path with a "Page not found" dialog before falling back
    to the default page. Called before ``st.navigation``: when the address names none
    of ``url_paths``, the run is pointed at the root instead, whose page opens the
    role's home (or the sign-in form). Returns True when the address was unknown.
    """
    ctx = get_script_run_ctx()
    if ctx is None:
        return False
    pages = ctx.pages_manager
    name = (pages.intended_page_name or "").strip("/")
    if pages.intended_page_script_hash or not name or name in set(url_paths):
        return False
    pages.set_script_intent("", "")
    return True


#: The session's key holding the page refused in this visit (recorded once, not per rerun).
REFUSED_KEY = "navigation.refused"


def refuse_page(person: User, page_title: str) -> None:
    """Refuse a page to a signed-in person, record it once per visit, and stop the run.

    The page's script never runs, so nothing of it is read; the audit log gets one
    "denied" view row naming the page and the role (not one per rerun: the router
    forgets the refusal when another page opens).
    """
    if st.session_state.get(REFUSED_KEY) != page_title:
        data.service(person, page_title).record_page_refusal(page_title)
        st.session_state[REFUSED_KEY] = page_title
    refuse(page_title, person.role)


def require_role(*roles: str) -> User:
    """Return the signed-in user, or refuse the page when the role is not one of ``roles``."""
    current = user()
    if current.role not in roles:
        refuse("This page", current.role)
    return current
