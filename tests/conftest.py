"""Settings and shared fixtures of the whole test suite."""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher, Type

from analytics.access import _auth
from tests.demo_clinic import demo_clinic_kept_dates, demo_clinic_template

__all__ = [
    "cheap_password_hashes",
    "component_scan_once",
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


@pytest.fixture
def production_password_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash passwords at the product's costs in this test."""
    monkeypatch.setattr(_auth, "_hasher", PRODUCTION_HASHER)


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
