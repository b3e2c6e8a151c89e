"""Where a command reads and whom it acts as: the database through the service, or a CSV folder.

Every command that reaches stored data does so through
:class:`analytics.service.Service`: as :data:`analytics.access.LOCAL_OPERATOR` (an
administrator named ``local:<os user>``: whoever can run the command can read
the database file), or as the account named with ``--as NAME``, whose password
is asked for.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from analytics import access
from analytics.cli._output import CommandError, print_problems, reported_warnings

if TYPE_CHECKING:  # deferred at run time: 'paindiary --help' loads none of these
    import pandas as pd

    from analytics.contract import Dataset
    from analytics.service import Service
    from analytics.settings import AnalysisSettings
    from analytics.store import Store

__all__ = [
    "new_password",
    "typed_password",
    "patient_id",
    "check_output_file",
    "add_db",
    "add_identity",
    "add_source_arguments",
    "iso_date",
    "open_service",
    "load_folder",
    "write_atomically",
    "Source",
]


def add_db(p: argparse.ArgumentParser) -> None:
    """``--db URL``: the database of a command."""
    p.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL (default: $PAINDIARY_DB, else the embedded SQLite file)",
    )


def add_identity(p: argparse.ArgumentParser, *, user_flag: bool = True) -> None:
    """``--as NAME`` (and ``--user NAME`` where that does not filter): the acting account."""
    flags = ["--as", "--user"] if user_flag else ["--as"]
    p.add_argument(
        *flags,
        dest="as_user",
        metavar="NAME",
        default=None,
        help="act as this account (its password is asked for); default: the local operator, "
        "an administrator named local:<your login>",
    )


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """Add ``--data DIR`` or ``--db URL`` (default: the database), and ``--as NAME``."""
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


def iso_date(text: str) -> dt.date:
    """Argparse type of a date option: an ISO date YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a date; write it as YYYY-MM-DD (e.g. 2026-03-14)"
        ) from None


def new_password(args: argparse.Namespace, username: str) -> str:
    """Ask for the new password of ``username`` twice, or read it from stdin; return it checked.

    With ``--password-stdin`` one line of standard input is the password. The
    password is never printed; :func:`analytics.access.check_password` says in a
    sentence why one is refused.

    Raises
    ------
    ValueError
        The password is refused, or the two typed passwords differ.
    """
    if getattr(args, "password_stdin", False):
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typed_password(f"New password of {username}: ", stdin_option=True)
        access.check_password(password, username=username)
        if typed_password("Repeat it: ", stdin_option=True) != password:
            raise ValueError("the two passwords differ; nothing was changed.")
    return access.check_password(password, username=username)


def typed_password(prompt: str, *, stdin_option: bool) -> str:
    """Return a password typed at the terminal (never echoed where the terminal allows).

    Input that ends before a line is typed (no terminal, a closed pipe) is a
    :class:`CommandError` saying what to do, never an ``EOFError`` traceback.
    """
    try:
        return getpass.getpass(prompt)
    except EOFError:
        print(file=sys.stderr)  # the prompt's line ends here
        how = (
            "type it at a terminal, or give it on one line of standard input with --password-stdin"
            if stdin_option
            else "run the command at a terminal to type it"
        )
        raise CommandError(
            f"no password was given (the input ended); nothing was done: {how}."
        ) from None


def patient_id(text: str) -> str:
    """Argparse type of a patient id option: the id as given, not empty."""
    if not text.strip():
        raise argparse.ArgumentTypeError("a patient id cannot be empty; give one such as P001")
    if any(not ch.isprintable() for ch in text):
        raise argparse.ArgumentTypeError(
            "a patient id cannot contain control characters (a tab, a line break)"
        )
    return text


def open_service(args: argparse.Namespace, store: Store, command: str) -> Service:
    """Open the :class:`~analytics.service.Service` of a command (face ``cli:<command>``).

    The local operator, or the account named with ``--as``/``--user`` after its
    password is checked (:class:`~analytics.errors.AuthenticationError` when not).
    """
    from analytics.access import LOCAL_OPERATOR, authenticate
    from analytics.service import Service

    face = f"cli:{command}"
    name = getattr(args, "as_user", None)
    if not name:
        return Service(store, LOCAL_OPERATOR, face=face)
    password = typed_password(f"Password of {name}: ", stdin_option=False)
    user = authenticate(store, name, password, face=face)
    return Service(store, user, face=face)


