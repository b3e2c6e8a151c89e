"""Settings for the whole test suite."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest


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
