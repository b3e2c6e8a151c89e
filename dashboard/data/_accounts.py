"""Accounts, the audit log, demo accounts and share links, through the service."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence

import pandas as pd

from analytics.access import User
from analytics.contract import Dataset
from analytics.service import Service
from dashboard.data._access import (
    db_url,
    forget_rows,
    get_store,
    service,
    visit_rows,
)

__all__ = [
    "demo_accounts",
    "is_demo",
    "users",
    "add_user",
    "set_password",
    "disable_user",
    "enable_user",
    "unlock_user",
    "assign",
    "assigned_patients",
    "unassign",
    "audit_log",
    "audit_csv_callable",
    "create_share_link",
    "revoke_share_link",
    "share_links",
    "active_share_links",
    "share_service",
    "share_dataset",
]


def demo_accounts() -> pd.DataFrame | None:
    """Return the demo accounts and passwords while the database is the demo clinic, else None."""
    from analytics import access as auth

    accounts = auth.demo_accounts(get_store(db_url()))
    if accounts is None:
        return None
    return pd.DataFrame(accounts)


def is_demo() -> bool:
    """Tell whether the database is the demo clinic (made by ``paindiary init-demo``)."""
    from analytics import access as auth

    return auth.is_demo(get_store(db_url()))


def users(user: User) -> pd.DataFrame:
    """Every account: username, role, patient_id, disabled, locked_until, ... (admins)."""
    return service(user, "Admin").users()


def add_user(
    user: User,
    username: str,
    *,
    role: str | None,
    password: str,
    patient_id: str | None = None,
    display_name: str = "",
) -> User:
    """Create an account whose owner chooses a new password at the first sign-in (admins).

    Raises :class:`analytics.errors.DataValidationError` whose ``problems`` name the
    fields (``column``) with a sentence each.
    """
    return service(user, "Admin").add_user(
        username, role=role or "", password=password, patient_id=patient_id,
        display_name=display_name,
    )  # fmt: skip


def set_password(user: User, username: str, password: str, *, purpose: str = "Admin") -> None:
    """Set a password: an admin for anyone, any user for themselves."""
    service(user, purpose).set_password(username, password)


def disable_user(user: User, username: str) -> None:
    """Disable an account (admins); its sessions end."""
    service(user, "Admin").disable_user(username)


def enable_user(user: User, username: str) -> None:
    """Enable a disabled account again (admins)."""
    service(user, "Admin").enable_user(username)


def unlock_user(user: User, username: str) -> None:
    """Clear an account's lock and failed sign-ins, keeping its password (admins)."""
    service(user, "Admin").unlock_user(username)


def assign(user: User, clinician: str, patient_ids: Sequence[str]) -> None:
    """Assign patients to a clinician (admins)."""
    service(user, "Admin").assign(clinician, list(patient_ids))
    forget_rows()


def assigned_patients(user: User, clinician: str) -> list[str]:
    """Return the patient ids assigned to ``clinician``: the scope the service gives that account.

    Admins only (the account list is theirs); ids alone show no patient data.
    """
    accounts = users(user)
    row = accounts[(accounts["username"] == clinician) & (accounts["role"] == "clinician")]
    if row.empty:
        return []
    them = User(int(row["user_id"].iloc[0]), clinician, "clinician", None)
    return sorted(service(them, "Admin").visible_patient_ids())


def unassign(user: User, clinician: str, patient_ids: Sequence[str]) -> None:
    """Take patients away from a clinician (admins)."""
    service(user, "Admin").unassign(clinician, list(patient_ids))
    forget_rows()


def audit_log(
    user: User,
    *,
    username: str | None = None,
    patient_id: str | None = None,
    since: dt.date | str | None = None,
    action: str | None = None,
    outcomes: Sequence[str] | None = None,
    limit: int = 100,
    offset: int = 0,
) -> pd.DataFrame:
    """Return a page of the audit log, newest first, filtered in SQL, with its "what" column.

    The rows of :meth:`analytics.service.Service.audit_log` through
    :func:`analytics.presentation.audit_table` (admins).
    """
    from analytics.presentation import audit_table

    rows = service(user, "Admin").audit_log(
        username=username, patient_id=patient_id, since=since, action=action,
        outcomes=outcomes, limit=limit, offset=offset,
    )  # fmt: skip
    return audit_table(rows)


def audit_csv_callable(
    user: User,
    *,
    username: str | None = None,
    patient_id: str | None = None,
    since: dt.date | str | None = None,
    action: str | None = None,
    outcomes: Sequence[str] | None = None,
) -> Callable[[], bytes]:
    """Return a function producing the filtered audit rows as CSV, for ``st.download_button``.

    Streamlit calls it only when the person clicks the button, so showing the page
    exports nothing; each download is recorded ("export") by
    :meth:`analytics.service.Service.audit_log_csv`, formula-safe.
    """

    def produce() -> bytes:
        return service(user, "Admin").audit_log_csv(
            username=username, patient_id=patient_id, since=since, action=action,
            outcomes=outcomes,
        )  # fmt: skip

    return produce


def create_share_link(user: User, patient_id: str, *, days: int, purpose: str) -> str:
    """Create a share link to ``patient_id``; return its token (shown once; the service keeps its hash)."""
    return str(service(user, purpose).create_share_link(str(patient_id), days=int(days)))


def revoke_share_link(user: User, link_id: int, *, purpose: str) -> None:
    """Revoke a share link of a patient ``user`` may see."""
    service(user, purpose).revoke_share_link(int(link_id))


def share_links(
    user: User, patient_id: str, *, purpose: str, active_at: dt.datetime | None = None
) -> pd.DataFrame:
    """Return the share links of ``patient_id`` (never their tokens), newest first.

    ``active_at`` (naive UTC) keeps the links that work at that moment.
    """
    return service(user, purpose).share_links(str(patient_id), active_at=active_at)


def active_share_links(user: User) -> pd.DataFrame:
    """Return every share link of the clinic that works now, by creator (admins; no tokens).

    The rows of :meth:`analytics.service.Service.active_share_links`.
    """
    return service(user, "Admin").active_share_links()


def share_service(token: str, *, now: dt.datetime | None = None) -> Service:
    """Return the read-only :class:`analytics.service.Service` of a share link.

    The link is checked on every run (a revoked link stops working at the next
    click), and its use recorded ("share_use") once per visit of this browser
    session, like any other page's view.

    Raises :class:`analytics.errors.AuthenticationError` for an unknown, expired or
    revoked link, with one message for all three.
    """
    rows = visit_rows()
    key = ("share", hashlib.sha256(token.encode()).hexdigest())
    svc = Service.for_share_link(get_store(db_url()), token, now=now, record=key not in rows)
    rows.setdefault(key, True)
    return svc


def share_dataset(svc: Service, patient_id: str, *, purpose: str) -> Dataset:
    """Return the rows of a share link's patient, read (and recorded) once per visit."""
    key = ("share-rows", svc.face, str(patient_id), purpose)
    rows = visit_rows()
    if key not in rows:
        rows[key] = svc.patient_dataset(str(patient_id), purpose=purpose)
    return rows[key]
