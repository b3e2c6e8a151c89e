"""Handlers of ``paindiary import``, ``export``, ``init-demo``, ``user`` and ``audit``
(argparse lives in analytics.cli).

Every command reaches the data through :class:`analytics.service.Service`: as
:data:`analytics.auth.LOCAL_OPERATOR` (an admin named ``local:<os user>``), or as
the account given with ``--as NAME`` (``--user NAME`` on every command but
``audit``, where ``--user`` filters), whose password is asked for. Each returns
an exit code: 0 done, 1 nothing (or, for import, nothing at all) was written
because of invalid data, conflicts, a refusal or a database problem - the
message says which and what to do. A user error never prints a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import (
    AccessDeniedError,
    AuthenticationError,
    ConflictError,
    DataQualityWarning,
    DataValidationError,
    NotFoundError,
    StoreError,
)
from .core import ImportReport, Store, open_store, project_root

__all__ = [
    "import_command",
    "export_command",
    "init_demo_command",
    "user_command",
    "audit_command",
    "CONFLICTS_SHOWN",
    "DEMO_ADMIN",
    "DEMO_CLINICIANS",
]

#: How many conflicting cells the import command prints (all are counted).
CONFLICTS_SHOWN = 50


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _service(args: argparse.Namespace, store: Store, command: str) -> Any:
    """The :class:`~analytics.service.Service` of this command: the local operator, or the
    account named with ``--as``/``--user`` after its password is checked."""
    import getpass

    from .. import auth
    from ..service import Service

    face = f"cli:{command}"
    name = getattr(args, "as_user", None)
    if not name:
        return Service(store, auth.LOCAL_OPERATOR, face=face)
    password = getpass.getpass(f"Password of {name}: ")
    user = auth.authenticate(store, name, password, face=face)
    return Service(store, user, face=face)


def _guarded(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Turn the user-facing errors into a message and exit code 1."""
    try:
        return run(args)
    except (AuthenticationError, AccessDeniedError) as exc:
        _err(str(exc))
        return 1
    except KeyboardInterrupt:
        _err("interrupted; nothing more was done.")
        return 1
    except DataValidationError as exc:
        problems = exc.problems
        if len(problems):
            for row in problems.itertuples(index=False):
                col = f" {row.column}:" if row.column else ""
                print(f"{row.file}:{row.line}:{col} {row.message}", file=sys.stderr)
            _err(
                f"{len(problems)} problem(s); nothing was written. Fix them or use --skip-invalid."
            )
        else:
            _err(str(exc))
        return 1
    except (StoreError, FileNotFoundError, NotADirectoryError, ValueError) as exc:
        _err(str(exc))
        return 1
    except OSError as exc:  # e.g. a read-only folder, a full disk, a file where a folder should be
        where = f"{exc.filename}: " if exc.filename else ""
        _err(f"{where}{exc.strerror or exc}")
        return 1


def _load(directory: str, *, skip_invalid: bool) -> Any:
    from ..loaders import load_dataset

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        ds = load_dataset(directory, on_error="skip" if skip_invalid else "raise")
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return ds


def _print_report(report: ImportReport) -> None:
    frame = report.to_frame().rename(columns={"n_incoming": "rows"})
    print(frame.to_string(index=False))


