"""The service of the signed-in user, and the rows of patients read once per visit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from analytics.access import User
from analytics.contract import Dataset, empty_answers, empty_entries, frequency_band
from analytics.service import Service
from analytics.settings import AnalysisSettings
from analytics.stats import call_key
from analytics.store import ImportReport, SaveResult, Store, default_url, open_store

__all__ = [
    "Store",
    "SaveResult",
    "ImportReport",
    "TTL_SECONDS",
    "db_url",
    "get_store",
    "service",
    "user_key",
    "begin_run",
    "forget_rows",
    "visit_rows",
    "kept_in_scope",
    "per_visit",
    "ClinicData",
    "patient_ids",
    "patients",
    "cohort",
    "PatientView",
    "patient_view",
    "patient_version",
    "clinic_settings",
    "diary_history",
]


#: Cached analyses are recomputed at least this often (seconds).
TTL_SECONDS = 600


_ROWS = "data.rows"


_PAGE = "data.page"


def db_url() -> str:
    """Return the database URL the app uses: ``$PAINDIARY_DB`` or the store's default."""
    return str(default_url())


@st.cache_resource(show_spinner=False)
def get_store(url: str) -> Store:
    """Open the store of ``url`` once per server process (one connection pool), for the service."""
    return open_store(url)


def service(user: User, purpose: str = "") -> Service:
    """:class:`analytics.service.Service` for ``user``; ``purpose`` names the page."""
    face = f"dashboard:{purpose}" if purpose else "dashboard"
    return Service(get_store(db_url()), user, face=face)


def user_key(user: User) -> tuple[str, int, str, str, str | None]:
    """Return the parts every cache key holds: the database and the user.

    One user's rows never serve another, and one database's never another's (a
    server process may be pointed at another database, as the tests do).
    """
    return (db_url(), int(user.user_id), str(user.username), str(user.role), user.patient_id)


def begin_run(page: str) -> None:
    """Start a new visit when the page changed since the last run of this session."""
    if st.session_state.get(_PAGE) != page:
        st.session_state[_PAGE] = page
        forget_rows()


def forget_rows() -> None:
    """Drop the rows this session read: the next read goes to the service (and the log)."""
    st.session_state.pop(_ROWS, None)


def visit_rows() -> dict[tuple[Any, ...], Any]:
    """Return the rows this browser session read in this visit, by what was read (kinds differ)."""
    rows = st.session_state.get(_ROWS)
    if rows is None:
        rows = st.session_state[_ROWS] = {}
    return rows


T = TypeVar("T")


