"""Per-patient tables as they are kept in the database, and the status date applied on read.

The service stores, for each patient, the tables of
:func:`analytics.pipeline.per_patient` computed *without* a status date
(``as_of=None``), keyed by :func:`settings_fingerprint` — a hash of every
setting that shapes per-patient rows, except ``as_of`` (and ``seed``/``n_boot``,
which only the cohort summaries use). Keeping today's date out of the key is what
spares the clinic a full recompute every morning.

The columns that do depend on the status date D are recomputed on read by
:func:`apply_status_date`, vectorised over the patients, from three small
stored tables per patient (:data:`STATUS_TABLES`):

- ``status_tail``: the patient's diary days (date, pain) in the last
  ``max(trend_window_days, recent_days)`` days up to the last entry;
- ``status_sessions``: each session's day, number of adverse events (counted as
  in :func:`analytics.stats.adverse_event_counts`) and whether one was listed;
- ``status_anchor``: the last diary day and the day the patient began (first
  diary entry or session), plus ``latest_7day_mean`` for the clinic overview.

Why this is exact: for a patient whose last diary day is on or before D every
entry counts, so the latest valid trailing mean and the most recent valid
follow-up window do not change with D (the stored values are taken as they
are), and the windows ending at D only reach entries of the tail. A patient
with diary days after D (a look back in time) is recomputed from their rows by
the caller — :func:`needs_recompute` names them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, replace
from typing import Any

import numpy as np
import pandas as pd

from analytics.contract.schema import DATE_DTYPE
from analytics.settings import AnalysisSettings

__all__ = [
    "FINGERPRINT_VERSION",
    "STATUS_TABLES",
    "per_patient_tables",
    "AS_OF_COLUMNS",
    "settings_fingerprint",
    "stored_settings",
    "stored_tables",
    "split_by_patient",
    "arrow_by_patient",
    "assemble",
    "needs_recompute",
    "apply_status_date",
]

#: Bumped when the stored format or a per-patient computation changes meaning.
#: 2: patient_outcomes gained sessions_in_baseline and its_pre_slope; 3: the daily values
#: fold in the entries during the day (:func:`analytics.pipeline.analysis_diary`).
FINGERPRINT_VERSION = 3
#: Settings that never shape a per-patient row (min_group_size shapes only the cohort
#: tables: stored rows stay valid when it changes).
_NOT_IN_FINGERPRINT = (
    "as_of",
    "seed",
    "n_boot",
    "min_group_size",
    "rd_interval",
    "course_quiet_weeks",  # the overview's triage only
    "fhir_identifier_system",  # FHIR files only
    "fhir_patient_fields",
    "questionnaire_sessions",
)
#: Options that shape per-patient rows only when set: at their default they are left
#: out, so settings that do not use them keep the fingerprint they always had.
_ONLY_WHEN_SET = {"adjust": "", "completers_at": None}
#: The small tables behind :func:`apply_status_date`.
STATUS_TABLES = ("status_tail", "status_sessions", "status_anchor")
#: Columns of ``patient_outcomes`` that depend on the status date.
AS_OF_COLUMNS = (
    "adherence_28d",
    "flag_low_adherence",
    "flag_recent_adverse_event",
    "flags",
    "status_date",
    "last_entry_date",
    "days_since_last_entry",
    "not_logging",
    "current_mean",
    "current_n",
    "n_recent_adverse_events",
)

_DAY = pd.Timedelta(days=1)


def _pipeline_tables() -> tuple[str, ...]:
    from analytics.pipeline._analyze import PER_PATIENT_TABLES

    return tuple(PER_PATIENT_TABLES)


def stored_tables() -> tuple[str, ...]:
    """Name every table kept per patient.

    :data:`analytics.pipeline.PER_PATIENT_TABLES`, then :data:`STATUS_TABLES`.
    """
    return _pipeline_tables() + STATUS_TABLES


def settings_fingerprint(settings: AnalysisSettings) -> str:
    """Hash the settings that shape per-patient rows with SHA-256 (hex).

    ``as_of``, ``seed`` and ``n_boot`` are left out; :data:`FINGERPRINT_VERSION` is in.
    """
    if not isinstance(settings, AnalysisSettings):
        raise TypeError(
            "The 'settings' parameter of settings_fingerprint must be an AnalysisSettings. "
            f"Got {settings!r} instead."
        )
    values = {
        k: v
        for k, v in asdict(settings).items()
        if k not in _NOT_IN_FINGERPRINT and not (k in _ONLY_WHEN_SET and v == _ONLY_WHEN_SET[k])
    }
    values["_version"] = FINGERPRINT_VERSION
    text = json.dumps(values, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def stored_settings(settings: AnalysisSettings) -> AnalysisSettings:
    """Drop the status date: the stored rows are computed with ``settings`` without one."""
    return replace(settings, as_of=None)


def _latest_means(diary: pd.DataFrame, min_entries: int) -> pd.Series:
    """Take the last 7-day mean of :func:`analytics.stats.rolling_mean` per patient."""
    from analytics.stats import rolling_mean

    if not len(diary):
        return pd.Series(dtype="float64")
    rolled = rolling_mean(diary, window_days=7, min_entries=min_entries)
    last = rolled.groupby("patient_id", sort=True)["pain_rolling_mean"].last()
    last.index = last.index.astype("str")
    return last


def _status_tables(
    diary: pd.DataFrame, sessions: pd.DataFrame | None, ids: pd.Index, settings: AnalysisSettings
) -> dict[str, pd.DataFrame]:
    from analytics.stats import adverse_events_long

    pid = diary["patient_id"].astype("str").to_numpy()
    date = diary["date"].astype(DATE_DTYPE).dt.normalize().to_numpy()
    pain = diary["pain"].astype("float64").to_numpy()
    # rows by patient then day (stable), and each patient's run of rows
    order, starts, ends, diary_ids = _runs(pid, date)
    pid, date, pain = pid[order], date[order], pain[order]
    last = date[ends - 1]
    span = max(settings.trend_window_days, settings.recent_days)
    row_last = np.repeat(last, ends - starts)
    keep = date > row_last - span * _DAY
    tail = pd.DataFrame({"patient_id": pid[keep], "date": date[keep], "pain": pain[keep]})

    if sessions is not None and len(sessions):
        s = pd.DataFrame(
            {
                "patient_id": sessions["patient_id"].astype("str").to_numpy(),
                "day": sessions["date"].astype(DATE_DTYPE).dt.normalize().to_numpy(),
                "adverse_events": sessions["adverse_events"].to_numpy(),
            }
        )
        events = adverse_events_long(s)
        n_events = np.bincount(events["row"].to_numpy(), minlength=len(s)).astype("int64")
        has_ae = (
            sessions["adverse_events"].notna()
            & (sessions["adverse_events"].astype("str").str.strip() != "")
        ).to_numpy(bool)
        s_pid = s["patient_id"].to_numpy()
        s_day = s["day"].to_numpy()
        s_order, s_starts, _s_ends, session_ids = _runs(s_pid, s_day)
        sess = pd.DataFrame(
            {
                "patient_id": s_pid[s_order],
                "day": s_day[s_order],
                "n_events": n_events[s_order],
                "has_ae": has_ae[s_order],
            }
        )
        first_session = _by_id(s_day[s_order][s_starts], session_ids, ids)
    else:
        sess = pd.DataFrame(
            {
                "patient_id": pd.Series(dtype="str"),
                "day": pd.Series(dtype=DATE_DTYPE),
                "n_events": pd.Series(dtype="int64"),
                "has_ae": pd.Series(dtype="bool"),
            }
        )
        first_session = np.full(len(ids), np.datetime64("NaT"), dtype=DATE_DTYPE)
    first = _by_id(date[starts], diary_ids, ids)
    # the earlier of the first diary day and the first session, either when the other is missing
    began = np.where(np.isnat(first) | (first_session < first), first_session, first)
    anchor = pd.DataFrame(
        {
            "patient_id": pd.Series(ids, dtype="str"),
            "last_diary": _by_id(last, diary_ids, ids),
            "began": began,
            "latest_7day_mean": _latest_means(diary, settings.min_entries)
            .reindex(ids)
            .astype("float64")
            .to_numpy(),
        }
    )
    return {"status_tail": tail, "status_sessions": sess, "status_anchor": anchor}


def _runs(
    pid: np.ndarray, day: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Stable order of rows by patient then day, each patient's run in it, and the patients.

    Returns ``(order, starts, ends, patients)``: patient ``patients[i]`` has the rows
    ``order[starts[i]:ends[i]]``; ``patients`` is sorted by code point.
    """
    codes, patients = pd.factorize(pid, sort=True)
    order = np.lexsort((day, codes))
    counts = np.bincount(codes, minlength=len(patients))
    ends = np.cumsum(counts)
    return order, ends - counts, ends, np.asarray(patients, dtype=object)


