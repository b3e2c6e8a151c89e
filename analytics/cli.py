"""The ``paindiary`` command line.

Exit codes: 0 success, 1 invalid data or a failed operation (the message says
why), 2 usage errors (argparse).

Everything the commands print passes through :func:`analytics._text.safe_message`:
control characters (terminal escapes) and invisible characters are written as
escapes and database passwords are masked, whatever the data or the URL held.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from ._text import safe_message

__all__ = ["main", "build_parser", "convert_command", "validate_command"]


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL (default: $PAINDIARY_DB, else the embedded SQLite file)",
    )


def _add_engine(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group(
        "engine",
        "DATA_DIR may hold the CSV or the Parquet files of the contract (see 'paindiary convert'). "
        "The dask engine runs the per-patient analysis in parallel, one task per range of "
        "patients, on a local cluster or an existing one (docs/operations.md), and writes the "
        "same files.",
    )
    g.add_argument(
        "--engine",
        choices=("pandas", "dask"),
        default="pandas",
        help="pandas: one process (default); dask: dask.distributed",
    )
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help="dask: address of a running scheduler, e.g. tcp://10.0.0.5:8786 (default: start a "
        "local cluster)",
    )
    g.add_argument(
        "--partitions",
        type=int,
        default=None,
        metavar="N",
        help="dask: number of patient ranges (default: one per 500,000 diary rows, at least "
        "two per worker)",
    )
    g.add_argument(
        "--workers",
        type=int,
        default=None,
        metavar="N",
        help="dask, local cluster: worker processes (default: one per CPU)",
    )
    g.add_argument(
        "--worker-memory",
        default="4GB",
        metavar="SIZE",
        help="dask, local cluster: memory limit of each worker (default 4GB)",
    )


def _add_identity(p: argparse.ArgumentParser, *, user_flag: bool = True) -> None:
    flags = ["--as", "--user"] if user_flag else ["--as"]
    p.add_argument(
        *flags,
        dest="as_user",
        metavar="NAME",
        default=None,
        help="act as this account (its password is asked for); default: the local operator, "
        "an administrator named local:<your login>",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paindiary",
        description="Pain diary and treatment-outcomes analytics for acupuncture and chronic-pain care.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    p = sub.add_parser(
        "validate",
        help="check patients.csv, diary.csv and sessions.csv in a directory",
        description="Validate the CSV files of DIR against the data contract (docs/data-format.md). "
        "Prints one 'file:line: column: message' line per problem and a summary. "
        "Exit 0 when valid, 1 when not.",
    )
    p.add_argument("directory", metavar="DIR", help="directory holding the CSV files")
    p.add_argument(
        "--max-mb", type=float, default=200.0, help="refuse files larger than this (default 200)"
    )
    p.set_defaults(handler="analytics.cli:validate_command")

    p = sub.add_parser(
        "analyze",
        help="compute treatment outcomes and write them as CSV files",
        description="Validate DATA_DIR with the same loader, then write patient_outcomes.csv, "
        "group_summary.csv, group_comparison.csv, session_response.csv, "
        "session_response_by_technique.csv, dose_response.csv, dose_response_summary.csv, "
        "emax_fit.csv, time_to_response.csv, kaplan_meier.csv, adverse_events.csv, cpra.csv, "
        "factor_effects.csv, factor_effects_summary.csv and nof1_effects.csv to OUT_DIR "
        "(columns documented in docs/analytics.md). Every option below is a field of "
        "analytics.settings.AnalysisSettings; --as-of sets the date of the status columns.",
    )
    p.add_argument("directory", metavar="DATA_DIR")
    p.add_argument("--out", metavar="OUT_DIR", required=True)
    from .settings import add_arguments

    add_arguments(p)
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="analyse the valid rows; write rejected rows to OUT_DIR/*.rejects.csv",
    )
    _add_engine(p)
    p.set_defaults(handler="analytics.pipeline:analyze_command")

    p = sub.add_parser(
        "convert",
        help="convert a data directory between CSV and Parquet, validating it on the way",
        description="Read DIR (patients, diary and sessions as CSV or Parquet), check it against "
        "the data contract exactly like 'paindiary validate', and write the same three tables "
        "to OUT in the format given by --to. Nothing is written when the data are invalid "
        "(unless --skip-invalid).",
    )
    p.add_argument("directory", metavar="DIR", help="directory holding the data files")
    p.add_argument("out", metavar="OUT", help="directory to write (created if needed)")
    p.add_argument("--to", choices=("parquet", "csv"), required=True, help="format to write")
    p.add_argument(
        "--skip-invalid",
        action="store_true",
        help="convert the valid rows; write rejected rows to OUT/*.rejects.csv",
    )
    p.add_argument("--overwrite", action="store_true", help="replace data files already in OUT")
    p.add_argument(
        "--max-mb",
        type=float,
        default=200.0,
        help="refuse CSV files larger than this (default 200)",
    )
    p.set_defaults(handler="analytics.cli:convert_command")

    p = sub.add_parser(
        "import",
        help="import the CSV files of a directory into the database",
        description="Validate DIR with the same loader, then write it in one transaction: all or "
        "nothing. Re-importing the same files changes nothing. Rows that differ from stored "
        "values are listed as conflicts and not written unless --update is given.",
    )
    p.add_argument("directory", metavar="DIR")
    _add_db(p)
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
    _add_identity(p)
    p.set_defaults(handler="analytics.store.cli:import_command")

    p = sub.add_parser(
        "refresh",
        help="compute the stored per-patient outcomes the dashboard's cohort pages read",
        description="Compute each patient's per-patient outcome tables for the clinic's saved "
        "settings and keep them in the database (every save and import already refreshes the "
        "patients it changed). By default only patients without stored outcomes for these "
        "settings are computed; --all recomputes everyone. Patients are processed in batches.",
    )
    _add_db(p)
    p.add_argument("--all", action="store_true", help="recompute every patient")
    p.add_argument(
        "--batch-size",
        type=int,
        default=500,
        metavar="N",
        help="patients read and computed at a time (default: 500)",
    )
    _add_identity(p)
    p.set_defaults(handler="analytics.refresh:refresh_command")

    p = sub.add_parser(
        "export",
        help="export the database to patients.csv, diary.csv and sessions.csv",
        description="Write the three CSV files to DIR. Text cells that a spreadsheet would run as "
        "a formula are neutralised; 'paindiary import' restores them exactly.",
    )
    p.add_argument("directory", metavar="DIR")
    _add_db(p)
    p.add_argument("--patient", metavar="ID", default=None, help="export one patient only")
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
    _add_identity(p)
    p.set_defaults(handler="analytics.store.cli:export_command")

    p = sub.add_parser(
        "init-demo",
        help="create the demo database from sample_data/",
        description="Create (migrate) the database and import the demo clinic from sample_data/ "
        "when it holds no patients yet. The demo's dates are moved forward by whole weeks so "
        "its latest diary day falls in the past week, unless --keep-dates is given.",
    )
    _add_db(p)
    p.add_argument(
        "--data", metavar="DIR", default=None, help="demo CSV directory (default: sample_data/)"
    )
    p.add_argument(
        "--keep-dates",
        action="store_true",
        help="import the demo's dates as they are (default: move them forward by whole weeks so "
        "the latest diary day falls in the past week)",
    )
    p.set_defaults(handler="analytics.store.cli:init_demo_command")

    from .reports.cli import add_report_arguments, add_source_arguments

    p = sub.add_parser(
        "report",
        help="write a patient's visit report or the cohort report as a PDF",
        description="Write a PDF a clinician can hand on: --patient ID for one patient's visit "
        "report (add --visit-12 for the 12-session improvement statement), --cohort for the "
        "cohort's outcomes. Free-text notes are printed only with --include-notes "
        "(docs/reports.md).",
    )
    add_report_arguments(p)
    p.set_defaults(handler="analytics.reports.cli:report_command")

    p = sub.add_parser(
        "fhir",
        help="export one patient's diary and sessions as a FHIR R4 bundle",
        description="Write a FHIR R4 Bundle (type collection): the Patient, a pain Observation "
        "(LOINC 72514-3) per diary day, PEG score Observations (LOINC 91147-9) and an "
        "acupuncture Procedure per session. Notes only with --include-notes.",
    )
    p.add_argument("--patient", metavar="ID", required=True)
    p.add_argument("--out", metavar="bundle.json", required=True)
    add_source_arguments(p)
    p.add_argument("--include-notes", action="store_true", help="put free-text notes in 'note'")
    p.add_argument("--overwrite", action="store_true", help="replace the file if it exists")
    p.set_defaults(handler="analytics.fhir:fhir_command")

    p = sub.add_parser(
        "fhir-import",
        help="import a FHIR bundle's pain Observations and Procedures into a patient's diary",
        description="Check the bundle with the FHIR R4 models and every record with the CSV "
        "import's rules, then write it in one transaction: all or nothing. Days already stored "
        "keep the values the bundle does not carry; differing values are conflicts unless "
        "--update is given.",
    )
    p.add_argument("bundle", metavar="bundle.json")
    p.add_argument("--patient", metavar="ID", required=True, help="import into this patient")
    _add_db(p)
    p.add_argument("--update", action="store_true", help="overwrite differing stored values")
    _add_identity(p)
    p.set_defaults(handler="analytics.fhir:fhir_import_command")

    p = sub.add_parser(
        "user",
        help="manage accounts: add, passwd, disable, list, assign, unassign (admins)",
        description="Accounts of the dashboard. Passwords are asked for twice (or read from "
        "standard input with --password-stdin), hashed with argon2id and never shown.",
    )
    users = p.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    q = users.add_parser("add", help="create an account")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--role", required=True, choices=["patient", "clinician", "admin"])
    q.add_argument("--patient", metavar="ID", default=None, help="the patient of a patient account")
    q.add_argument("--display-name", metavar="TEXT", default=None)
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    q = users.add_parser("passwd", help="set an account's password (ends its open sessions)")
    q.add_argument("name", metavar="NAME")
    q.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    q = users.add_parser("disable", help="disable an account (it can no longer sign in)")
    q.add_argument("name", metavar="NAME")
    users.add_parser("list", help="list the accounts")
    for action, text in (("assign", "let a clinician see these patients"),
                         ("unassign", "stop a clinician seeing these patients")):  # fmt: skip
        q = users.add_parser(action, help=text)
        q.add_argument("clinician", metavar="CLINICIAN")
        q.add_argument("patient_ids", metavar="PATIENT_ID", nargs="+")
    for q in users.choices.values():
        _add_db(q)
        _add_identity(q)
    p.set_defaults(handler="analytics.store.cli:user_command")

    p = sub.add_parser(
        "audit",
        help="show the audit log, newest first (admins)",
        description="Who viewed, changed, imported or exported which patient's data, and every "
        "sign-in, failed sign-in and lockout, newest first.",
    )
    _add_db(p)
    p.add_argument("--user", metavar="NAME", default=None, help="only this account's rows")
    p.add_argument("--patient", metavar="ID", default=None, help="only rows about this patient")
    p.add_argument("--since", metavar="DATE", default=None, help="only rows at or after (UTC)")
    p.add_argument("--limit", type=int, default=50, help="rows per page (default 50)")
    p.add_argument("--offset", type=int, default=0, help="skip this many rows (paging)")
    _add_identity(p, user_flag=False)
    p.set_defaults(handler="analytics.store.cli:audit_command")
    return parser


def _resolve(handler: str):
    import importlib

    module, _, name = handler.partition(":")
    return getattr(importlib.import_module(module), name)


class _SafeText(io.TextIOBase):
    """A text stream that writes :func:`safe_message` of everything written to it."""

    def __init__(self, inner: TextIO) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(safe_message(text))
        return len(text)

    def flush(self) -> None:
        self._inner.flush()

    def isatty(self) -> bool:
        return self._inner.isatty()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self._inner, "encoding", None) or "utf-8"


@contextlib.contextmanager
def _safe_output() -> Iterator[None]:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeText(out), _SafeText(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = out, err


def main(argv: Sequence[str] | None = None) -> int:
    with _safe_output():
        parser = build_parser()
        args = parser.parse_args(argv)
        return int(_resolve(args.handler)(args) or 0)


def validate_command(args: argparse.Namespace) -> int:
    """``paindiary validate DIR``."""
    import warnings

    from .errors import DataQualityWarning, DataValidationError
    from .loaders import load_dataset

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        try:
            ds = load_dataset(args.directory, max_bytes=int(args.max_mb * 1024 * 1024))
        except FileNotFoundError as exc:
            print(safe_message(f"error: {exc}"), file=sys.stderr)
            return 1
        except DataValidationError as exc:
            for row in exc.problems.itertuples(index=False):
                col = f" {row.column}:" if row.column else ""
                where = f"{row.file}:{row.line}:" if row.line else f"{row.file}:"
                print(safe_message(f"{where}{col} {row.message}", keep=""))
            n = len(exc.problems)
            files = exc.problems["file"].nunique()
            print(
                f"{n} problem{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}; "
                "nothing was loaded. Fix them and run 'paindiary validate' again.",
                file=sys.stderr,
            )
            return 1
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            print(safe_message(f"warning: {w.message}", keep=""), file=sys.stderr)
    print(
        f"valid: {len(ds.patients)} patients, {len(ds.diary)} diary days, "
        f"{len(ds.sessions)} sessions"
    )
    return 0


def _print_problem_lines(exc) -> None:
    for row in exc.problems.itertuples(index=False):
        col = f" {row.column}:" if row.column else ""
        where = f"{row.file}:{row.line}:" if row.line else f"{row.file}:"
        print(f"{where}{col} {row.message}", file=sys.stderr)


def convert_command(args: argparse.Namespace) -> int:
    """``paindiary convert DIR OUT --to parquet|csv``."""
    import warnings
    from pathlib import Path

    from .errors import DataQualityWarning, DataValidationError
    from .exports import write_dataset, write_rejects
    from .parquet import PARQUET_FILES, read_dataset, write_parquet_dataset
    from .schema import TABLES

    out = Path(args.out)
    names = PARQUET_FILES if args.to == "parquet" else {t: s.file_name for t, s in TABLES.items()}
    existing = [out / n for n in names.values() if (out / n).exists()]
    if existing and not args.overwrite:
        print(
            f"error: {out} already holds {', '.join(p.name for p in existing)}; nothing was "
            "converted. Choose a new or empty directory, or pass --overwrite.",
            file=sys.stderr,
        )
        return 1
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        try:
            ds = read_dataset(
                args.directory,
                on_error="skip" if args.skip_invalid else "raise",
                max_bytes=int(args.max_mb * 1024 * 1024),
            )
        except DataValidationError as exc:
            _print_problem_lines(exc)
            n = len(exc.problems)
            print(
                f"error: {n} problem{'s' if n != 1 else ''}; nothing was converted. Fix them "
                "(see 'paindiary validate') or pass --skip-invalid.",
                file=sys.stderr,
            )
            return 1
        except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
            print(f"error: cannot read {args.directory}: {exc}", file=sys.stderr)
            return 1
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            print(f"warning: {w.message}", file=sys.stderr)
    try:
        if args.to == "parquet":
            paths = write_parquet_dataset(ds, out, overwrite=True)
        else:
            paths = write_dataset(ds, out)
        rejects = write_rejects(ds.rejects, out) if ds.rejects else []
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    print(
        f"converted {len(ds.patients)} patients, {len(ds.diary)} diary days, "
        f"{len(ds.sessions)} sessions to {args.to}: " + ", ".join(str(p) for p in paths)
    )
    if rejects:
        print(
            f"skipped {ds.n_rejected} invalid rows, listed in " + ", ".join(p.name for p in rejects)
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
