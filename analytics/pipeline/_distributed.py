"""The distributed engine: the per-patient path on dask.distributed, one task per patient range.

:func:`analyze_distributed` gives the same :class:`~analytics.pipeline.AnalysisResult`
as :func:`analytics.pipeline.analyze` on the same data, for clinics and
registries too large for one process:

1. The patients are split into contiguous ``patient_id`` ranges holding about
   the same number of diary rows (:func:`partition_bounds`); all rows of a
   patient fall in one range.
2. One task per range runs on a dask.distributed cluster — a
   :class:`distributed.LocalCluster` of worker processes with a memory limit
   each, or an existing cluster given by its scheduler address. A task reads its
   patients' rows (from Parquet, only the row groups that hold them), validates
   them with the loaders' rules and computes :func:`analytics.pipeline.per_patient`.
   CSV input is validated whole on this machine first (the loader's file limit
   applies) and its ranges are sent to the workers.
3. The per-patient tables come back in ``patient_id`` order and
   :func:`analytics.pipeline.cohort` computes the cohort summaries here.

Every problem of every range is collected before anything is raised, as with
the loaders. The per-patient path depends only on a patient's own rows, so the
result equals one pandas pass table by table (a test compares every file).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

import numpy as np
import pandas as pd

from analytics.checks import check_choice, check_int
from analytics.contract import ENTRIES, empty_entries, empty_frame
from analytics.errors import PROBLEM_COLUMNS, DataQualityWarning
from analytics.io import PARQUET_FILES, Slice, dataset_format, load_tables
from analytics.pipeline._analyze import (
    PER_PATIENT_TABLES,
    AnalysisResult,
    cohort,
    per_patient,
)
from analytics.pipeline._entries import analysis_diary, flares
from analytics.settings import DEFAULT_SETTINGS, AnalysisSettings

if TYPE_CHECKING:  # the dask engine is an optional dependency, imported when it runs
    from distributed import Client, Future

__all__ = [
    "DEFAULT_WORKER_MEMORY",
    "ROWS_PER_PARTITION",
    "DistributedRun",
    "analyze_distributed",
    "check_memory",
    "partition_bounds",
    "start_client",
]

#: Memory limit of each worker of the local cluster (the registry target: 4 GB).
DEFAULT_WORKER_MEMORY = "4GB"
#: Diary rows per partition when the number of partitions is not given.
ROWS_PER_PARTITION = 500_000

OnError = Literal["raise", "skip"]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class DistributedRun:
    """What :func:`analyze_distributed` computed and read.

    Attributes
    ----------
    result : AnalysisResult
        Identical to :func:`analytics.pipeline.analyze` on the same rows.
    n_diary, n_sessions : int
        Valid diary days and sessions analysed.
    n_partitions : int
        Patient ranges (tasks) the per-patient path ran in.
    rejects : dict of str to pandas.DataFrame
        With ``on_error="skip"``: the rejected rows per table, as
        :attr:`analytics.io._loaders.Dataset.rejects`.
    notes : tuple of str
        Data-quality remarks of the loaders (missing optional files, unknown
        columns).
    warnings : tuple of str
        The DataQualityWarning messages of the analysis, once each (a warning
        about several patients comes once per patient range).
    flares : pandas.DataFrame
        The flare table (:func:`analytics.pipeline.flares`) when the folder has
        ``entries.csv``; empty otherwise.
    """

    result: AnalysisResult
    n_diary: int
    n_sessions: int
    n_partitions: int
    rejects: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    flares: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def n_rejected(self) -> int:
        """Total number of rejected rows."""
        return int(sum(len(r) for r in self.rejects.values()))


# --------------------------------------------------------------------------- partitions


def partition_bounds(rows_per_patient: pd.Series, n_partitions: int) -> list[Slice]:
    """Split patients into contiguous ``patient_id`` ranges of about equal row counts.

    Parameters
    ----------
    rows_per_patient : pandas.Series
        Diary rows per patient, indexed by ``patient_id`` (any order), e.g.
        ``diary["patient_id"].value_counts()``.
    n_partitions : int
        Ranges wanted, >= 1; fewer are returned when there are fewer patients.

    Returns
    -------
    list of Slice
        Consecutive ranges covering every possible id: the first has no lower
        bound and the last no upper bound, so an id that is not in
        ``rows_per_patient`` still falls in exactly one range.

    Examples
    --------
    >>> counts = pd.Series({"A": 2, "B": 1, "C": 3})
    >>> [(s.low, s.high) for s in partition_bounds(counts, 2)]
    [(None, 'C'), ('C', None)]
    """
    check_int(n_partitions, "n_partitions", "partition_bounds", 1)
    counts = rows_per_patient.copy()
    counts.index = counts.index.astype("str")
    counts = counts.groupby(level=0).sum().sort_index()
    if len(counts) <= 1 or n_partitions == 1:
        return [Slice()]
    n = min(n_partitions, len(counts))
    cum = counts.to_numpy().cumsum()
    targets = cum[-1] * np.arange(1, n) / n
    # a range starts at patient b; rows before it are cum[b - 1]: take b nearest each target
    i = np.searchsorted(cum, targets, side="left")
    before = np.where(i > 0, cum[np.maximum(i - 1, 0)], 0)
    cut = np.where(targets - before <= cum[i] - targets, i, i + 1)
    cut = np.unique(cut[(cut > 0) & (cut < len(counts))])
    starts = [str(counts.index[i]) for i in cut]
    lows: list[str | None] = [None, *starts]
    highs: list[str | None] = [*starts, None]
    return [Slice(lo, hi) for lo, hi in zip(lows, highs, strict=True)]


def _in_part(frame: pd.DataFrame, part: Slice) -> pd.DataFrame:
    ids = frame["patient_id"]
    keep = pd.Series(True, index=frame.index)
    if part.low is not None:
        keep &= (ids >= part.low).fillna(True)
    if part.high is not None:
        keep &= (ids < part.high).fillna(True)
    return frame[keep.to_numpy()].reset_index(drop=True)


# --------------------------------------------------------------------------- one task


@dataclass
class _PartResult:
    tables: dict[str, pd.DataFrame]
    problems: pd.DataFrame
    rejects: dict[str, pd.DataFrame]
    n_diary: int
    n_sessions: int
    notes: list[str]
    fatal: bool = False
    warnings: list[str] = field(default_factory=list)


_Frames = tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame]


def _run_part(
    source: str | None,
    frames: _Frames,
    part: Slice,
    settings: AnalysisSettings,
    on_error: OnError,
    today: dt.date | None,
) -> _PartResult:
    """One task: read and validate a patient range (Parquet) or take its rows (CSV); per_patient.

    The range's entries during the day (always sent by this machine) fold into its diary
    and give its rows of the flare table.
    """
    patients, diary, sessions, entries = frames
    problems = pd.DataFrame(columns=PROBLEM_COLUMNS)
    rejects: dict[str, pd.DataFrame] = {}
    notes: list[str] = []
    if source is not None:
        loaded = load_tables(
            Path(source),
            on_error=on_error,
            today=today,
            part=part,
            patients=patients,
            tables=("diary", "sessions"),
        )
        problems, rejects, notes = loaded.problems, loaded.rejects, loaded.notes
        if loaded.fatal or (len(problems) and on_error == "raise"):
            return _PartResult({}, problems, rejects, 0, 0, notes, loaded.fatal)
        diary, sessions = loaded.frames["diary"], loaded.frames["sessions"]
    logged = diary if diary is not None else empty_frame("diary")
    diary = analysis_diary(logged, entries)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        tables = per_patient(patients, diary, sessions, settings)
        if len(entries):
            tables = {**tables, "flares": flares(diary, entries, patients, sessions, settings)}
    said = [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    n_sessions = 0 if sessions is None else len(sessions)
    return _PartResult(tables, problems, rejects, len(logged), n_sessions, notes, False, said)


# --------------------------------------------------------------------------- the cluster


def check_memory(value: str | int, name: str, func: str) -> int:
    """Bytes of a memory size in dask's spelling (``"4GB"``, ``"512MiB"``, an int), >= 64 MiB."""
    from dask.utils import parse_bytes

    try:
        size = value if isinstance(value, int) and not isinstance(value, bool) else None
        if size is None and isinstance(value, str):
            size = parse_bytes(value)
    except (ValueError, TypeError):
        size = None
    if size is None or size < 64 * 2**20:
        raise ValueError(
            f"The '{name}' parameter of {func} must be a memory size of at least 64MiB like "
            f"'4GB' or '512MiB'. Got {value!r} instead."
        )
    return int(size)


