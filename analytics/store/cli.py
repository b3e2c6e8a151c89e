"""Handlers of ``paindiary import``, ``export`` and ``init-demo`` (argparse lives in analytics.cli).

Each returns an exit code: 0 done, 1 nothing (or, for import, nothing at all) was
written because of invalid data, conflicts or a database problem - the message
says which and what to do. A user error never prints a traceback.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ConflictError, DataQualityWarning, DataValidationError, StoreError
from .core import ImportReport, open_store, project_root

__all__ = ["import_command", "export_command", "init_demo_command", "CONFLICTS_SHOWN"]

#: How many conflicting cells the import command prints (all are counted).
CONFLICTS_SHOWN = 50


def _err(message: str) -> None:
    print(f"error: {message}", file=sys.stderr)


def _guarded(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Turn the user-facing errors into a message and exit code 1."""
    try:
        return run(args)
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
        try:
            with ProgressBar("importing rows") as bar:
                report = store.import_dataset(args.actor, ds, update=args.update, progress=bar)
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
        print(
            f"Imported {args.directory} into {store.name}: {new} new row(s), "
            f"{sum(report.updated.values())} updated, {sum(report.unchanged.values())} unchanged."
        )
    return 0


def import_command(args: argparse.Namespace) -> int:
    """``paindiary import DIR [--db URL] [--skip-invalid] [--update] [--actor WHO]``."""
    return _guarded(_import, args)


def _export(args: argparse.Namespace) -> int:
    from ..exports import write_dataset
    from ..schema import TABLES

    target = Path(args.directory)
    if target.exists() and not target.is_dir():
        _err(f"{target} is a file, not a directory; nothing was exported.")
        return 1
    existing = [
        target / TABLES[t].file_name for t in TABLES if (target / TABLES[t].file_name).exists()
    ]
    # An export never silently replaces CSV files (they may be the very files a clinic
    # imported from, or another patient's export). ``--overwrite`` is honoured once
    # analytics.cli defines it.
    if existing and not getattr(args, "overwrite", False):
        _err(
            f"{target} already holds {', '.join(p.name for p in existing)}; nothing was exported. "
            "Export to a new or empty directory, or move those files away first."
        )
        return 1
    with open_store(args.db, create=False) as store:
        if args.patient is not None and args.patient not in store.patient_ids(args.actor):
            _err(f"no patient {args.patient!r} in {store.name}; nothing was exported.")
            return 1
        ds = store.export_dataset(args.actor, patient_id=args.patient)
        name = store.name
    paths = write_dataset(ds, args.directory)
    counts = ", ".join(f"{len(getattr(ds, t))} {t}" for t in TABLES)
    print(f"Exported {counts} from {name} to {', '.join(str(p) for p in paths)}.")
    return 0


def export_command(args: argparse.Namespace) -> int:
    """``paindiary export DIR [--db URL] [--patient ID] [--actor WHO]``."""
    return _guarded(_export, args)


def _init_demo(args: argparse.Namespace) -> int:
    data = Path(args.data) if args.data else project_root() / "sample_data"
    with open_store(args.db) as store:
        n = store.counts("cli")["patients"]
        if n:
            print(f"{store.name} already holds {n} patient(s); nothing was imported.")
            return 0
        ds = _load(str(data), skip_invalid=False)
        shift = 0
        if not getattr(args, "keep_dates", False):
            from ..synthetic import freshen_demo

            ds, shift = freshen_demo(ds)
        report = store.import_dataset("cli:init-demo", ds)
        ins = report.inserted
        print(
            f"Created the demo database {store.name} from {data}: {ins['patients']} patients, "
            f"{ins['diary']} diary days, {ins['sessions']} sessions."
        )
        if shift:
            print(
                f"The demo's dates were moved {shift // 7} weeks forward so its latest diary day is in the "
                "past week (use --keep-dates to import them as they are)."
            )
    return 0


def init_demo_command(args: argparse.Namespace) -> int:
    """``paindiary init-demo [--db URL] [--data DIR]``: migrate, and import the demo clinic once."""
    return _guarded(_init_demo, args)
