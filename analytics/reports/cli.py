"""Handler of ``paindiary report`` (argparse lives in :mod:`analytics.cli`).

Exit codes: 0 written, 1 invalid or missing data, unknown patient or an output
problem (a message, never a traceback; nothing is written), 2 usage errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

__all__ = ["report_command", "add_report_arguments", "iso_date", "write_atomically", "load_source"]


def iso_date(text: str) -> dt.date:
    """argparse type of ``--from`` / ``--to``: an ISO date YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-03-14)"
        ) from None


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``paindiary report``."""
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--patient", metavar="ID", help="one patient's visit report")
    what.add_argument("--cohort", action="store_true", help="the cohort report of every patient")
    p.add_argument("--out", metavar="FILE.pdf", required=True, help="PDF file to write")
    p.add_argument(
        "--data", metavar="DIR", required=True, help="directory holding the clinic's CSV files"
    )
    p.add_argument(
        "--from",
        dest="start",
        type=iso_date,
        default=None,
        metavar="DATE",
        help="first day listed and drawn (default: the first diary day)",
    )
    p.add_argument(
        "--to",
        dest="end",
        type=iso_date,
        default=None,
        metavar="DATE",
        help="the report's date: later days and sessions are left out (default: today)",
    )
    p.add_argument(
        "--include-notes",
        action="store_true",
        help="print the free-text notes of diary days and sessions (left out by default)",
    )
    p.add_argument(
        "--visit-12",
        action="store_true",
        help="state whether improvement is demonstrated after the first 12 sessions "
        "(Medicare NCD 30.3.3)",
    )
    p.add_argument("--baseline-days", type=int, default=14)
    p.add_argument("--followup-days", type=int, default=14)
    p.add_argument("--min-entries", type=int, default=4)
    p.add_argument("--responder-threshold", type=float, default=30.0, metavar="PCT")
    p.add_argument("--overwrite", action="store_true", help="replace FILE.pdf if it exists")


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def write_atomically(path: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    A failure leaves no partial file; an existing file is replaced only with
    ``overwrite``.

    Raises
    ------
    FileExistsError, OSError
    """
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} already exists; nothing was written. Pass --overwrite.")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name")
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def load_source(args: argparse.Namespace) -> Any:
    """The :class:`analytics.loaders.Dataset` of ``--data DIR``, or None after a message."""
    from ..errors import DataQualityWarning, DataValidationError
    from ..loaders import load_dataset

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        try:
            ds = load_dataset(args.data)
        except DataValidationError as exc:
            for row in exc.problems.itertuples(index=False):
                col = f" {row.column}:" if row.column else ""
                print(f"{row.file}:{row.line}:{col} {row.message}", file=sys.stderr)
            _err(
                f"{len(exc.problems)} problem(s) in {args.data}; no report was written. "
                "Fix them (see 'paindiary validate')."
            )
            return None
        except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
            _err(f"cannot read {args.data}: {exc}")
            return None
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return ds


def report_command(args: argparse.Namespace) -> int:
    """``paindiary report (--patient ID | --cohort) --out FILE.pdf --data DIR [options]``."""
    from ..pipeline import AnalysisSettings

    try:
        settings = AnalysisSettings(
            baseline_days=args.baseline_days,
            followup_days=args.followup_days,
            min_entries=args.min_entries,
            responder_threshold=args.responder_threshold,
        )
    except ValueError as exc:
        print(f"paindiary report: error: {exc}", file=sys.stderr)
        return 2
    if args.cohort and (args.start or args.end or args.visit_12 or args.include_notes):
        print(
            "paindiary report: error: --from, --to, --visit-12 and --include-notes apply to "
            "--patient reports only",
            file=sys.stderr,
        )
        return 2
    if args.start and args.end and args.start > args.end:
        print("paindiary report: error: --from is after --to", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.exists() and not args.overwrite:
        return _err(f"{out} already exists; nothing was written. Pass --overwrite to replace it.")
    if not out.parent.is_dir():
        return _err(f"the folder {out.parent} does not exist; nothing was written.")
    ds = load_source(args)
    if ds is None:
        return 1
    if args.cohort:
        from .cohort import cohort_report_pdf
        from .data import cohort_report_data

        pdf = cohort_report_pdf(
            cohort_report_data(ds.patients, ds.diary, ds.sessions, settings=settings)
        )
        what = "cohort report"
    else:
        from .data import patient_report_data
        from .patient import patient_report_pdf

        try:
            data = patient_report_data(
                ds.patients,
                ds.diary,
                ds.sessions,
                args.patient,
                settings=settings,
                start=args.start,
                end=args.end,
                include_notes=args.include_notes,
                visit_12=args.visit_12,
            )
        except LookupError:
            return _err(f"no patient {args.patient!r} in {args.data}; nothing was written.")
        pdf = patient_report_pdf(data)
        what = ("visit-12 report" if args.visit_12 else "visit report") + f" of {args.patient}"
    try:
        write_atomically(out, pdf, overwrite=args.overwrite)
    except OSError as exc:
        return _err(f"cannot write {out}: {exc.strerror or exc}")
    print(f"Wrote the {what} to {out} ({len(pdf) // 1024} KB).")
    return 0
