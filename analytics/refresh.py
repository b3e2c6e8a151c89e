"""``paindiary refresh``: compute the stored outcomes of the clinic.

Each patient's per-patient tables are kept in the database (see
:mod:`analytics.stored`) and refreshed by every write; this command fills in the
patients that have no rows for the clinic's saved settings (after a migration,
or after the settings changed), or with ``--all`` recomputes everyone. Patients
are read and computed a batch at a time, so memory stays bounded on any clinic.
"""

from __future__ import annotations

import argparse
import sys

__all__ = ["refresh_command"]


def _refresh(args: argparse.Namespace) -> int:
    from .progress import ProgressBar
    from .store import open_store
    from .store.cli import _service

    with open_store(args.db, create=False) as store:
        service = _service(args, store, "refresh")
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
    from .store.cli import _guarded

    if args.batch_size < 1:
        print(
            "paindiary refresh: error: --batch-size must be an int in [1, inf). "
            f"Got {args.batch_size} instead.",
            file=sys.stderr,
        )
        return 2
    return _guarded(_refresh, args)
