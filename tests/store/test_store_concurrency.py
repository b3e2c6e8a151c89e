"""8 threads and 2 processes logging and editing diary days at once, on SQLite and PostgreSQL.

Every call either returns a SaveResult or raises to its caller; afterwards every
returned write is stored, no day is duplicated, and the history holds an
unbroken chain old -> new for every replacement (no lost update).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import threading
from collections import Counter, defaultdict

import pytest
import sqlalchemy as sa

from analytics.contract import Dataset
from analytics.contract.schema import TABLES
from analytics.errors import ConflictError
from analytics.store import ImportReport, Store, open_store

N_THREADS = 8
N_PROCESSES = 2
N_OPS = 25
PATIENTS = ["P001", "P002", "P003", "P004"]
SHARED_REPLACE = [("P001", dt.date(2024, 1, d)) for d in (1, 2, 3)]  # everyone overwrites these
SHARED_CREATE = [("P002", dt.date(2024, 2, d)) for d in (1, 2)]  # everyone tries to create these


def _ops(worker: int) -> list[tuple[str, dt.date, float, bool]]:
    """(patient, day, pain, replace) of one worker; each write has a unique pain value."""
    ops = []
    for k in range(N_OPS):
        pain = (worker * N_OPS + k) / 25  # unique per write, in [0, 10)
        if k % 3 == 0:
            pid, day = SHARED_REPLACE[(worker + k) % len(SHARED_REPLACE)]
            ops.append((pid, day, pain, True))
        elif k % 3 == 1:
            pid, day = SHARED_CREATE[(worker + k) % len(SHARED_CREATE)]
            ops.append((pid, day, pain, False))
        else:  # the worker's own day of a patient shared with other workers
            pid = PATIENTS[(worker + k) % len(PATIENTS)]
            ops.append(
                (pid, dt.date(2023, 1, 1) + dt.timedelta(days=worker * 100 + k), pain, False)
            )
    return ops


def _run(store: Store, worker: int) -> list[tuple]:
    out = []
    for pid, day, pain, replace in _ops(worker):
        entry = {"patient_id": pid, "date": day, "pain": pain}
        try:
            result = store.save_diary_entry(f"patient:{pid}:w{worker}", entry, replace=replace)
            out.append((worker, pid, day, pain, replace, result.action, ""))
        except ConflictError:
            out.append((worker, pid, day, pain, replace, "conflict", ""))
        except Exception as exc:  # reported to the caller: recorded, checked below
            out.append((worker, pid, day, pain, replace, "error", f"{type(exc).__name__}: {exc}"))
    return out


def _process_worker(args: tuple) -> list[tuple]:
    url, worker, barrier = args
    with open_store(url) as store:
        barrier.wait(120)  # start together with the threads
        return _run(store, worker)


@pytest.mark.slow  # writer processes and threads
@pytest.mark.timeout(300)
def test_concurrent_writers_lose_nothing(db_url: str) -> None:
    with open_store(db_url) as store:
        for pid in PATIENTS:
            store.save_patient("cli", {"patient_id": pid, "condition": "neck_pain"})

        ctx = multiprocessing.get_context("spawn")
        results: list[tuple] = []
        lock = threading.Lock()

        manager = ctx.Manager()
        barrier = manager.Barrier(N_THREADS + N_PROCESSES)

        def thread_main(worker: int) -> None:
            barrier.wait(120)
            got = _run(store, worker)
            with lock:
                results.extend(got)

        with ctx.Pool(N_PROCESSES) as pool:
            pending = pool.map_async(
                _process_worker, [(db_url, N_THREADS + i, barrier) for i in range(N_PROCESSES)]
            )
            threads = [threading.Thread(target=thread_main, args=(w,)) for w in range(N_THREADS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(240)
            for chunk in pending.get(240):
                results.extend(chunk)
        manager.shutdown()

        assert len(results) == (N_THREADS + N_PROCESSES) * N_OPS
        errors = [r for r in results if r[5] == "error"]
        assert errors == [], errors[:5]  # nothing failed, in particular no "database is locked"

        stored = store.diary("cli")
        assert not stored.duplicated(["patient_id", "date"]).any()
        value = {
            (p, d.date()): v
            for p, d, v in zip(stored["patient_id"], stored["date"], stored["pain"], strict=True)
        }

        # every worker's own day is stored with its value
        own = [r for r in results if not r[4] and (r[1], r[2]) not in SHARED_CREATE]
        assert {r[5] for r in own} == {"created"}
        assert all(value[(r[1], r[2])] == r[3] for r in own)

        # create-only days: one creation wins, every other writer was told about the conflict
        for key in SHARED_CREATE:
            outcomes = [r for r in results if (r[1], r[2]) == key]
            assert Counter(r[5] for r in outcomes)["created"] == 1
            assert {r[5] for r in outcomes} <= {"created", "conflict"}
            winner = next(r for r in outcomes if r[5] == "created")
            assert value[key] == winner[3]

        # replaced days: an unbroken old -> new chain in the history, one entry per update
        history = store.history("cli", "P001")
        chains: dict[str, list] = defaultdict(list)
        for row in history.itertuples():
            if row.table == "diary":
                chains[row.key].append(row)
        for pid, day in SHARED_REPLACE:
            outcomes = Counter(r[5] for r in results if (r[1], r[2]) == (pid, day))
            chain = chains[day.isoformat()]
            assert chain[0].action == "create" and outcomes["created"] == 1
            assert sum(c.action == "update" for c in chain) == outcomes["updated"]
            for before, after in zip(chain, chain[1:], strict=False):
                assert json.loads(after.old)["pain"] == json.loads(before.new)["pain"]
            assert value[(pid, day)] == json.loads(chain[-1].new)["pain"]

        with store.engine.connect() as conn:
            dupes = conn.execute(
                sa.text(
                    "SELECT patient_id, date, count(*) FROM diary GROUP BY patient_id, date HAVING count(*) > 1"
                )
            ).all()
        assert dupes == []


@pytest.mark.slow  # two importing processes
def test_concurrent_imports_of_the_same_new_patients(db_url: str, clinic: Dataset) -> None:
    """Two imports of the same new patients at once: one inserts, the other retries and finds
    every row stored (SQLite serialises writers; on PostgreSQL the unique-key race of COPY is
    retried), or ends in a clear ConflictError - never a raw driver error."""
    results: list[object] = []
    with open_store(db_url) as store:
        for _ in range(3):
            barrier = threading.Barrier(2)
            round_results: list[object] = []

            def worker(barrier: threading.Barrier, out: list[object]) -> None:
                barrier.wait()
                try:
                    out.append(store.import_dataset("admin", clinic))
                except Exception as exc:  # ConflictError is fine; anything else fails below
                    out.append(exc)

            threads = [
                threading.Thread(target=worker, args=(barrier, round_results)) for _ in range(2)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            results.extend(round_results)
            bad = [r for r in round_results if not isinstance(r, (ImportReport, ConflictError))]
            assert not bad, bad
            inserted = [
                sum(r.inserted.values()) for r in round_results if isinstance(r, ImportReport)
            ]
            assert sum(inserted) in (0, sum(len(getattr(clinic, t)) for t in TABLES))
            assert store.counts("admin")["diary"] == len(clinic.diary)
            store_ids = store.patient_ids("admin")
            assert store_ids == sorted(clinic.patients["patient_id"])
            # the next round imports into a fresh set of tables
            with store.engine.begin() as conn:
                for t in (
                    "course_states", "questionnaires", "entries", "diary", "sessions", "patients",
                ):  # fmt: skip
                    conn.execute(sa.text(f"DELETE FROM {t}"))
    assert len(results) == 6
