"""Upkeep of the stored outcomes, in the database.

Compute the per-patient tables of some patients and keep them in the database, and
read a scope's tables back with the status date applied.

These functions do the work; :class:`analytics.service.Service` decides who may ask
for it, records it in the audit log and calls them with its store and the acting
username (which the store takes only to record it). Every read is restricted to
the patients it is for *in the SQL query*: a clinician's cohort is read as their
assigned patients, never as the clinic filtered afterwards.

The tables are those of :func:`analytics.pipeline.per_patient_tables` (no status
date; see :mod:`analytics.pipeline` for why), keyed by
:func:`analytics.pipeline.settings_fingerprint`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from analytics.checks import check_int
from analytics.errors import StoreError
from analytics.settings import AnalysisSettings

from ._analyze import per_patient
from ._entries import analysis_diary
from ._stored import (
    apply_status_date,
    arrow_by_patient,
    assemble,
    needs_recompute,
    per_patient_tables,
    settings_fingerprint,
    split_by_patient,
    stored_tables,
)

if TYPE_CHECKING:
    from analytics.store import Store

__all__ = [
    "StoredCohort",
    "store_outcomes",
    "refresh_after_write",
    "refresh_stored_outcomes",
    "fill_missing_outcomes",
    "stored_cohort",
]

Progress = Callable[[int, int], None]
#: Patients of an import computed in one pass from its rows (bounds the memory of
#: larger imports; a clinic of 10,000 patients x 365 days is one pass).
FRESH_BATCH = 10_000


def _rows_by_patient(dataset: Any) -> Callable[[Sequence[str]], Any]:
    """Return a function giving the rows of some patients of ``dataset`` as a Dataset.

    ``dataset`` holds canonical frames; each table's rows are located once.
    """
    from analytics.contract import Dataset

    frames = {name: getattr(dataset, name) for name in ("patients", "diary", "sessions", "entries")}
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


def store_outcomes(
    store: Store,
    patient_ids: Sequence[str],
    settings: AnalysisSettings,
    *,
    actor: str,
    replace: bool = False,
    batch_size: int = 500,
    progress: Progress | None = None,
    rows: Any = None,
) -> int:
    """Compute and store the per-patient tables of ``patient_ids``, in batches.

    Parameters
    ----------
    store : analytics.store.Store
    patient_ids : sequence of str
        The patients to compute (duplicates are computed once).
    settings : AnalysisSettings
    actor : str
        The acting username, for the store's records.
    replace : bool, default False
        Also drop the patients' stored rows of every other fingerprint (their diary
        or sessions changed, so those rows are stale).
    batch_size : int, default 500
        Patients read and computed at a time (bounds the memory).
    progress : callable, optional
        ``progress(patients_done, patients)``: once before the first batch and after each.
    rows : Dataset, optional
        Every stored row of these patients (e.g. the import that added them): the
        patients are computed from it instead of being read back from the database.

    Returns
    -------
    int
        Patients computed.

    Raises
    ------
    ValueError
        ``batch_size`` is not a positive int.
    """
    check_int(batch_size, "batch_size", "store_outcomes", 1)
    ids = sorted({str(p) for p in patient_ids})
    _compute_and_store(
        store, ids, settings, actor=actor, replace=replace, batch_size=batch_size,
        progress=progress, rows=rows,
    )  # fmt: skip
    return len(ids)


def _compute_and_store(
    store: Store,
    ids: Sequence[str],
    settings: AnalysisSettings,
    *,
    actor: str,
    replace: bool,
    batch_size: int,
    progress: Progress | None,
    rows: Any = None,
    updated_at: Any = None,
    keep: dict[str, list[Any]] | None = None,
) -> None:
    """Compute and store ``ids`` (sorted, unique) in batches (see :func:`store_outcomes`).

    With ``keep``, each batch's Arrow tables are appended to it by table name.
    """
    fp = settings_fingerprint(settings)
    done = 0
    if progress is not None:
        progress(0, len(ids))
    by_patient = None if rows is None else _rows_by_patient(rows)
    for start in range(0, len(ids), batch_size):
        batch = list(ids[start : start + batch_size])
        if by_patient is None:
            ds = store.dataset(actor, patient_ids=batch)
        else:
            ds = by_patient(batch)
        tables = per_patient_tables(ds.patients, ds.diary, ds.sessions, settings, ds.entries)
        arrow = arrow_by_patient(tables)
        store.write_outcomes(
            actor, fp, split_by_patient(tables, arrow=arrow),
            replace_ids=batch if replace else (), updated_at=updated_at,
        )  # fmt: skip
        if keep is not None:
            for name, table in arrow.items():
                keep.setdefault(name, []).append(table)
        done += len(batch)
        if progress is not None:
            progress(done, len(ids))


def _keep_snapshot(
    store: Store, settings: AnalysisSettings, kept: dict[str, list[Any]], updated_at: Any
) -> None:
    """Write the clinic's outcome snapshot from the tables an import computed."""
    import pyarrow as pa

    try:
        tables = {name: pa.concat_tables(parts) for name, parts in kept.items()}
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return  # batches of other schemas: the first read builds the snapshot
    try:
        store.keep_snapshot(settings_fingerprint(settings), tables, updated_at=updated_at)
    except StoreError:
        return  # a cache: the first read builds it


