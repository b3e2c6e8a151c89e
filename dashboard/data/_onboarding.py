"""Onboarding through the service: clinician codes, new patients' accounts, first sign-in links."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from analytics.access import User
from analytics.service import Service, clinic_name, invite_frame
from dashboard.data._access import db_url, forget_rows, get_store, service, user_key, visit_rows

__all__ = [
    "clinician_codes",
    "map_clinician_code",
    "onboarding_status",
    "assign_by_code",
    "sign_in_sheet",
    "invite_account",
    "accept_invite",
]

_STATUS = "onboarding-status"


def _forget_status() -> None:
    """Drop the onboarding rows of this visit (after a change): the next read is fresh."""
    rows = visit_rows()
    for key in [k for k in rows if k and k[0] == _STATUS]:
        rows.pop(key, None)


def clinician_codes(user: User) -> pd.DataFrame:
    """Return the clinician codes of the data and their accounts (admins; no patient data)."""
    return service(user, "Admin").clinician_codes()


def map_clinician_code(user: User, code: str, clinician: str) -> list[str]:
    """Map a clinician code to a clinician account; return the stored patients assigned now."""
    assigned = service(user, "Admin").map_clinician_code(code, clinician)
    _forget_status()
    forget_rows()
    return assigned


def onboarding_status(user: User, patient_ids: Sequence[str], *, purpose: str) -> pd.DataFrame:
    """Return where these patients stand (clinicians, accounts, links), read once per visit."""
    key = (_STATUS, user_key(user), tuple(sorted(patient_ids)), purpose)
    rows = visit_rows()
    if key not in rows:
        rows[key] = service(user, purpose).onboarding_status(list(patient_ids))
    status: pd.DataFrame = rows[key]
    return status


def assign_by_code(user: User, patient_ids: Sequence[str], *, purpose: str) -> dict[str, list[str]]:
    """Assign patients to the clinicians their codes are mapped to; clinician → patients."""
    done = service(user, purpose).assign_by_code(list(patient_ids))
    _forget_status()
    forget_rows()
    return done


def sign_in_sheet(
    user: User, patient_ids: Sequence[str], *, base_url: str | None, purpose: str
) -> tuple[bytes, int, int]:
    """Make missing accounts and new first sign-in links; return the sheet's PDF.

    The links' tokens live only in the returned PDF: nothing keeps them.

    Returns
    -------
    (bytes, int, int)
        The PDF (one page per patient), the number of pages and of accounts made.
    """
    from analytics.reports import sign_in_sheet_pdf

    invites = service(user, purpose).invite_patients(list(patient_ids))
    _forget_status()
    pdf = sign_in_sheet_pdf(invite_frame(invites, base_url), clinic=clinic_name())
    return pdf, len(invites), sum(i.created for i in invites)


def invite_account(token: str) -> str:
    """Return the username of a first sign-in link (AuthenticationError with a sentence if not)."""
    return Service.invite_account(get_store(db_url()), token)


def accept_invite(token: str, password: str) -> User:
    """Spend a first sign-in link with the password its owner chose; return the account."""
    return Service.accept_invite(get_store(db_url()), token, password)
