"""``paindiary user`` and ``paindiary audit``: accounts and the audit log (administrators)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analytics.cli._output import CommandError, guarded
from analytics.cli._source import (
    add_db,
    add_identity,
    check_output_file,
    new_password,
    open_service,
    write_atomically,
)
from analytics.store import open_store

# the defaults shown in --help (plain constants: the service loads when a command runs)
INVITE_DAYS = 14
APP_URL_VARIABLE = "PAINDIARY_URL"
DEFAULT_APP_URL = "http://localhost:8501"

__all__ = ["add_parsers", "user_command", "audit_command", "print_new_patients"]


def add_parsers(sub: Any) -> None:
    """Add ``user`` and ``audit`` to the subcommands."""
    p = sub.add_parser(
        "user",
        help="manage accounts: add, passwd, enable, disable, unlock, list, assign, unassign, "
        "map-clinician, invite (admins)",
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
    q = users.add_parser(
        "map-clinician",
        help="map a clinician code of the data (C01) to a clinician account, once",
        description="Imports then assign new patients with this clinician_id to the account; "
        "the stored patients with the code and no clinician are assigned now.",
    )
    q.add_argument("code", metavar="CODE", help="a clinician_id of the data, e.g. C01")
    q.add_argument("clinician", metavar="CLINICIAN", help="a clinician account's username")
    q = users.add_parser(
        "invite",
        help="make patient accounts where missing and their one-time first sign-in links",
        description="Each patient gets an account (username: the patient id in lower case) and a "
        "link that works once, until it expires, to choose a password and sign in; a newer link "
        "replaces the older. The links are written to a PDF sign-in sheet (--out, one page per "
        "patient, with a QR code) and never to the audit log; they are printed only with "
        f"--show-links. The links start with ${APP_URL_VARIABLE} (default {DEFAULT_APP_URL}).",
    )
    q.add_argument("patient_ids", metavar="PATIENT_ID", nargs="*")
    q.add_argument(
        "--without-account", action="store_true",
        help="every stored patient who has no account yet (e.g. after an import)",
    )  # fmt: skip
    q.add_argument("--days", type=int, default=INVITE_DAYS,
                   help=f"days a link works (default {INVITE_DAYS})")  # fmt: skip
    q.add_argument("--out", metavar="PDF", default=None, help="write the sign-in sheet here")
    q.add_argument("--overwrite", action="store_true", help="replace the PDF if it exists")
    q.add_argument(
        "--show-links", action="store_true",
        help="also print the links (they open the accounts: keep the output private)",
    )  # fmt: skip
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
            from analytics.service import username_problem

            problem = username_problem(args.name)  # before the password is asked for
            if problem is not None:
                raise CommandError(f"{problem} Nothing was written.")
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
        elif cmd == "map-clinician":
            now = service.map_clinician_code(args.code, args.clinician)
            print(
                f"Mapped clinician code {args.code} to {args.clinician}: imports assign its new "
                f"patients to {args.clinician}"
                + (f"; {len(now)} stored patient(s) assigned now." if now else ".")
            )
        elif cmd == "invite":
            _invite(service, args)
    return 0


def _invite(service: Any, args: argparse.Namespace) -> None:
    """Make the accounts and links of ``paindiary user invite``; write the sheet, print a summary."""
    from analytics.service import clinic_name, invite_frame

    ids = list(args.patient_ids)
    if args.without_account:
        status = service.onboarding_status(service.visible_patient_ids())
        ids += status.loc[status["username"].isna(), "patient_id"].tolist()
    if not ids:
        raise CommandError(
            "Name the patients to invite (PATIENT_ID ...), or give --without-account for every "
            "patient who has no account yet."
        )
    if not args.out and not args.show_links:
        raise CommandError(
            "Give --out sheet.pdf to write the links to a printable sign-in sheet (or "
            "--show-links to print them); nothing was made."
        )
    if args.out:  # a file that cannot be written is refused before any link is made
        check_output_file(Path(args.out), overwrite=args.overwrite)
    invites = service.invite_patients(sorted(set(ids)), days=args.days)
    frame = invite_frame(invites)
    if args.out:
        from analytics.reports import sign_in_sheet_pdf

        sheet = sign_in_sheet_pdf(frame, clinic=clinic_name())
        write_atomically(Path(args.out), sheet, overwrite=args.overwrite)
    made = sum(i.created for i in invites)
    until = f"{invites[0].expires_at:%Y-%m-%d %H:%M} UTC" if invites else ""
    print(
        f"{len(invites)} first sign-in link(s), each working once until {until}; "
        f"{made} account(s) made, {len(invites) - made} existing."
        + (f" Sign-in sheet: {args.out} (one page per patient; hand it over, do not file it)."
           if args.out else "")
    )  # fmt: skip
    if args.show_links:
        print(frame[["patient_id", "username", "link"]].to_string(index=False))


def print_new_patients(service: Any, new_patients: Any) -> None:
    """Print the new patients of an import: their clinicians, accounts, and the next commands."""
    ids = sorted(new_patients)
    if not ids:
        return
    status = service.onboarding_status(ids)
    shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
    print(f"{len(ids)} new patient(s): {shown}.")
    assigned = status[status["clinicians"] != ""]
    if len(assigned):
        per = assigned.groupby("clinicians").size()
        print("Assigned by their clinician codes: "
              + ", ".join(f"{n} to {who}" for who, n in per.items()) + ".")  # fmt: skip
    waiting = status[(status["clinicians"] == "")]
    unmapped = waiting[waiting["clinician_id"].notna()].groupby("clinician_id").size()
    for code, n in unmapped.items():
        print(f"  {n} with clinician code {code}, not mapped yet: "
              f"paindiary user map-clinician {code} CLINICIAN")  # fmt: skip
    no_code = int(waiting["clinician_id"].isna().sum())
    if no_code:
        print(f"  {no_code} without a clinician code: paindiary user assign CLINICIAN "
              "PATIENT_ID ...")  # fmt: skip
    if status["username"].isna().any():
        print("Their accounts and printable first sign-in links: paindiary user invite "
              "--without-account --out sign-in-sheets.pdf")  # fmt: skip


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
    """``paindiary user add|passwd|enable|disable|unlock|list|assign|unassign|map-clinician|invite``.

    Administrators only.
    """
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
