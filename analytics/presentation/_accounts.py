"""The words of the account list, shared by the Admin page and ``paindiary user list``."""

from __future__ import annotations

import pandas as pd

__all__ = ["ROLE_LABELS", "ACCOUNT_COLUMN_LABELS", "account_table"]

#: The roles of an account, in words.
ROLE_LABELS: dict[str, str] = {
    "patient": "Patient",
    "clinician": "Clinician",
    "admin": "Administrator",
}

#: The columns of :func:`account_table`: ``Store.users`` column -> words, in table order.
#: "Active" is the opposite of the stored ``disabled``.
ACCOUNT_COLUMN_LABELS: dict[str, str] = {
    "username": "Username",
    "display_name": "Name",
    "role": "Role",
    "patient_id": "Patient",
    "active": "Active",
    "locked_until": "Locked until (UTC)",
    "failed_count": "Failed sign-ins",
    "must_change_password": "Password to change",
    "last_sign_in": "Last sign-in (UTC)",
    "password_changed_at": "Password set (UTC)",
    "assigned_patients": "Patients assigned",
    "created_at": "Created (UTC)",
}


def account_table(users: pd.DataFrame) -> pd.DataFrame:
    """Return the account list with its columns and roles in words.

    Parameters
    ----------
    users : pandas.DataFrame
        As ``Store.users`` (and ``Service.users``) returns it.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`ACCOUNT_COLUMN_LABELS`, named by its words: text for
        the username, name, role (e.g. "Administrator") and patient (missing unless a
        patient account); bool for "Active" and "Password to change" (set by an
        administrator, not changed by its owner yet); int64 for the failed sign-ins
        in a row and the patients assigned to a clinician; datetime64 (UTC) for the
        times. The input is not changed.
    """
    out = users.assign(
        active=~users["disabled"].astype(bool),
        role=users["role"].map(lambda r: ROLE_LABELS.get(str(r), str(r))),
        patient_id=users["patient_id"].where(users["role"] == "patient"),
    )
    return out[list(ACCOUNT_COLUMN_LABELS)].rename(columns=ACCOUNT_COLUMN_LABELS)