def start_client(
    scheduler: str | None = None,
    *,
    n_workers: int | None = None,
    worker_memory: str | int = DEFAULT_WORKER_MEMORY,
) -> Client:
    """Connect a dask.distributed client to an existing cluster, or start a new local one.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler (``tcp://host:8786``). Default: start a
        :class:`distributed.LocalCluster` listening on 127.0.0.1 only.
    n_workers : int, optional
        Worker processes of the local cluster (one thread each); default the
        number of CPUs.
    worker_memory : str or int, default "4GB"
        Memory limit of each local worker (dask's spelling: ``"4GB"``,
        ``"512MiB"`` or bytes). A worker over it is restarted by its nanny.

    Returns
    -------
    distributed.Client
        Its ``cluster`` attribute is the local cluster, if one was started.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise ImportError(
            "the dask engine needs dask.distributed; install it with pip install 'paindiary[dask]'"
        ) from exc
    if scheduler is not None:
        return Client(scheduler, timeout="30s")
    workers = n_workers if n_workers is not None else max(1, os.cpu_count() or 1)
    check_int(workers, "n_workers", "start_client", 1, 1024)
    memory = check_memory(worker_memory, "worker_memory", "start_client")
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        memory_limit=memory,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",  # the scheduler's HTTP routes, local only
    )
    return Client(cluster, set_as_default=False)


def _close(client: Client) -> None:
    """Close a client of :func:`start_client` and the local cluster it started, if any."""
    from distributed import LocalCluster

    cluster = getattr(client, "cluster", None)
    client.close()
    if isinstance(cluster, LocalCluster):
        cluster.close()


# --------------------------------------------------------------------------- the run


def _concat(parts: list[pd.DataFrame]) -> pd.DataFrame:
    frames = [p for p in parts if len(p)] or parts[:1]
    if len(frames) == 1:
        return frames[0].reset_index(drop=True)
    return pd.concat(frames, ignore_index=True)


def analyze_distributed(
    directory: str | os.PathLike[str],
    settings: AnalysisSettings = DEFAULT_SETTINGS,
    *,
    client: Client | None = None,
    scheduler: str | None = None,
    partitions: int | None = None,
    n_workers: int | None = None,
    worker_memory: str | int = DEFAULT_WORKER_MEMORY,
    on_error: OnError = "raise",
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> DistributedRun:
    """Analyse a data directory (CSV or Parquet) with the per-patient path on Dask.

    Parameters
    ----------
    directory : path
        A data directory: ``patients``, ``diary`` and ``sessions`` as CSV or as
        Parquet (:func:`analytics.io.dataset_format`). With an existing
        cluster, Parquet files are read by the workers: the path must be the
        same on every worker (a shared file system).
    settings : AnalysisSettings, optional
    client : distributed.Client, optional
        Use this client (not closed here). Otherwise one is started from
        ``scheduler``, ``n_workers`` and ``worker_memory`` (see
        :func:`start_client`) and closed at the end.
    scheduler, n_workers, worker_memory
        See :func:`start_client`.
    partitions : int, optional
        Patient ranges (tasks), >= 1. Default: one per
        :data:`ROWS_PER_PARTITION` diary rows, at least two per worker.
    on_error : {"raise", "skip"}
        As in :func:`analytics.io.load_dataset`.
    today : datetime.date, optional
        The date future dates are checked against (default: today).
    progress : callable, optional
        Called as ``progress(done, total)`` as the patient ranges finish.

    Returns
    -------
    DistributedRun

    Raises
    ------
    DataValidationError
        Listing every problem of every file and range (nothing is analysed).
    FileNotFoundError
        When ``directory`` does not exist.
    """
    check_choice(on_error, "on_error", "analyze_distributed", ("raise", "skip"))
    if partitions is not None:
        check_int(partitions, "partitions", "analyze_distributed", 1, 1_000_000)
    if not isinstance(settings, AnalysisSettings):
        raise TypeError(
            "The 'settings' parameter of analyze_distributed must be an AnalysisSettings. "
            f"Got {settings!r} instead."
        )
    base = Path(directory)
    if not base.is_dir():
        raise FileNotFoundError(f"{base} is not a directory; give the folder holding the diary")
    if client is not None:
        return _run(base, settings, client, partitions, on_error, today, progress)
    own = start_client(scheduler, n_workers=n_workers, worker_memory=worker_memory)
    try:
        return _run(base, settings, own, partitions, on_error, today, progress)
    finally:
        _close(own)


@dataclass
class _Driver:
    """What this machine reads before the ranges run.

    ``patients`` is None when there is no patients file (the ranges then check no
    patient ids); ``source`` is the folder the workers read their ranges from
    (Parquet), or None when this machine sends them the rows of ``diary`` and
    ``sessions`` (CSV). ``counts`` holds the diary rows per patient.
    """

    patients: pd.DataFrame | None
    diary: pd.DataFrame | None
    sessions: pd.DataFrame | None
    source: str | None
    counts: pd.Series
    notes: list[str]
    rejects: dict[str, pd.DataFrame]
    problems: list[pd.DataFrame]
    entries: pd.DataFrame = field(default_factory=empty_entries)


def _read_parquet_head(base: Path, on_error: OnError, today: dt.date | None) -> _Driver:
    """Read the patients of a Parquet folder and count the diary's rows per patient."""
    from analytics.io import raise_problems

    head = load_tables(base, on_error=on_error, today=today, part=None, tables=("patients",))
    if head.fatal or (len(head.problems) and on_error == "raise"):
        raise_problems(head.problems)
    diary_path = base / PARQUET_FILES["diary"]
    if not diary_path.exists():
        raise_problems(
            pd.DataFrame(
                [(diary_path.name, 0, "", "", f"no {diary_path.name} in {base}; it is required")],
                columns=PROBLEM_COLUMNS,
            )
        )
    patients = head.frames["patients"] if (base / PARQUET_FILES["patients"]).exists() else None
    return _Driver(
        patients=patients,
        diary=None,
        sessions=None,
        source=str(base),
        counts=_parquet_counts(diary_path),
        notes=list(head.notes),
        rejects=dict(head.rejects),
        problems=[head.problems] if len(head.problems) else [],
        entries=_csv_entries(base, patients, on_error, today),
    )