def _import(args: argparse.Namespace) -> int:
    from ..exports import write_rejects

    ds = _load(args.directory, skip_invalid=args.skip_invalid)
    if ds.rejects:
        paths = write_rejects(ds.rejects, args.directory)
        print(
            f"{ds.n_rejected} invalid row(s) skipped and written to "
            + ", ".join(str(p) for p in paths),
            file=sys.stderr,
        )
    from ..progress import ProgressBar

    with open_store(args.db) as store:
        service = _service(args, store, "import")
        try:
            with (
                ProgressBar("importing rows") as bar,
                ProgressBar("computing outcomes") as outcome_bar,
            ):
                marks: dict[str, float] = {"start": time.monotonic()}

                def outcomes(done: int, total: int) -> None:
                    bar.close()  # the rows are written: the next line is the outcomes'
                    marks.setdefault("rows", time.monotonic())
                    marks["patients"] = total
                    outcome_bar(done, total)

                report = service.import_dataset(
                    ds, update=args.update, progress=bar, outcomes_progress=outcomes
                )
                marks["end"] = time.monotonic()
        except ConflictError as exc:
            conflict = getattr(exc, "report", None)
            if conflict is None:
                raise
            shown = conflict.conflicts.head(CONFLICTS_SHOWN)
            print(shown.to_string(index=False), file=sys.stderr)
            if len(conflict.conflicts) > CONFLICTS_SHOWN:
                print(
                    f"... and {len(conflict.conflicts) - CONFLICTS_SHOWN} more cell(s)",
                    file=sys.stderr,
                )
            _err(
                f"{conflict.n_conflicts} row(s) differ from what {store.name} holds; nothing was "
                "imported. Run again with --update to overwrite them (old values are kept in the history)."
            )
            return 1
        _print_report(report)
        new = sum(report.inserted.values())
        rows_s = marks.get("rows", marks["end"]) - marks["start"]
        timing = f"rows written in {rows_s:.1f} s"
        if "rows" in marks:
            timing += (
                f"; the stored outcomes of {int(marks['patients']):,} patient(s) updated in "
                f"{marks['end'] - marks['rows']:.1f} s more"
            )
        print(
            f"Imported {args.directory} into {store.name}: {new} new row(s), "
            f"{sum(report.updated.values())} updated, {sum(report.unchanged.values())} unchanged "
            f"({timing})."
        )
    return 0


def import_command(args: argparse.Namespace) -> int:
    """``paindiary import DIR [--db URL] [--skip-invalid] [--update] [--user NAME]`` (admins)."""
    return _guarded(_import, args)


def _export(args: argparse.Namespace) -> int:
    from ..exports import check_targets
    from ..schema import TABLES

    target = Path(args.directory)
    check_targets(target)  # a link in the folder is refused before the audited read
    if target.exists() and not target.is_dir():
        _err(f"{target} is a file, not a directory; nothing was exported.")
        return 1
    existing = [
        target / TABLES[t].file_name for t in TABLES if (target / TABLES[t].file_name).exists()
    ]
    # An export never silently replaces CSV files (they may be the very files a clinic
    # imported from, or another patient's export).
    if existing and not getattr(args, "overwrite", False):
        _err(
            f"{target} already holds {', '.join(p.name for p in existing)}; nothing was exported. "
            "Export to a new or empty directory, or move those files away first."
        )
        return 1
    deidentify = bool(getattr(args, "deidentify", False))
    with open_store(args.db, create=False) as store:
        service = _service(args, store, "export")
        try:
            # written to temporary files, recorded, then renamed into place
            ds, paths = service.export_to(
                args.directory, patient_id=args.patient, deidentify=deidentify
            )
        except NotFoundError:
            _err(f"no patient {args.patient!r} in {store.name}; nothing was exported.")
            return 1
        except StoreError as exc:  # the audit record is part of every export
            if "record the export" not in str(exc):
                raise
            raise StoreError(
                f"{exc}. Every export is recorded in the database's audit log, so nothing was "
                "exported: check that the database and its folder are writable and the disk is "
                "not full."
            ) from None
        name = store.name
    counts = ", ".join(f"{len(getattr(ds, t))} {t}" for t in TABLES)
    kind = "de-identified " if deidentify else ""
    print(f"Exported {kind}{counts} from {name} to {', '.join(str(p) for p in paths)}.")
    return 0


def export_command(args: argparse.Namespace) -> int:
    """``paindiary export DIR [--db URL] [--patient ID] [--deidentify] [--user NAME]`` (admins)."""
    return _guarded(_export, args)


#: The demo's administrator account.
DEMO_ADMIN = "admin"
#: The demo's two clinician accounts; each is assigned half of the demo patients.
DEMO_CLINICIANS = ("clinician-a", "clinician-b")


