"""``paindiary validate`` and ``paindiary convert``: a clinic's files, checked and converted."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from analytics.cli._output import error, os_error_text, print_problems, reported_warnings

__all__ = ["add_parsers", "validate_command", "convert_command"]


def add_parsers(sub: Any) -> None:
    """Add ``validate`` and ``convert`` to the subcommands."""
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
    p.set_defaults(handler=validate_command)

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
    p.set_defaults(handler=convert_command)


def validate_command(args: argparse.Namespace) -> int:
    """``paindiary validate DIR``: 0 when the files are valid, 1 when not."""
    from analytics.errors import DataValidationError
    from analytics.io import load_dataset

    with reported_warnings():
        try:
            ds = load_dataset(args.directory, max_bytes=int(args.max_mb * 1024 * 1024))
        except FileNotFoundError as exc:
            return error(str(exc))
        except DataValidationError as exc:
            print_problems(exc.problems, stream=sys.stdout)  # the problems are the output
            n = len(exc.problems)
            files = exc.problems["file"].nunique()
            print(
                f"{n} problem{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}; "
                "nothing was loaded. Fix them and run 'paindiary validate' again.",
                file=sys.stderr,
            )
            return 1
    print(
        f"valid: {len(ds.patients)} patients, {len(ds.diary)} diary days, "
        f"{len(ds.sessions)} sessions"
    )
    return 0


def convert_command(args: argparse.Namespace) -> int:
    """``paindiary convert DIR OUT --to parquet|csv``."""
    from analytics.contract.schema import TABLES
    from analytics.errors import DataValidationError
    from analytics.io import (
        PARQUET_FILES,
        read_dataset,
        write_dataset,
        write_parquet_dataset,
        write_rejects,
    )

    out = Path(args.out)
    names = PARQUET_FILES if args.to == "parquet" else {t: s.file_name for t, s in TABLES.items()}
    existing = [out / n for n in names.values() if (out / n).exists()]
    if existing and not args.overwrite:
        return error(
            f"{out} already holds {', '.join(p.name for p in existing)}; nothing was "
            "converted. Choose a new or empty directory, or pass --overwrite."
        )
    with reported_warnings():
        try:
            ds = read_dataset(
                args.directory,
                on_error="skip" if args.skip_invalid else "raise",
                max_bytes=int(args.max_mb * 1024 * 1024),
            )
        except DataValidationError as exc:
            print_problems(exc.problems)
            n = len(exc.problems)
            return error(
                f"{n} problem{'s' if n != 1 else ''}; nothing was converted. Fix them "
                "(see 'paindiary validate') or pass --skip-invalid."
            )
        except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
            return error(f"cannot read {args.directory}: {exc}")
    try:
        if args.to == "parquet":
            paths = write_parquet_dataset(ds, out, overwrite=True)
        else:
            paths = write_dataset(ds, out)
        rejects = write_rejects(ds.rejects, out) if ds.rejects else []
    except OSError as exc:
        return error(os_error_text(exc))
    print(
        f"converted {len(ds.patients)} patients, {len(ds.diary)} diary days, "
        f"{len(ds.sessions)} sessions to {args.to}: " + ", ".join(str(p) for p in paths)
    )
    if rejects:
        print(
            f"skipped {ds.n_rejected} invalid rows, listed in " + ", ".join(p.name for p in rejects)
        )
    return 0
