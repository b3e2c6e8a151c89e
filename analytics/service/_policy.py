"""Who may do what: the service's access policy as one table.

Each row of :data:`POLICY` is one action a face can ask the service for; each
column is a role — the three account roles and the read-only share link — and
each cell says over which patients (or accounts) that role may do it:

``own``
    the user's own patient (a patient account, a share link), or, for a
    password, the user's own account;
``assigned``
    the patients an administrator assigned to the clinician;
``all``
    every patient (or account) of the clinic;
``NO``
    refused.

Every public method of :class:`analytics.service.Service` names its row with
the :func:`analytics.service.governed` decorator, which checks the cell before
the method runs and records a refusal in the audit log (outcome "denied"). The
table is all there is: no method decides on its own who may call it.
``docs/security.md`` shows the same table; a test keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final

__all__ = [
    "OWN",
    "ASSIGNED",
    "ALL",
    "NO",
    "POLICY_ROLES",
    "ACCOUNT_ROLES",
    "READ_ONLY_REFUSAL",
    "WHILE_PASSWORD_MUST_CHANGE",
    "password_change_refusal",
    "Rule",
    "POLICY",
    "role_refusal",
    "scope_refusal",
]

#: The user's own patient (patient accounts, share links) or their own account.
OWN: Final = "own"
#: The patients assigned to the clinician.
ASSIGNED: Final = "assigned"
#: Every patient or account.
ALL: Final = "all"
#: Refused.
NO: Final = None

#: The columns of the table: the account roles, then the read-only share link.
POLICY_ROLES: Final = ("patient", "clinician", "admin", "share-link")
#: The roles an account can have (a share link acts as its patient, read-only).
ACCOUNT_ROLES: Final = ("patient", "clinician", "admin")

#: What a share link is told when it asks for anything but a view.
READ_ONLY_REFUSAL: Final = "Access denied: a share link can only view this patient's data."

#: The only actions of an account whose password an administrator set, until its owner
#: chooses their own: every other call is refused (and recorded) whatever the role's cell.
WHILE_PASSWORD_MUST_CHANGE: Final = frozenset({"change_password"})


@dataclass(frozen=True)
class Rule:
    """One row of the policy: one action, and the scope each role may do it over.

    Parameters
    ----------
    action : str
        The name methods use in ``@governed(action)``.
    audit : str
        The audit-log action of a refusal (and of the call, for methods that
        record one): "view", "edit", "import", "export", "report", "refresh",
        "settings", "user_admin", "share_create" or "share_revoke".
    patient, clinician, admin, share_link : {"own", "assigned", "all"} or None
        The scope of each role; None refuses the role.
    summary : str
        What the action is, in words (shown in ``docs/security.md``).
    subject : {"patient", "account"}, default "patient"
        What the scope counts: patients, or accounts (a password).
    refusal : str, default ""
        A refusal message of the rule's own; by default the message is worded
        from the table (:func:`role_refusal`, :func:`scope_refusal`).
    refusal_detail : tuple of str, default ("call",)
        The audit detail of a refusal: ``"call"`` is the method's name, any
        other entry the value of that argument of the call.
    """

    action: str
    audit: str
    patient: str | None
    clinician: str | None
    admin: str | None
    share_link: str | None
    summary: str
    subject: str = "patient"
    refusal: str = ""
    refusal_detail: tuple[str, ...] = ("call",)

    def scope(self, role: str) -> str | None:
        """Return the scope ``role`` (one of :data:`POLICY_ROLES`) has, None when refused.

        Raises
        ------
        ValueError
            ``role`` is not one of :data:`POLICY_ROLES`.
        """
        if role not in POLICY_ROLES:
            raise ValueError(
                f"The 'role' parameter of Rule.scope must be one of {list(POLICY_ROLES)}. "
                f"Got {role!r} instead."
            )
        return self.cells()[role]

    def cells(self) -> dict[str, str | None]:
        """Return the row's cells, by role (:data:`POLICY_ROLES` order)."""
        cells = (self.patient, self.clinician, self.admin, self.share_link)
        return dict(zip(POLICY_ROLES, cells, strict=True))

    def account_roles(self) -> tuple[str, ...]:
        """Return the account roles the rule allows, in :data:`ACCOUNT_ROLES` order."""
        return tuple(r for r in ACCOUNT_ROLES if self.scope(r) is not None)