def load_folder(directory: str, *, skip_invalid: bool = False, what: str = "written") -> Dataset:
    """Load the :class:`analytics.contract.Dataset` of a CSV folder, printing its warnings.

    Raises
    ------
    CommandError
        After printing the problems of an invalid folder, or when it cannot be read.
    """
    from analytics.errors import DataValidationError
    from analytics.io import load_dataset

    with reported_warnings():
        try:
            return load_dataset(directory, on_error="skip" if skip_invalid else "raise")
        except DataValidationError as exc:
            print_problems(exc.problems)
            raise CommandError(
                f"{len(exc.problems)} problem(s) in {directory}; nothing was {what}. "
                "Fix them (see 'paindiary validate')"
                + (" or use --skip-invalid." if what == "imported" else ".")
            ) from None
        except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
            raise CommandError(f"cannot read {directory}: {exc}") from None


def write_atomically(
    path: Path, data: bytes, *, overwrite: bool, before: Callable[[], None] | None = None
) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder.

    A failure leaves no partial file; an existing file is replaced only with
    ``overwrite``. ``before`` (e.g. recording the file in the audit log) runs once
    the data is on disk and before the file appears under its name: when it
    raises, no file appears.

    Raises
    ------
    FileExistsError, OSError
        And whatever ``before`` raises.
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
        if before is not None:
            before()
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def check_output_file(out: Path, *, overwrite: bool) -> None:
    """Refuse an output file that exists (without ``overwrite``) or whose folder does not.

    Only a regular file can be replaced: a link, a folder, a device (``/dev/null``) or
    a named pipe is refused even with ``overwrite``.

    Raises
    ------
    CommandError
    """
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise CommandError(
            f"{out} is not a regular file (it is a link, a folder, a device or a pipe); "
            "nothing was written. Write to a new file name or to a regular file."
        )
    if out.exists() and not overwrite:
        raise CommandError(
            f"{out} already exists; nothing was written. Pass --overwrite to replace it."
        )
    if not out.parent.is_dir():
        if out.parent.exists():
            raise CommandError(
                f"{out.parent} is a file, not a folder, so {out.name} cannot be written in it; "
                "nothing was written. Choose a folder for the file."
            )
        raise CommandError(f"the folder {out.parent} does not exist; nothing was written.")


class Source:
    """Where a command reads its rows: a CSV folder or the database.

    A CSV folder with ``--data``; the database through :class:`analytics.service.Service`
    with ``--db`` (the default).

    Use as a context manager. Methods raise ``LookupError`` for an unknown patient,
    the service's ``AccessDeniedError``/``AuthenticationError`` outside the user's
    scope, and ``StoreError`` when the database cannot be read.
    """

    def __init__(self, args: argparse.Namespace, command: str) -> None:
        self.args = args
        self.command = command
        self.service: Service | None = None
        self._store: Store | None = None
        self._dataset: Dataset | None = None
        self.name = str(args.data) if args.data is not None else ""

    def __enter__(self) -> Source:
        """Open the database and the service (nothing to open for a folder)."""
        if self.args.data is None:
            from analytics.store import open_store

            self._store = open_store(self.args.db, create=False)
            self.name = self._store.name
            self.service = open_service(self.args, self._store, self.command)
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the database."""
        if self._store is not None:
            self._store.close()

    def _folder(self) -> Dataset:
        if self._dataset is None:
            self._dataset = load_folder(self.args.data)
        return self._dataset

    def patient(self, patient_id: str, *, purpose: str) -> Dataset:
        """Read the rows of one patient (a whole folder with --data: the caller picks the rows)."""
        if self.service is None:
            return self._folder()
        return self.service.patient_dataset(patient_id, purpose=purpose)

    def questionnaires(self, patient_id: str) -> pd.DataFrame:
        """Read one patient's questionnaire answers (a folder's whole questionnaires.csv with --data)."""
        if self.service is None:
            return self._folder().questionnaires
        return self.service.questionnaire_answers(patient_id)

    def cohort(self, *, purpose: str, report: str | None = None) -> Dataset:
        """Read the rows of every patient the user may see.

        With ``report`` (what the command will write) a user who may not record a
        cohort report is refused before any row is read.
        """
        if self.service is None:
            return self._folder()
        if report is not None:
            self.service.check_cohort_report(report)
        return self.service.cohort_dataset(purpose=purpose)

    def settings(self, args: argparse.Namespace) -> AnalysisSettings:
        """Apply the options given to the clinic's saved settings (--db) or to the defaults."""
        from dataclasses import replace

        from analytics.settings import AnalysisSettings

        base = AnalysisSettings()
        if self.service is not None:
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
        """Record in the audit log that a file was produced.

        The action is "report" for a PDF report and "export" for an export; nothing is
        recorded with --data.
        """
        if self.service is None:
            return
        if report:
            self.service.record_report(what, patient_id=patient_id, detail=detail)
        else:
            self.service.record_export(what, patient_id=patient_id, detail=detail)
