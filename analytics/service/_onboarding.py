"""Onboarding in bulk: clinician codes, patient accounts and first sign-in links.

A clinic's data name each patient's clinician by a code (``clinician_id``, e.g.
C01). An administrator maps each code to a clinician account once
(:meth:`Onboarding.map_clinician_code`); from then on an import assigns the new
patients it brings to their clinician (in the import's own transaction), and the
patients already stored with that code and no clinician are assigned at the mapping.

After an import the new patients get their accounts and first sign-in links at once
(:meth:`Onboarding.invite_patients`): an account is made where missing (username:
the patient id in lower case, no password yet) and a one-time link is written that
opens "choose your password" and signs the patient in. The link's token is made by
the same machinery as a share link's (:func:`analytics.service._sharing.new_token`):
only its hash is stored, it is shown once, it expires, it works once, and a newer
link of the same account replaces it. Every step is audited ("user_admin").
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analytics import access
from analytics.access import User
from analytics.errors import AuthenticationError, ConflictError, DataValidationError
from analytics.service._account_checks import username_problem
from analytics.service._door import Door, governed, utcnow
from analytics.service._sharing import new_token, plausible_token, token_hash
from analytics.store import NO_PASSWORD_YET, Store

__all__ = [
    "INVITE_DAYS",
    "INVITE_MAX_DAYS",
    "DEFAULT_APP_URL",
    "APP_URL_VARIABLE",
    "CLINIC_NAME_VARIABLE",
    "DEFAULT_CLINIC_NAME",
    "Invite",
    "Onboarding",
    "app_url",
    "clinic_name",
    "invite_link",
    "invite_frame",
    "patient_username",
]

#: Default validity of a first sign-in link, days.
INVITE_DAYS = 14
#: Longest validity of a first sign-in link, days.
INVITE_MAX_DAYS = 90
#: The app's address when no other is set: the local app (``make run``).
DEFAULT_APP_URL = "http://localhost:8501"
#: The environment variable that sets the address printed in first sign-in links.
APP_URL_VARIABLE = "PAINDIARY_URL"
#: The environment variable that sets the clinic's name on the sign-in sheets.
CLINIC_NAME_VARIABLE = "PAINDIARY_CLINIC_NAME"
#: The clinic's name on the sign-in sheets when none is set.
DEFAULT_CLINIC_NAME = "Pain diary"
_FACE = "invite"


def app_url(default: str | None = None) -> str:
    """Return the address first sign-in links start with (no trailing slash).

    ``$PAINDIARY_URL`` when set (the address patients reach the app at, e.g.
    ``https://diary.clinic.lan``), else ``default`` (a face that knows its own
    address), else :data:`DEFAULT_APP_URL`.
    """
    chosen = os.environ.get(APP_URL_VARIABLE, "").strip() or default or DEFAULT_APP_URL
    return chosen.rstrip("/")


def clinic_name() -> str:
    """Return the clinic's name on the sign-in sheets: ``$PAINDIARY_CLINIC_NAME`` or the default."""
    return os.environ.get(CLINIC_NAME_VARIABLE, "").strip() or DEFAULT_CLINIC_NAME


def invite_link(token: str, base_url: str | None = None) -> str:
    """Return the first sign-in link of ``token``: ``<app address>/?invite=<token>``."""
    return f"{app_url(base_url)}/?invite={token}"


def patient_username(patient_id: str) -> str:
    """Return the username of a patient's account: the patient id in lower case (P001 → p001)."""
    return str(patient_id).strip().lower()


@dataclass(frozen=True)
class Invite:
    """A first sign-in link just made (its token is shown once, never stored).

    Attributes
    ----------
    patient_id, username : str
    token : str
        The link's token; :func:`invite_link` makes the link of it.
    expires_at : datetime.datetime
        Naive UTC.
    created : bool
        The account was made for this link.
    """

    patient_id: str
    username: str
    token: str
    expires_at: dt.datetime
    created: bool


