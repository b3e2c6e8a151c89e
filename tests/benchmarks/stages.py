"""Child process of the benchmark: load+validate and each analysis stage, or store reads.

``python -m tests.benchmarks.stages analysis DIR REPEAT OUT.json``
    times :func:`analytics.io.load_dataset` REPEAT times, then runs
    :func:`analytics.pipeline.analyze` once with every stage function wrapped in
    a timer (the per-patient steps and the cohort summaries); the loads before it
    have paid for the imports.

``python -m tests.benchmarks.stages store|store-patient URL REPEAT OUT.json``
    one patient's rows from the store and
    :func:`analytics.pipeline.summarize_patient` (the per-patient path of
    a Patient chart), for REPEAT different patients; with ``store``, the whole
    clinic read back once as well.
"""

from __future__ import annotations

import importlib
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

#: (module, function): every step of analyze() worth its own line.
STAGES = [
    ("analytics.pipeline._analyze", "patient_outcomes"),
    ("analytics.pipeline._outcome_table", "theil_sen_slopes"),
    ("analytics.pipeline._outcome_table", "interrupted_time_series"),
    ("analytics.pipeline._outcome_table", "secondary_outcomes"),
    ("analytics.pipeline._outcome_table", "data_quality"),
    ("analytics.pipeline._outcome_table", "time_to_response"),
    ("analytics.pipeline._outcome_table", "patient_status"),
    ("analytics.pipeline._outcome_table", "headache_days"),
    ("analytics.pipeline._analyze", "session_response"),
    ("analytics.pipeline._analyze", "dose_response"),
    ("analytics.pipeline._analyze", "adverse_event_counts"),
    ("analytics.pipeline._analyze", "factor_effects"),
    ("analytics.pipeline._analyze", "nof1_effects"),
    ("analytics.pipeline._analyze", "group_summary"),
    ("analytics.pipeline._analyze", "group_comparison"),
    ("analytics.pipeline._analyze", "session_response_by_technique"),
    ("analytics.pipeline._analyze", "fit_emax"),
    ("analytics.pipeline._analyze", "kaplan_meier"),
    ("analytics.pipeline._analyze", "cpra_curve"),
]


def _instrument(spent: dict[str, float]) -> None:
    for module_name, name in STAGES:
        module = importlib.import_module(module_name)
        original = getattr(module, name)

        def timed(*args, __f=original, __n=name, **kwargs):
            t = time.perf_counter()
            try:
                return __f(*args, **kwargs)
            finally:
                spent[__n] += time.perf_counter() - t

        setattr(module, name, timed)


def analysis(directory: str, repeat: int) -> dict:
    from analytics.io import load_dataset

    loads = []
    for _ in range(repeat):
        t = time.perf_counter()
        ds = load_dataset(directory)
        loads.append(time.perf_counter() - t)
    from analytics.pipeline import analyze, cohort, per_patient

    spent: dict[str, float] = defaultdict(float)
    _instrument(spent)
    t = time.perf_counter()
    tables = per_patient(ds.patients, ds.diary, ds.sessions)
    t_pp = time.perf_counter() - t
    cohort(tables)
    t_all = time.perf_counter() - t
    stages = dict(spent)
    del analyze
    return {
        "load_s": loads,
        "load_median_s": statistics.median(loads),
        "rows": {
            "patients": len(ds.patients),
            "diary": len(ds.diary),
            "sessions": len(ds.sessions),
        },
        "stages_s": stages,
        "per_patient_s": t_pp,
        "analysis_s": t_all,
    }


def store(url: str, repeat: int, *, whole: bool = True) -> dict:
    from analytics.pipeline import summarize_patient
    from analytics.store import open_store

    out: dict = {}
    with open_store(url, create=False) as st:
        ids = st.patient_ids("bench")
        picks = [ids[int(i * (len(ids) - 1) / max(repeat - 1, 1))] for i in range(repeat)]
        times = []
        for pid in picks:
            t = time.perf_counter()
            ds = st.patient_dataset("bench", pid)
            summarize_patient(ds.patients, ds.diary, ds.sessions, patient_id=pid)
            times.append(time.perf_counter() - t)
        out["patient_chart_s"] = times[1:] or times  # the first pays for imports
        out["patient_chart_median_s"] = statistics.median(out["patient_chart_s"])
        if whole:
            t = time.perf_counter()
            full = st.dataset("bench")
            out["read_clinic_s"] = time.perf_counter() - t
            out["read_clinic_rows"] = len(full.diary)
    return out


def main(argv: list[str]) -> int:
    mode, target, repeat, out = argv
    modes = {
        "analysis": analysis,
        "store": store,
        "store-patient": lambda url, n: store(url, n, whole=False),
    }
    result = modes[mode](target, int(repeat))
    Path(out).write_text(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
