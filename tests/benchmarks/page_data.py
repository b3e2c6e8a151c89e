"""Child process of ``make bench``: page data from the stored outcomes, and a diary save.

``python -m tests.benchmarks.page_data URL REPEAT OUT.json`` on a database that
``paindiary import`` filled (the import stores every patient's outcomes):

* Clinic overview data, first read after the import: the clinic's outcome
  snapshot does not exist yet, so every patient's stored rows are read once and
  the snapshot written (``overview_first_s``);
* cold: what ``dashboard.data.overview_table`` does on a cache miss in a process
  that has cached nothing — the outcomes version, the visible patients'
  ``patient_outcomes`` and status tables (``Service.cohort_tables`` through the
  outcome snapshot), the patients frame and ``dashboard.frames.build_overview``;
* warm: a visit served from the page cache — the outcomes version, the cached
  outcomes copied out of the cache (``st.cache_data`` pickles them), the audit
  row of the visit, the patients frame and ``build_overview``;
* Treatment response data, cold: every per-patient table through the snapshot
  and ``analytics.pipeline.cohort``;
* Patient chart data: the patient's rows through the service and
  ``summarize_patient``, plus the warm cohort lookup the page makes;
* a diary save through the service, including that patient's refresh, and the
  overview read after the saves (the snapshot patched for those patients);
* with ``--refresh-all``: ``Service.refresh_outcomes(full=True)`` once.
"""

from __future__ import annotations

import json
import pickle
import statistics
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    url, repeat_text, out = argv[:3]
    refresh_all = "--refresh-all" in argv[3:]
    repeat = max(2, int(repeat_text))

    from analytics.access import LOCAL_OPERATOR
    from analytics.pipeline import cohort, summarize_patient
    from analytics.service import Service
    from analytics.store import open_store
    from dashboard.frames import build_overview

    res: dict = {}
    with open_store(url, create=False) as store:
        svc = Service(store, LOCAL_OPERATOR, face="bench")
        settings = svc.analysis_settings()
        ids = svc.visible_patient_ids()

        def cold() -> tuple:
            version = svc.outcomes_version(settings)
            tables = svc.cohort_tables(settings, purpose="bench", tables=())
            found = (tables["patient_outcomes"], tables["status_anchor"])
            build_overview(found[0], svc.patients())
            return version, found

        t = time.perf_counter()
        cold()
        res["overview_first_s"] = time.perf_counter() - t
        cold_s, warm_s = [], []
        cache: dict = {}
        for _ in range(repeat):
            t = time.perf_counter()
            version, found = cold()
            cold_s.append(time.perf_counter() - t)
            cache[version] = pickle.dumps(found)
        for _ in range(repeat * 3):
            t = time.perf_counter()
            version = svc.outcomes_version(settings)
            outcomes, _anchor = pickle.loads(cache[version])
            svc.record_cohort_view(purpose="bench", n_patients=len(outcomes))
            build_overview(outcomes, svc.patients())
            warm_s.append(time.perf_counter() - t)
        res["overview_cold_s"] = cold_s
        res["overview_warm_s"] = warm_s
        response_s = []
        for _ in range(repeat):
            t = time.perf_counter()
            tables = svc.cohort_tables(settings, purpose="bench")
            tables.pop("status_anchor")
            cohort(tables, settings=settings)
            response_s.append(time.perf_counter() - t)
        res["response_cold_s"] = response_s

        picks = [ids[int(i * (len(ids) - 1) / max(repeat - 1, 1))] for i in range(repeat)]
        chart_s = []
        for pid in picks:
            t = time.perf_counter()
            ds = svc.patient_dataset(pid, purpose="bench")
            summarize_patient(ds.patients, ds.diary, ds.sessions, patient_id=pid)
            svc.outcomes_version(settings)  # the page's cohort lookup, a cache hit
            chart_s.append(time.perf_counter() - t)
        res["patient_chart_s"] = chart_s

        save_s = []
        for pid in picks:
            ds = store.patient_dataset("bench", pid)
            day = ds.diary["date"].max().date()
            entry = svc.get_diary_entry(pid, day)
            assert entry is not None
            entry["pain"] = 0.0 if entry["pain"] else 1.0
            t = time.perf_counter()
            svc.save_diary_entry(entry, replace=True)
            save_s.append(time.perf_counter() - t)
        res["save_s"] = save_s
        t = time.perf_counter()
        cold()
        res["overview_after_save_s"] = time.perf_counter() - t

        if refresh_all:
            t = time.perf_counter()
            svc.refresh_outcomes(settings, full=True)
            res["refresh_all_s"] = time.perf_counter() - t
    for key in (
        "overview_cold_s",
        "overview_warm_s",
        "response_cold_s",
        "patient_chart_s",
        "save_s",
    ):
        res[key[:-2] + "_median_s"] = statistics.median(res[key])
    Path(out).write_text(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
