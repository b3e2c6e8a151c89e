"""What every part of the service shares.

The signed-in user, their reach, the audit log, and :func:`governed`, the one decorator that applies the policy table
(:data:`analytics.service.POLICY`) at the head of each public method.

A governed call runs in this order, so that a refusal never depends on whether
a patient exists and every refusal is recorded before it raises. Before anything
else, the service of a share link checks that its link still opens (not revoked,
not expired as of now, its creator still may share the patient): a service built
before the link died answers nothing more, with the link's own refusal
(``Door._check_share_link``, done by :mod:`._sharing`). Then:

0. an account whose password an administrator set may only change it
   (:data:`~analytics.service._policy.WHILE_PASSWORD_MUST_CHANGE`): any other call
   is recorded as "denied" and refused, whatever its role's cell says;
1. find what the call reaches: nothing named, the user's cohort (``"*"``), one
   patient (an argument, a key of a dict argument, or the patient of a share
   link) or one account — a malformed argument raises ``ValueError`` here, an
   unknown share link ``NotFoundError``;
2. look up the user's cell of the method's row (the cohort's row when the call
   reaches the cohort); a refused cell writes an audit row with outcome
   "denied" and raises :class:`~analytics.errors.AccessDeniedError`;
3. run the method's own argument checks that come before the scope (if any);
4. check the patient or account against the cell's scope: "own" (the user's own
   patient or account), "assigned" (the clinician's assignments, read from the
   database) or "all"; outside it, the refusal is recorded and raised; a user
   who may reach every patient is told when the patient does not exist
   (``NotFoundError``);
5. run the method with the patient it was checked for.
"""

from __future__ import annotations

import datetime as dt
import functools
import inspect
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import pandas as pd

from analytics import access
from analytics.access import User
from analytics.errors import (
    AccessDeniedError,
    ConflictError,
    DataValidationError,
    NotFoundError,
    StoreError,
)
from analytics.service._policy import (
    ALL,
    ASSIGNED,
    OWN,
    POLICY,
    WHILE_PASSWORD_MUST_CHANGE,
    Rule,
    password_change_refusal,
    role_refusal,
    scope_refusal,
)
from analytics.store import Store

__all__ = [
    "ANALYSIS_SETTINGS_KEY",
    "FAILURES",
    "COHORT",
    "Cohort",
    "PatientArg",
    "AccountArg",
    "SharedPatient",
    "Governance",
    "governed",
    "governance_of",
    "Door",
    "as_text",
    "utcnow",
]

#: The settings key of the clinic-wide analysis settings (JSON).
ANALYSIS_SETTINGS_KEY = "analysis_settings"

#: Errors a write or an import reports as its outcome "failed" before raising them.
FAILURES = (ConflictError, DataValidationError, NotFoundError, StoreError, ValueError)


def utcnow() -> dt.datetime:
    """Return the current UTC time without a time zone (as the store keeps times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def as_text(value: Any) -> str:
    """Return a date or time as ISO text, anything else as ``str`` (for audit details)."""
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return str(value)


# -- what a call reaches ------------------------------------------------------------------


@dataclass(frozen=True)
class Cohort:
    """A call about the user's whole cohort (the audit log names it ``"*"``)."""


#: The target of calls about the user's cohort.
COHORT = Cohort()


@dataclass(frozen=True)
class PatientArg:
    """A call names its patient in an argument, or in a key of a dict argument.

    Parameters
    ----------
    argument : str
        The parameter of the method.
    key : str, optional
        The argument is a dict (a diary entry, a session) and the patient id is
        this key of it.
    cohort : tuple, default ()
        Values of the argument that mean the user's cohort rather than one patient
        (e.g. ``(None,)``: no patient given, the whole clinic).
    own_by_default : bool, default False
        No patient given (None) means the user's own patient, when "own" is the
        user's scope (a patient never chooses a patient id).
    scoped : bool, default True
        False: the argument is not checked against the scope, only named in the
        audit row of a refusal (e.g. the patient of a new account).
    """

    argument: str
    key: str | None = None
    cohort: tuple[Any, ...] = ()
    own_by_default: bool = False
    scoped: bool = True


@dataclass(frozen=True)
class AccountArg:
    """A call names an account (its username) in an argument."""

    argument: str


