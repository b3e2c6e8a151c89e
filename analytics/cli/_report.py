"""``paindiary report``: a patient's visit report or the cohort report as a PDF.

Exit codes: 0 written, 1 invalid or missing data, unknown patient or an output
problem (a message, never a traceback; nothing is written), 2 usage errors.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from analytics.cli._output import error, guarded, usage_error
from analytics.cli._source import (
    Source,
    add_source_arguments,
    check_output_file,
    iso_date,
    patient_id,
    write_atomically,
)
from analytics.errors import AccessDeniedError

__all__ = ["add_parsers", "report_command"]


def add_parsers(sub: Any) -> None:
    """Add ``report`` to the subcommands."""
    p = sub.add_parser(
        "report",
        help="write a patient's visit report or the cohort report as a PDF",
        description="Write a PDF a clinician can hand on: --patient ID for one patient's visit "
        "report (add --visit-12 for the 12-session improvement statement), --cohort for the "
        "cohort's outcomes. Free-text notes are printed only with --include-notes "
        "(docs/reports.md).",
    )
    _add_report_arguments(p)
    p.set_defaults(handler=report_command)


def _add_report_arguments(p: argparse.ArgumentParser) -> None:
    """Add the options of ``paindiary report`` to its parser."""
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--patient", metavar="ID", type=patient_id, help="one patient's visit report")
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


def report_command(args: argparse.Namespace) -> int:
    """``paindiary report (--patient ID | --cohort) --out FILE.pdf [--data DIR | --db URL]``."""
    return guarded(_report, args)


def _report(args: argparse.Namespace) -> int:
    if args.cohort and (args.start or args.end or args.visit_12 or args.include_notes):
        return usage_error(
            "report", "--from, --to, --visit-12 and --include-notes apply to --patient reports only"
        )
    if args.start and args.end and args.start > args.end:
        return usage_error("report", "--from is after --to")
    out = Path(args.out)
    check_output_file(out, overwrite=args.overwrite)
    with Source(args, "report") as source:
        try:
            settings = source.settings(args)
        except ValueError as exc:
            return usage_error("report", str(exc))
        if args.cohort:
            from analytics.reports import cohort_report_data, cohort_report_pdf

            what, pid = "cohort report (PDF)", None
            try:
                ds = source.cohort(purpose="cohort report", report=what)
            except AccessDeniedError as exc:  # refused before a row was read
                return error(f"{exc} Nothing was written.")
            pdf = cohort_report_pdf(
                cohort_report_data(ds.patients, ds.diary, ds.sessions, settings=settings)
            )
        else:
            from analytics.reports import patient_report_data, patient_report_pdf

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
                    questionnaires=source.questionnaires(pid),
                    entries=ds.entries,
                )
            except LookupError:
                return error(f"no patient {pid!r} in {source.name}; nothing was written.")
            pdf = patient_report_pdf(data)
            kind = "visit-12 report" if args.visit_12 else "visit report"
            what = f"{kind} (PDF){' with notes' if args.include_notes else ''}"
        try:
            write_atomically(
                out,
                pdf,
                overwrite=args.overwrite,
                before=lambda: source.record(what, patient_id=pid, report=True),
            )
        except AccessDeniedError as exc:  # the refusal is recorded; the file never appeared
            return error(f"{exc} Nothing was written.")
        except OSError as exc:
            return error(f"cannot write {out}: {exc.strerror or exc}")
    subject = "the cohort report" if pid is None else f"the {what.split(' (')[0]} of {pid}"
    print(f"Wrote {subject} to {out} ({len(pdf) // 1024} KB).")
    return 0
