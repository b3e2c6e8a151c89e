"""The clinic's administration through the service.

Imports and exports, stored-outcome refreshes, analysis settings and accounts.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from analytics import access
from analytics.access import User
from analytics.contract import ENTRIES
from analytics.errors import DataValidationError, NotFoundError
from analytics.service._account_checks import account_error, check_new_account
from analytics.service._door import (
    ANALYSIS_SETTINGS_KEY,
    COHORT,
    FAILURES,
    Door,
    PatientArg,
    governed,
    utcnow,
)
from analytics.store import ImportReport

__all__ = ["ClinicAdmin"]

_EXPORTED_PATIENT = PatientArg("patient_id", cohort=(None,))


def _touched_patients(dataset: Any) -> list[str]:
    """Ids of the patients with rows in an imported dataset."""
    ids: set[str] = set()
    for name in ("patients", "diary", "sessions", "entries"):
        frame = getattr(dataset, name, None)
        if frame is not None and len(frame):
            ids.update(frame["patient_id"].astype("str").unique().tolist())
    return sorted(ids)


class ClinicAdmin(Door):
    """What concerns the clinic as a whole rather than one patient's care."""

    # -- data in and out --------------------------------------------------------------

    @governed("import", patient=COHORT)
    def import_dataset(
        self,
        dataset: Any,
        *,
        update: bool = False,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
        outcomes_progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Import a loaded dataset in one transaction (see ``Store.import_dataset``).

        The imported patients' stored outcomes are computed after the rows are
        written: patients new to the database from the imported rows themselves,
        the others from the database; the clinic's outcome snapshot is then written
        from them (see :func:`analytics.pipeline.refresh_after_write`). Audited "import" (also a dry run, with the
        counts it would write; a failure with outcome "failed").

        Parameters
        ----------
        dataset : analytics.contract.Dataset
        update : bool, default False
            Overwrite stored values that differ (kept in the history).
        dry_run : bool, default False
            Count what would be written and write nothing.
        progress : callable, optional
            ``progress(rows_done, rows)`` while the rows are written.
        outcomes_progress : callable, optional
            ``progress(patients_done, patients)`` while the outcomes are computed.

        Returns
        -------
        analytics.store.ImportReport

        Raises
        ------
        ConflictError
            A stored value differs and ``update`` is False (nothing is imported).
        """
        touched = _touched_patients(dataset)
        try:
            report = self.store.import_dataset(
                self.user.username, dataset, update=update, dry_run=dry_run,
                role=self._audit_role, face=self.face, progress=progress,
            )  # fmt: skip
        except FAILURES as exc:
            self._audit("import", "*", outcome="failed", error=type(exc).__name__, dry_run=dry_run)
            raise
        changed = sum(report.inserted.values()) + sum(report.updated.values())
        if report.applied and changed:
            self._refresh_after_write(
                touched, new_rows=dataset, new_ids=report.new_patients, progress=outcomes_progress
            )
        # A database is a demo or a clinic from its creation: rows imported into the demo
        # are demo rows (its pages say "never enter real patients"), and it stays the demo.
        if dry_run:
            self._audit(
                "import", "*", dry_run=True,
                counts=report.to_frame().set_index("table").to_dict("index"),
            )  # fmt: skip
        return report

    def _exported(self, patient_id: str | None, deidentify: bool, rng: Any) -> tuple[Any, Any]:
        """Return the rows to export (as read) and what to write (de-identified or not)."""
        if patient_id is not None:
            ds = self.store.patient_dataset(self.user.username, patient_id)
        else:
            ds = self.store.dataset(self.user.username)
        if not deidentify:
            # the entries during the day go with the clinic's files (entries.csv); a
            # de-identified export carries them de-identified (days, codes, no times)
            ids = None if patient_id is None else [patient_id]
            found = self.store.entries(self.user.username, patient_ids=ids)
            ds = dataclasses.replace(ds, entries=found[ENTRIES.column_names])
            return ds, ds
        return ds, access.deidentify(ds, rng=rng)

    def _export_files(
        self, patient_id: str | None, deidentify: bool, rng: Any
    ) -> tuple[Any, Any, dict[str, Any]]:
        """Return the rows read, what is written, and the files: name to its text cells.

        The one place that decides what an export's files hold, whether they then go
        to a folder (:meth:`export_to`) or into a zip (:meth:`export_zip`): the
        contract's three files, or the de-identified ones with the same names.
        """
        from analytics.io import dataset_files, table_files

        ds, out = self._exported(patient_id, deidentify, rng)
        if deidentify:
            files = table_files({n: getattr(out, n) for n in out.table_names()})
        else:
            files = dataset_files(out)
        return ds, out, files

    def _record_export(
        self, patient_id: str | None, deidentify: bool, ds: Any, **detail: Any
    ) -> None:
        self._audit(
            "export", patient_id or "*", deidentified=bool(deidentify),
            patients=len(ds.patients), diary=len(ds.diary), sessions=len(ds.sessions), **detail,
        )  # fmt: skip

    @governed("export", patient=_EXPORTED_PATIENT)
    def export_dataset(
        self, *, patient_id: str | None = None, deidentify: bool = False, rng: Any = None
    ) -> Any:
        """Return the clinic's (or one patient's) rows for a file (audited "export").

        Parameters
        ----------
        patient_id : str, optional
            One patient; default: the whole clinic.
        deidentify : bool, default False
            Remove what identifies a person (see :func:`analytics.access.deidentify`).
        rng : int or numpy.random.Generator, optional
            Seeds the de-identified codes.

        Returns
        -------
        analytics.contract.Dataset or analytics.access.DeidentifiedDataset
            The same three attribute names either way.

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        NotFoundError
            No such patient.
        """
        ds, out = self._exported(patient_id, deidentify, rng)
        self._record_export(patient_id, deidentify, ds)
        return out

    @governed("export", patient=_EXPORTED_PATIENT)
    def export_to(
        self,
        directory: Any,
        *,
        patient_id: str | None = None,
        deidentify: bool = False,
        rng: Any = None,
    ) -> tuple[Any, list[Any]]:
        """Write the clinic's (or one patient's) rows as CSV files in ``directory``.

        The files are ``patients.csv``, ``diary.csv`` and ``sessions.csv``, exactly
        those :meth:`export_zip` puts in its archive. The export is recorded when its
        files are complete: they are written to temporary files, the audit row
        ("export") is added, and only then are they renamed into place. If the audit
        row cannot be written (e.g. a read-only database) no file is put in place; a
        write that fails leaves no file (nor a folder it created) and is recorded as a
        failed export.

        Parameters
        ----------
        directory : str or pathlib.Path
        patient_id, deidentify, rng
            As :meth:`export_dataset`.

        Returns
        -------
        (dataset, paths)
            What was written (as :meth:`export_dataset` returns it) and the files.

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        ValueError
            A target file is a symbolic link (refused before anything is read).
        OSError
            A file cannot be written (recorded as failed).
        """
        from analytics.io import check_targets, write_files

        check_targets(directory)  # a link among the targets is refused before any read
        ds, out, files = self._export_files(patient_id, deidentify, rng)
        folder = Path(directory)
        created = not folder.exists()
        try:
            paths = write_files(
                files, folder, before_rename=lambda: self._record_export(patient_id, deidentify, ds)
            )
        except BaseException as exc:
            if created and folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()  # a failed export leaves nothing behind, not even its folder
            if isinstance(exc, OSError):
                self._audit(
                    "export", patient_id or "*", outcome="failed", deidentified=bool(deidentify),
                    error=str(exc.strerror or exc),
                )  # fmt: skip
            raise
        return out, paths

    @governed("export", patient=_EXPORTED_PATIENT)
    def export_zip(
        self, *, patient_id: str | None = None, deidentify: bool = False, rng: Any = None
    ) -> bytes:
        """Return the clinic's (or one patient's) export as the bytes of one zip archive.

        The archive holds ``patients.csv``, ``diary.csv`` and ``sessions.csv``, each
        byte for byte the file :meth:`export_to` (``paindiary export``) writes for the
        same rows and ``rng``: the same columns, one set of de-identified codes across
        the three files, formula-like text neutralised. The export is recorded once
        ("export", ``format: "zip"``) when the archive is complete and before its bytes
        are returned: when the audit row cannot be written, no bytes leave.

        Parameters
        ----------
        patient_id, deidentify, rng
            As :meth:`export_dataset`.

        Returns
        -------
        bytes
            The zip archive.

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        NotFoundError
            No such patient.

        Examples
        --------
        >>> import io, zipfile  # doctest: +SKIP
        >>> payload = service.export_zip(deidentify=True)  # doctest: +SKIP
        >>> zipfile.ZipFile(io.BytesIO(payload)).namelist()  # doctest: +SKIP
        ['patients.csv', 'diary.csv', 'sessions.csv']
        """
        from analytics.io import zip_files

        ds, _, files = self._export_files(patient_id, deidentify, rng)
        payload = zip_files(files)
        self._record_export(patient_id, deidentify, ds, format="zip")
        return payload

    # -- stored outcomes and settings ---------------------------------------------------

    @governed("refresh_outcomes", patient=COHORT)
    def refresh_outcomes(
        self,
        settings: Any = None,
        *,
        full: bool = False,
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Compute the stored outcomes of the clinic (audited "refresh").

        Parameters
        ----------
        settings : AnalysisSettings, optional
            Default: the clinic's saved settings.
        full : bool, default False
            Recompute every patient (dropping rows of other settings); default: only
            the patients without rows for these settings.
        batch_size : int, default 500
            Patients read and computed at a time (bounds the memory).
        progress : callable, optional
            ``progress(done, total)`` after each batch.

        Returns
        -------
        int
            Patients computed.

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        ValueError
            ``batch_size`` is not a positive int.
        """
        from analytics import pipeline

        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(
                "The 'batch_size' parameter of Service.refresh_outcomes must be an int in "
                f"[1, inf). Got {batch_size!r} instead."
            )
        settings = self.analysis_settings() if settings is None else settings
        n = pipeline.refresh_stored_outcomes(
            self.store, settings, actor=self.user.username, full=full, batch_size=batch_size,
            progress=progress,
        )  # fmt: skip
        self._audit("refresh", "*", n_patients=n, full=full)
        return n

    @governed("change_settings")
    def save_analysis_settings(self, settings: Any) -> None:
        """Store the clinic-wide analysis settings (audited "settings").

        Parameters
        ----------
        settings : AnalysisSettings or dict
            Checked by building an ``AnalysisSettings`` from them.

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        ValueError
            An option is invalid (the message names it).
        """
        from dataclasses import asdict

        from analytics.pipeline import AnalysisSettings

        values = asdict(settings) if isinstance(settings, AnalysisSettings) else dict(settings)
        checked = AnalysisSettings(**values)  # raises ValueError naming a bad option
        self.store.set_setting(
            self.user.username, ANALYSIS_SETTINGS_KEY, json.dumps(asdict(checked))
        )
        self._audit("settings", None, **asdict(checked))

    # -- accounts ---------------------------------------------------------------------------

    @governed("manage_accounts")
    def users(self) -> pd.DataFrame:
        """Return every account, without password hashes (see ``Store.users``; not audited).

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        """
        return self.store.users(self.user.username)

    @governed("manage_accounts", patient=PatientArg("patient_id", scoped=False))
    def add_user(
        self,
        username: str,
        *,
        role: str,
        password: str,
        patient_id: str | None = None,
        display_name: str = "",
        must_change_password: bool = True,
    ) -> User:
        """Create an account with an argon2id-hashed password (audited "user_admin").

        Every field is checked first and each problem is a sentence naming its field
        (see :func:`analytics.service._account_checks.check_new_account`); a taken
        username and an unknown patient are reported the same way.

        Parameters
        ----------
        username : str
            1 to 64 letters a to z, digits, dots, dashes or underscores (an e-mail
            address may also have one @).
        role : {"patient", "clinician", "admin"}
        password : str
            Never stored or recorded; only its hash is kept.
        patient_id : str, optional
            The patient of a patient account (and only of one).
        display_name : str, default ""
        must_change_password : bool, default True
            The person must choose their own password at their first sign-in (the
            service refuses everything else until then). False for accounts whose
            password is not handed to a person (the demo's derived passwords).

        Returns
        -------
        analytics.access.User

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        DataValidationError
            A field is missing or wrong, the username is taken or the patient is not
            stored; ``problems`` has one row per field (column = the field). The
            refusal is recorded ("user_admin", outcome "failed", with the fields).
        """
        try:
            self._check_new_account(username, role, patient_id, display_name, password)
        except DataValidationError as exc:
            self._audit(
                "user_admin", None, outcome="failed", op="add_user", username=str(username)[:80],
                fields=sorted(set(exc.problems["column"])),
            )  # fmt: skip
            raise
        record = self.store.add_user(
            self.user.username,
            username=username,
            role=role,
            password_hash=access.hash_password(password, username=username),
            patient_id=patient_id,
            display_name=display_name,
            must_change_password=must_change_password,
        )
        self._audit(
            "user_admin", patient_id, op="add_user", username=username, new_role=role,
            must_change_password=bool(must_change_password),
        )  # fmt: skip
        return access.user_from_record(record)

    def _check_new_account(
        self, username: Any, role: Any, patient_id: Any, display_name: Any, password: Any
    ) -> None:
        """Check a new account's fields, then that the name is free and the patient stored."""
        check_new_account(
            username=username, role=role, patient_id=patient_id, display_name=display_name,
            password=password,
        )  # fmt: skip
        problems: list[tuple[str, Any, str]] = []
        if self.store.user_record(username) is not None:
            problems.append(
                ("username", username, f"An account named {username} exists; choose another name.")
            )
        if patient_id is not None and not self.store.patient_exists(patient_id):
            problems.append(
                (
                    "patient_id", patient_id,
                    f"No patient {patient_id} is stored; import or save the patient before "
                    "creating their account.",
                )
            )  # fmt: skip
        if problems:
            raise account_error(problems, what="the account was not added")

    @governed("change_password", account="username")
    def set_password(self, username: str, password: str) -> None:
        """Set a password and end the account's older sessions (audited "user_admin").

        Admins may set anyone's; every user may set their own. A password set for
        another account must be changed by its owner at their next sign-in (until
        then the service refuses them everything else); setting one's own clears
        that, and must then choose a password other than the one they were given.

        Parameters
        ----------
        username : str
        password : str
            Never stored or recorded; only its hash is kept.

        Raises
        ------
        AccessDeniedError
            Another user's password, by someone who is not an admin.
        NotFoundError
            No such account.
        ValueError
            The password breaks a rule (the sentence says which), or is the one an
            administrator set and its owner must replace.
        """
        record = self.store.user_record(username)
        if record is None:
            raise NotFoundError(f"No account named {username!r}.")
        own = username == self.user.username
        new_hash = access.hash_password(password, username=username)
        if own and record["must_change_password"]:
            if access.verify_password(record["password_hash"], password):
                raise ValueError(
                    "Choose a password other than the one you were given: an administrator "
                    "knows that one."
                )
        self.store.set_password_hash(self.user.username, username, new_hash, must_change=not own)
        self._audit(
            "user_admin", None, op="set_password", username=username, must_change_password=not own
        )

    def _known_account(self, op: str, username: str) -> dict[str, Any]:
        """Return the record of ``username``; an unknown account is recorded as failed and raised."""
        record = self.store.user_record(username)
        if record is None:
            self._audit(
                "user_admin", None, outcome="failed", op=op, username=username,
                error="NotFoundError",
            )  # fmt: skip
            raise NotFoundError(f"No account named {username}. Check the spelling.")
        return record

    def _revoke_links_of(self, username: str, patient_ids: list[str] | None, reason: str) -> None:
        """Revoke the share links ``username`` made (of these patients), each audited."""
        for link_id, pid in self.store.revoke_share_links_by(
            self.user.username, username, utcnow(), patient_ids
        ):
            self._audit("share_revoke", pid, link_id=link_id, created_by=username, reason=reason)

    @governed("manage_accounts")
    def disable_user(self, username: str) -> None:
        """Disable an account: it can no longer sign in, its sessions end (audited "user_admin").

        Parameters
        ----------
        username : str

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        NotFoundError
            No such account (recorded as failed).
        ValueError
            The account is the user's own.
        """
        if username == self.user.username:
            raise ValueError("You cannot disable your own account; ask another administrator.")
        self._known_account("disable_user", username)
        self.store.set_disabled(self.user.username, username)
        self._audit("user_admin", None, op="disable_user", username=username)
        self._revoke_links_of(username, None, reason="creator disabled")

    @governed("manage_accounts")
    def enable_user(self, username: str) -> None:
        """Enable a disabled account again: it can sign in with its password (audited "user_admin").

        Parameters
        ----------
        username : str

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        NotFoundError
            No such account (recorded as failed).
        """
        record = self._known_account("enable_user", username)
        self.store.set_disabled(self.user.username, username, disabled=False)
        self._audit(
            "user_admin", None, op="enable_user", username=username,
            was_disabled=bool(record["disabled"]),
        )  # fmt: skip

    @governed("manage_accounts")
    def unlock_user(self, username: str) -> None:
        """Clear an account's lock and failed sign-in count, keeping its password (audited "user_admin").

        The person signs in again with the password they have; nothing else about the
        account changes.

        Parameters
        ----------
        username : str

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        NotFoundError
            No such account (recorded as failed).
        """
        self._known_account("unlock_user", username)
        before = self.store.unlock(self.user.username, username)
        until = before["locked_until"]
        self._audit(
            "user_admin", None, op="unlock_user", username=username, failed_count=before["failed_count"],
            locked_until=until.isoformat() if until is not None else None,
        )  # fmt: skip

    @governed("manage_accounts")
    def assign(self, clinician: str, patient_ids: Sequence[str]) -> None:
        """Let a clinician see these patients (audited "user_admin").

        Parameters
        ----------
        clinician : str
            The clinician's username.
        patient_ids : sequence of str

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        """
        ids = [str(p) for p in patient_ids]
        n = self.store.assign(self.user.username, clinician, ids)
        self._audit("user_admin", None, op="assign", clinician=clinician, patient_ids=ids, newly=n)

    @governed("manage_accounts")
    def unassign(self, clinician: str, patient_ids: Sequence[str]) -> None:
        """Stop a clinician seeing these patients (audited "user_admin").

        Parameters
        ----------
        clinician : str
            The clinician's username.
        patient_ids : sequence of str

        Raises
        ------
        AccessDeniedError
            The user is not an admin.
        """
        ids = [str(p) for p in patient_ids]
        n = self.store.unassign(self.user.username, clinician, ids)
        self._audit(
            "user_admin", None, op="unassign", clinician=clinician, patient_ids=ids, removed=n
        )
        self._revoke_links_of(clinician, ids, reason="creator unassigned")