def _by_id(values: np.ndarray, have: np.ndarray, ids: pd.Index) -> np.ndarray:
    """``values`` (one per patient of ``have``) for each of ``ids``; NaT for the others."""
    at = pd.Index(have, dtype="str").get_indexer(ids)
    out = np.full(len(ids), np.datetime64("NaT"), dtype=DATE_DTYPE)
    found = at >= 0
    out[found] = values[at[found]]
    return out


def per_patient_tables(
    patients: pd.DataFrame | None,
    diary: pd.DataFrame,
    sessions: pd.DataFrame | None,
    settings: AnalysisSettings,
    entries: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """:func:`analytics.pipeline.per_patient` without a status date, plus :data:`STATUS_TABLES`.

    The diary is the daily values with the ``entries`` during the day folded in
    (:func:`analytics.pipeline.analysis_diary`), as ``paindiary analyze`` computes
    them. Every table has a ``patient_id`` column; ``status_anchor`` has one row per
    patient of ``patient_outcomes``.
    """
    from analytics.pipeline._analyze import per_patient
    from analytics.pipeline._entries import analysis_diary

    diary = analysis_diary(diary, entries)
    plain = stored_settings(settings)
    tables = dict(per_patient(patients, diary, sessions, plain))
    ids = pd.Index(tables["patient_outcomes"]["patient_id"].astype("str"))
    tables.update(_status_tables(diary, sessions, ids, plain))
    return tables


def arrow_by_patient(tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    """Convert every table with rows to Arrow once, its rows in ``patient_id`` order.

    The sort is stable (each patient's rows keep their order); ``patient_id`` is
    compared as text, code point by code point, as the store sorts.
    """
    import pyarrow as pa

    out: dict[str, Any] = {}
    for name, frame in tables.items():
        if not len(frame):
            continue
        keys = frame["patient_id"].astype("str").to_numpy(dtype=object)
        order = np.argsort(keys, kind="stable")
        if (order != np.arange(len(keys))).any():
            frame = frame.iloc[order]
        out[name] = pa.Table.from_pandas(frame.reset_index(drop=True), preserve_index=False)
    return out


def split_by_patient(
    tables: dict[str, pd.DataFrame], *, arrow: dict[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """Cut every table into ``{patient_id: {table: that patient's rows}}``.

    The patients are those of ``patient_outcomes``; a table without rows for a patient
    is left out for that patient.

    Each table is converted to Arrow once (:func:`arrow_by_patient`, or ``arrow``
    when given: its result for ``tables``) and cut into zero-copy slices, one per
    patient (``pyarrow.Table``; rows in their original order), so every patient's
    slice carries the same schema and the store encodes it without pandas.
    """
    import pyarrow as pa

    ids = tables["patient_outcomes"]["patient_id"].astype("str")
    out: dict[str, dict[str, Any]] = {str(p): {} for p in ids}
    for name, table in (arrow_by_patient(tables) if arrow is None else arrow).items():
        column = table.column("patient_id")
        keys = (column if column.type == pa.string() else column.cast(pa.string())).to_numpy(
            zero_copy_only=False
        )
        cut = np.flatnonzero(keys[1:] != keys[:-1]) + 1
        starts = np.concatenate([[0], cut])
        ends = np.concatenate([cut, [len(keys)]])
        for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
            pid = str(keys[start])
            if pid in out:
                out[pid][name] = table.slice(start, end - start)
    return out


def _empty_tables(settings: AnalysisSettings) -> dict[str, pd.DataFrame]:
    from analytics.contract import empty_frame

    return per_patient_tables(None, empty_frame("diary"), None, settings)


def assemble(
    stored: dict[str, pd.DataFrame],
    settings: AnalysisSettings,
    *,
    names: Sequence[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Rebuild every table of :func:`per_patient_tables` (or those in ``names``).

    From what the store returned: the patients' rows concatenated in ``patient_id``
    order. A table nobody has rows in comes back empty, its dtypes intact.
    """
    out: dict[str, pd.DataFrame] = {}
    empty: dict[str, pd.DataFrame] | None = None
    for name in stored_tables() if names is None else names:
        frame = stored.get(name)
        if frame is None or not len(frame):
            if empty is None:
                empty = _empty_tables(settings)
            out[name] = empty[name]
        else:
            out[name] = frame.reset_index(drop=True)
    return out


def needs_recompute(anchor: pd.DataFrame, as_of: str | dt.date | None) -> list[str]:
    """Patients whose diary goes past the status date ``as_of`` (None: nobody)."""
    if as_of is None or not len(anchor):
        return []
    day = pd.Timestamp(as_of).normalize()
    late = anchor["last_diary"].notna() & (anchor["last_diary"] > day)
    return sorted(anchor.loc[late, "patient_id"].astype("str"))


def apply_status_date(tables: dict[str, pd.DataFrame], settings: AnalysisSettings) -> pd.DataFrame:
    """``patient_outcomes`` with the status columns of date ``settings.as_of``.

    Valid for patients whose last diary day is on or before ``as_of`` (see
    :func:`needs_recompute`); equal to ``per_patient(..., as_of=D)`` for them.
    Without ``as_of`` the stored table is returned as it is.
    """
    from analytics.stats import FLAGS, join_flags

    outcomes = tables["patient_outcomes"]
    if settings.as_of is None or not len(outcomes):
        return outcomes
    s = settings
    day = pd.Timestamp(s.as_of).normalize()
    ids = pd.Index(outcomes["patient_id"].astype("str"))
    anchor = tables["status_anchor"].set_index("patient_id").reindex(ids)
    tail = tables["status_tail"]
    sess = tables["status_sessions"]
    end = pd.Series(day, index=ids, dtype=DATE_DTYPE)

    t_pid = tail["patient_id"].astype("str")
    t_date = tail["date"].to_numpy()
    upto = t_date <= day.to_datetime64()
    out = outcomes.set_index(ids).copy()

    out["status_date"] = end
    last = anchor["last_diary"].astype(DATE_DTYPE)
    out["last_entry_date"] = last
    since = (end - last).dt.days
    out["days_since_last_entry"] = pd.array(since, dtype="Int64")
    out["not_logging"] = (since.isna() | (since >= s.not_logging_days)).to_numpy(bool)

    cur = upto & (t_date > (day - s.trend_window_days * _DAY).to_datetime64())
    pains = tail["pain"][cur]
    n_cur = pains.groupby(t_pid[cur]).count().reindex(ids, fill_value=0)
    mean_cur = pains.groupby(t_pid[cur]).mean().reindex(ids)
    out["current_mean"] = mean_cur.where(n_cur >= s.rolling_min_entries).astype("float64")
    out["current_n"] = n_cur.astype("int64")

    s_pid = sess["patient_id"].astype("str")
    s_day = sess["day"].to_numpy()
    s_in = (s_day <= day.to_datetime64()) & (s_day > (day - s.recent_days * _DAY).to_datetime64())
    n_ae = sess["n_events"][s_in].groupby(s_pid[s_in]).sum()
    out["n_recent_adverse_events"] = n_ae.reindex(ids, fill_value=0).astype("int64")
    ae = sess["has_ae"][s_in].groupby(s_pid[s_in]).any().reindex(ids, fill_value=False)

    recent = upto & (t_date > (day - s.recent_days * _DAY).to_datetime64())
    n_recent = pd.Series(recent, index=tail.index).groupby(t_pid).sum().reindex(ids, fill_value=0)
    began = anchor["began"].astype(DATE_DTYPE)
    first_day = end - (s.recent_days - 1) * _DAY
    window_start = first_day.where(first_day >= began, began)
    n_window = ((end - window_start).dt.days + 1).astype("float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = (n_recent / n_window.where(n_window > 0)).astype("float64")
    out["adherence_28d"] = rate.where(n_window > 0, 0.0).where(end.notna())
    out["flag_low_adherence"] = (out["adherence_28d"] < 0.5).to_numpy(bool)
    out["flag_recent_adverse_event"] = ae.to_numpy(bool)
    flags = out[[f"flag_{name}" for name in FLAGS]]
    out["flags"] = join_flags(flags.set_axis(list(FLAGS), axis=1))
    out = out.reset_index(drop=True)
    return out.astype(outcomes.dtypes.to_dict())
