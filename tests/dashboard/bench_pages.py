"""Page render time on the demo clinic (``make bench``; not collected by ``pytest``).

Two numbers per page: ``warm`` is a rerun with the analysis already cached (what a
user clicking around sees), ``cold`` clears every ``st.cache_data`` entry first, so
it includes running ``analytics.pipeline.analyze`` (rows are read once per page visit). The
acceptance target is < 2 s per page; the numbers are reported, not asserted
(the machines running it are shared).
"""

from __future__ import annotations

import pytest
import streamlit as st

from .conftest import ADMIN_PAGES, PATIENT_PAGES, open_page

PAGES = [("p003", p) for p in PATIENT_PAGES] + [("admin", p) for p in ADMIN_PAGES]


@pytest.mark.parametrize(("user", "page_path"), PAGES)
def test_warm_render(benchmark, demo_db, user, page_path):
    at = open_page(page_path, user=user)
    benchmark.pedantic(at.run, rounds=5, iterations=1)
    assert not at.exception


@pytest.mark.parametrize(("user", "page_path"), PAGES)
def test_cold_render(benchmark, demo_db, user, page_path):
    at = open_page(page_path, user=user)
    benchmark.pedantic(at.run, setup=st.cache_data.clear, rounds=3, iterations=1)
    assert not at.exception
