"""Settings and shared fixtures of the whole test suite."""

from __future__ import annotations

import contextlib
import functools
import gc
import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher, Type

from analytics.access import _auth
from tests.demo_clinic import demo_clinic_kept_dates, demo_clinic_template

__all__ = [
    "SLOW_FILES",
    "SLOW_FOLDERS",
    "cheap_password_hashes",
    "component_scan_once",
    "new_sqlite_databases_from_a_template",
    "demo_clinic_kept_dates",
    "demo_clinic_template",
    "production_password_hashes",
]

#: The product's password hasher, kept for the tests of its costs.
PRODUCTION_HASHER = _auth._hasher


def cheap_hasher() -> Any:
    """argon2id at its smallest costs: the same algorithm and format, a thousandth of the work."""
    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=Type.ID)


@pytest.fixture(scope="session", autouse=True)
def cheap_password_hashes() -> Iterator[None]:
    """Hash passwords cheaply in every test, session-scoped fixtures included.

    The product's costs (64 MiB, three passes) make each hash and each sign-in take a tenth
    of a second or more; hundreds of accounts and sign-ins made the suite wait for them.
    A hash records its own costs, so verifying works whatever made it. Servers and commands
    the tests start in another process hash at the product's costs.
    """
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_auth, "_hasher", cheap_hasher)
        yield


@pytest.fixture(scope="session", autouse=True)
def component_scan_once() -> Iterator[None]:
    """Scan the installed packages for Streamlit components once per test process.

    Every AppTest scans the metadata of every installed distribution for component
    manifests (half a second each time, a quarter of a page test); the installed packages
    do not change while the tests run, so the first scan's answer serves them all.
    """
    from streamlit.components.v2 import manifest_scanner

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(
            manifest_scanner,
            "scan_component_manifests",
            functools.cache(manifest_scanner.scan_component_manifests),
        )
        yield


@pytest.fixture(scope="session", autouse=True)
def app_runs_awaited_without_polling() -> Iterator[None]:
    """Wait for an AppTest's script run by joining its thread, not by polling every 1 ms.

    AppTest runs the page in a thread and, as shipped, checks for the run's end every
    millisecond; each check takes the interpreter lock back from the page's thread, which
    made every page test about a tenth slower. The script thread of an AppTest run ends
    when its run has ended (AppTest joins it right after), so waiting for the thread, with
    the same timeout and the same error when it passes, is the same wait without the
    checks.
    """
    from streamlit.testing.v1 import local_script_runner

    shipped = local_script_runner.require_widgets_deltas

    def require_widgets_deltas(runner: Any, timeout: float = 3) -> None:
        thread = getattr(runner, "_script_thread", None)
        if thread is None:  # not started, or a Streamlit without it: the shipped wait
            shipped(runner, timeout)
            return
        thread.join(timeout)
        if runner.script_stopped():
            return
        runner.request_stop()
        runner.join()
        raise RuntimeError(f"AppTest script run timed out after {timeout}(s)")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(local_script_runner, "require_widgets_deltas", require_widgets_deltas)
        yield


@pytest.fixture(scope="session", autouse=True)
def new_sqlite_databases_from_a_template(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Path]:
    """Give a new SQLite database the schema by copying a migrated one, once per process.

    Every migration runs on a new database (a fifth of a second; hundreds of tests make
    one). The migrations are run once, for real, on a template; a new, empty database
    then gets the template's pages (SQLite's backup) and the real check that its schema
    is the newest. A database that already has tables, PostgreSQL, and a check without
    upgrading go through the migrations as they are.
    """
    import sqlalchemy as sa

    from analytics.store import _engine

    real = _engine._migrate
    template = tmp_path_factory.mktemp("schema") / "schema.sqlite3"
    engine = sa.create_engine(f"sqlite:///{template}")
    try:
        real(engine, upgrade=True)
    finally:
        engine.dispose()

    def migrate(engine: sa.Engine, *, upgrade: bool) -> None:
        if upgrade and engine.dialect.name == "sqlite":
            # a file that is not a database, or cannot be opened, gets the product's own
            # error from the real migration below
            with contextlib.suppress(sa.exc.DBAPIError, sqlite3.Error):
                raw = engine.raw_connection()
                try:
                    target = raw.driver_connection
                    assert isinstance(target, sqlite3.Connection)
                    if not target.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall():
                        with contextlib.closing(sqlite3.connect(template)) as source:
                            source.backup(target)
                finally:
                    raw.close()
        real(engine, upgrade=upgrade)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_engine, "_migrate", migrate)
        yield template


