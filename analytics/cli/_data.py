"""``paindiary import``, ``export`` and ``init-demo``: a clinic's rows into and out of the database.

Every command reaches the data through :class:`analytics.service.Service` (see
:func:`analytics.cli.open_service`). Each returns an exit code: 0 done, 1
nothing (or, for import, nothing at all) was written because of invalid data,
conflicts, a refusal or a database problem - the message says which and what to
do. A user error never prints a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from analytics import access
from analytics.cli._accounts import print_new_patients
from analytics.cli._output import error, guarded, reported_warnings
from analytics.cli._source import add_db, add_identity, new_password, open_service, patient_id
from analytics.errors import ConflictError, NotFoundError, StoreError
from analytics.store import ImportReport, Store, open_store, project_root

if TYPE_CHECKING:  # deferred at run time: the parser loads neither
    from analytics.contract import Dataset
    from analytics.service import Service

__all__ = [
    "add_parsers",
    "import_command",
    "export_command",
    "init_demo_command",
    "init_command",
    "CONFLICTS_SHOWN",
    "DEMO_ADMIN",
    "DEMO_CLINICIANS",
]

#: How many conflicting cells the import command prints (all are counted).
CONFLICTS_SHOWN = 50


def add_parsers(sub: Any) -> None:
    """Add ``import``, ``export`` and ``init-demo`` to the subcommands."""
    p = sub.add_parser(
        "import",
        help="import the CSV files of a directory into the database",
        description="Validate DIR with the same loader, then write it in one transaction: all or "
        "nothing. Re-importing the same files changes nothing. Rows that differ from stored "
        "values are listed as conflicts and not written unless --update is given.",
    )
    p.add_argument("directory", metavar="DIR")
    add_db(p)
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="import the valid rows and write rejected rows to DIR/*.rejects.csv",
    )
    p.add_argument(
        "--update",
        action="store_true",
        help="overwrite stored values that differ (old values kept in history)",
    )
    add_identity(p)
    p.set_defaults(handler=import_command)

    p = sub.add_parser(
        "export",
        help="export the database to patients.csv, diary.csv and sessions.csv",
        description="Write the three CSV files to DIR. Text cells that a spreadsheet would run as "
        "a formula are neutralised; 'paindiary import' restores them exactly.",
    )
    p.add_argument("directory", metavar="DIR")
    add_db(p)
    p.add_argument(
        "--patient", metavar="ID", type=patient_id, default=None, help="export one patient only"
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace patients.csv, diary.csv and sessions.csv already in DIR",
    )
    p.add_argument(
        "--deidentify",
        action="store_true",
        help="research export: random patient codes, days relative to the index date, no notes "
        "or practitioner names, birth year only (90 and over grouped), clinician codes "
        "(docs/security.md says what it does not protect)",
    )
    add_identity(p)
    p.set_defaults(handler=export_command)

    p = sub.add_parser(
        "init-demo",
        help="create the demo database from sample_data/",
        description="Create (migrate) the database and import the demo clinic from sample_data/ "
        "when it holds no patients yet. The demo's dates are moved forward by whole weeks so "
        "its latest diary day falls in the past week, unless --keep-dates is given.",
    )
    add_db(p)
    p.add_argument(
        "--data", metavar="DIR", default=None, help="demo CSV directory (default: sample_data/)"
    )
    p.add_argument(
        "--keep-dates",
        action="store_true",
        help="import the demo's dates as they are (default: move them forward by whole weeks so "
        "the latest diary day falls in the past week)",
    )
    p.set_defaults(handler=init_demo_command)

    p = sub.add_parser(
        "init",
        help="create a clinic's database with its first admin account (no demo data)",
        description="Create (migrate) a new, empty database for a clinic's real patients and its "
        "first admin account; the password is asked twice (or read with --password-stdin) and "
        "never printed. A database that holds anything is left alone. The demo is "
        "'paindiary init-demo'; the two are never mixed.",
    )
    add_db(p)
    p.add_argument(
        "--admin", metavar="NAME", default="admin", help="the admin's username (default: admin)"
    )
    p.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    p.set_defaults(handler=init_command)


def _load(directory: str, *, skip_invalid: bool) -> Dataset:
    from analytics.io import load_dataset

    with reported_warnings():
        return load_dataset(directory, on_error="skip" if skip_invalid else "raise")


def _print_report(report: ImportReport) -> None:
    frame = report.to_frame().rename(columns={"n_incoming": "rows"})
    print(frame.to_string(index=False))


def _import(args: argparse.Namespace) -> int:
    from analytics.io import write_rejects

    ds = _load(args.directory, skip_invalid=args.skip_invalid)
    if ds.rejects:
        paths = write_rejects(ds.rejects, args.directory)
        print(
            f"{ds.n_rejected} invalid row(s) skipped and written to "
            + ", ".join(str(p) for p in paths),
            file=sys.stderr,
        )
    from analytics.cli._progress import ProgressBar

    with open_store(args.db) as store:
        service = open_service(args, store, "import")
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
            error(
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
        print_new_patients(service, report.new_patients)
    return 0


def import_command(args: argparse.Namespace) -> int:
    """``paindiary import DIR [--db URL] [--skip-invalid] [--update] [--user NAME]`` (admins)."""
    return guarded(_import, args)


def _export(args: argparse.Namespace) -> int:
    from analytics.contract.schema import TABLES
    from analytics.io import check_targets

    target = Path(args.directory)
    check_targets(target)  # a link in the folder is refused before the audited read
    if target.exists() and not target.is_dir():
        error(f"{target} is a file, not a directory; nothing was exported.")
        return 1
    above = next((p for p in target.parents if p.exists()), None)
    if above is not None and not above.is_dir():  # checked before the audited read
        error(f"{above} is a file, not a folder, so {target} cannot be made; nothing was exported.")
        return 1
    existing = [
        target / TABLES[t].file_name for t in TABLES if (target / TABLES[t].file_name).exists()
    ]
    # An export never silently replaces CSV files (they may be the very files a clinic
    # imported from, or another patient's export).
    if existing and not getattr(args, "overwrite", False):
        error(
            f"{target} already holds {', '.join(p.name for p in existing)}; nothing was exported. "
            "Export to a new or empty directory, or move those files away first."
        )
        return 1
    deidentify = bool(getattr(args, "deidentify", False))
    with open_store(args.db, create=False) as store:
        service = open_service(args, store, "export")
        try:
            # written to temporary files, recorded, then renamed into place
            ds, paths = service.export_to(
                args.directory, patient_id=args.patient, deidentify=deidentify
            )
        except NotFoundError:
            error(f"no patient {args.patient!r} in {store.name}; nothing was exported.")
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
    return guarded(_export, args)


#: The demo's administrator account.
DEMO_ADMIN = "admin"
#: The demo's two clinician accounts; each is assigned half of the demo patients.
DEMO_CLINICIANS = ("clinician-a", "clinician-b")


def _refused(message: str) -> None:
    print(f"init-demo refused: {message}", file=sys.stderr)


def _legacy_demo(store: Store) -> bool:
    """Tell whether this demo database predates accounts (its only imports were init-demo's)."""
    log = store.audit_log("cli:init-demo")
    imports = log[log["action"] == "import"]
    return bool(len(imports)) and bool((imports["username"] == "cli:init-demo").all())


def _demo_accounts(service: Service, store: Store, patient_ids: list[str]) -> None:
    """Create the demo accounts that are missing and refresh the demo passwords.

    A new clinician gets half the patients; the never-changed demo passwords are
    derived again when the secret key changed.
    """
    import json

    names = [DEMO_ADMIN, *DEMO_CLINICIANS, *(p.lower() for p in patient_ids)]
    by_name = {p.lower(): p for p in patient_ids}
    half = (len(patient_ids) + 1) // 2
    halves = dict(zip(DEMO_CLINICIANS, (patient_ids[:half], patient_ids[half:]), strict=True))
    key_changed = store.get_setting("demo_key_id") not in (None, access.demo_key_id())
    existing = store.users(service.user.username).set_index("username")
    for name in names:
        if name in existing.index:
            row = existing.loc[name]
            if key_changed and row["password_changed_at"] == row["created_at"]:
                store.set_password_hash(
                    service.user.username, name,
                    access.hash_password(access.demo_password(name)), changed=False,
                )  # fmt: skip
            continue
        role = "admin" if name == DEMO_ADMIN else "clinician" if name in halves else "patient"
        pid = by_name.get(name) if role == "patient" else None
        service.add_user(
            name, role=role, password=access.demo_password(name), patient_id=pid,
            display_name=f"Demo {role}" if pid is None else f"Demo patient {pid}",
            must_change_password=False,  # derived and printed, never handed to one person
        )  # fmt: skip
        if role == "clinician" and halves[name]:
            service.assign(name, halves[name])
    store.set_setting(service.user.username, "demo_accounts", json.dumps(names))
    store.set_setting(service.user.username, "demo_key_id", access.demo_key_id())
    store.set_setting(service.user.username, "demo", "true")


def _print_demo_accounts(store: Store) -> None:

    accounts = access.demo_accounts(store) or []
    if not accounts:
        return
    print("Demo accounts (the login page lists them while this is the demo database):")
    width = max(len(a["username"]) for a in accounts)
    for a in accounts:
        who = a["role"] + (f" {a['patient_id']}" if a["patient_id"] else "")
        print(f"  {a['username']:<{width}}  {a['password']}  {who}")


def _not_the_demo(store: Store, *, fresh: bool) -> str | None:
    """Say why init-demo leaves this database alone, or None when it may make it the demo.

    The demo goes only into a database init-demo creates (``fresh``) or created
    before: marked ``demo`` = ``"true"``, or a demo older than the marker (its only
    imports were init-demo's). A database ``paindiary init`` made (marked
    ``"false"``) is a clinic's from its creation, however little it holds and
    whatever its patients are called, so the demo's printed passwords never open it.
    Nothing is written, as with ``paindiary init``'s refusals.
    """
    marker = store.get_setting("demo")
    if fresh or marker == "true":
        return None
    if marker == "false":
        return (
            f"{store.name} is a clinic's database (made by 'paindiary init'), so nothing was "
            "imported and no demo account was made; the demo needs a database of its own: "
            "'paindiary init-demo --db URL' with a new file or an empty database, or unset "
            "PAINDIARY_DB for the default one."
        )
    if marker is None and store.patient_ids(access.LOCAL_OPERATOR.username) and _legacy_demo(store):
        return None
    return (
        f"{store.name} was not created by 'paindiary init-demo' (it is a clinic's "
        "database); nothing was imported and no demo accounts were made. Use a new "
        "file for the demo (e.g. unset PAINDIARY_DB) or 'paindiary import' for real data."
    )


def _init_demo(args: argparse.Namespace) -> int:
    from analytics.service import Service
    from analytics.store import database_is_empty

    data = Path(args.data) if args.data else project_root() / "sample_data"
    fresh = database_is_empty(args.db)
    with open_store(args.db) as store:
        refusal = _not_the_demo(store, fresh=fresh)
        if refusal is not None:
            # exit 0: `PAINDIARY_DB=<clinic> make run` (and serve-clinic) then serves the
            # clinic, untouched (docs/operations.md)
            _refused(refusal)
            return 0
        service = Service(store, access.LOCAL_OPERATOR, face="cli:init-demo")
        marker = store.get_setting("demo")  # "true", or None in a demo older than the marker
        stored = store.patient_ids(service.user.username)
        ds = _load(str(data), skip_invalid=False)
        demo_ids = sorted(ds.patients["patient_id"])
        foreign = sorted(set(stored) - set(demo_ids))
        if foreign and marker != "true":
            shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
            _refused(
                f"{store.name} holds {len(foreign)} patient(s) that are not in the demo "
                f"({shown}); it is not the demo database. Nothing was imported and no demo "
                "accounts were made."
            )
            return 0
        if stored:
            print(f"{store.name} already holds {len(stored)} patient(s); nothing was imported.")
        else:
            shift = 0
            if not getattr(args, "keep_dates", False):
                from analytics.demo import freshen_demo

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
        # accounts for the demo's own patients only (patients imported into the demo get none)
        _demo_accounts(service, store, sorted(set(stored) & set(demo_ids)) if stored else demo_ids)
        _print_demo_accounts(store)
    return 0


def _init(args: argparse.Namespace) -> int:
    from analytics.service import Service
    from analytics.store import database_is_empty

    if not database_is_empty(args.db):
        with open_store(args.db, create=False) as store:
            name = store.name
        return error(
            f"{name} already holds data; nothing was changed. 'paindiary init' creates a new "
            "clinic database: choose a new file (--db sqlite:///path/clinic.sqlite3) or an "
            "empty PostgreSQL database."
        )
    password = new_password(args, args.admin)
    with open_store(args.db) as store:
        store.set_setting(access.LOCAL_OPERATOR.username, "demo", "false")
        Service(store, access.LOCAL_OPERATOR, face="cli:init").add_user(
            args.admin,
            role="admin",
            password=password,
            display_name="Clinic admin",
            must_change_password=False,  # the operator chose it just now
        )
        name = store.name
    print(
        f"Created the clinic database {name} with the admin account {args.admin}. Start the app "
        f"with PAINDIARY_DB set to it and sign in as {args.admin}; add accounts on the Admin "
        "page or with 'paindiary user add'."
    )
    return 0


def init_command(args: argparse.Namespace) -> int:
    """``paindiary init [--db URL] [--admin NAME] [--password-stdin]``: a clinic's new database.

    Refuses a database that holds anything; never makes demo accounts.
    """
    return guarded(_init, args)


def init_demo_command(args: argparse.Namespace) -> int:
    """``paindiary init-demo [--db URL] [--data DIR]``: the demo clinic and its accounts, once.

    Imports only into a database it creates (or one it created before); a clinic's
    database (one ``paindiary init`` made, or that holds anything but an earlier demo)
    is left alone with a message: nothing is written.
    """
    return guarded(_init_demo, args)


# --------------------------------------------------------------------------- accounts
