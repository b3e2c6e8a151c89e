"""``paindiary refresh``: compute the stored outcomes of the clinic.

Each patient's per-patient tables are kept in the database (see
:mod:`analytics.pipeline`) and refreshed by every write; this command fills in the
patients that have no rows for the clinic's saved settings (after a migration,
or after the settings changed), or with ``--all`` recomputes everyone. Patients
are read and computed a batch at a time, so memory stays bounded on any clinic.
"""

from __future__ import annotations

import argparse
from typing import Any

from analytics.cli._output import guarded, usage_error
from analytics.cli._progress import ProgressBar
from analytics.cli._source import add_db, add_identity, open_service
from analytics.store import open_store

__all__ = ["add_parsers", "refresh_command"]


def add_parsers(sub: Any) -> None:
    """Add ``refresh`` to the subcommands."""
    p = sub.add_parser(
        "refresh",
        help="compute the stored per-patient outcomes the dashboard's cohort pages read",
        description="Compute each patient's per-patient outcome tables for the clinic's saved "
        "settings and keep them in the database (every save and import already refreshes the "
        "patients it changed). By default only patients without stored outcomes for these "
        "settings are computed; --all recomputes everyone. Patients are processed in batches.",
    )
    add_db(p)
    p.add_argument("--all", action="store_true", help="recompute every patient")
    p.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="patients read and computed at a time (default: 500)",
    )
    add_identity(p)
    p.set_defaults(handler=refresh_command)


def _refresh(args: argparse.Namespace) -> int:
    with open_store(args.db, create=False) as store:
        service = open_service(args, store, "refresh")
        settings = service.analysis_settings()
        with ProgressBar("computing outcomes") as bar:
            n = service.refresh_outcomes(
                settings, full=args.all, batch_size=args.batch_size, progress=bar
            )
        name = store.name
    what = "every patient" if args.all else "the patients without stored outcomes"
    print(f"Computed the stored outcomes of {n} patient(s) in {name} ({what}).")
    return 0


def refresh_command(args: argparse.Namespace) -> int:
    """``paindiary refresh [--db URL] [--all] [--batch-size N] [--as NAME]`` (admins).

    Returns 0 after storing, 1 with a message when the database or the account
    refuses, 2 when an option is out of range.
    """
    if args.batch_size < 1:
        return usage_error(
            "refresh", f"--batch-size must be an int in [1, inf). Got {args.batch_size} instead."
        )
    return guarded(_refresh, args)
