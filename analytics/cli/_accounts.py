"""``paindiary user`` and ``paindiary audit``: accounts and the audit log (administrators)."""

from __future__ import annotations

import argparse
from typing import Any

from analytics.cli._output import guarded
from analytics.cli._source import add_db, add_identity, new_password, open_service
from analytics.store import open_store

__all__ = ["add_parsers", "user_command", "audit_command"]


def add_parsers(sub: Any) -> None:
    """Add ``user`` and ``audit`` to the subcommands."""
    p = sub.add_parser(
        "user",
        help="manage accounts: add, passwd, enable, disable, unlock, list, assign, unassign "
        "(admins)",
        description="Accounts of the dashboard. Passwords are asked for twice (or read from "
        "standard input with --password-stdin), hashed with argon2id and never shown. A "
        "password set here for someone else's account must be changed by its owner at the "
        "next sign-in.",
    )
    users = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    q = users.add_parser("add", help="create an account")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", required=True, choices=["patient", "clinician", "admin"])
    q.add_argument("--patient", metavar="ID", default=None, help="the patient of a patient account")
    q.add_argument("--display-name", metavar="TEXT", default=None)
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    q.add_argument(
        "--own-password",
        action="store_true",
        help="the account's owner typed this password themselves (e.g. your own first admin "
        "account): no new password is asked for at the first sign-in",
    )
    q = users.add_parser("passwd", help="set an account's password (ends its open sessions)")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    for action, text in (
        ("enable", "enable a disabled account (it can sign in again with its password)"),
        ("disable", "disable an account (it can no longer sign in)"),
        ("unlock", "clear an account's lock and failed sign-ins; its password is kept"),
    ):
        q = users.add_parser(action, help=text)
        q.add_argument("name", metavar="NAME")
    users.add_parser("list", help="list the accounts")
    for action, text in (("assign", "let a clinician see these patients"),
                         ("unassign", "stop a clinician seeing these patients")):  # fmt: skip
        q = users.add_parser(action, help=text)
        q.add_argument("clinician", metavar="CLINICIAN")
        q.add_argument("patient_ids", metavar="PATIENT_ID", nargs="+")
    for q in users.choices.values():
        add_db(q)
        add_identity(q)
    p.set_defaults(handler=user_command)

    p = sub.add_parser(
        "audit",
        help="show the audit log, newest first (admins)",
        description="Who viewed, changed, imported or exported which patient's data, and every "
        "sign-in, failed sign-in and lockout, newest first.",
    )
    add_db(p)
    p.add_argument("--user", metavar="NAME", default=None, help="only this account's rows")
    p.add_argument("--patient", metavar="ID", default=None, help="only rows about this patient")
    p.add_argument("--since", metavar="DATE", default=None, help="only rows at or after (UTC)")
    p.add_argument(
        "--action", metavar="ACTION", default=None,
        help="only this action (view, edit, import, export, report, login, login_failed, "
        "lockout, logout, user_admin, share_create, share_use, share_revoke, refresh, settings)",
    )  # fmt: skip
    p.add_argument(
        "--outcome", default=None, choices=["ok", "denied", "failed"], help="only this outcome"
    )
    p.add_argument(
        "--problems", action="store_true", help="only denied and failed rows (not with --outcome)"
    )
    p.add_argument(
        "--detail", action="store_true", help="add the detail of each row, as recorded (JSON)"
    )
    p.add_argument("--limit", type=int, default=50, help="rows per page (default 50)")
    p.add_argument("--offset", type=int, default=0, help="skip this many rows (paging)")
    add_identity(p, user_flag=False)
    p.set_defaults(handler=audit_command)