@pytest.fixture
def production_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords at the product's costs in this test."""
    monkeypatch.setattr(_auth, "_hasher", PRODUCTION_HASHER)


#: Folders whose every test runs the whole app (an AppTest run or a server) or renders a
#: document: marked ``slow``, so ``make test-fast`` leaves them out.
SLOW_FOLDERS = frozenset({"dashboard", "e2e", "reports"})

#: Files whose tests take a second or more each, and why: marked ``slow`` too.
SLOW_FILES = {
    "architecture/test_deferred_imports.py": "a fresh interpreter per test",
    "engines/test_parquet.py": "whole-clinic conversions and analyses",
    "cli/test_refresh.py": "stored outcomes of the whole clinic",
    "engines/test_bulk_import.py": "large imports in chunks",
    "hostile/test_dashboard.py": "runs the whole app (AppTest)",
    "hostile/test_files.py": "whole-clinic imports and exports",
    "hostile/test_no_traceback.py": "runs the whole app (AppTest)",
    "hostile/test_page_refusal.py": "runs the whole app (AppTest)",
    "hostile/test_store_faults.py": "whole-clinic imports and exports with faults",
    "pipeline/test_paths.py": "every patient against the whole clinic",
    "pipeline/test_upkeep.py": "stored outcomes of the whole clinic",
    "service/test_export_zip.py": "whole-clinic exports",
    "stats/test_edges.py": "whole awkward clinics",
    "store/test_snapshots.py": "stored outcomes of the whole clinic",
    "store/test_store_cli.py": "init-demo and whole-clinic imports",
    "store/test_stored_outcomes.py": "stored outcomes against whole-clinic references",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests of :data:`SLOW_FOLDERS` and :data:`SLOW_FILES` ``slow``; put the
    longest files first.

    The test processes take whole files in the order of the collection (``make test``
    turns off pytest-xdist's own order, by number of tests, which hands out the browser
    tests - one long test per file - last, so one process ran the longest test alone at
    the end). The browser tests come first, then the other slow files, then the rest by
    number of tests, so the short files fill the end. A file's tests keep their order.
    """
    tests_in: Counter[Path] = Counter()
    kind: dict[Path, int] = {}
    for item in items:
        where = f"{item.path.parent.name}/{item.path.name}"
        if item.path.parent.name in SLOW_FOLDERS or where in SLOW_FILES:
            item.add_marker(pytest.mark.slow)
        tests_in[item.path] += 1
        this = (
            0 if item.get_closest_marker("browser") else 1 if item.get_closest_marker("slow") else 2
        )
        kind[item.path] = min(kind.get(item.path, this), this)

    items.sort(key=lambda item: (kind[item.path], -tests_in[item.path]))


#: Allocations between two collections of the youngest generation of the garbage
#: collector in a test process (Python's default is 700).
GC_YOUNGEST_THRESHOLD = 20_000


def pytest_configure(config: pytest.Config) -> None:
    """Collect garbage less often in the test process.

    A page test allocates millions of short-lived objects; at Python's default of a
    collection per 700 allocations, the collector ran thousands of times per test file and
    about twenty full collections of a heap of some 350,000 objects (the imported
    libraries), a tenth of a page test's time. What a test checks does not depend on when
    garbage is collected; servers and commands the tests start keep the defaults, and so
    do the page benchmarks (``--benchmark-only``), which time the product as it runs.
    """
    if not _benchmarking(config):
        gc.set_threshold(GC_YOUNGEST_THRESHOLD, 20, 20)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Leave what the collection imported (modules, the libraries' tables) out of every
    later collection: it lives as long as the process."""
    if not _benchmarking(session.config):
        gc.collect()
        gc.freeze()


def _benchmarking(config: pytest.Config) -> bool:
    return bool(config.getoption("benchmark_only", default=False))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """Give ``__main__`` back after every test.

    Streamlit's AppTest runs a page script as ``__main__`` and leaves it there. Child
    processes started with "spawn" (the store's concurrency tests, Dask's workers) re-run
    ``__main__``'s file, so a later test's child would run a dashboard page and die.
    """
    main = sys.modules.get("__main__")
    try:
        return (yield)
    finally:
        if main is not None:
            sys.modules["__main__"] = main