def _by_action(*rules: Rule) -> Mapping[str, Rule]:
    table = {rule.action: rule for rule in rules}
    if len(table) != len(rules):
        raise ValueError("Each action of the policy must have exactly one row.")
    return MappingProxyType(table)


_FILES_OF_OWN_DIARY = "Access denied: a patient's files cover their own diary only."
_OWN_PASSWORD = "Access denied: you may change your own password only."

# The table. Read a row as: "<action> is recorded as <audit>; a patient may do it for
# <scope>, a clinician for <scope>, ...". NO is refused.
# fmt: off
POLICY: Final[Mapping[str, Rule]] = _by_action(
    #     action                   audit           patient  clinician  admin  share link
    Rule("list_patients",          "view",         OWN,     ASSIGNED,  ALL,   OWN,
         "list the ids of the patients in reach and the version of their stored outcomes"),
    Rule("read_settings",          "view",         OWN,     ASSIGNED,  ALL,   OWN,
         "read the clinic's analysis settings"),
    Rule("view_patient",           "view",         OWN,     ASSIGNED,  ALL,   OWN,
         "view one patient's rows, a diary day or the history of changes"),
    Rule("view_cohort",            "view",         OWN,     ASSIGNED,  ALL,   OWN,
         "view the patients in reach together: their list, rows and outcomes"),
    Rule("edit_diary",             "edit",         OWN,     ASSIGNED,  ALL,   NO,
         "save or delete a diary day"),
    Rule("answer_questionnaire",   "edit",         OWN,     ASSIGNED,  ALL,   NO,
         "save the answers to an outcome questionnaire"),
    Rule("add_entry",              "edit",         OWN,     ASSIGNED,  ALL,   NO,
         "add an entry during the day: its time, pain, a flare, a rescue medicine"),
    Rule("answer_rescue",          "edit",         OWN,     ASSIGNED,  ALL,   NO,
         "answer whether an entry's rescue medicine helped"),
    Rule("record_session",         "edit",         NO,      ASSIGNED,  ALL,   NO,
         "save a treatment session"),
    Rule("set_course",             "edit",         NO,      ASSIGNED,  ALL,   NO,
         "start, pause or end a patient's course of treatment"),
    Rule("answer_session_pain",    "edit",         OWN,     ASSIGNED,  ALL,   NO,
         "add a patient's missing pain just before and after a stored session"),
    Rule("record_export",          "export",       OWN,     ASSIGNED,  ALL,   OWN,
         "record a file made of one patient's data (CSV, PDF, FHIR)"),
    Rule("record_cohort_export",   "export",       NO,      ASSIGNED,  ALL,   NO,
         "record a file made of the cohort's data",
         refusal=_FILES_OF_OWN_DIARY, refusal_detail=("what",)),
    Rule("record_report",          "report",       OWN,     ASSIGNED,  ALL,   OWN,
         "record a report of one patient"),
    Rule("record_cohort_report",   "report",       NO,      ASSIGNED,  ALL,   NO,
         "record a report of the cohort",
         refusal=_FILES_OF_OWN_DIARY, refusal_detail=("what",)),
    Rule("view_share_links",       "view",         OWN,     ASSIGNED,  ALL,   OWN,
         "list one patient's share links (never their tokens)"),
    Rule("create_share_link",      "share_create", OWN,     ASSIGNED,  ALL,   NO,
         "create a read-only share link to one patient"),
    Rule("revoke_share_link",      "share_revoke", OWN,     ASSIGNED,  ALL,   NO,
         "revoke a share link"),
    Rule("review_share_links",     "view",         NO,      NO,        ALL,   NO,
         "list the clinic's active share links with who made them (never their tokens)"),
    Rule("change_password",        "user_admin",   OWN,     OWN,       ALL,   NO,
         "set an account's password", subject="account",
         refusal=_OWN_PASSWORD, refusal_detail=("call", "username")),
    Rule("record_page_refusal",    "view",         OWN,     OWN,       ALL,   NO,
         "record that a page of the dashboard was refused to the user (nothing is read)",
         subject="account", refusal=READ_ONLY_REFUSAL),
    Rule("manage_accounts",        "user_admin",   NO,      NO,        ALL,   NO,
         "list, add, enable, disable and unlock accounts; assign patients to clinicians"),
    Rule("map_clinician_codes",    "user_admin",   NO,      NO,        ALL,   NO,
         "map the clinician codes of the data (C01, ...) to clinician accounts"),
    Rule("onboard_patients",       "user_admin",   NO,      NO,        ALL,   NO,
         "see new patients' clinicians and accounts; assign them by clinician code, create "
         "their accounts and first sign-in links in bulk"),
    Rule("read_audit_log",         "view",         NO,      NO,        ALL,   NO,
         "read the audit log"),
    Rule("export_audit_log",       "export",       NO,      NO,        ALL,   NO,
         "download the audit log's rows as a CSV file"),
    Rule("import",                 "import",       NO,      NO,        ALL,   NO,
         "import a dataset (and preview an import)"),
    Rule("export",                 "export",       NO,      NO,        ALL,   NO,
         "export the clinic's or one patient's rows, also de-identified"),
    Rule("refresh_outcomes",       "refresh",      NO,      NO,        ALL,   NO,
         "recompute the clinic's stored outcomes"),
    Rule("change_settings",        "settings",     NO,      NO,        ALL,   NO,
         "change the clinic's analysis settings"),
)
# fmt: on

