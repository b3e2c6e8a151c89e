"""Page render time on the demo clinic (``make bench``; not collected by ``pytest``).

Two numbers per page: ``warm`` is a rerun with the analysis already cached (what a
user clicking around sees), ``cold`` clears every ``st.cache_data`` entry first, so
it includes reading the database and running ``analytics.pipeline.analyze``. The
acceptance target is < 2 s per page; the numbers are reported, not asserted
(the machines running it are shared).
"""

from __future__ import annotations

import pytest
import streamlit as st

from .conftest import CLINICIAN_PAGES, PATIENT_PAGES, open_page

PAGES = [("patient", p) for p in PATIENT_PAGES] + [("clinician", p) for p in CLINICIAN_PAGES]


@pytest.mark.parametrize(("role", "page_path"), PAGES)
def test_warm_render(benchmark, demo_db, role, page_path):
    at = open_page(page_path, role=role, patient_id="P003")
    benchmark.pedantic(at.run, rounds=5, iterations=1)
    assert not at.exception


@pytest.mark.parametrize(("role", "page_path"), PAGES)
def test_cold_render(benchmark, demo_db, role, page_path):
    at = open_page(page_path, role=role, patient_id="P003")
    benchmark.pedantic(at.run, setup=st.cache_data.clear, rounds=3, iterations=1)
    assert not at.exception