@dataclass(frozen=True)
class SharedPatient:
    """A call names a share link by its id in an argument; it reaches the link's patient."""

    argument: str


Target = Cohort | PatientArg | AccountArg | SharedPatient | None


@dataclass(frozen=True)
class _Reach:
    kind: str  # "none", "cohort", "patient" or "account"
    value: Any = None
    recorded: str | None = None  # the patient of a refusal's audit row


def _locate(target: Target, arguments: Mapping[str, Any], call: str, store: Store) -> _Reach:
    if target is None:
        return _Reach("none")
    if isinstance(target, Cohort):
        return _Reach("cohort", recorded="*")
    if isinstance(target, AccountArg):
        return _Reach("account", arguments[target.argument])
    if isinstance(target, SharedPatient):
        link_id = arguments[target.argument]
        link = store.share_link(link_id=int(link_id))
        if link is None:
            raise NotFoundError(f"No share link {link_id}.")
        value = link["patient_id"]
        return _Reach("patient", value, value if isinstance(value, str) else None)
    value = arguments[target.argument]
    if target.key is not None:
        if not isinstance(value, Mapping):
            raise ValueError(
                f"The '{target.argument}' parameter of Service.{call} must be a dict. "
                f"Got {type(value).__name__} instead."
            )
        value = value.get(target.key)
    recorded = (value or "*") if target.cohort else value
    recorded = recorded if isinstance(recorded, str) else None
    if (value is None and None in target.cohort) or (
        isinstance(value, str) and value in target.cohort
    ):
        return _Reach("cohort", value, recorded)
    return _Reach("patient", value, recorded)


# -- the decorator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Governance:
    """How one method is governed: its row of the policy and what its calls reach.

    Attributes
    ----------
    action : str
        The row of :data:`analytics.service.POLICY`.
    cohort_action : str or None
        The row used instead when a call reaches the user's cohort.
    target : Cohort, PatientArg, AccountArg, SharedPatient or None
        What a call reaches (None: no patient and no account).
    check : callable or None
        ``check(arguments)``: the method's own argument checks that run after the
        role is allowed and before the patient is checked against the scope.
    """

    action: str
    cohort_action: str | None
    target: Target
    check: Callable[[Mapping[str, Any]], None] | None

    def actions(self) -> tuple[str, ...]:
        """Return the rows of the policy this method may use."""
        return (self.action,) if self.cohort_action is None else (self.action, self.cohort_action)


F = TypeVar("F", bound=Callable[..., Any])


def governed(
    action: str,
    *,
    patient: str | PatientArg | SharedPatient | Cohort | None = None,
    account: str | None = None,
    cohort_action: str | None = None,
    check: Callable[[Mapping[str, Any]], None] | None = None,
) -> Callable[[F], F]:
    """Return a decorator that applies the policy row ``action`` before a service method.

    Parameters
    ----------
    action : str
        A row of :data:`analytics.service.POLICY`.
    patient : str, PatientArg, SharedPatient or COHORT, optional
        What patient a call reaches: the name of an argument holding the patient id
        (short for ``PatientArg(name)``), a :class:`PatientArg`, the patient of a
        share link, or :data:`COHORT`. Default: no patient.
    account : str, optional
        The argument naming the account a call reaches (a username).
    cohort_action : str, optional
        The row that applies when a call reaches the user's cohort.
    check : callable, optional
        ``check(arguments)`` (the call's arguments by name): argument checks that
        raise ``ValueError`` after the role is allowed and before the scope check.

    Returns
    -------
    callable
        The decorator; the method it returns has the same signature, and its
        ``governance`` attribute is the :class:`Governance`.

    Raises
    ------
    ValueError
        ``action`` or ``cohort_action`` is not a row of the policy, or both a
        patient and an account are given.
    """
    for name in (action, cohort_action):
        if name is not None and name not in POLICY:
            raise ValueError(
                f"The 'action' parameter of governed must be a row of the policy "
                f"({', '.join(POLICY)}). Got {name!r} instead."
            )
    if patient is not None and account is not None:
        raise ValueError("A governed method reaches a patient or an account, not both.")
    target: Target = PatientArg(patient) if isinstance(patient, str) else patient
    if account is not None:
        target = AccountArg(account)
    governance = Governance(action, cohort_action, target, check)

    def decorate(func: F) -> F:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(self: Door, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs)
            bound.apply_defaults()
            self._authorize(governance, func.__name__, bound.arguments)
            return func(*bound.args, **bound.kwargs)

        wrapper.governance = governance  # type: ignore[attr-defined]
        return cast(F, wrapper)

    return decorate


