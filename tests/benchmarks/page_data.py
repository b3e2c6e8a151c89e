"""Child process of ``make bench``: page data from the stored outcomes, and a diary save.

``python -m tests.benchmarks.page_data URL REPEAT OUT.json`` on a database that
``paindiary import`` filled (the import stores every patient's outcomes):

* Clinic overview data, cold: what ``dashboard.data.overview_table`` does on a
  cache miss — the outcomes version, the stored per-patient tables of the
  visible patients (``Service.cohort_tables``), ``analytics.pipeline.cohort``,
  the patients frame and the merge;
* warm: a cache hit — the outcomes version, the audit row of the visit, the
  patients frame and the merge;
* Patient chart data: the patient's rows through the service and
  ``summarize_patient``, plus the warm cohort lookup the page makes;
* a diary save through the service, including that patient's refresh;
* with ``--refresh-all``: ``Service.refresh_outcomes(full=True)`` once.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    url, repeat_text, out = argv[:3]
    refresh_all = "--refresh-all" in argv[3:]
    repeat = max(2, int(repeat_text))
    import pandas as pd

    from analytics.auth import LOCAL_OPERATOR
    from analytics.patient_summary import summarize_patient
    from analytics.pipeline import cohort
    from analytics.service import Service
    from analytics.store import open_store

    res: dict = {}
    with open_store(url, create=False) as store:
        svc = Service(store, LOCAL_OPERATOR, face="bench")
        settings = svc.analysis_settings()
        ids = svc.visible_patient_ids()

        def cold() -> tuple:
            version = svc.outcomes_version(settings)
            tables = svc.cohort_tables(settings, purpose="bench")
            anchor = tables.pop("status_anchor")
            result = cohort(tables, settings=settings)
            return version, result, anchor

        def overview(result, anchor) -> pd.DataFrame:
            pats = svc.patients()
            latest = anchor.set_index("patient_id")["latest_7day_mean"]
            return result.patient_outcomes.merge(
                pats[["patient_id", "clinician_id"]], on="patient_id", how="left"
            ).merge(latest, left_on="patient_id", right_index=True, how="left")

        cold_s, warm_s = [], []
        cache: dict = {}
        for _ in range(repeat):
            t = time.perf_counter()
            version, result, anchor = cold()
            overview(result, anchor)
            cold_s.append(time.perf_counter() - t)
            cache[version] = (result, anchor)
        for _ in range(repeat * 3):
            t = time.perf_counter()
            version = svc.outcomes_version(settings)
            result, anchor = cache[version]
            svc.record_cohort_view(purpose="bench", n_patients=len(result.patient_outcomes))
            overview(result, anchor)
            warm_s.append(time.perf_counter() - t)
        res["overview_cold_s"] = cold_s
        res["overview_warm_s"] = warm_s

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
        version, result, anchor = cold()
        overview(result, anchor)
        res["overview_after_save_s"] = time.perf_counter() - t

        if refresh_all:
            t = time.perf_counter()
            svc.refresh_outcomes(settings, full=True)
            res["refresh_all_s"] = time.perf_counter() - t
    for key in ("overview_cold_s", "overview_warm_s", "patient_chart_s", "save_s"):
        res[key[:-2] + "_median_s"] = statistics.median(res[key])
    Path(out).write_text(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
