"""The one printer of the ``paindiary`` commands: output, problems, warnings and exit codes.

Exit codes: 0 success, 1 invalid data or a failed operation (the message says
why and what was not done), 2 a usage error. Everything a command prints passes
through :func:`analytics.safe_text.safe_message` (:func:`safe_output`): control
characters and invisible characters are written as escapes and database
passwords are masked, whatever the data or the URL held.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import io
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from typing import Any, TextIO

from analytics.errors import (
    AccessDeniedError,
    AuthenticationError,
    DataQualityWarning,
    DataValidationError,
    StoreError,
)
from analytics.safe_text import safe_message

__all__ = [
    "CommandError",
    "error",
    "usage_error",
    "print_problems",
    "reported_warnings",
    "one_line_warnings",
    "guarded",
    "safe_output",
    "os_error_text",
]


class CommandError(Exception):
    """A problem already worded for the person at the terminal: printed as ``error: ...``, exit 1."""


def error(message: str) -> int:
    """Print ``error: message`` on standard error; the exit code 1."""
    print(f"error: {message}", file=sys.stderr)
    return 1


def usage_error(command: str, message: str) -> int:
    """Print ``paindiary COMMAND: error: message`` (argparse's form); the exit code 2."""
    print(f"paindiary {command}: error: {message}", file=sys.stderr)
    return 2


def print_problems(
    problems: Any, *, stream: TextIO | None = None, limit: int | None = None
) -> None:
    """One line a problem: ``file:line: column: message`` (no line for a whole-file problem).

    Parameters
    ----------
    problems : pandas.DataFrame
        Columns :data:`analytics.errors.PROBLEM_COLUMNS`, as a
        :class:`~analytics.errors.DataValidationError` carries them.
    stream : text stream, optional
        Default: standard error.
    limit : int, optional
        Print the first ``limit`` problems and a count of the others.
    """
    out = sys.stderr if stream is None else stream
    shown = problems if limit is None else problems.head(limit)
    for row in shown.itertuples(index=False):
        where = f"{row.file}:{row.line}:" if row.line else f"{row.file}:"
        column = f" {row.column}:" if row.column else ""
        print(safe_message(f"{where}{column} {row.message}", keep=""), file=out)
    if limit is not None and len(problems) > limit:
        print(f"... and {len(problems) - limit} more", file=out)


#: The operating system's reasons, as sentences a person can act on.
_OS_REASONS = {
    errno.ENOTDIR: "a part of this path is a file, not a folder; choose a folder",
    errno.ENOENT: "there is no such file or folder",
    errno.EACCES: "this account may not write or read there; choose another place",
    errno.EPERM: "this account may not write or read there; choose another place",
    errno.ENOSPC: "the disk is full; free some space and try again",
    errno.EROFS: "the disk is read-only; choose another place",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENAMETOOLONG: "the name is too long; choose a shorter one",
}


def os_error_text(exc: OSError) -> str:
    """``path: reason`` of a failed file operation, in words, without Python's ``[Errno n]``.

    The operating system's own reasons become sentences (:data:`_OS_REASONS`); a
    reason the product wrote itself is kept as it is.
    """
    if not exc.strerror:
        return str(exc)
    where = f"{exc.filename}: " if exc.filename else ""
    raw = exc.errno is not None and exc.strerror == os.strerror(exc.errno)
    reason = _OS_REASONS.get(exc.errno or 0, exc.strerror) if raw else exc.strerror
    return f"{where}{reason}. Nothing more was done." if raw else f"{where}{reason}"


@contextlib.contextmanager
def one_line_warnings() -> Iterator[None]:
    """Print every warning shown inside as one ``warning: ...`` line, without its source.

    A person running a command reads what happened, never a file name and line number
    of the library.
    """
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        yield


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    print(safe_message(f"warning: {message}", keep=""), file=sys.stderr)


@contextlib.contextmanager
def reported_warnings() -> Iterator[None]:
    """Print each data-quality warning raised inside as ``warning: ...``; others pass on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        yield
    for w in caught:
        if issubclass(w.category, DataQualityWarning):
            print(safe_message(f"warning: {w.message}", keep=""), file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


def guarded(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """Run a command; the errors a person can act on become a message and exit code 1.

    A refused sign-in or access, invalid rows, a database problem, a missing file
    or folder, an option the service refuses, a file-system error and Ctrl-C each
    print one ``error:`` line saying what was not done; no traceback.
    """
    try:
        return int(run(args) or 0)
    except CommandError as exc:
        return error(str(exc))
    except (AuthenticationError, AccessDeniedError) as exc:
        return error(str(exc))
    except KeyboardInterrupt:
        return error("interrupted; nothing more was done.")
    except DataValidationError as exc:
        if not len(exc.problems):
            return error(str(exc))
        print_problems(exc.problems)
        n = len(exc.problems)
        files = exc.problems["file"].astype(str) if "file" in exc.problems else []
        csv_rows = len(files) > 0 and all(f.endswith(".csv") for f in files)
        advice = " Fix them (see 'paindiary validate') or use --skip-invalid." if csv_rows else ""
        return error(f"{n} problem{'s' if n != 1 else ''}; nothing was written.{advice}")
    except (StoreError, ValueError) as exc:
        return error(str(exc))
    except OSError as exc:  # e.g. a read-only folder, a full disk, a file where a folder should be
        return error(os_error_text(exc))


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
def safe_output() -> Iterator[None]:
    """Pass standard output and error through :func:`safe_message` inside the block."""
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _SafeText(out), _SafeText(err)  # type: ignore[assignment]
    try:
        yield
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        sys.stdout, sys.stderr = out, err
