"""The ``paindiary`` parser: each command module adds its own subcommands and handlers."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from analytics.cli import (
    _accounts,
    _analyze,
    _course,
    _data,
    _db,
    _fhir,
    _files,
    _refresh,
    _report,
)
from analytics.cli._output import one_line_warnings, safe_output

__all__ = ["build_parser", "main"]

#: The command modules, in the order ``paindiary --help`` lists their subcommands.
COMMANDS = (_files, _analyze, _data, _course, _refresh, _report, _fhir, _accounts, _db)


def build_parser() -> argparse.ArgumentParser:
    """Build the parser of every subcommand; each sets ``handler`` to the function that runs it."""
    parser = argparse.ArgumentParser(
        prog="paindiary",
        description="Pain diary and treatment-outcomes analytics for acupuncture and chronic-pain "
        "care.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in COMMANDS:
        module.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``paindiary`` with ``argv`` (default: the process's arguments); the exit code."""
    with safe_output(), one_line_warnings():
        args = build_parser().parse_args(argv)
        return int(args.handler(args) or 0)