def governance_of(method: Any) -> Governance | None:
    """Return the :class:`Governance` of a service method, None when it is not governed."""
    found = getattr(method, "governance", None)
    return found if isinstance(found, Governance) else None


# -- the shared base ------------------------------------------------------------------------


class Door:
    """The signed-in user, their reach and the audit log, shared by every part of the service.

    Parameters
    ----------
    store : analytics.store.Store
    user : analytics.access.User
        The signed-in user (:data:`analytics.access.LOCAL_OPERATOR` for the CLI).
    face : str, default "dashboard"
        Where the request comes from; written to every audit row.

    Raises
    ------
    ValueError
        ``user`` is not a :class:`~analytics.access.User` with a known role (a
        patient with exactly one patient id), or ``face`` is empty.
    """

    def __init__(self, store: Store, user: User, *, face: str = "dashboard") -> None:
        if not isinstance(user, User):
            raise ValueError(
                "The 'user' parameter of Service must be an analytics.access.User. "
                f"Got {type(user).__name__} instead."
            )
        if user.role not in access.ROLES:
            raise ValueError(
                f"The user's role must be one of {list(access.ROLES)}. Got {user.role!r} instead."
            )
        if (user.role == "patient") != (user.patient_id is not None):
            raise ValueError("A patient user has exactly one patient_id; other roles have none.")
        if not isinstance(face, str) or not face.strip():
            raise ValueError(
                f"The 'face' parameter of Service must be a non-empty str. Got {face!r}."
            )
        self.store = store
        self.user = user
        self.face = face
        self.read_only = False
        self._audit_role: str = user.role
        #: The link of a share-link service (set by ``Service.for_share_link``), else None.
        self._share_link_id: int | None = None

    def __repr__(self) -> str:
        return f"Service(user={self.user.username!r}, role={self.user.role!r}, face={self.face!r})"

    # -- audit ---------------------------------------------------------------------

    def _audit(
        self,
        action: str,
        patient_id: str | None,
        *,
        outcome: str = "ok",
        **detail: Any,
    ) -> None:
        if patient_id is not None:  # may be whatever a tampered request sent
            patient_id = "".join(c if c.isprintable() else "?" for c in str(patient_id))[:80]
        self.store.record_audit(
            self.user.username,
            action,
            role=self._audit_role,
            face=self.face,
            patient_id=patient_id,
            outcome=outcome,
            detail={k: v for k, v in detail.items() if v is not None},
        )

    # -- the policy ------------------------------------------------------------------

    @property
    def _role(self) -> str:
        """The user's column of the policy table."""
        return "share-link" if self.read_only else self.user.role

    def _scope(self, action: str) -> dict[str, Any]:
        """Return the keyword arguments that restrict a store read, in SQL.

        The read is restricted to the patients this user may reach with ``action``
        (their cell of the policy).
        """
        scope = POLICY[action].scope(self._role)
        if scope == ALL:
            return {}
        if scope == ASSIGNED:
            return {"clinician_user_id": self.user.user_id}
        if scope == OWN:
            return {"patient_ids": [self.user.patient_id]}
        return {"patient_ids": []}

    def _reaches(self, rule: Rule, scope: str, target: Any) -> bool:
        if scope == ALL:
            return True
        if rule.subject == "account":
            return scope == OWN and target == self.user.username
        if scope == OWN:
            return target == self.user.patient_id
        if scope == ASSIGNED:
            return self.store.is_assigned(self.user.user_id, target)
        return False

    def _refuse(
        self,
        rule: Rule,
        call: str,
        arguments: Mapping[str, Any],
        patient_id: str | None,
        message: str,
    ) -> AccessDeniedError:
        detail = {
            name: call if name == "call" else str(arguments[name]) for name in rule.refusal_detail
        }
        self._audit(rule.audit, patient_id, outcome="denied", **detail)
        return AccessDeniedError(message)

    def _check_share_link(self) -> None:
        """Refuse any call of a share-link service whose link no longer opens.

        :class:`~analytics.service._sharing.ShareLinks` checks the link; a door without
        that part cannot check it, so it refuses every call of a share link.
        """
        raise AccessDeniedError("Access denied: this service cannot check its share link.")

    def _own_password_change(self, governance: Governance, arguments: Mapping[str, Any]) -> bool:
        """Tell whether a call is one an account with a password to change may make: its own."""
        target = governance.target
        return (
            governance.action in WHILE_PASSWORD_MUST_CHANGE
            and isinstance(target, AccountArg)
            and arguments[target.argument] == self.user.username
        )

    def _authorize(self, governance: Governance, call: str, arguments: dict[str, Any]) -> None:
        """Apply the policy to one call (see the module's docstring for the order).

        The patient the call was checked for is put in ``arguments``.
        """
        if self._audit_role == "share-link":
            self._check_share_link()
        if self.user.must_change_password and not self._own_password_change(governance, arguments):
            message = password_change_refusal(self.user.username)
            raise self._refuse(POLICY[governance.action], call, arguments, None, message)
        reach = _locate(governance.target, arguments, call, self.store)
        action = governance.action
        if reach.kind == "cohort" and governance.cohort_action is not None:
            action = governance.cohort_action
        rule = POLICY[action]
        scope = rule.scope(self._role)
        if scope is None:
            message = role_refusal(
                rule, self._role, call=call, username=self.user.username,
                account_role=self.user.role,
            )  # fmt: skip
            raise self._refuse(rule, call, arguments, reach.recorded, message)
        if governance.check is not None:
            governance.check(arguments)
        target = governance.target
        if reach.kind == "account" and not self._reaches(rule, scope, reach.value):
            message = scope_refusal(rule, scope, username=self.user.username, target=reach.value)
            raise self._refuse(rule, call, arguments, None, message)
        if reach.kind != "patient" or (isinstance(target, PatientArg) and not target.scoped):
            return
        if (
            isinstance(target, PatientArg)
            and target.own_by_default
            and reach.value is None
            and scope == OWN
        ):  # a patient never chooses a patient id: none given is their own
            pid = str(self.user.patient_id)
            given = arguments[target.argument]
            arguments[target.argument] = pid if target.key is None else {**given, target.key: pid}
            return
        self._check_patient(rule, scope, reach.value, call, arguments)

    def _check_patient(
        self, rule: Rule, scope: str, patient_id: Any, call: str, arguments: Mapping[str, Any]
    ) -> None:
        if not isinstance(patient_id, str) or not patient_id:
            raise ValueError(
                f"The 'patient_id' parameter of Service.{call} must be a non-empty str. "
                f"Got {patient_id!r} instead."
            )
        if not self._reaches(rule, scope, patient_id):
            message = scope_refusal(rule, scope, username=self.user.username, target=patient_id)
            raise self._refuse(rule, call, arguments, patient_id, message)
        if scope == ALL and not self.store.patient_exists(patient_id):
            raise NotFoundError(f"No patient {patient_id!r} is stored.")

    # -- stored outcomes after a write ---------------------------------------------------

    def _refresh_after_write(
        self,
        patient_ids: Sequence[str],
        *,
        new_rows: Any = None,
        new_ids: Sequence[str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Recompute the stored outcomes of the patients a write changed (clinic settings).

        See :func:`analytics.pipeline.refresh_after_write`.
        """
        if not patient_ids:
            return
        from analytics import pipeline

        pipeline.refresh_after_write(
            self.store, patient_ids, self.analysis_settings(), actor=self.user.username,
            new_rows=new_rows, new_ids=new_ids, progress=progress,
        )  # fmt: skip

    # -- settings ------------------------------------------------------------------------

    @governed("read_settings")
    def analysis_settings(self) -> Any:
        """Return the clinic-wide analysis settings (defaults when none are saved).

        Not audited: the settings show no patient data.

        Returns
        -------
        analytics.pipeline.AnalysisSettings
        """
        from analytics.pipeline import AnalysisSettings

        raw = self.store.get_setting(ANALYSIS_SETTINGS_KEY)
        if not raw:
            return AnalysisSettings()
        try:
            return AnalysisSettings(**json.loads(raw))
        except (TypeError, ValueError):
            return AnalysisSettings()
