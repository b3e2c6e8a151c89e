"""Run ``paindiary`` in the test process, with what a subprocess would give back.

Starting a Python process per command costs seconds of imports; the command's code,
output and exit code are the same in this process. The entry point itself
(``python -m analytics.cli``) keeps a subprocess test of its own.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
from pathlib import Path

from analytics.cli import main

__all__ = ["ROOT", "run_paindiary"]

ROOT = Path(__file__).resolve().parents[1]


def run_paindiary(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run ``paindiary ARGS`` from ``cwd``; return its exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.chdir(cwd):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return subprocess.CompletedProcess(["paindiary", *args], code, out.getvalue(), err.getvalue())