def _csv_entries(
    base: Path, patients: pd.DataFrame | None, on_error: OnError, today: dt.date | None
) -> pd.DataFrame:
    """Read the folder's ``entries.csv`` (kept as CSV beside Parquet files), or none."""
    from analytics.io import load_entries

    path = base / ENTRIES.file_name
    if not path.exists():
        return empty_entries()
    return load_entries(path, patients=patients, on_error=on_error, today=today)


def _read_csv(base: Path, on_error: OnError, today: dt.date | None) -> _Driver:
    """Load and check a CSV folder whole on this machine (the loader's file limit applies)."""
    from analytics.io import load_dataset

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        ds = load_dataset(base, on_error=on_error, today=today)
    return _Driver(
        patients=ds.patients,
        diary=ds.diary,
        sessions=ds.sessions,
        source=None,
        counts=ds.diary["patient_id"].value_counts(),
        notes=[str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)],
        rejects=dict(ds.rejects),
        problems=[],
        entries=ds.entries,
    )


def _submit(
    client: Client,
    driver: _Driver,
    parts: list[Slice],
    settings: AnalysisSettings,
    on_error: OnError,
    today: dt.date | None,
) -> list[Future]:
    """Start one task per patient range, with the rows this machine holds of it."""
    futures = []
    for part in parts:
        p_part = _in_part(driver.patients, part) if driver.patients is not None else None
        e_part = _in_part(driver.entries, part)
        if driver.source is not None:
            frames: _Frames = (p_part, None, None, e_part)
        else:
            frames = (
                p_part,
                _in_part(cast(pd.DataFrame, driver.diary), part),
                _in_part(cast(pd.DataFrame, driver.sessions), part),
                e_part,
            )
        [scattered] = client.scatter([frames])
        futures.append(
            client.submit(
                _run_part, driver.source, scattered, part, settings, on_error, today, pure=False
            )
        )
    return futures


