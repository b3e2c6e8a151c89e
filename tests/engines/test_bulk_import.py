"""Bulk imports on the raw drivers store exactly what SQLAlchemy's inserts store.

The import writes with executemany of tuples on sqlite3 and COPY on psycopg.
Each test imports a dataset that exercises every column kind (dates, session
times, floats with many digits, nullable integers, text with tabs, newlines,
backslashes, quotes and formula characters) and compares the stored rows, read
back through the driver, with the rows a plain SQLAlchemy insert of the same
records stores in a second database.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import sqlalchemy as sa

from analytics.contract import Dataset
from analytics.contract.schema import TABLES
from analytics.store import _models as models
from analytics.store import open_store
from analytics.store._importing import CHUNK_ROWS
from analytics.store._values import table_records


def _awkward(clinic: Dataset) -> Dataset:
    diary = clinic.diary.copy()
    n = len(diary)
    diary["notes"] = pd.Series(
        np.resize(
            [
                "tab\there",
                "line\nbreak",
                "back\\slash \\N",
                "cr\rhere",
                '"quoted", comma',
                "=1+1",
                "ünïcödé ✓",
                None,
            ],
            n,
        ),
        dtype="str",
    )
    diary["opioid_mme"] = np.resize([0.1 + 0.2, 1 / 3, 7.5, np.nan, 1e-7], n)
    sessions = clinic.sessions.copy()
    sessions.loc[sessions.index[::3], "notes"] = "multi\nline\tnote \\ end"
    return Dataset(patients=clinic.patients, diary=diary, sessions=sessions)


def _stored(url: str) -> dict[str, list[tuple]]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            raw = conn.connection.dbapi_connection
            out = {}
            for table, spec in TABLES.items():
                cols = ", ".join(f'"{c}"' for c in spec.column_names)
                keys = ", ".join(f'"{k}"' for k in spec.key)
                cur = raw.cursor()
                cur.execute(f"SELECT {cols} FROM {table} ORDER BY {keys}")
                out[table] = [tuple(r) for r in cur.fetchall()]
                cur.close()
            return out
    finally:
        engine.dispose()


def _reference_insert(url: str, ds: Dataset) -> None:
    """The same rows through SQLAlchemy's insert() with dict records (the old path)."""
    with open_store(url):
        pass  # create and migrate
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            for table in ("patients", "sessions", "diary"):
                frame = getattr(ds, table)
                if len(frame):
                    conn.execute(
                        models.DATA_TABLES[table].insert(), table_records(TABLES[table], frame)
                    )
    finally:
        engine.dispose()


def test_bulk_import_stores_what_sqlalchemy_stores(backend, db_url, request, tmp_path, clinic):
    ds = _awkward(clinic)
    calls: list[tuple[int, int]] = []
    with open_store(db_url) as st:
        report = st.import_dataset("test", ds, progress=lambda d, n: calls.append((d, n)))
        back = st.dataset("test")
    total = len(ds.patients) + len(ds.diary) + len(ds.sessions)
    assert sum(report.inserted.values()) == total
    assert calls[-1] == (total, total) and len(calls) >= 3
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)
    for table in TABLES:
        pd.testing.assert_frame_equal(getattr(back, table), getattr(ds, table), check_exact=True)

    if backend == "sqlite":
        ref_url = f"sqlite:///{tmp_path / 'reference.sqlite3'}"
    else:
        ref_url = request.getfixturevalue("pg_server").create_database()
    _reference_insert(ref_url, ds)
    got, expected = _stored(db_url), _stored(ref_url)
    for table in TABLES:
        assert len(got[table]) == len(expected[table])
        assert got[table] == expected[table], table


def test_many_chunks_and_a_failure_writes_nothing(backend, db_url, clinic):
    """More rows than one batch; a duplicate key in a later batch rolls the whole import back."""
    reps = CHUNK_ROWS // len(clinic.diary) + 2
    diary = pd.concat(
        [
            clinic.diary.assign(date=clinic.diary["date"] + pd.Timedelta(days=4000 * i))
            for i in range(reps)
        ],
        ignore_index=True,
    )
    big = Dataset(patients=clinic.patients, diary=diary, sessions=clinic.sessions)
    with open_store(db_url) as st:
        st.import_dataset("test", big)
        assert len(st.dataset("test").diary) == len(diary)

    broken = diary.copy()
    broken["date"] = broken["date"] + pd.Timedelta(days=1)  # new rows ...
    broken = pd.concat([broken, broken.iloc[[-1]]], ignore_index=True)  # ... and one twice
    with open_store(db_url) as st:
        before = len(st.dataset("test").diary)
        try:
            st.import_dataset(
                "test", Dataset(patients=clinic.patients, diary=broken, sessions=clinic.sessions)
            )
        except Exception as exc:  # the store's own error, not a driver's
            assert type(exc).__module__.startswith("analytics"), type(exc)
        else:
            raise AssertionError("a duplicate row was imported")
        assert len(st.dataset("test").diary) == before