def refresh_after_write(
    store: Store,
    patient_ids: Sequence[str],
    settings: AnalysisSettings,
    *,
    actor: str,
    new_rows: Any = None,
    new_ids: Sequence[str] = (),
    progress: Progress | None = None,
) -> None:
    """Recompute the stored outcomes of the patients a committed write changed.

    The patients' rows of every fingerprint are replaced. Should the computation
    fail (any exception, e.g. ``MemoryError``), their stored rows are dropped
    instead, so that the next cohort read computes them rather than serving rows
    older than the diary; the write itself stays.

    Parameters
    ----------
    store : analytics.store.Store
    patient_ids : sequence of str
        The patients the write changed.
    settings : AnalysisSettings
        The clinic's settings.
    actor : str
        The acting username, for the store's records.
    new_rows : Dataset, optional
        The rows the write added (an import).
    new_ids : sequence of str, default ()
        Patients the write added, every row of theirs in ``new_rows``: they are
        computed from those rows in one pass (:data:`FRESH_BATCH` at most), the
        others read back from the database. The clinic's outcome snapshot is
        then written from the tables computed (:meth:`Store.keep_snapshot`), so
        the first cohort read after an import reads it as it is.
    progress : callable, optional
        ``progress(patients_done, patients)`` over all of ``patient_ids``.
    """
    ids = sorted(set(patient_ids))
    if not ids:
        return
    fresh = sorted(set(new_ids) & set(ids))
    known = sorted(set(ids) - set(fresh))
    total = len(ids)

    def step(offset: int) -> Progress | None:
        if progress is None:
            return None
        return lambda done, _n: progress(offset + done, total)

    stamp = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    kept: dict[str, list[Any]] | None = {} if fresh else None
    try:
        if fresh:
            _compute_and_store(
                store, fresh, settings, actor=actor, replace=True, rows=new_rows,
                batch_size=FRESH_BATCH, progress=step(0), updated_at=stamp, keep=kept,
            )  # fmt: skip
        if known:
            _compute_and_store(
                store, known, settings, actor=actor, replace=True, batch_size=500,
                progress=step(len(fresh)), updated_at=stamp, keep=kept,
            )  # fmt: skip
    except Exception:  # any failure: never serve stale rows, and keep the write
        store.forget_outcomes(actor, ids)
        return
    if kept:
        _keep_snapshot(store, settings, kept, stamp)


def refresh_stored_outcomes(
    store: Store,
    settings: AnalysisSettings,
    *,
    actor: str,
    full: bool = False,
    batch_size: int = 500,
    progress: Progress | None = None,
) -> int:
    """Compute the stored outcomes of the clinic's patients that lack them, or of everyone.

    Parameters
    ----------
    store : analytics.store.Store
    settings : AnalysisSettings
    actor : str
        The acting username, for the store's records.
    full : bool, default False
        Drop every stored row (of any settings) and compute every patient; default:
        only the patients without rows for these settings.
    batch_size : int, default 500
        Patients read and computed at a time.
    progress : callable, optional
        ``progress(patients_done, patients)`` after each batch.

    Returns
    -------
    int
        Patients computed.

    Raises
    ------
    ValueError
        ``batch_size`` is not a positive int.
    """
    check_int(batch_size, "batch_size", "refresh_stored_outcomes", 1)
    everyone = store.all_patient_ids()
    if full:
        store.forget_outcomes(actor)
        todo = everyone
    else:
        have = set(store.outcome_patient_ids(settings_fingerprint(settings)))
        todo = [p for p in everyone if p not in have]
    return store_outcomes(
        store, todo, settings, actor=actor, batch_size=batch_size, progress=progress
    )