def _gather(client: Client, futures: list[Future], progress: Progress | None) -> list[_PartResult]:
    """Collect the tasks' results in range order, reporting progress as they finish."""
    from distributed import as_completed

    order = {f.key: i for i, f in enumerate(futures)}
    results: list[_PartResult | None] = [None] * len(futures)
    done = 0
    for future in as_completed(futures, loop=client.loop):
        results[order[future.key]] = future.result()
        done += 1
        if progress is not None:
            progress(done, len(futures))
    return [r for r in results if r is not None]


def _merge_notes_and_rejects(driver: _Driver, finished: list[_PartResult]) -> None:
    """Add the ranges' notes (each once) and rejected rows to the driver's, in range order."""
    for r in finished:
        for note in r.notes:
            if note not in driver.notes:
                driver.notes.append(note)
        for table, frame in r.rejects.items():
            rejects = driver.rejects
            rejects[table] = _concat([rejects[table], frame]) if table in rejects else frame


def _raise_once(problems: list[pd.DataFrame]) -> None:
    """Raise the problems of the driver and the ranges, a whole file's problem once.

    Every range finds a problem with a whole file; the problems are ordered by file
    (patients, diary, sessions) and line.
    """
    from analytics.io import raise_problems

    found = pd.concat(problems, ignore_index=True).drop_duplicates()
    rank = {PARQUET_FILES[t]: i for i, t in enumerate(("patients", "diary", "sessions"))}
    found = found.assign(_rank=found["file"].map(rank).fillna(len(rank)))
    found = found.sort_values(["_rank", "line"], kind="stable").drop(columns="_rank")
    raise_problems(found.reset_index(drop=True))


