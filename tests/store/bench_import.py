"""Measure a clinic-scale import/read: ``python tests/store/bench_import.py [--patients N] [--days D] [--db URL]``.

Not collected by pytest (the file name does not start with ``test_``). Default:
10,000 patients x 365 diary days = 3.65 million diary rows, into a temporary
SQLite file; pass ``--db postgresql+psycopg://...`` for PostgreSQL (the database
must be empty).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from analytics.contract import Dataset
from analytics.demo import generate_clinic
from analytics.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--db", default=None)
    args = parser.parse_args()
    t0 = time.perf_counter()
    clinic = generate_clinic(args.patients, rng=1, n_days=args.days)
    ds = Dataset(patients=clinic["patients"], diary=clinic["diary"], sessions=clinic["sessions"])
    print(
        f"generated {len(ds.diary):,} diary rows, {len(ds.sessions):,} sessions in {time.perf_counter() - t0:.1f} s"
    )
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        with open_store(url) as store:
            for label, kwargs in (("import", {}), ("re-import (all unchanged)", {})):
                t = time.perf_counter()
                report = store.import_dataset("bench", ds, **kwargs)
                print(
                    f"{label}: {time.perf_counter() - t:.1f} s; inserted {sum(report.inserted.values()):,}"
                )
            t = time.perf_counter()
            full = store.dataset("bench")
            print(
                f"read the whole clinic: {time.perf_counter() - t:.1f} s ({len(full.diary):,} diary rows)"
            )
            pid = ds.patients["patient_id"].iat[len(ds.patients) // 2]
            t = time.perf_counter()
            for _ in range(20):
                one = store.diary("bench", pid)
            print(
                f"read one patient's diary: {(time.perf_counter() - t) / 20 * 1000:.1f} ms ({len(one)} rows)"
            )


if __name__ == "__main__":
    main()