def per_visit(build: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Return ``build(*args, **kwargs)``, built once per visit for the same arguments.

    For what a page draws from the visit's rows (a patient's charts): a rerun of the
    visit (a widget changed elsewhere on the page) shows what the first run built.
    Frames, series and arrays are matched by identity, as the visit's rows are the
    same objects from run to run (they are held with the result, so no identity is
    reused); anything else by value. Forgotten with the visit's rows, e.g. after a
    save. ``build`` must not change its arguments, and its result is shared by the
    reruns: a caller must not change it.
    """
    call = call_key(build, args, kwargs)
    if call is None:
        return build(*args, **kwargs)
    k = ("per visit", *call)
    rows = visit_rows()
    if k not in rows:
        rows[k] = ((args, kwargs), build(*args, **kwargs))
    result: T = rows[k][1]
    return result


def _scope_now(user: User) -> frozenset[str]:
    """Return the ids of the patients ``user`` may see as of this run (not audited).

    Rows kept for a visit are shown again on every rerun, so before they are the
    scope is asked for again: a patient unassigned (or deleted) since the read is no
    longer shown at the next click. Asked once per run: the router signs the user in
    on every run (:func:`dashboard.session.signed_in` reads the token and makes a new
    :class:`~analytics.access.User`), so the answer is kept with that run's user.
    """
    rows = visit_rows()
    held = rows.get(("scope", user_key(user)))
    if held is None or held[0] is not user:
        held = (user, frozenset(str(p) for p in service(user).visible_patient_ids()))
        rows[("scope", user_key(user))] = held
    ids: frozenset[str] = held[1]
    return ids


def kept_in_scope(user: User, key: tuple[Any, ...], patient_ids: Any) -> bool:
    """Tell whether the visit holds ``key`` and its patients are all still in ``user``'s scope.

    When they are not, the visit's rows are forgotten, so the read that follows goes
    to the service, which refuses it and records the refusal.
    """
    if key not in visit_rows():
        return False
    if {str(p) for p in patient_ids} <= _scope_now(user):
        return True
    forget_rows()
    return False


@dataclass(frozen=True)
class ClinicData:
    """The canonical frames one user may see (``analytics.contract.schema``).

    ``sessions`` has an extra ``technique_band`` column
    (:func:`analytics.stats._common.frequency_band`) for colouring; ``questionnaires``
    holds one patient's answers when read with them (empty for a cohort); ``entries``
    the entries during the day (the contract's columns, with the answer to "Did it
    help?").
    """

    patients: pd.DataFrame
    diary: pd.DataFrame
    sessions: pd.DataFrame
    questionnaires: pd.DataFrame = field(default_factory=empty_answers)
    entries: pd.DataFrame = field(default_factory=empty_entries)

    def fingerprint(self) -> tuple[int, ...]:
        """Return a cheap hash of the rows, part of the key of every cached analysis.

        An entry added or answered changes it, so a summary keyed on it is computed again.
        """
        frames = (self.patients, self.diary, self.sessions, self.questionnaires, self.entries)
        return tuple(
            int(pd.util.hash_pandas_object(frame, index=False).sum()) if len(frame) else 0
            for frame in frames
        ) + tuple(len(frame) for frame in frames)


def _with_band(ds: Dataset) -> ClinicData:
    sessions = ds.sessions.assign(
        technique_band=frequency_band(ds.sessions["technique"], ds.sessions["frequency_hz"])
    )
    return ClinicData(
        patients=ds.patients,
        diary=ds.diary,
        sessions=sessions,
        questionnaires=ds.questionnaires,
        entries=ds.entries,
    )


def patient_ids(user: User) -> list[str]:
    """Sorted ids of the patients ``user`` may see (no patient data, not a "view")."""
    return sorted(str(p) for p in service(user).visible_patient_ids())


def patients(user: User) -> pd.DataFrame:
    """Return the patients frame of the visible patients (who, condition, clinician)."""
    return service(user).patients()


def cohort(user: User, *, purpose: str) -> ClinicData:
    """Rows of every patient ``user`` may see; one audited read per visit."""
    key = ("cohort", user_key(user), purpose)
    held = visit_rows().get(key)
    if held is None or not kept_in_scope(user, key, held.patients["patient_id"]):
        visit_rows()[key] = _with_band(service(user, purpose).cohort_dataset(purpose=purpose))
    cohort_rows: ClinicData = visit_rows()[key]
    return cohort_rows


@dataclass(frozen=True)
class PatientView:
    """One patient's rows."""

    patient: pd.Series | None
    diary: pd.DataFrame
    sessions: pd.DataFrame
    data: ClinicData


def patient_view(user: User, patient_id: str, *, purpose: str) -> PatientView:
    """Return the rows of ``patient_id``; one audited read per visit.

    Raises :class:`analytics.errors.AccessDeniedError` outside the user's scope, also
    when the rows were read earlier in the visit and the patient has left the scope since.
    """
    key = ("patient", user_key(user), purpose, str(patient_id))
    if not kept_in_scope(user, key, [patient_id]):
        rows = visit_rows()
        ds = service(user, purpose).patient_dataset(
            str(patient_id), purpose=purpose, questionnaires=True
        )
        rows[key] = _with_band(ds)
        rows[("version", *key)] = rows[key].fingerprint()
    data: ClinicData = visit_rows()[key]
    pats = data.patients[data.patients["patient_id"] == patient_id]
    return PatientView(
        patient=pats.iloc[0] if len(pats) else None,
        diary=data.diary.reset_index(drop=True),
        sessions=data.sessions.reset_index(drop=True),
        data=data,
    )


def patient_version(user: User, patient_id: str, *, purpose: str) -> tuple[int, ...]:
    """Return the version of the patient's rows read in this visit (their fingerprint).

    Worked out once per read (:func:`patient_view`), so reruns of a page key their
    cached analyses on it at no cost; rows that differ in any value have another version.
    """
    patient_view(user, patient_id, purpose=purpose)
    version: tuple[int, ...] = visit_rows()[
        ("version", "patient", user_key(user), purpose, str(patient_id))
    ]
    return version


def clinic_settings(user: User) -> AnalysisSettings:
    """Return the clinic-wide :class:`analytics.settings.AnalysisSettings` (what patients are shown).

    Set by admins; the defaults until then.
    """
    return service(user).analysis_settings()


def diary_history(user: User, patient_id: str, *, purpose: str) -> pd.DataFrame:
    """Return the kept changes of the patient's diary, oldest first; one audited read per visit.

    Rows of :meth:`analytics.service.Service.history` for the ``diary`` table:
    ``changed_at`` (UTC), ``actor``, ``action`` (create/update/delete), ``key``
    (the ISO date of the day), ``old`` and ``new`` (JSON objects of the entry, NaN
    when none), ``reason``.
    """
    key = ("history", user_key(user), purpose, str(patient_id))
    if not kept_in_scope(user, key, [patient_id]):
        frame = service(user, purpose).history(str(patient_id))
        visit_rows()[key] = frame[frame["table"] == "diary"].reset_index(drop=True)
    history: pd.DataFrame = visit_rows()[key]
    return history