_REACH = {OWN: "your own diary", ASSIGNED: "the patients assigned to you", ALL: ""}


def role_refusal(rule: Rule, role: str, *, call: str, username: str, account_role: str) -> str:
    """Return the message of a refusal by role: the rule's own, else worded from the table.

    Parameters
    ----------
    rule : Rule
    role : str
        The user's column of the table (:data:`POLICY_ROLES`).
    call : str
        The name of the method called.
    username, account_role : str
        The user's name and account role (a share link's account role is "patient").

    Returns
    -------
    str
        E.g. "Access denied: import_dataset is for admin accounts; ann is a clinician."
    """
    if rule.refusal:
        return rule.refusal
    if role == "share-link" and rule.audit != "view":
        return READ_ONLY_REFUSAL
    roles = " or ".join(rule.account_roles())
    return f"Access denied: {call} is for {roles} accounts; {username} is a {account_role}."


def password_change_refusal(username: str) -> str:
    """Return the refusal of any call but a password change while one is due.

    Parameters
    ----------
    username : str

    Returns
    -------
    str
        E.g. "Access denied: an administrator set the password of ann; ann must choose a
        new password before anything else."
    """
    return (
        f"Access denied: an administrator set the password of {username}; {username} must "
        "choose a new password before anything else."
    )


def scope_refusal(rule: Rule, scope: str, *, username: str, target: str) -> str:
    """Return the message of a refusal by scope: the patient (or account) is out of reach.

    The message is the same whether or not the patient exists.

    Parameters
    ----------
    rule : Rule
    scope : {"own", "assigned", "all"}
        The user's cell of the rule.
    username : str
    target : str
        The patient (or, for an account rule, the username) asked for.

    Returns
    -------
    str
        The rule's own message, else e.g. "Access denied: ann may reach the patients
        assigned to you only, not patient 'P3'. Ask an administrator if this is wrong."
    """
    if rule.refusal:
        return rule.refusal
    if rule.subject == "account":
        return f"Access denied: {username} may change their own account only, not {target!r}."
    return (
        f"Access denied: {username} may reach {_REACH.get(scope, '')} only, not patient "
        f"{target!r}. Ask an administrator if this is wrong."
    )