def invite_frame(invites: Sequence[Invite], base_url: str | None = None) -> pd.DataFrame:
    """Tabulate invites for a sign-in sheet.

    Returns
    -------
    pandas.DataFrame
        ``patient_id``, ``username``, ``link`` (str) and ``expires_at`` (naive UTC),
        one row per invite, in the given order.
    """
    return pd.DataFrame(
        {
            "patient_id": [i.patient_id for i in invites],
            "username": [i.username for i in invites],
            "link": [invite_link(i.token, base_url) for i in invites],
            "expires_at": pd.to_datetime([i.expires_at for i in invites]).astype("datetime64[us]"),
        },
        columns=["patient_id", "username", "link", "expires_at"],
    )


def _check_days(arguments: Any) -> None:
    days = arguments["days"]
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= INVITE_MAX_DAYS:
        raise ValueError(
            f"A first sign-in link is valid for 1 to {INVITE_MAX_DAYS} days; {days!r} is not "
            "one of them."
        )


def _ids(patient_ids: Sequence[str]) -> list[str]:
    if isinstance(patient_ids, str):
        return [patient_ids]
    return sorted({str(p) for p in patient_ids})


def _refused_invite(link: dict[str, Any] | None, moment: dt.datetime) -> tuple[str, str] | None:
    """Say why a first sign-in link cannot be used: (a word for the audit log, a sentence).

    None when it can be used.
    """
    if link is None:
        return "unknown", (
            "This sign-in link is not valid: check that the whole link was copied, or ask the "
            "clinic for a new one."
        )
    if link["used_at"] is not None:
        return "used", (
            f"This sign-in link was used on {link['used_at']:%Y-%m-%d}: it works once. Sign in "
            "with the password you chose then, or ask the clinic for a new link."
        )
    if link["revoked_at"] is not None:
        return "replaced", (
            "This sign-in link was replaced by a newer one. Use the newest link the clinic gave you."
        )
    if link["expires_at"] <= moment:
        return "expired", (
            f"This sign-in link expired on {link['expires_at']:%Y-%m-%d}. Ask the clinic for a "
            "new one."
        )
    if link["disabled"]:
        return "disabled", "This account is disabled. Ask the clinic."
    return None


