"""Share links: a read-only door to one patient's data, for someone without an account."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any, Self

import pandas as pd

from analytics.access import User
from analytics.errors import AuthenticationError
from analytics.presentation import SHARE_LINK_REFUSED
from analytics.service._door import Door, SharedPatient, governed, utcnow
from analytics.service._policy import ALL, ASSIGNED, OWN, POLICY
from analytics.store import Store

__all__ = [
    "SHARE_LINK_REFUSED",
    "SHARE_LINK_MAX_DAYS",
    "SHARE_DENIAL_WINDOW",
    "ShareLinks",
    "new_token",
    "token_hash",
    "plausible_token",
]

#: Longest validity of a share link, days.
SHARE_LINK_MAX_DAYS = 90
#: Refused uses of one link for one reason within this time are one audit row with a count:
#: a revoked link in a browser tab that reloads, or a link tried again and again, must not
#: bury the rest of the log.
SHARE_DENIAL_WINDOW = dt.timedelta(minutes=10)


def _record_denial(store: Store, link: Mapping[str, Any], reason: str) -> None:
    """Record a refused use of ``link`` ("share_use", denied), or count it on the last one."""
    face = f"share-link:{link['id']}"
    store.record_audit(
        face, "share_use", role="share-link", face=face, patient_id=link["patient_id"],
        outcome="denied", detail={"reason": reason, "link_id": int(link["id"])},
        merge_within=SHARE_DENIAL_WINDOW,
    )  # fmt: skip


def new_token() -> tuple[str, str]:
    """Return a new link token (URL-safe, 256 random bits) and the hash the store keeps.

    The one token machinery of the service's links: share links and first sign-in
    links. The token is shown once; only its SHA-256 hash is stored.
    """
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """Return the SHA-256 hex digest of a link token (what the store keeps and looks up)."""
    return hashlib.sha256(token.encode()).hexdigest()


def plausible_token(token: object) -> bool:
    """Tell whether ``token`` could be a link token at all (text of 20 to 200 characters)."""
    return isinstance(token, str) and 20 <= len(token) <= 200


def _creator_may_share(store: Store, link: Mapping[str, Any]) -> bool:
    """Tell whether the link's creator may still share its patient, as of now.

    A link lives only as long as its creator's access: it stops working when the
    account is disabled or deleted, or (a clinician) is no longer assigned the patient.
    The machine's local operator (``local:<os user>``) keeps the access of an admin.
    """
    creator = str(link["created_by"])
    if creator.startswith("local:"):
        return True
    record = store.user_record(creator)
    if record is None or record["disabled"]:
        return False
    scope = POLICY["create_share_link"].scope(str(record["role"]))
    patient_id = str(link["patient_id"])
    if scope == ALL:
        return True
    if scope == ASSIGNED:
        return bool(store.is_assigned(int(record["id"]), patient_id))
    if scope == OWN:
        return record["patient_id"] == patient_id
    return False


def _refusal(store: Store, link: Mapping[str, Any], moment: dt.datetime) -> str | None:
    """Return why ``link`` does not open at ``moment`` (the recorded reason), None when it does.

    The link row says whether it is revoked or expired; only a link alive by its row
    reads its creator's account (and, for a clinician, the assignment).
    """
    if link["revoked_at"] is not None:
        return "revoked"
    if link["expires_at"] <= moment:
        return "expired"
    if not _creator_may_share(store, link):
        return "creator lost access"
    return None


def _check_days(arguments: Mapping[str, Any]) -> None:
    days = arguments["days"]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= SHARE_LINK_MAX_DAYS:
        raise ValueError(
            f"The 'days' parameter of Service.create_share_link must be an int in "
            f"[1, {SHARE_LINK_MAX_DAYS}]. Got {days!r} instead."
        )


class ShareLinks(Door):
    """Share links made, listed and revoked; the read-only service of a link."""

    @governed("create_share_link", patient="patient_id", check=_check_days)
    def create_share_link(self, patient_id: str, *, days: int = 14) -> str:
        """Return a new read-only link token to one patient's data (audited "share_create").

        Only the SHA-256 hash of the token is stored; the token is shown once.
        Patients share their own diary, clinicians their assigned patients, admins anyone.

        Parameters
        ----------
        patient_id : str
        days : int, default 14
            Validity, in [1, :data:`SHARE_LINK_MAX_DAYS`].

        Returns
        -------
        str
            The token (URL-safe text).

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope, or the user is a share link.
        ValueError
            ``days`` is out of range.
        """
        token, digest = new_token()
        expires = utcnow() + dt.timedelta(days=days)
        link_id = self.store.add_share_link(
            self.user.username,
            token_hash=digest,
            patient_id=patient_id,
            expires_at=expires,
        )
        self._audit("share_create", patient_id, link_id=link_id, expires_at=expires.isoformat())
        return token

    @governed("revoke_share_link", patient=SharedPatient("link_id"))
    def revoke_share_link(self, link_id: int) -> None:
        """Revoke a share link (anyone who may reach its patient; audited "share_revoke").

        Parameters
        ----------
        link_id : int

        Raises
        ------
        NotFoundError
            No such link.
        AccessDeniedError
            The link's patient is outside the user's scope, or the user is a share link.
        """
        link = self.store.share_link(link_id=int(link_id))  # it exists: checked by the policy
        pid = None if link is None else str(link["patient_id"])
        self.store.revoke_share_link(self.user.username, int(link_id), utcnow())
        self._audit("share_revoke", pid, link_id=int(link_id))

    @governed("view_share_links", patient="patient_id")
    def share_links(self, patient_id: str, *, active_at: dt.datetime | None = None) -> pd.DataFrame:
        """Return the share links of one patient, never their tokens (not audited).

        Parameters
        ----------
        patient_id : str
        active_at : datetime, optional
            Only the links that work at this moment (naive UTC): not revoked, expiring
            after it. Default: every link.

        Returns
        -------
        pandas.DataFrame
            As ``Store.share_links``, newest first.

        Raises
        ------
        AccessDeniedError, NotFoundError, ValueError
            As :meth:`analytics.service.Service.patient_dataset`.
        """
        return self.store.share_links(self.user.username, patient_id, active_at=active_at)

    @governed("review_share_links")
    def active_share_links(self) -> pd.DataFrame:
        """Return every share link of the clinic that works now, by creator (admins; not audited).

        A link works until it is revoked or expires. Like the audit log and the account
        list, reading the list is not recorded (a refusal is); revoking a link from it is
        (:meth:`revoke_share_link`, "share_revoke"). Tokens and their hashes never leave
        the store.

        Returns
        -------
        pandas.DataFrame
            One row per active link, sorted by creator, then newest first:

            - ``link_id`` (int64): the link, as :meth:`revoke_share_link` takes it;
            - ``patient_id`` (str): the patient the link shows;
            - ``created_by`` (str): the username of its creator; ``local:<os user>``
              is the operator of the machine (the command line);
            - ``created_at``, ``expires_at`` (datetime64, UTC without a time zone):
              when it was made and when it stops working.

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        """
        links = self.store.share_links(self.user.username, active_at=utcnow())
        links = links.sort_values(
            ["created_by", "created_at", "link_id"], ascending=[True, False, False], kind="stable"
        )
        columns = ["link_id", "patient_id", "created_by", "created_at", "expires_at"]
        return links[columns].reset_index(drop=True)

    @classmethod
    def for_share_link(
        cls, store: Store, token: str, *, now: dt.datetime | None = None, record: bool = True
    ) -> Self:
        """Return the read-only service of a share link's one patient (face ``share-link:<id>``).

        Every use is recorded ("share_use"), every view through it too, and every
        refusal (repeated refusals of the link for one reason within
        :data:`SHARE_DENIAL_WINDOW` as one row with a ``count``). The service's column
        of the policy is "share-link".

        The link is checked here and again at the head of every governed call of the
        service, as of that call (:meth:`_check_share_link`): a service kept from
        before the link was revoked, expired or lost its creator's access refuses
        everything with the same :class:`~analytics.errors.AuthenticationError`.

        Parameters
        ----------
        store : analytics.store.Store
        token : str
            The token of the link, as :meth:`create_share_link` returned it.
        now : datetime, optional
            The time to check the expiry at (UTC, naive); default: now. Only this
            check: each later call of the service checks at the time of that call.
        record : bool, default True
            False checks the link again without another "share_use" row (a face
            re-checking the link on each rerun of a visit it has recorded).

        Returns
        -------
        Service

        Raises
        ------
        AuthenticationError
            Unknown, expired or revoked link, or one whose creator may no longer share
            its patient (one message for all).
        """
        moment = now or utcnow()
        refused = AuthenticationError(SHARE_LINK_REFUSED)
        if not plausible_token(token):
            raise refused
        link = store.share_link(token_hash=token_hash(token))
        if link is None:
            raise refused
        reason = _refusal(store, link, moment)
        if reason is not None:
            _record_denial(store, link, reason)
            raise refused
        face = f"share-link:{link['id']}"
        user = User(-int(link["id"]), face, "patient", str(link["patient_id"]), "share link")
        service = cls(store, user, face=face)
        service.read_only = True
        service._audit_role = "share-link"
        service._share_link_id = int(link["id"])
        if record:
            service._audit("share_use", str(link["patient_id"]), link_id=int(link["id"]))
        return service

    def _check_share_link(self) -> None:
        """Refuse a call of this share link's service unless the link still opens, as of now.

        Run by :func:`~analytics.service._door.governed` before every governed call of
        a service :meth:`for_share_link` built. One read of the link row by its id and,
        while the row says it is alive, one of its creator's account (and, for a
        clinician, the assignment). A refusal is recorded as :meth:`for_share_link`
        records one ("share_use", denied, with the reason; repeats counted on one row).

        Raises
        ------
        AuthenticationError
            The link was revoked or deleted, has expired, or its creator may no longer
            share its patient (:data:`SHARE_LINK_REFUSED`).
        """
        link_id = self._share_link_id
        link = None if link_id is None else self.store.share_link(link_id=link_id)
        if link is None:  # no link row (gone, or none was kept): nothing to record it on
            raise AuthenticationError(SHARE_LINK_REFUSED)
        reason = _refusal(self.store, link, utcnow())
        if reason is not None:
            _record_denial(self.store, link, reason)
            raise AuthenticationError(SHARE_LINK_REFUSED)