def _refused(message: str) -> None:
    print(f"init-demo refused: {message}", file=sys.stderr)


def _legacy_demo(store: Store) -> bool:
    """A demo database made before accounts existed: its only imports were init-demo's."""
    log = store.audit_log("cli:init-demo")
    imports = log[log["action"] == "import"]
    return bool(len(imports)) and bool((imports["username"] == "cli:init-demo").all())


def _demo_accounts(service: Any, store: Store, patient_ids: list[str]) -> None:
    """Create the demo accounts that are missing (a new clinician gets half the patients);
    re-derive the never-changed demo passwords when the secret key changed."""
    import json

    from .. import auth

    names = [DEMO_ADMIN, *DEMO_CLINICIANS, *(p.lower() for p in patient_ids)]
    by_name = {p.lower(): p for p in patient_ids}
    half = (len(patient_ids) + 1) // 2
    halves = dict(zip(DEMO_CLINICIANS, (patient_ids[:half], patient_ids[half:]), strict=True))
    key_changed = store.get_setting("demo_key_id") not in (None, auth.demo_key_id())
    existing = store.users(service.user.username).set_index("username")
    for name in names:
        if name in existing.index:
            row = existing.loc[name]
            if key_changed and row["password_changed_at"] == row["created_at"]:
                store.set_password_hash(
                    service.user.username, name,
                    auth.hash_password(auth.demo_password(name)), changed=False,
                )  # fmt: skip
            continue
        role = "admin" if name == DEMO_ADMIN else "clinician" if name in halves else "patient"
        pid = by_name.get(name) if role == "patient" else None
        service.add_user(
            name, role=role, password=auth.demo_password(name), patient_id=pid,
            display_name=f"Demo {role}" if pid is None else f"Demo patient {pid}",
        )  # fmt: skip
        if role == "clinician" and halves[name]:
            service.assign(name, halves[name])
    store.set_setting(service.user.username, "demo_accounts", json.dumps(names))
    store.set_setting(service.user.username, "demo_key_id", auth.demo_key_id())
    store.set_setting(service.user.username, "demo", "true")


def _print_demo_accounts(store: Store) -> None:
    from .. import auth

    accounts = auth.demo_accounts(store) or []
    if not accounts:
        return
    print("Demo accounts (the login page lists them while this is the demo database):")
    width = max(len(a["username"]) for a in accounts)
    for a in accounts:
        who = a["role"] + (f" {a['patient_id']}" if a["patient_id"] else "")
        print(f"  {a['username']:<{width}}  {a['password']}  {who}")


def _init_demo(args: argparse.Namespace) -> int:
    from .. import auth
    from ..service import Service
    from .engine import database_is_empty

    data = Path(args.data) if args.data else project_root() / "sample_data"
    fresh = database_is_empty(args.db)
    with open_store(args.db) as store:
        service = Service(store, auth.LOCAL_OPERATOR, face="cli:init-demo")
        marker = store.get_setting("demo")  # "true"; "false" once real data were imported
        stored = store.patient_ids(service.user.username)
        if not (fresh or marker is not None or (stored and _legacy_demo(store))):
            _refused(
                f"{store.name} was not created by 'paindiary init-demo' (it is a clinic's "
                "database); nothing was imported and no demo accounts were made. Use a new "
                "file for the demo (e.g. unset PAINDIARY_DB) or 'paindiary import' for real data."
            )
            return 0
        ds = _load(str(data), skip_invalid=False)
        demo_ids = sorted(ds.patients["patient_id"])
        foreign = sorted(set(stored) - set(demo_ids))
        if foreign:
            if marker == "true":
                store.set_setting(service.user.username, "demo", "false")
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            _refused(
                f"{store.name} holds {len(foreign)} patient(s) that are not in the demo "
                f"({shown}); it is no longer treated as the demo database. Nothing was imported "
                "and no demo accounts were made."
            )
            return 0
        if stored:
            print(f"{store.name} already holds {len(stored)} patient(s); nothing was imported.")
        else:
            shift = 0
            if not getattr(args, "keep_dates", False):
                from ..synthetic import freshen_demo

                ds, shift = freshen_demo(ds)
            report = service.import_dataset(ds)
            ins = report.inserted
            print(
                f"Created the demo database {store.name} from {data}: {ins['patients']} patients, "
                f"{ins['diary']} diary days, {ins['sessions']} sessions."
            )
            if shift:
                print(
                    f"The demo's dates were moved {shift // 7} weeks forward so its latest diary "
                    "day is in the past week (use --keep-dates to import them as they are)."
                )
        _demo_accounts(service, store, demo_ids if not stored else sorted(stored))
        _print_demo_accounts(store)
    return 0