class Onboarding(Door):
    """Clinician codes, patient accounts in bulk and first sign-in links."""

    # -- clinician codes ----------------------------------------------------------

    @governed("map_clinician_codes")
    def clinician_codes(self) -> pd.DataFrame:
        """Return the clinician codes of the data and the accounts they are mapped to (not audited).

        Returns
        -------
        pandas.DataFrame
            As ``Store.clinician_codes``: ``clinician_id``, ``n_patients``, ``clinician``.
        """
        return self.store.clinician_codes()

    @governed("map_clinician_codes")
    def map_clinician_code(self, code: str, clinician: str) -> list[str]:
        """Map a clinician code of the data to a clinician account (audited "user_admin").

        The stored patients with this code and no clinician are assigned to the
        account at once (audited "user_admin", op "assign"); later imports assign
        the new patients with the code.

        Parameters
        ----------
        code : str
            A ``clinician_id`` of the data, e.g. "C01".
        clinician : str
            A clinician account's username.

        Returns
        -------
        list of str
            The patients assigned now.

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        NotFoundError
            No such account (recorded as failed).
        ValueError
            The code is empty or longer than 200 characters, or the account is not a
            clinician's (recorded as failed).
        """
        if not isinstance(code, str) or not code.strip() or len(code) > 200:
            raise ValueError(
                f"Enter a clinician code as the data give it, e.g. C01 (not {code!r})."
            )
        try:
            before = self.store.map_clinician_code(self.user.username, code, clinician)
        except (ValueError, LookupError) as exc:
            self._audit(
                "user_admin", None, outcome="failed", op="map_clinician_code", code=code,
                clinician=str(clinician)[:80], error=type(exc).__name__,
            )  # fmt: skip
            raise
        self._audit(
            "user_admin", None, op="map_clinician_code", code=code, clinician=clinician,
            previously=before,
        )  # fmt: skip
        waiting = self.store.patients_with_code(code)
        if waiting:
            n = self.store.assign(self.user.username, clinician, waiting)
            self._audit(
                "user_admin", None, op="assign", clinician=clinician, patient_ids=waiting,
                newly=n, by="clinician code",
            )  # fmt: skip
        return waiting

    # -- patients after an import -----------------------------------------------------

    @governed("onboard_patients")
    def onboarding_status(self, patient_ids: Sequence[str]) -> pd.DataFrame:
        """Return where each patient stands: clinician code, clinicians, account, link (audited "view").

        Parameters
        ----------
        patient_ids : sequence of str

        Returns
        -------
        pandas.DataFrame
            As ``Store.onboarding_status``: ``patient_id``, ``clinician_id``,
            ``mapped_clinician``, ``clinicians``, ``username``, ``has_password``,
            ``invite_expires_at``; unknown ids are left out.
        """
        ids = _ids(patient_ids)
        status = self.store.onboarding_status(ids)
        self._audit("view", "*", purpose="onboarding", n_patients=len(status))
        return status

    @governed("onboard_patients")
    def assign_by_code(self, patient_ids: Sequence[str]) -> dict[str, list[str]]:
        """Assign patients to the clinicians their codes are mapped to (audited per clinician).

        Returns
        -------
        dict of str to list of str
            Clinician to the patients newly assigned to them.
        """
        done = self.store.assign_by_code(self.user.username, _ids(patient_ids))
        for clinician, ids in done.items():
            self._audit(
                "user_admin", None, op="assign", clinician=clinician, patient_ids=ids,
                newly=len(ids), by="clinician code",
            )  # fmt: skip
        return done

    @governed("onboard_patients")
    def create_patient_accounts(self, patient_ids: Sequence[str]) -> pd.DataFrame:
        """Make the missing patient accounts of these patients (each audited "user_admin").

        An account's username is the patient id in lower case; it has no password
        until its owner chooses one with a first sign-in link
        (:meth:`invite_patients`). Patients who have an account keep it.

        Returns
        -------
        pandas.DataFrame
            ``patient_id``, ``username``, ``created`` (bool), one row per patient.

        Raises
        ------
        DataValidationError
            A patient is not stored, a patient id makes no valid username, or the
            username is another account's; one row per patient (column
            "patient_id"), nothing was created.
        """
        ids = _ids(patient_ids)
        status = self.store.onboarding_status(ids).set_index("patient_id")
        plan, problems = [], []
        for pid in ids:
            if pid not in status.index:
                problems.append(f"No patient {pid} is stored; import the patient first.")
                continue
            if pd.notna(status.at[pid, "username"]):
                plan.append((pid, str(status.at[pid, "username"]), False))
                continue
            name = patient_username(pid)
            problem = username_problem(name)
            if problem is None and self.store.user_record(name) is not None:
                problem = f"An account named {name} exists and is not patient {pid}'s."
            if problem is not None:
                problems.append(f"Patient {pid}: {problem}")
            else:
                plan.append((pid, name, True))
        if problems:
            frame = pd.DataFrame(
                [("accounts", 0, "patient_id", "", m) for m in problems],
                columns=["file", "line", "column", "value", "message"],
            )
            self._audit(
                "user_admin", "*", outcome="failed", op="create_patient_accounts",
                n_problems=len(problems),
            )  # fmt: skip
            raise DataValidationError(
                f"{len(problems)} patient account(s) cannot be made; none was made: "
                + " ".join(problems[:5])
                + (" ..." if len(problems) > 5 else ""),
                frame,
            )
        for pid, name, created in plan:
            if created:
                self.store.add_user(
                    self.user.username, username=name, role="patient",
                    password_hash=NO_PASSWORD_YET, patient_id=pid,
                )  # fmt: skip
                self._audit(
                    "user_admin", pid, op="add_user", username=name, new_role="patient",
                    password="chosen with a first sign-in link",
                )  # fmt: skip
        return pd.DataFrame(plan, columns=["patient_id", "username", "created"])

    @governed("onboard_patients", check=_check_days)
    def invite_patients(
        self, patient_ids: Sequence[str], *, days: int = INVITE_DAYS
    ) -> list[Invite]:
        """Make missing accounts and a first sign-in link for each patient (audited "user_admin").

        Each link replaces the account's older live link; its token is returned once
        and only its hash is stored. A link opens "choose your password" and signs
        the patient in; it works once, for ``days`` days.

        Parameters
        ----------
        patient_ids : sequence of str
        days : int, default 14
            Validity, in [1, :data:`INVITE_MAX_DAYS`].

        Returns
        -------
        list of Invite
            In patient id order.

        Raises
        ------
        DataValidationError
            As :meth:`create_patient_accounts` (no account and no link was made).
        ValueError
            ``days`` is out of range.
        """
        accounts = self.create_patient_accounts(patient_ids)
        expires = utcnow() + dt.timedelta(days=days)
        out = []
        for row in accounts.itertuples(index=False):
            record = self.store.user_record(str(row.username))
            if record is None:  # made a moment ago: only a concurrent deletion gets here
                continue
            token, digest = new_token()
            link_id, replaced = self.store.add_invite(
                self.user.username, token_hash=digest, user_id=int(record["id"]),
                expires_at=expires,
            )  # fmt: skip
            self._audit(
                "user_admin", str(row.patient_id), op="invite", username=str(row.username),
                invite_id=link_id, expires_at=expires.isoformat(), replaced=replaced or None,
            )  # fmt: skip
            out.append(
                Invite(str(row.patient_id), str(row.username), token, expires, bool(row.created))
            )
        return out

    # -- the link's use ---------------------------------------------------------------

    @staticmethod
    def invite_account(store: Store, token: str, *, now: dt.datetime | None = None) -> str:
        """Return the username a first sign-in link is for (the page greets them; not audited).

        Raises
        ------
        AuthenticationError
            The link is unknown, used, replaced or expired, or its account disabled;
            the message says which and what to do.
        """
        moment = now or utcnow()
        link = store.invite(token_hash(token)) if plausible_token(token) else None
        refused = _refused_invite(link, moment)
        if refused is not None or link is None:
            raise AuthenticationError(refused[1] if refused else "This sign-in link is not valid.")
        return str(link["username"])

    @staticmethod
    def accept_invite(
        store: Store, token: str, password: str, *, now: dt.datetime | None = None
    ) -> User:
        """Spend a first sign-in link: set the password its owner chose (audited "user_admin").

        The password follows the rules of :func:`analytics.access.check_password`
        (NIST SP 800-63B). The link is spent and the password set in one
        transaction; the face then signs the person in with it.

        Parameters
        ----------
        store : analytics.store.Store
        token : str
        password : str
        now : datetime, optional
            Naive UTC time to check the expiry at; default: now.

        Returns
        -------
        analytics.access.User
            The account, as it is now.

        Raises
        ------
        AuthenticationError
            The link cannot be used (recorded "denied"; the sentence says why).
        ValueError
            The password breaks a rule (the sentence says which); the link still works.
        """
        moment = now or utcnow()
        link = store.invite(token_hash(token)) if plausible_token(token) else None
        refused = _refused_invite(link, moment)
        if refused is not None or link is None:
            if link is not None:
                store.record_audit(
                    str(link["username"]), "user_admin", role=str(link["role"]),
                    face=f"{_FACE}:{link['id']}", patient_id=link["patient_id"], outcome="denied",
                    detail={
                        "op": "invite_use", "invite_id": int(link["id"]),
                        "username": str(link["username"]), "reason": refused and refused[0],
                    },
                    merge_within=dt.timedelta(minutes=10),
                )  # fmt: skip
            raise AuthenticationError(refused[1] if refused else "This sign-in link is not valid.")
        username = str(link["username"])
        new_hash = access.hash_password(password, username=username)  # the rules, in a sentence
        try:
            store.use_invite(int(link["id"]), new_hash, now=moment)
        except ConflictError as exc:  # used or replaced since it was read
            raise AuthenticationError(str(exc)) from None
        store.record_audit(
            username, "user_admin", role=str(link["role"]), face=f"{_FACE}:{link['id']}",
            patient_id=link["patient_id"],
            detail={"op": "invite_use", "invite_id": int(link["id"]), "username": username},
        )  # fmt: skip
        record = store.user_record(username)
        if record is None:
            raise AuthenticationError("This account no longer exists. Ask the clinic.")
        return access.user_from_record(record)
