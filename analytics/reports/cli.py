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

__all__ = [
    "report_command",
    "add_report_arguments",
    "add_source_arguments",
    "iso_date",
    "write_atomically",
    "Source",
    "SourceError",
    "load_folder",
    "guarded",
]


def iso_date(text: str) -> dt.date:
    """argparse type of ``--from`` / ``--to``: an ISO date YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-03-14)"
        ) from None


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """``--data DIR`` or ``--db URL`` (default: the database), and ``--as NAME``."""
    source = p.add_mutually_exclusive_group()
    source.add_argument(
        "--data", metavar="DIR", default=None, help="read the CSV files of this directory"
    )
    source.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="read the database through the access-checked service, recording the file in the "
        "audit log (default when --data is not given: $PAINDIARY_DB, else the embedded SQLite "
        "file)",
    )
    p.add_argument(
        "--as",
        "--user",
        dest="as_user",
        metavar="NAME",
        default=None,
        help="with the database: act as this account (its password is asked for); default: the "
        "local operator",
    )


def add_report_arguments(p: argparse.ArgumentParser) -> None:
    """The options of ``paindiary report``."""
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--patient", metavar="ID", help="one patient's visit report")
    what.add_argument("--cohort", action="store_true", help="the cohort report of every patient")
    p.add_argument("--out", metavar="FILE.pdf", required=True, help="PDF file to write")
    add_source_arguments(p)
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
    for flag, kind, meta in (
        ("--baseline-days", int, "N"),
        ("--followup-days", int, "N"),
        ("--min-entries", int, "N"),
        ("--responder-threshold", float, "PCT"),
    ):
        p.add_argument(
            flag,
            type=kind,
            default=None,
            metavar=meta,
            help="analysis setting (default: the clinic's saved settings with --db, else "
            "the documented default)",
        )
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


class Source:
    """Where a command reads its rows: a CSV folder (``--data``) or the database through
    :class:`analytics.service.Service` (``--db``, the default).

    Use as a context manager. Methods raise ``LookupError`` for an unknown patient,
    the service's ``AccessDeniedError``/``AuthenticationError`` outside the user's
    scope, and ``StoreError`` when the database cannot be read.
    """

    def __init__(self, args: argparse.Namespace, command: str) -> None:
        self.args = args
        self.command = command
        self.service: Any = None
        self._store: Any = None
        self._dataset: Any = None
        self.name = str(args.data) if args.data is not None else ""

    def __enter__(self) -> Source:
        if self.args.data is None:
            from ..store import open_store
            from ..store.cli import _service

            self._store = open_store(self.args.db, create=False)
            self.name = self._store.name
            self.service = _service(self.args, self._store, self.command)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._store is not None:
            self._store.close()

    def _folder(self) -> Any:
        if self._dataset is None:
            self._dataset = load_folder(self.args.data)
        return self._dataset

    def patient(self, patient_id: str, *, purpose: str) -> Any:
        """The rows of one patient (a whole folder with --data: the report picks the rows)."""
        if self.service is None:
            return self._folder()
        return self.service.patient_dataset(patient_id, purpose=purpose)

    def cohort(self, *, purpose: str) -> Any:
        """The rows of every patient the user may see."""
        if self.service is None:
            return self._folder()
        return self.service.cohort_dataset(purpose=purpose)

    def settings(self, args: argparse.Namespace) -> Any:
        """The clinic's saved analysis settings (--db) or the defaults, with the options given."""
        from dataclasses import replace

        from ..pipeline import AnalysisSettings

        base = AnalysisSettings()
        if self.service is not None and hasattr(self.service, "analysis_settings"):
            base = self.service.analysis_settings()
        given = {
            k: getattr(args, k)
            for k in ("baseline_days", "followup_days", "min_entries", "responder_threshold")
            if getattr(args, k, None) is not None
        }
        return replace(base, **given)

    def record(
        self, what: str, *, patient_id: str | None, report: bool = False, detail: str = ""
    ) -> None:
        """Record in the audit log that a file was produced: action "report" for a PDF
        report, "export" for an export (nothing to record with --data)."""
        if self.service is None:
            return
        if report:
            self.service.record_report(what, patient_id=patient_id, detail=detail)
        else:
            self.service.record_export(what, patient_id=patient_id, detail=detail)


class SourceError(Exception):
    """A source problem already reported to the user (exit 1)."""


def load_folder(directory: str) -> Any:
    """The :class:`analytics.loaders.Dataset` of ``--data DIR``; problems are printed.

    Raises
    ------
    SourceError
        After printing what is wrong.
    """
    from ..errors import DataQualityWarning, DataValidationError
    from ..loaders import load_dataset

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        try:
            ds = load_dataset(directory)
        except DataValidationError as exc:
            for row in exc.problems.itertuples(index=False):
                col = f" {row.column}:" if row.column else ""
                print(f"{row.file}:{row.line}:{col} {row.message}", file=sys.stderr)
            raise SourceError(
                f"{len(exc.problems)} problem(s) in {directory}; nothing was written. "
                "Fix them (see 'paindiary validate')."
            ) from None
        except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
            raise SourceError(f"cannot read {directory}: {exc}") from None
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    return ds


def guarded(run: Any, args: argparse.Namespace) -> int:
    """Run a command; turn source, access and database errors into a message and exit 1."""
    from ..errors import StoreError

    try:
        return int(run(args))
    except SourceError as exc:
        return _err(str(exc))
    except PermissionError as exc:  # AuthenticationError, AccessDeniedError
        return _err(f"{exc}; nothing was written.")
    except StoreError as exc:
        return _err(str(exc))
    except KeyboardInterrupt:
        return _err("interrupted; nothing was written.")


def report_command(args: argparse.Namespace) -> int:
    """``paindiary report (--patient ID | --cohort) --out FILE.pdf [--data DIR | --db URL]``."""
    return guarded(_report, args)


def _report(args: argparse.Namespace) -> int:
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
    with Source(args, "report") as source:
        try:
            settings = source.settings(args)
        except ValueError as exc:
            print(f"paindiary report: error: {exc}", file=sys.stderr)
            return 2
        if args.cohort:
            from .cohort import cohort_report_pdf
            from .data import cohort_report_data

            ds = source.cohort(purpose="cohort report")
            pdf = cohort_report_pdf(
                cohort_report_data(ds.patients, ds.diary, ds.sessions, settings=settings)
            )
            what, pid = "cohort report (PDF)", None
        else:
            from .data import patient_report_data
            from .patient import patient_report_pdf

            pid = args.patient
            try:
                ds = source.patient(pid, purpose="visit report")
                data = patient_report_data(
                    ds.patients,
                    ds.diary,
                    ds.sessions,
                    pid,
                    settings=settings,
                    start=args.start,
                    end=args.end,
                    include_notes=args.include_notes,
                    visit_12=args.visit_12,
                )
            except LookupError:
                return _err(f"no patient {pid!r} in {source.name}; nothing was written.")
            pdf = patient_report_pdf(data)
            kind = "visit-12 report" if args.visit_12 else "visit report"
            what = f"{kind} (PDF){' with notes' if args.include_notes else ''}"
        try:
            write_atomically(out, pdf, overwrite=args.overwrite)
        except OSError as exc:
            return _err(f"cannot write {out}: {exc.strerror or exc}")
        source.record(what, patient_id=pid, report=True)
    subject = "the cohort report" if pid is None else f"the {what.split(' (')[0]} of {pid}"
    print(f"Wrote {subject} to {out} ({len(pdf) // 1024} KB).")
    return 0