def init_demo_command(args: argparse.Namespace) -> int:
    """``paindiary init-demo [--db URL] [--data DIR]``: the demo clinic and its accounts, once.

    Imports only into a database it creates (or one it created before); a clinic's
    database is left alone with a message.
    """
    return _guarded(_init_demo, args)


# --------------------------------------------------------------------------- accounts


def _printable(frame: Any) -> Any:
    """Text cells with control characters (e.g. terminal escapes) shown as '?'."""

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return "".join(ch if ch.isprintable() else "?" for ch in value)
        return value

    return frame.map(clean)


def _new_password(args: argparse.Namespace, username: str) -> str:
    import getpass

    from .. import auth

    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"New password of {username}: ")
        auth.check_password(password)
        if getpass.getpass("Repeat it: ") != password:
            raise ValueError("the two passwords differ; nothing was changed.")
    return auth.check_password(password)


def _user(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        service = _service(args, store, f"user {args.user_command}")
        cmd = args.user_command
        if cmd == "add":
            password = _new_password(args, args.name)
            new = service.add_user(
                args.name, role=args.role, password=password, patient_id=args.patient,
                display_name=args.display_name or "",
            )  # fmt: skip
            extra = f" for patient {new.patient_id}" if new.patient_id else ""
            print(f"Created the {new.role} account {new.username}{extra}.")
        elif cmd == "passwd":
            service.set_password(args.name, _new_password(args, args.name))
            print(f"Changed the password of {args.name}; its open sessions have ended.")
        elif cmd == "disable":
            service.disable_user(args.name)
            print(f"Disabled {args.name}: it can no longer sign in.")
        elif cmd == "list":
            users = service.users()
            if users.empty:
                print("No accounts yet. Create one with 'paindiary user add NAME --role admin'.")
            else:
                shown = users.drop(columns=["user_id"]).fillna("")
                print(_printable(shown).to_string(index=False))
        elif cmd in ("assign", "unassign"):
            getattr(service, cmd)(args.clinician, args.patient_ids)
            verb = "Assigned" if cmd == "assign" else "Unassigned"
            print(f"{verb} {len(args.patient_ids)} patient(s) {'to' if cmd == 'assign' else 'from'} "
                  f"{args.clinician}.")  # fmt: skip
    return 0


def user_command(args: argparse.Namespace) -> int:
    """``paindiary user add|passwd|disable|list|assign|unassign ...`` (admins)."""
    return _guarded(_user, args)


def _audit(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        service = _service(args, store, "audit")
        log = service.audit_log(
            username=args.user, patient_id=args.patient, since=args.since, limit=args.limit,
            offset=args.offset,
        )  # fmt: skip
    if log.empty:
        print("No audit rows match.")
        return 0
    log = log.assign(at=log["at"].dt.strftime("%Y-%m-%d %H:%M:%S")).fillna("")
    print(_printable(log).to_string(index=False))
    if len(log) == args.limit:
        print(f"(newest {args.limit} shown; --offset {args.offset + args.limit} for the next page)")
    return 0


def audit_command(args: argparse.Namespace) -> int:
    """``paindiary audit [--user NAME] [--patient ID] [--since DATE] [--limit N]`` (admins)."""
    return _guarded(_audit, args)
