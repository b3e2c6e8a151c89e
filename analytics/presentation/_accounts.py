"""The words of the account list, of the clinic's active share links and of a link that does not open.

The account list is shared by the Admin page and ``paindiary user list``; the share
links are the Admin page's.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

__all__ = [
    "SHARE_LINK_REFUSED",
    "ROLE_LABELS",
    "ACCOUNT_COLUMN_LABELS",
    "account_table",
    "SHARE_LINK_COLUMN_LABELS",
    "creator_label",
    "share_link_table",
    "share_link_words",
]

#: What anyone using a share link that does not open is told, whatever the reason
#: (unknown, expired, revoked, its creator without access): the reason is recorded, not shown.
SHARE_LINK_REFUSED = (
    "This share link is not valid: it may have expired or been revoked. "
    "Ask the person who shared it for a new one."
)

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


#: The columns of :func:`share_link_table`: ``Service.active_share_links`` column -> words,
#: in table order. The link's id and token are not shown.
SHARE_LINK_COLUMN_LABELS: dict[str, str] = {
    "created_by": "Made by",
    "patient_id": "Patient",
    "created_at": "Made on (UTC)",
    "expires_at": "Expires (UTC)",
}

#: The start of the name of the machine's operator (``analytics.access.LOCAL_OPERATOR``).
_LOCAL = "local:"


def creator_label(created_by: str) -> str:
    """Return who made a share link, in words.

    Parameters
    ----------
    created_by : str
        The stored username; ``local:<os user>`` is the operator of the machine.

    Returns
    -------
    str
        The username as it is, or e.g. "root (operator of this machine)".

    Examples
    --------
    >>> creator_label("dr.a"), creator_label("local:root")
    ('dr.a', 'root (operator of this machine)')
    """
    text = str(created_by)
    if text.startswith(_LOCAL):
        return f"{text[len(_LOCAL) :]} (operator of this machine)"
    return text


def share_link_table(links: pd.DataFrame) -> pd.DataFrame:
    """Return the active share links with their columns and creators in words.

    Parameters
    ----------
    links : pandas.DataFrame
        As ``Service.active_share_links`` returns it.

    Returns
    -------
    pandas.DataFrame
        The columns of :data:`SHARE_LINK_COLUMN_LABELS`, named by its words, in the
        rows' order: text for who made the link (:func:`creator_label`) and its
        patient; datetime64 (UTC) for when it was made and when it expires. The
        input is not changed.
    """
    out = links.assign(created_by=links["created_by"].map(creator_label))
    return out[list(SHARE_LINK_COLUMN_LABELS)].rename(columns=SHARE_LINK_COLUMN_LABELS)


def share_link_words(link: Any) -> str:
    """Return one share link in words, to choose it from a list.

    Parameters
    ----------
    link : mapping or pandas.Series
        A row of ``Service.active_share_links``.

    Returns
    -------
    str
        E.g. "P003, made by dr.a on 2026-12-01 10:00, expires 2026-12-15 10:00 (UTC)".
    """
    made, expires = pd.Timestamp(link["created_at"]), pd.Timestamp(link["expires_at"])
    return (
        f"{link['patient_id']}, made by {creator_label(link['created_by'])} on "
        f"{made:%Y-%m-%d %H:%M}, expires {expires:%Y-%m-%d %H:%M} (UTC)"
    )
