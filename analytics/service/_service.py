"""The one door to patient data: every face (dashboard, CLI, reports, share links) uses it.

A :class:`Service` is built for one signed-in :class:`~analytics.access.User` and
one *face* (where the request comes from, e.g. ``"dashboard:Patient chart"``,
``"cli:export"``, ``"share-link:7"``). Each method

1. checks the user's role and scope — a patient sees and writes only their own
   diary; a clinician sees the patients assigned to them and records sessions
   for them; an admin sees everyone and alone imports, exports the clinic,
   manages accounts and reads the audit log;
2. reads with the scope *in the SQL query* (a clinician's cohort is selected
   with ``WHERE patient_id IN (SELECT patient_id FROM clinician_patients ...)``;
   nothing outside the scope is ever read and filtered afterwards);
3. writes one audit row ("view", "edit", "import", "export", "report",
   "user_admin", "share_*") naming the user, role, face, patient and outcome.

A refused call writes an audit row with outcome "denied" and then raises
:class:`~analytics.errors.AccessDeniedError`. Refusals never reveal whether a
patient the user may not see exists: only users who may see everyone get
:class:`~analytics.errors.NotFoundError` for an unknown patient id.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analytics import access
from analytics.access import User
from analytics.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConflictError,
    DataValidationError,
    NotFoundError,
    StoreError,
)
from analytics.store import ImportReport, SaveResult, Store

__all__ = ["Service", "SHARE_LINK_MAX_DAYS", "ANALYSIS_SETTINGS_KEY"]

#: Longest validity of a share link, days.
SHARE_LINK_MAX_DAYS = 90
#: The settings key of the clinic-wide analysis settings (JSON).
ANALYSIS_SETTINGS_KEY = "analysis_settings"

_FAILURES = (ConflictError, DataValidationError, NotFoundError, StoreError, ValueError)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _text(value: Any) -> str:
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    return str(value)


def _touched_patients(dataset: Any) -> list[str]:
    """Ids of the patients with rows in an imported dataset."""
    ids: set[str] = set()
    for name in ("patients", "diary", "sessions"):
        frame = getattr(dataset, name, None)
        if frame is not None and len(frame):
            ids.update(frame["patient_id"].astype("str").unique().tolist())
    return sorted(ids)


def _rows_by_patient(dataset: Any) -> Callable[[Sequence[str]], Any]:
    """A function giving the rows of some patients of ``dataset`` (a Dataset of
    canonical frames) as a Dataset, each table's rows located once."""
    from analytics.contract import Dataset

    frames = {name: getattr(dataset, name) for name in ("patients", "diary", "sessions")}
    groups = {
        name: frame.groupby(frame["patient_id"].astype("str"), sort=False).indices
        for name, frame in frames.items()
    }

    def rows(patient_ids: Sequence[str]) -> Any:
        picked = {}
        for name, frame in frames.items():
            found = [groups[name][p] for p in patient_ids if p in groups[name]]
            at = np.sort(np.concatenate(found)) if found else np.zeros(0, dtype="int64")
            picked[name] = frame.iloc[at].reset_index(drop=True)
        return Dataset(**picked)

    return rows


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Service:
    """Patient data as one user may see it, every access recorded.

    Parameters
    ----------
    store : analytics.store.Store
    user : analytics.access.User
        The signed-in user (:data:`analytics.access.LOCAL_OPERATOR` for the CLI).
    face : str, default "dashboard"
        Where the request comes from; written to every audit row.

    Attributes
    ----------
    user : User
    store : Store
        For the service's own use; faces never call it.
    face : str
    read_only : bool
        True for a share-link service (views only).
    """

    def __init__(self, store: Store, user: User, *, face: str = "dashboard") -> None:
        if not isinstance(user, User):
            raise ValueError(
                "The 'user' parameter of Service must be an analytics.access.User. "
                f"Got {type(user).__name__} instead."
            )
        if user.role not in access.ROLES:
            raise ValueError(
                f"The user's role must be one of {list(access.ROLES)}. Got {user.role!r} instead."
            )
        if (user.role == "patient") != (user.patient_id is not None):
            raise ValueError("A patient user has exactly one patient_id; other roles have none.")
        if not isinstance(face, str) or not face.strip():
            raise ValueError(
                f"The 'face' parameter of Service must be a non-empty str. Got {face!r}."
            )
        self.store = store
        self.user = user
        self.face = face
        self.read_only = False
        self._audit_role: str = user.role

    def __repr__(self) -> str:
        return f"Service(user={self.user.username!r}, role={self.user.role!r}, face={self.face!r})"

    # -- audit ---------------------------------------------------------------------

    def _audit(
        self,
        action: str,
        patient_id: str | None,
        *,
        outcome: str = "ok",
        **detail: Any,
    ) -> None:
        if patient_id is not None:  # may be whatever a tampered request sent
            patient_id = "".join(c if c.isprintable() else "?" for c in str(patient_id))[:80]
        self.store.record_audit(
            self.user.username,
            action,
            role=self._audit_role,
            face=self.face,
            patient_id=patient_id,
            outcome=outcome,
            detail={k: v for k, v in detail.items() if v is not None},
        )

    def _deny(
        self, action: str, patient_id: str | None, message: str, **detail: Any
    ) -> AccessDeniedError:
        self._audit(action, patient_id, outcome="denied", **detail)
        return AccessDeniedError(message)

    # -- scope ---------------------------------------------------------------------

    def _scope(self) -> dict[str, Any]:
        """Keyword arguments that restrict a store read to the user's patients, in SQL."""
        if self.user.role == "admin":
            return {}
        if self.user.role == "clinician":
            return {"clinician_user_id": self.user.user_id}
        return {"patient_ids": [self.user.patient_id]}

    def _may_see(self, patient_id: str) -> bool:
        if self.user.role == "admin":
            return True
        if self.user.role == "patient":
            return patient_id == self.user.patient_id
        return self.store.is_assigned(self.user.user_id, patient_id)

    def _check_patient(self, patient_id: Any, action: str, what: str) -> str:
        """The patient id when the user may reach it; else audit the refusal and raise."""
        if not isinstance(patient_id, str) or not patient_id:
            raise ValueError(
                f"The 'patient_id' parameter of Service.{what} must be a non-empty str. "
                f"Got {patient_id!r} instead."
            )
        if not self._may_see(patient_id):
            who = {
                "patient": "your own diary",
                "clinician": "the patients assigned to you",
            }.get(self.user.role, "")
            raise self._deny(
                action, patient_id,
                f"Access denied: {self.user.username} may reach {who} only, not patient "
                f"{patient_id!r}. Ask an administrator if this is wrong.",
                call=what,
            )  # fmt: skip
        if self.user.role == "admin" and not self.store.patient_exists(patient_id):
            raise NotFoundError(f"No patient {patient_id!r} is stored.")
        return patient_id

    def _require(self, allowed: Sequence[str], action: str, what: str, patient_id: Any) -> None:
        if self.read_only and action != "view":
            raise self._deny(
                action, patient_id if isinstance(patient_id, str) else None,
                "Access denied: a share link can only view this patient's data.", call=what,
            )  # fmt: skip
        if self.user.role not in allowed:
            roles = " or ".join(allowed)
            raise self._deny(
                action, patient_id if isinstance(patient_id, str) else None,
                f"Access denied: {what} is for {roles} accounts; {self.user.username} is a "
                f"{self.user.role}.",
                call=what,
            )  # fmt: skip

    # -- scope queries ---------------------------------------------------------------

    def visible_patient_ids(self) -> list[str]:
        """Sorted ids of the patients this user may see (patient: own; clinician: assigned;
        admin: all). Not audited: ids alone show no patient data."""
        return self.store.patient_ids(self.user.username, **self._scope())

    def patients(self) -> pd.DataFrame:
        """The canonical ``patients`` frame of the visible patients (audited "view", "*")."""
        frame = self.store.patients(self.user.username, **self._scope())
        self._audit("view", "*", purpose="patient list", n_patients=len(frame))
        return frame

    # -- per-patient path --------------------------------------------------------------

    def patient_dataset(self, patient_id: str, *, purpose: str) -> Any:
        """One patient's rows as an :class:`analytics.io._loaders.Dataset` (audited "view").

        Raises
        ------
        AccessDeniedError
            The patient is outside the user's scope (recorded as denied).
        NotFoundError
            The patient does not exist and the user may see everyone.
        """
        self._require(access.ROLES, "view", "patient_dataset", patient_id)
        pid = self._check_patient(patient_id, "view", "patient_dataset")
        # the scope is applied in the query too, not only in the check above
        ds = self.store.patient_dataset(self.user.username, pid, **self._scope())
        self._audit("view", pid, purpose=purpose, diary=len(ds.diary), sessions=len(ds.sessions))
        return ds

    def get_diary_entry(self, patient_id: str, date: Any) -> dict[str, Any] | None:
        """The stored diary entry of one day (record dict) or None (audited "view")."""
        pid = self._check_patient(patient_id, "view", "get_diary_entry")
        entry = self.store.get_diary_entry(self.user.username, pid, date)
        self._audit("view", pid, purpose="diary entry", date=_text(date), found=entry is not None)
        return entry

    def history(self, patient_id: str) -> pd.DataFrame:
        """The recorded changes of one patient (see ``Store.history``; audited "view")."""
        pid = self._check_patient(patient_id, "view", "history")
        frame = self.store.history(self.user.username, pid)
        self._audit("view", pid, purpose="history", rows=len(frame))
        return frame

    # -- writes --------------------------------------------------------------------------

    def _diary_patient(self, patient_id: Any, what: str) -> str:
        self._require(access.ROLES, "edit", what, patient_id)
        if self.user.role == "patient" and patient_id is None:
            return str(self.user.patient_id)  # a patient never chooses a patient id
        return self._check_patient(patient_id, "edit", what)

    def _edit(self, pid: str, what: str, detail: Mapping[str, Any], run: Any) -> SaveResult:
        try:
            result = run()
        except _FAILURES as exc:
            self._audit(
                "edit", pid, outcome="failed", call=what, error=type(exc).__name__, **detail
            )
            raise
        self._audit("edit", pid, call=what, result=result.action, **detail)
        if result.action != "unchanged":
            self._refresh_after_write([pid])
        return result

    def _refresh_after_write(
        self,
        patient_ids: Sequence[str],
        *,
        new_rows: Any = None,
        new_ids: Sequence[str] = (),
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        """Recompute the stored outcomes of the patients a write changed (clinic settings).

        ``new_ids`` are patients the write added, every row of theirs in
        ``new_rows``: they are computed from those rows, the others from the
        database. The write itself is committed; should the recomputation fail,
        the patients' stored rows are dropped instead, so that the next cohort
        read computes them rather than serving rows older than the diary.
        """
        ids = sorted(set(patient_ids))
        if not ids:
            return
        fresh = sorted(set(new_ids) & set(ids))
        known = sorted(set(ids) - set(fresh))
        settings = self.analysis_settings()
        total = len(ids)

        def step(offset: int) -> Callable[[int, int], None] | None:
            if progress is None:
                return None
            return lambda done, _n: progress(offset + done, total)

        try:
            if fresh:
                self._compute_outcomes(
                    fresh, settings, replace=True, rows=new_rows, batch_size=1000,
                    progress=step(0),
                )  # fmt: skip
            if known:
                self._compute_outcomes(known, settings, replace=True, progress=step(len(fresh)))
        except Exception:  # any failure: never serve stale rows, and keep the save
            self.store.forget_outcomes(self.user.username, ids)

    def save_diary_entry(self, entry: Mapping[str, Any], *, replace: bool = False) -> SaveResult:
        """Store one diary day (audited "edit"); patients only their own, clinicians assigned.

        A patient's entry may omit ``patient_id`` (it comes from the account).
        """
        if not isinstance(entry, Mapping):
            raise ValueError(
                "The 'entry' parameter of Service.save_diary_entry must be a dict. "
                f"Got {type(entry).__name__} instead."
            )
        pid = self._diary_patient(entry.get("patient_id"), "save_diary_entry")
        record = {**entry, "patient_id": pid}
        return self._edit(
            pid, "save_diary_entry", {"table": "diary", "date": _text(entry.get("date"))},
            lambda: self.store.save_diary_entry(self.user.username, record, replace=replace),
        )  # fmt: skip

    def delete_diary_entry(self, patient_id: str, date: Any, *, reason: str) -> SaveResult:
        """Delete one diary day, kept in the history with ``reason`` (audited "edit")."""
        pid = self._diary_patient(patient_id, "delete_diary_entry")
        return self._edit(
            pid, "delete_diary_entry", {"table": "diary", "date": _text(date)},
            lambda: self.store.delete_diary_entry(self.user.username, pid, date, reason=reason),
        )  # fmt: skip

    def save_session(self, session: Mapping[str, Any], *, replace: bool = False) -> SaveResult:
        """Store one treatment session (audited "edit"); clinicians (assigned) and admins."""
        if not isinstance(session, Mapping):
            raise ValueError(
                "The 'session' parameter of Service.save_session must be a dict. "
                f"Got {type(session).__name__} instead."
            )
        pid_in = session.get("patient_id")
        self._require(("clinician", "admin"), "edit", "save_session", pid_in)
        pid = self._check_patient(pid_in, "edit", "save_session")
        return self._edit(
            pid, "save_session", {"table": "sessions", "date": _text(session.get("date"))},
            lambda: self.store.save_session(self.user.username, session, replace=replace),
        )  # fmt: skip

    # -- cohort path ---------------------------------------------------------------------

    def cohort_dataset(self, *, purpose: str) -> Any:
        """The rows of every visible patient, selected in SQL (audited "view", patient "*").

        A clinician's cohort is read with ``WHERE patient_id IN (SELECT patient_id FROM
        clinician_patients WHERE user_id = ...)``; a patient's cohort is themselves.
        """
        self._require(access.ROLES, "view", "cohort_dataset", "*")
        ds = self.store.dataset(self.user.username, **self._scope())
        self._audit(
            "view", "*", purpose=purpose, n_patients=len(ds.patients), diary=len(ds.diary),
            sessions=len(ds.sessions),
        )  # fmt: skip
        return ds

    # -- stored outcomes ----------------------------------------------------------------------

    def _compute_outcomes(
        self,
        patient_ids: Sequence[str],
        settings: Any,
        *,
        replace: bool = False,
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
        rows: Any = None,
    ) -> int:
        """Compute and store the per-patient tables of ``patient_ids``, in batches.

        With ``replace`` the patients' rows of every other fingerprint are dropped
        too (their diary or sessions changed). ``rows`` (a Dataset holding every
        stored row of these patients, e.g. the import that added them) spares
        reading them back. Returns the patients computed.
        """
        from analytics import pipeline

        fp = pipeline.settings_fingerprint(settings)
        ids = sorted({str(p) for p in patient_ids})
        done = 0
        if progress is not None:
            progress(0, len(ids))
        by_patient = None if rows is None else _rows_by_patient(rows)
        for start in range(0, len(ids), batch_size):
            batch = ids[start : start + batch_size]
            if by_patient is None:
                ds = self.store.dataset(self.user.username, patient_ids=batch)
            else:
                ds = by_patient(batch)
            tables = pipeline.per_patient_tables(ds.patients, ds.diary, ds.sessions, settings)
            parts = pipeline.split_by_patient(tables)
            self.store.write_outcomes(
                self.user.username, fp, parts, replace_ids=batch if replace else ()
            )
            done += len(batch)
            if progress is not None:
                progress(done, len(ids))
        return done

    def refresh_outcomes(
        self,
        settings: Any = None,
        *,
        full: bool = False,
        batch_size: int = 500,
        progress: Callable[[int, int], None] | None = None,
    ) -> int:
        """Compute the stored outcomes of the clinic (admins; audited "refresh").

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
        """
        from analytics import pipeline

        self._require(("admin",), "refresh", "refresh_outcomes", "*")
        if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(
                "The 'batch_size' parameter of Service.refresh_outcomes must be an int in "
                f"[1, inf). Got {batch_size!r} instead."
            )
        settings = self.analysis_settings() if settings is None else settings
        everyone = self.store.all_patient_ids()
        if full:
            self.store.forget_outcomes(self.user.username)
            todo = everyone
        else:
            have = set(self.store.outcome_patient_ids(pipeline.settings_fingerprint(settings)))
            todo = [p for p in everyone if p not in have]
        n = self._compute_outcomes(todo, settings, batch_size=batch_size, progress=progress)
        self._audit("refresh", "*", n_patients=n, full=full)
        return n

    def outcomes_version(self, settings: Any = None) -> tuple[Any, ...]:
        """A cheap key of the stored outcomes of the visible patients (not audited: counts only).

        ``(fingerprint, status date, patients in scope, stored rows, latest update)``;
        it changes when any visible patient's stored rows change, so a cohort result
        cached under it is never stale.
        """
        from analytics import pipeline

        settings = self.analysis_settings() if settings is None else settings
        fp = pipeline.settings_fingerprint(settings)
        version = self.store.outcomes_version(fp, **self._scope())
        return (fp, _text(settings.as_of) if settings.as_of is not None else "", *version)

    def cohort_tables(
        self, settings: Any = None, *, purpose: str, tables: Sequence[str] | None = None
    ) -> dict[str, pd.DataFrame]:
        """The per-patient tables of the visible patients, read from the stored outcomes.

        Patients without stored rows for these settings are computed and stored
        first; the status columns are those of ``settings.as_of`` (see
        :mod:`analytics.pipeline`). A clinic's or a clinician's patients are read
        through their outcome snapshot (:mod:`analytics.store`: one
        stored row per table, patched for the patients changed since). Audited
        "view", patient "*".

        Parameters
        ----------
        settings : AnalysisSettings, optional
            Default: the clinic's saved settings.
        purpose : str
            Recorded in the audit log.
        tables : sequence of str, optional
            Only these tables of :data:`analytics.pipeline.PER_PATIENT_TABLES`
            (``patient_outcomes`` is always returned); default: every one.

        Returns
        -------
        dict of str to pandas.DataFrame
            The tables asked for plus ``status_anchor`` (``patient_id``,
            ``last_diary``, ``began``, ``latest_7day_mean``).
        """
        from analytics import pipeline
        from analytics.store import CLINIC_SCOPE, clinician_scope

        self._require(access.ROLES, "view", "cohort_tables", "*")
        settings = self.analysis_settings() if settings is None else settings
        every = pipeline.stored_tables()
        if tables is None:
            names = list(every)
        else:
            unknown = sorted(set(tables) - set(every) - set(pipeline.STATUS_TABLES))
            if unknown or isinstance(tables, str):
                raise ValueError(
                    "The 'tables' parameter of Service.cohort_tables must be a sequence of "
                    f"per-patient table names ({', '.join(every)}). Got {tables!r} instead."
                )
            wanted = {"patient_outcomes", *tables, *pipeline.STATUS_TABLES}
            names = [n for n in every if n in wanted]
        fp = pipeline.settings_fingerprint(settings)
        scope = self._scope()
        visible = self.store.patient_ids(self.user.username, **scope)
        have = set(self.store.outcome_patient_ids(fp, **scope))
        missing = [p for p in visible if p not in have]
        if missing:
            self._compute_outcomes(missing, settings)
        if "patient_ids" in scope:
            found = self.store.read_outcomes(fp, **scope)
            found = {k: v for k, v in found.items() if k in names}
        else:
            clinician = scope.get("clinician_user_id")
            found = self.store.scope_outcomes(
                fp,
                names,
                scope=CLINIC_SCOPE if clinician is None else clinician_scope(clinician),
                clinician_user_id=clinician,
            )
        tables_read = pipeline.assemble(found, settings, names=names)
        outcomes = pipeline.apply_status_date(tables_read, settings)
        late = pipeline.needs_recompute(tables_read["status_anchor"], settings.as_of)
        if late:
            # a look back in time: these patients' rows after the date are left out
            from analytics.pipeline import per_patient

            ds = self.store.dataset(self.user.username, patient_ids=late, **scope)
            again = per_patient(ds.patients, ds.diary, ds.sessions, settings)["patient_outcomes"]
            keep = outcomes[~outcomes["patient_id"].astype("str").isin(late)]
            outcomes = (
                pd.concat([keep, again], ignore_index=True)
                .sort_values("patient_id", kind="mergesort", ignore_index=True)
                .astype(keep.dtypes.to_dict())
            )
        tables_read["patient_outcomes"] = outcomes
        self._audit(
            "view", "*", purpose=purpose, n_patients=len(outcomes), stored=True,
            computed=len(missing), recomputed_for_date=len(late),
        )  # fmt: skip
        return {k: v for k, v in tables_read.items() if k not in ("status_tail", "status_sessions")}

    def record_cohort_view(self, *, purpose: str, n_patients: int) -> None:
        """Record a view of the cohort's outcomes served from a face's cache (audited "view",
        patient "*"); the first read of them is recorded by :meth:`cohort_tables`."""
        self._require(access.ROLES, "view", "record_cohort_view", "*")
        self._audit("view", "*", purpose=purpose, n_patients=int(n_patients), cached=True)

    def cohort_result(self, settings: Any = None, *, purpose: str) -> Any:
        """:func:`analytics.pipeline.cohort` of the visible patients' stored outcomes.

        Never reads the clinic's diary: see :meth:`cohort_tables` (audited there).

        Returns
        -------
        analytics.pipeline.AnalysisResult
        """
        from analytics.pipeline import cohort

        settings = self.analysis_settings() if settings is None else settings
        tables = self.cohort_tables(settings, purpose=purpose)
        tables.pop("status_anchor")
        return cohort(tables, settings=settings)

    # -- settings ----------------------------------------------------------------------------

    def analysis_settings(self) -> Any:
        """The clinic-wide :class:`analytics.pipeline.AnalysisSettings` (defaults when none saved)."""
        from analytics.pipeline import AnalysisSettings

        raw = self.store.get_setting(ANALYSIS_SETTINGS_KEY)
        if not raw:
            return AnalysisSettings()
        try:
            return AnalysisSettings(**json.loads(raw))
        except (TypeError, ValueError):
            return AnalysisSettings()

    def save_analysis_settings(self, settings: Any) -> None:
        """Store the clinic-wide analysis settings (admins; audited "settings")."""
        from dataclasses import asdict

        from analytics.pipeline import AnalysisSettings

        self._require(("admin",), "settings", "save_analysis_settings", None)
        values = asdict(settings) if isinstance(settings, AnalysisSettings) else dict(settings)
        checked = AnalysisSettings(**values)  # raises ValueError naming a bad option
        self.store.set_setting(
            self.user.username, ANALYSIS_SETTINGS_KEY, json.dumps(asdict(checked))
        )
        self._audit("settings", None, **asdict(checked))

    # -- admin -------------------------------------------------------------------------------

    def import_dataset(
        self,
        dataset: Any,
        *,
        update: bool = False,
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
        outcomes_progress: Callable[[int, int], None] | None = None,
    ) -> ImportReport:
        """Import a loaded dataset (admins; see ``Store.import_dataset``; audited "import").

        The imported patients' stored outcomes are computed after the rows are
        written (``outcomes_progress(patients_done, patients)``): patients new to
        the database from the imported rows themselves, the others from the
        database.
        """
        self._require(("admin",), "import", "import_dataset", "*")
        touched = _touched_patients(dataset)
        try:
            report = self.store.import_dataset(
                self.user.username, dataset, update=update, dry_run=dry_run,
                role=self._audit_role, face=self.face, progress=progress,
            )  # fmt: skip
        except _FAILURES as exc:
            self._audit("import", "*", outcome="failed", error=type(exc).__name__, dry_run=dry_run)
            raise
        changed = sum(report.inserted.values()) + sum(report.updated.values())
        if report.applied and changed:
            self._refresh_after_write(
                touched,
                new_rows=dataset,
                new_ids=report.new_patients,
                progress=outcomes_progress,
            )
        if report.applied and changed and self.store.get_setting("demo") == "true":
            # Imported data make the demo a clinic: the login page stops listing demo accounts.
            self.store.set_setting(self.user.username, "demo", "false")
        if dry_run:
            self._audit(
                "import", "*", dry_run=True,
                counts=report.to_frame().set_index("table").to_dict("index"),
            )  # fmt: skip
        return report

    def export_dataset(
        self, *, patient_id: str | None = None, deidentify: bool = False, rng: Any = None
    ) -> Any:
        """The clinic's (or one patient's) rows for a file (admins; audited "export").

        With ``deidentify`` a :class:`analytics.access.DeidentifiedDataset`
        (same three attribute names; see that module for what it removes),
        else an :class:`analytics.io._loaders.Dataset`.
        """
        self._require(("admin",), "export", "export_dataset", patient_id or "*")
        if patient_id is not None:
            self._check_patient(patient_id, "export", "export_dataset")
            ds = self.store.patient_dataset(self.user.username, patient_id)
        else:
            ds = self.store.dataset(self.user.username)
        out = ds
        if deidentify:
            from analytics.access import deidentify as _deidentify

            out = _deidentify(ds, rng=rng)
        self._audit(
            "export", patient_id or "*", deidentified=bool(deidentify),
            patients=len(ds.patients), diary=len(ds.diary), sessions=len(ds.sessions),
        )  # fmt: skip
        return out

    def export_to(
        self,
        directory: Any,
        *,
        patient_id: str | None = None,
        deidentify: bool = False,
        rng: Any = None,
    ) -> tuple[Any, list[Any]]:
        """Write the clinic's (or one patient's) rows as CSV files in ``directory`` (admins).

        The export is recorded when its files are complete: they are written to
        temporary files, the audit row ("export") is added, and only then are they
        renamed into place. If the audit row cannot be written (e.g. a read-only
        database) no file is put in place; a write that fails leaves no file and
        is recorded as a failed export.

        Returns
        -------
        (dataset, paths)
            What was written (as :meth:`export_dataset` returns it) and the files.
        """
        from analytics.io import check_targets, write_dataset

        self._require(("admin",), "export", "export_to", patient_id or "*")
        if patient_id is not None:
            self._check_patient(patient_id, "export", "export_to")
        check_targets(directory)  # a link among the targets is refused before any read
        if patient_id is not None:
            ds = self.store.patient_dataset(self.user.username, patient_id)
        else:
            ds = self.store.dataset(self.user.username)
        out = ds
        if deidentify:
            from analytics.access import deidentify as _deidentify

            out = _deidentify(ds, rng=rng)

        def record() -> None:
            self._audit(
                "export", patient_id or "*", deidentified=bool(deidentify),
                patients=len(ds.patients), diary=len(ds.diary), sessions=len(ds.sessions),
            )  # fmt: skip

        folder = Path(directory)
        created = not folder.exists()
        try:
            if deidentify:
                paths = out.write(folder, before_rename=record)
            else:
                paths = write_dataset(out, folder, before_rename=record)
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

    def users(self) -> pd.DataFrame:
        """Every account (no password hashes; see ``Store.users``). Admins."""
        self._require(("admin",), "user_admin", "users", None)
        return self.store.users(self.user.username)

    def add_user(
        self,
        username: str,
        *,
        role: str,
        password: str,
        patient_id: str | None = None,
        display_name: str = "",
    ) -> User:
        """Create an account with an argon2id-hashed password (admins; audited "user_admin")."""
        self._require(("admin",), "user_admin", "add_user", patient_id)
        record = self.store.add_user(
            self.user.username,
            username=username,
            role=role,
            password_hash=access.hash_password(password),
            patient_id=patient_id,
            display_name=display_name,
        )
        self._audit("user_admin", patient_id, op="add_user", username=username, new_role=role)
        return access.user_from_record(record)

    def set_password(self, username: str, password: str) -> None:
        """Set a password (admins for anyone; every user for their own). Ends older sessions."""
        if self.read_only or (self.user.role != "admin" and username != self.user.username):
            raise self._deny(
                "user_admin", None,
                "Access denied: you may change your own password only.",
                call="set_password", username=str(username),
            )  # fmt: skip
        if self.store.user_record(username) is None:
            raise NotFoundError(f"No account named {username!r}.")
        self.store.set_password_hash(self.user.username, username, access.hash_password(password))
        self._audit("user_admin", None, op="set_password", username=username)

    def disable_user(self, username: str) -> None:
        """Disable an account: it can no longer sign in, its sessions end (admins)."""
        self._require(("admin",), "user_admin", "disable_user", None)
        if username == self.user.username:
            raise ValueError("You cannot disable your own account; ask another administrator.")
        self.store.set_disabled(self.user.username, username)
        self._audit("user_admin", None, op="disable_user", username=username)

    def assign(self, clinician: str, patient_ids: Sequence[str]) -> None:
        """Let a clinician see these patients (admins; audited "user_admin")."""
        self._require(("admin",), "user_admin", "assign", None)
        ids = [str(p) for p in patient_ids]
        n = self.store.assign(self.user.username, clinician, ids)
        self._audit("user_admin", None, op="assign", clinician=clinician, patient_ids=ids, newly=n)

    def unassign(self, clinician: str, patient_ids: Sequence[str]) -> None:
        """Stop a clinician seeing these patients (admins; audited "user_admin")."""
        self._require(("admin",), "user_admin", "unassign", None)
        ids = [str(p) for p in patient_ids]
        n = self.store.unassign(self.user.username, clinician, ids)
        self._audit(
            "user_admin", None, op="unassign", clinician=clinician, patient_ids=ids, removed=n
        )

    def audit_log(
        self,
        *,
        username: str | None = None,
        patient_id: str | None = None,
        since: Any = None,
        limit: int = 100,
        offset: int = 0,
    ) -> pd.DataFrame:
        """Audit rows, newest first, filtered and paged (admins; see ``Store.audit_log``)."""
        self._require(("admin",), "view", "audit_log", None)
        return self.store.audit_log(
            self.user.username, username=username, patient_id=patient_id, since=since,
            limit=limit, offset=offset, newest_first=True,
        )  # fmt: skip

    # -- files produced ----------------------------------------------------------------------

    def _record_file(self, action: str, what: str, patient_id: str | None, detail: str) -> None:
        if patient_id is None or patient_id == "*":
            if self.user.role == "patient" or self.read_only:
                raise self._deny(
                    action, "*", "Access denied: a patient's files cover their own diary only.",
                    what=what,
                )  # fmt: skip
            target = "*"
        else:
            target = self._check_patient(patient_id, action, f"record_{action}")
        self._audit(action, target, what=what, detail=detail or None)

    def record_export(self, what: str, *, patient_id: str | None, detail: str = "") -> None:
        """Record that a file (CSV, PDF, FHIR) was actually produced or downloaded ("export").

        ``patient_id`` None means the user's cohort ("*"); patients may record only
        their own.
        """
        self._record_file("export", what, patient_id, detail)

    def record_report(self, what: str, *, patient_id: str | None, detail: str = "") -> None:
        """Record that a report (e.g. a PDF for a referral) was produced ("report")."""
        self._record_file("report", what, patient_id, detail)

    # -- share links ---------------------------------------------------------------------------

    def create_share_link(self, patient_id: str, *, days: int = 14) -> str:
        """A read-only link token to one patient's data, valid ``days`` days.

        Only the SHA-256 hash of the token is stored; the token is shown once.
        Patients share their own diary, clinicians their assigned patients, admins anyone.
        """
        self._require(access.ROLES, "share_create", "create_share_link", patient_id)
        if (
            not isinstance(days, int)
            or isinstance(days, bool)
            or not 1 <= days <= SHARE_LINK_MAX_DAYS
        ):
            raise ValueError(
                f"The 'days' parameter of Service.create_share_link must be an int in "
                f"[1, {SHARE_LINK_MAX_DAYS}]. Got {days!r} instead."
            )
        pid = self._check_patient(patient_id, "share_create", "create_share_link")
        token = secrets.token_urlsafe(32)
        expires = _utcnow() + dt.timedelta(days=days)
        link_id = self.store.add_share_link(
            self.user.username, token_hash=_token_hash(token), patient_id=pid, expires_at=expires
        )
        self._audit("share_create", pid, link_id=link_id, expires_at=expires.isoformat())
        return token

    def revoke_share_link(self, link_id: int) -> None:
        """Revoke a share link (anyone who may see its patient)."""
        link = self.store.share_link(link_id=int(link_id))
        if link is None:
            raise NotFoundError(f"No share link {link_id}.")
        self._require(access.ROLES, "share_revoke", "revoke_share_link", link["patient_id"])
        pid = self._check_patient(link["patient_id"], "share_revoke", "revoke_share_link")
        self.store.revoke_share_link(self.user.username, int(link_id), _utcnow())
        self._audit("share_revoke", pid, link_id=int(link_id))

    def share_links(self, patient_id: str) -> pd.DataFrame:
        """The share links of one patient (never their tokens)."""
        pid = self._check_patient(patient_id, "view", "share_links")
        return self.store.share_links(self.user.username, pid)

    @classmethod
    def for_share_link(
        cls, store: Store, token: str, *, now: dt.datetime | None = None, record: bool = True
    ) -> Service:
        """A read-only service for the one patient of a share link (face ``share-link:<id>``).

        Every use is recorded ("share_use"), every view through it too, and every
        refusal. ``record=False`` checks the link again without another
        "share_use" row (a face re-checking the link on each rerun of a visit it
        has recorded).

        Raises
        ------
        AuthenticationError
            Unknown, expired or revoked link (one message for all).
        """
        moment = now or _utcnow()
        refused = AuthenticationError(
            "This share link is not valid: it may have expired or been revoked. Ask for a new one."
        )
        if not isinstance(token, str) or not 20 <= len(token) <= 200:
            raise refused
        link = store.share_link(token_hash=_token_hash(token))
        if link is None:
            raise refused
        face = f"share-link:{link['id']}"
        name = face
        if link["revoked_at"] is not None or link["expires_at"] <= moment:
            store.record_audit(
                name, "share_use", role="share-link", face=face, patient_id=link["patient_id"],
                outcome="denied",
                detail={"reason": "revoked" if link["revoked_at"] is not None else "expired"},
            )  # fmt: skip
            raise refused
        user = User(-int(link["id"]), name, "patient", str(link["patient_id"]), "share link")
        service = cls(store, user, face=face)
        service.read_only = True
        service._audit_role = "share-link"
        if record:
            service._audit("share_use", str(link["patient_id"]), link_id=int(link["id"]))
        return service
