"""Database fixtures of the store tests: every store test runs on SQLite and on PostgreSQL,
except the tests of what is built on the store, marked :data:`SQLITE_ONLY`.

The PostgreSQL server is a throw-away cluster started once per test session
(``pg_server.PgServer``) and stopped in a finalizer even when tests fail; each
test gets its own database. Missing server binaries FAIL the tests with the
install command - they are never skipped.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from analytics.contract import Dataset
from analytics.errors import DataQualityWarning
from analytics.io import load_dataset
from analytics.store import Store, open_store, project_root

from .pg_server import PgServer, PgServerError

BACKENDS = ["sqlite", pytest.param("postgresql", marks=[pytest.mark.postgres, pytest.mark.slow])]

#: A test of what is built on the store rather than of its SQL - a command's words, the
#: demo's dates, which patients a change refreshes - runs on SQLite only. The statements
#: it reaches run on PostgreSQL too: in the store's own tests, and in the round trips,
#: transactions and scopes of the same file, which keep both backends.
SQLITE_ONLY = pytest.mark.parametrize("backend", ["sqlite"])


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    try:
        server = PgServer().start()
    except PgServerError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _database(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, *, schema: bool
) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'paindiary.sqlite3'}"
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.create_database(schema=schema)
    try:
        yield url
    finally:
        server.drop_database(url)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh database of the test's backend, with the newest schema and no rows.

    (A new SQLite file gets the schema when it is first opened.)
    """
    yield from _database(backend, request, tmp_path, schema=True)


@pytest.fixture
def empty_db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a fresh database of the test's backend without any table (a new file, or
    a database a PostgreSQL admin just created): for tests of what happens to a new one."""
    yield from _database(backend, request, tmp_path, schema=False)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with open_store(db_url) as s:
        yield s


def _load(directory: Path) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)  # e.g. truth.csv is not a contract file
        return load_dataset(directory)


@pytest.fixture(scope="session")
def clinic_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample clinic's CSV directory (sample_data/), or a generated 12-patient clinic
    written by the same code while sample_data/ is not there yet."""
    sample = project_root() / "sample_data"
    if (sample / "diary.csv").exists():
        return sample
    from analytics.demo import generate_clinic, write_clinic

    out = tmp_path_factory.mktemp("clinic")
    write_clinic(generate_clinic(12, rng=7), out)
    return out


@pytest.fixture(scope="session")
def clinic(clinic_dir: Path) -> Dataset:
    """The sample clinic loaded through the real loader."""
    return _load(clinic_dir)