def _run(
    base: Path,
    settings: AnalysisSettings,
    client: Client,
    partitions: int | None,
    on_error: OnError,
    today: dt.date | None,
    progress: Progress | None,
) -> DistributedRun:
    if dataset_format(base) == "parquet":
        driver = _read_parquet_head(base, on_error, today)
    else:
        driver = _read_csv(base, on_error, today)

    n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    n_rows = int(driver.counts.sum())
    n_parts = partitions or max(2 * n_workers, math.ceil(n_rows / ROWS_PER_PARTITION))
    parts = partition_bounds(driver.counts, n_parts)
    finished = _gather(client, _submit(client, driver, parts, settings, on_error, today), progress)

    problems = [*driver.problems, *(r.problems for r in finished if len(r.problems))]
    _merge_notes_and_rejects(driver, finished)
    if problems and (on_error == "raise" or any(r.fatal for r in finished)):
        _raise_once(problems)
    tables = {name: _concat([r.tables[name] for r in finished]) for name in PER_PATIENT_TABLES}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", DataQualityWarning)
        result = cohort(tables, settings=settings)
    said = [m for r in finished for m in r.warnings]
    said += [str(w.message) for w in caught if issubclass(w.category, DataQualityWarning)]
    return DistributedRun(
        result=result,
        n_diary=sum(r.n_diary for r in finished),
        n_sessions=sum(r.n_sessions for r in finished),
        n_partitions=len(parts),
        rejects=driver.rejects,
        notes=tuple(driver.notes),
        warnings=tuple(dict.fromkeys(said)),
        flares=_concat(
            [r.tables["flares"] for r in finished if "flares" in r.tables] or [pd.DataFrame()]
        ),
    )


def _parquet_counts(path: Path) -> pd.Series:
    """Rows per ``patient_id`` of a Parquet diary (one column read, counted by Arrow)."""
    import pyarrow.parquet as pq

    try:
        col = pq.read_table(path, columns=["patient_id"]).column("patient_id")
    except (OSError, ValueError, KeyError):
        # unreadable or without patient_id: one range, whose task reports the problem
        return pd.Series([], dtype="int64")
    counts = col.value_counts().flatten()
    index = pd.Index(counts[0].to_pandas(), dtype="str")
    return pd.Series(counts[1].to_numpy(zero_copy_only=False), index=index).dropna()


# --------------------------------------------------------------------------- the command
