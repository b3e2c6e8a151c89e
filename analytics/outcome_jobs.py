"""Per-patient stored tables computed in a worker thread, while the caller does other work.

An import of new patients holds every row of theirs in memory before a single
row is written; their outcomes depend only on those rows. :class:`OutcomeJob`
computes them in a background thread while the rows go into the database
(SQLite and PostgreSQL drivers release the GIL while the database works), and
hands the tables over once the import has committed. Nothing is written by the
job itself: should the import fail, its tables are dropped.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["OutcomeJob", "rows_by_patient"]


def rows_by_patient(dataset: Any) -> Callable[[Sequence[str]], Any]:
    """A function giving the rows of some patients of ``dataset`` (a Dataset of
    canonical frames) as a Dataset, each table's rows located once."""
    from .loaders import Dataset

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


class OutcomeJob:
    """Compute :func:`analytics.stored.per_patient_tables` of ``patient_ids`` from
    ``dataset`` in a worker thread, ``batch_size`` patients at a time.

    Parameters
    ----------
    dataset : analytics.loaders.Dataset
        Holds every row of the patients.
    patient_ids : sequence of str
    settings : AnalysisSettings
    batch_size : int, default 1000

    Examples
    --------
    ``job = OutcomeJob(ds, ids, settings)``, then the other work, then
    ``parts = job.result(progress)``: ``{patient_id: {table: rows}}`` as
    :func:`analytics.stored.split_by_patient` gives them.
    """

    def __init__(
        self, dataset: Any, patient_ids: Sequence[str], settings: Any, *, batch_size: int = 1000
    ) -> None:
        self.total = len(patient_ids)
        self.done = 0
        self._ids = sorted(str(p) for p in patient_ids)
        self._dataset = dataset
        self.settings = settings
        self._batch = batch_size
        self._parts: dict[str, dict[str, Any]] = {}
        self._error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="paindiary-outcomes", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        from . import stored

        try:
            rows = rows_by_patient(self._dataset)
            for start in range(0, len(self._ids), self._batch):
                if self._stop.is_set():
                    return
                batch = self._ids[start : start + self._batch]
                ds = rows(batch)
                tables = stored.per_patient_tables(
                    ds.patients, ds.diary, ds.sessions, self.settings
                )
                self._parts.update(stored.split_by_patient(tables))
                self.done += len(batch)
        except BaseException as exc:  # handed to the caller by result()
            self._error = exc

    def cancel(self) -> None:
        """Stop after the batch being computed and wait for the thread."""
        self._stop.set()
        self._thread.join()

    def result(
        self, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, dict[str, Any]]:
        """Wait for the tables, reporting ``progress(done, total)`` from the calling
        thread (a face's progress bar cannot be drawn from the worker); re-raises
        the worker's error."""
        while self._thread.is_alive():
            if progress is not None:
                progress(self.done, self.total)
            self._thread.join(timeout=0.2)
        if self._error is not None:
            raise self._error
        if progress is not None:
            progress(self.done, self.total)
        return self._parts