def _printable(frame: Any) -> Any:
    """Text cells with control characters (e.g. terminal escapes) shown as '?'."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return "".join(ch if ch.isprintable() else "?" for ch in value)
        return value

    return frame.map(clean)


def _user(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        service = open_service(args, store, f"user {args.user_command}")
        cmd = args.user_command
        if cmd == "add":
            password = new_password(args, args.name)
            new = service.add_user(
                args.name, role=args.role, password=password, patient_id=args.patient,
                display_name=args.display_name or "", must_change_password=not args.own_password,
            )  # fmt: skip
            extra = f" for patient {new.patient_id}" if new.patient_id else ""
            print(
                f"Created the {new.role} account {new.username}{extra}; "
                f"{new.username} chooses a new password at the first sign-in."
                if new.must_change_password
                else f"Created the {new.role} account {new.username}{extra}."
            )
        elif cmd == "passwd":
            service.set_password(args.name, new_password(args, args.name))
            then = (
                ""
                if args.name == service.user.username
                else f"; {args.name} chooses a new one at the next sign-in"
            )
            print(f"Changed the password of {args.name}; its open sessions have ended{then}.")
        elif cmd in ("enable", "disable", "unlock"):
            getattr(service, f"{cmd}_user")(args.name)
            print(_DONE[cmd].format(name=args.name))
        elif cmd == "list":
            _list(service)
        elif cmd in ("assign", "unassign"):
            getattr(service, cmd)(args.clinician, args.patient_ids)
            verb = "Assigned" if cmd == "assign" else "Unassigned"
            print(f"{verb} {len(args.patient_ids)} patient(s) {'to' if cmd == 'assign' else 'from'} "
                  f"{args.clinician}.")  # fmt: skip
    return 0


_DONE = {
    "enable": "Enabled {name}: it can sign in again with its password.",
    "disable": "Disabled {name}: it can no longer sign in.",
    "unlock": "Unlocked {name}: the failed sign-ins are cleared and the password is kept.",
}


def _list(service: Any) -> None:
    """Print the accounts with the column names the Admin page shows."""
    from analytics.presentation import account_table

    users = service.users()
    if users.empty:
        print("No accounts yet. Create one with 'paindiary user add NAME --role admin'.")
        return
    shown = account_table(users)
    for col in shown.columns:
        if shown[col].dtype == bool:
            shown[col] = shown[col].map({True: "yes", False: "no"})
        if shown[col].dtype.kind == "M":
            shown[col] = shown[col].dt.strftime("%Y-%m-%d %H:%M")
    print(_printable(shown.astype(object).fillna("")).to_string(index=False))


def user_command(args: argparse.Namespace) -> int:
    """``paindiary user add|passwd|enable|disable|unlock|list|assign|unassign ...`` (admins)."""
    return guarded(_user, args)


def _audit(args: argparse.Namespace) -> int:
    from analytics.presentation import audit_table  # not loaded for the other commands

    with open_store(args.db, create=False) as store:
        service = open_service(args, store, "audit")
        if args.problems and args.outcome:
            raise ValueError("Give --problems or --outcome, not both.")
        outcomes = ["denied", "failed"] if args.problems else args.outcome and [args.outcome]
        log = service.audit_log(
            username=args.user, patient_id=args.patient, since=args.since, action=args.action,
            outcomes=outcomes or None, limit=args.limit, offset=args.offset,
        )  # fmt: skip
    if log.empty:
        print("No audit rows match.")
        return 0
    log = audit_table(log)
    if not args.detail:
        log = log.drop(columns="detail")
    log = log.assign(at=log["at"].dt.strftime("%Y-%m-%d %H:%M:%S")).fillna("")
    print(_printable(log).to_string(index=False))
    if len(log) == args.limit:
        print(f"(newest {args.limit} shown; --offset {args.offset + args.limit} for the next page)")
    return 0


def audit_command(args: argparse.Namespace) -> int:
    """``paindiary audit [--user NAME] [--patient ID] [--action A] [--problems] ...`` (admins).

    Rows newest first, with the "what" column in words; ``--detail`` adds the raw detail.
    """
    return guarded(_audit, args)