def fill_missing_outcomes(
    store: Store,
    settings: AnalysisSettings,
    *,
    actor: str,
    clinician_user_id: int | None = None,
    patient_ids: Sequence[str] | None = None,
) -> list[str]:
    """Compute and store the outcomes of the patients in a scope that have none for ``settings``.

    Parameters
    ----------
    store : analytics.store.Store
    settings : AnalysisSettings
    actor : str
        The acting username, for the store's records.
    clinician_user_id : int, optional
        The scope is this clinician's assigned patients (selected in SQL).
    patient_ids : sequence of str, optional
        The scope is these patients. With neither, the scope is the clinic.

    Returns
    -------
    list of str
        The patients computed, sorted.
    """
    scope: dict[str, Any] = {"clinician_user_id": clinician_user_id, "patient_ids": patient_ids}
    in_scope = store.patient_ids(actor, **scope)
    have = set(store.outcome_patient_ids(settings_fingerprint(settings), **scope))
    missing = [p for p in in_scope if p not in have]
    if missing:
        store_outcomes(store, missing, settings, actor=actor)
    return missing


@dataclass(frozen=True)
class StoredCohort:
    """A scope's per-patient tables as :func:`stored_cohort` read them.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        The tables asked for (:func:`analytics.pipeline.stored_tables` names),
        ``patient_outcomes`` with the status columns of ``settings.as_of``, and
        ``status_anchor`` (``patient_id``, ``last_diary``, ``began``,
        ``latest_7day_mean``).
    computed : tuple of str
        Patients without stored rows, computed and stored first.
    recomputed : tuple of str
        Patients with diary days after the status date (a look back in time),
        whose ``patient_outcomes`` row was computed again from their rows.
    """

    tables: dict[str, pd.DataFrame]
    computed: tuple[str, ...]
    recomputed: tuple[str, ...]


def stored_cohort(
    store: Store,
    settings: AnalysisSettings,
    *,
    actor: str,
    names: Sequence[str] | None = None,
    clinician_user_id: int | None = None,
    patient_ids: Sequence[str] | None = None,
) -> StoredCohort:
    """Read the per-patient tables of a scope from the stored outcomes, status date applied.

    Patients of the scope without stored rows for ``settings`` are computed and
    stored first (:func:`fill_missing_outcomes`). A clinic's or a clinician's
    patients are read through their outcome snapshot (one stored row per table,
    patched for the patients changed since); a list of patients row by row. The
    status columns are those of ``settings.as_of``
    (:func:`analytics.pipeline.apply_status_date`); a patient with diary days
    after it is computed again from their rows.

    Parameters
    ----------
    store : analytics.store.Store
    settings : AnalysisSettings
    actor : str
        The acting username, for the store's records.
    names : sequence of str, optional
        The stored tables to read, in :func:`analytics.pipeline.stored_tables`
        order; they must include ``patient_outcomes`` and the status tables.
        Default: every one.
    clinician_user_id : int, optional
        The scope is this clinician's assigned patients (selected in SQL).
    patient_ids : sequence of str, optional
        The scope is these patients. With neither, the scope is the clinic.

    Returns
    -------
    StoredCohort
    """
    from analytics.store import CLINIC_SCOPE, clinician_scope

    names = list(stored_tables() if names is None else names)
    computed = fill_missing_outcomes(
        store, settings, actor=actor, clinician_user_id=clinician_user_id, patient_ids=patient_ids
    )
    fp = settings_fingerprint(settings)
    if patient_ids is not None:
        found = store.read_outcomes(
            fp, clinician_user_id=clinician_user_id, patient_ids=patient_ids
        )
        found = {k: v for k, v in found.items() if k in names}
    else:
        found = store.scope_outcomes(
            fp,
            names,
            scope=CLINIC_SCOPE if clinician_user_id is None else clinician_scope(clinician_user_id),
            clinician_user_id=clinician_user_id,
        )
    tables = assemble(found, settings, names=names)
    outcomes = apply_status_date(tables, settings)
    late = needs_recompute(tables["status_anchor"], settings.as_of)
    if late:
        # a look back in time: these patients' rows after the date are left out. They
        # were read in the scope, so reading exactly them (and, for a clinician, only
        # if still assigned) stays in it.
        ds = store.dataset(actor, patient_ids=late, clinician_user_id=clinician_user_id)
        daily = analysis_diary(ds.diary, ds.entries)
        again = per_patient(ds.patients, daily, ds.sessions, settings)["patient_outcomes"]
        keep = outcomes[~outcomes["patient_id"].astype("str").isin(late)]
        outcomes = (
            pd.concat([keep, again], ignore_index=True)
            .sort_values("patient_id", kind="mergesort", ignore_index=True)
            .astype(keep.dtypes.to_dict())
        )
    tables["patient_outcomes"] = outcomes
    shown = {k: v for k, v in tables.items() if k not in ("status_tail", "status_sessions")}
    return StoredCohort(tables=shown, computed=tuple(computed), recomputed=tuple(late))
