"""The ``paindiary`` command line: every subcommand, one printer for output and problems.

One module per family of subcommands, each adding its parsers and naming its
handler by reference (``_files``: validate, convert; ``_analyze``; ``_data``:
import, export, init-demo; ``_refresh``; ``_report``; ``_fhir``: fhir,
fhir-import; ``_accounts``: user, audit; ``_db``: schema migrations).
``_output`` prints every message, problem and warning; ``_source`` opens the
database and the access-checked service a command acts through.

Building the parser imports no statistics: handlers import the heavy layers
(pipeline, service, reports) when they run, so ``paindiary --help`` and
``paindiary validate`` stay quick.
"""

from __future__ import annotations

from analytics.cli._parser import build_parser, main

__all__ = ["build_parser", "main"]
