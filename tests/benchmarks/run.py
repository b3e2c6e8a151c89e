"""``make bench``: measure paindiary at clinic scale and write docs/performance.md.

``python -m tests.benchmarks.run [--sizes 1000,3000,10000] [--repeat 3] [--out docs/performance.md]``
(or the environment variables ``PAINDIARY_BENCH_SIZES``, ``PAINDIARY_BENCH_REPEAT``).

For each size, a clinic of N patients x 365 days is generated
(:mod:`tests.benchmarks.clinic`), then measured, every timing in a fresh child
process so peak memory is that process's own (``wait4``):

* load + validate the three CSV files, and each analysis stage
  (:mod:`tests.benchmarks.stages`);
* the whole ``paindiary analyze`` command, wall time and peak RSS;
* the core outcomes as a whole process, ours and a DuckDB query on the same
  files, with the ratio; both group tables are compared;
* ``paindiary import`` into SQLite and into a throw-away PostgreSQL server;
* one patient's data for the Patient chart, and the whole clinic read back,
  from each database;
* Clinic overview data from the stored outcomes (cold and warm), a diary save
  with its per-patient refresh (:mod:`tests.benchmarks.page_data`). The import
  itself stores every patient's outcomes, so its time includes that work.

Small sizes repeat every measure ``--repeat`` times and report the median; at
10,000 patients and above the measures that take minutes run fewer times (the
table says how many) so ``make bench`` stays under 15 minutes on a 2-core
machine. A measure that would overrun the budget is reported as not measured.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(sys.executable).parent
#: Whole run budget: measures that would start after it are skipped (seconds).
BUDGET_S = float(os.environ.get("PAINDIARY_BENCH_BUDGET_S", 14 * 60))
T0 = time.monotonic()


def _child(cmd: list[str], *, env: dict | None = None) -> tuple[float, str]:
    """Run a command from the project root; (wall seconds, stdout). A failure raises."""
    t = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    out, err = proc.communicate()
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    return wall, out.decode()


#: GNU time: it reports the peak RSS of the command itself. The benchmark's own
#: ``wait4`` cannot: Linux carries a process's peak RSS across fork and exec, so
#: a child of this (large) process would report at least this process' peak.
GNU_TIME = Path("/usr/bin/time")


def _timed(cmd: list[str], stdout: Path | None = None) -> tuple[float, float]:
    """Wall time and the command's own peak RSS in MB (GNU time's ``%M``; ``wait4``
    of the child when GNU time is missing, which over-reports, see :data:`GNU_TIME`);
    the command's output goes to ``stdout`` when given."""
    peak_file = None
    if GNU_TIME.exists():
        peak_file = Path(tempfile.mkstemp(prefix="paindiary-peak-")[1])
        cmd = [str(GNU_TIME), "-f", "%M", "-o", str(peak_file), *cmd]
    t = time.perf_counter()
    out = open(stdout, "wb") if stdout is not None else subprocess.DEVNULL  # noqa: SIM115
    try:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.PIPE)
    finally:
        if stdout is not None:
            out.close()  # type: ignore[union-attr]
    assert proc.stderr is not None
    err = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    peak_mb = usage.ru_maxrss / 1024
    if peak_file is not None:
        text = peak_file.read_text().strip().splitlines()
        peak_file.unlink(missing_ok=True)
        peak_mb = int(text[-1]) / 1024
    return wall, peak_mb


def _import_phases(said: str) -> dict[str, float]:
    """The two steps ``paindiary import`` reports: rows written, then outcomes updated."""
    import re

    found: dict[str, float] = {}
    rows = re.search(r"rows written in ([0-9.]+) s", said)
    if rows:
        found["rows_s"] = float(rows.group(1))
    outcomes = re.search(r"updated in ([0-9.]+) s more", said)
    if outcomes:
        found["outcomes_s"] = float(outcomes.group(1))
    return found


def _left() -> float:
    return BUDGET_S - (time.monotonic() - T0)


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def _runs(n_patients: int, repeat: int, heavy: bool) -> int:
    """Runs of a measure: all at small sizes; those taking minutes once from 3,000 patients."""
    if n_patients >= 3_000 and heavy:
        return 1
    if n_patients >= 10_000:
        return max(1, min(repeat, 2))
    return repeat


def measure(n: int, repeat: int, work: Path, pg) -> dict:
    res: dict = {"n_patients": n}
    data = work / f"clinic-{n}"
    from tests.benchmarks.clinic import make_clinic

    t = time.perf_counter()
    info = make_clinic(n, data)
    res["generate"] = {**info, "wall_s": time.perf_counter() - t}
    print(f"[{n}] generated {info}", flush=True)

    # load + validate and the stages, in one child
    out_json = work / f"stages-{n}.json"
    r = _runs(n, repeat, heavy=False)
    _child([PY, "-m", "tests.benchmarks.stages", "analysis", str(data), str(r), str(out_json)])
    res["stages"] = json.loads(out_json.read_text())
    print(f"[{n}] load {res['stages']['load_median_s']:.2f} s", flush=True)

    # whole analyze as a process
    runs = []
    for _ in range(_runs(n, repeat, heavy=True)):
        if runs and _left() < runs[-1][0] * 3:
            break
        runs.append(
            _timed([str(BIN / "paindiary"), "analyze", str(data), "--out", str(work / "out")])
        )
    res["analyze"] = {"wall_s": [w for w, _ in runs], "peak_mb": [m for _, m in runs]}
    print(f"[{n}] analyze {runs}", flush=True)

    # core outcomes: ours against DuckDB, whole process against whole process
    core: dict = {"paindiary": [], "duckdb": []}
    tables = {}
    for i in range(_runs(n, repeat, heavy=False)):
        for engine in ("paindiary", "duckdb"):
            if engine == "paindiary" and i >= _runs(n, repeat, heavy=True):
                continue
            j = work / f"core-{engine}.json"
            wall, _ = _timed(
                [PY, "-m", "tests.benchmarks.core_outcomes", engine, str(data), str(j)]
            )
            core[engine].append(wall)
            tables[engine] = json.loads(j.read_text())
    core["agreement"] = _compare_core(tables["paindiary"], tables["duckdb"])
    res["core"] = core
    print(f"[{n}] core {core}", flush=True)

    # imports and store reads
    res["imports"] = {}
    for db in ("sqlite", "postgresql"):
        if db == "postgresql" and pg is None:
            res["imports"][db] = {"skipped": "PostgreSQL server binaries not found"}
            continue
        est = res["stages"]["load_median_s"] * 6
        if _left() < est:
            res["imports"][db] = {"skipped": "time budget of make bench exhausted"}
            continue
        url = f"sqlite:///{work / f'bench-{n}.sqlite3'}" if db == "sqlite" else pg.create_database()
        said = work / f"import-{db}-{n}.txt"
        wall, peak = _timed([str(BIN / "paindiary"), "import", str(data), "--db", url], said)
        phases = _import_phases(said.read_text())
        store_json = work / f"store-{db}-{n}.json"
        mode = "store" if n < 10_000 else "store-patient"  # the whole clinic read up to 3k
        _child([PY, "-m", "tests.benchmarks.stages", mode, url, "11", str(store_json)])
        page_json = work / f"pages-{db}-{n}.json"
        page_cmd = [
            PY,
            "-m",
            "tests.benchmarks.page_data",
            url,
            str(min(repeat, 5)),
            str(page_json),
        ]
        if n <= 3_000:
            page_cmd.append("--refresh-all")
        _child(page_cmd)
        res["imports"][db] = {
            "wall_s": wall,
            "peak_mb": peak,
            **phases,
            "store": json.loads(store_json.read_text()),
            "pages": json.loads(page_json.read_text()),
        }
        if db == "postgresql":
            pg.drop_database(url)
        else:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        print(f"[{n}] import {db} {wall:.1f} s", flush=True)
    shutil.rmtree(data, ignore_errors=True)
    return res


def _compare_core(ours: list[dict], theirs: list[dict]) -> dict:
    """Largest differences between the two group tables."""
    by = {r["group"]: r for r in theirs}
    worst = 0.0
    counts_differ = []
    for r in ours:
        o = by.get(r["group"])
        if o is None:
            return {"same_groups": False}
        for k, v in r.items():
            if k == "group":
                continue
            if k.startswith("n_"):
                if int(v) != int(o[k]):
                    counts_differ.append(f"{r['group']}.{k}: {v} vs {o[k]}")
            else:
                worst = max(worst, abs(float(v) - float(o[k])))
    return {"same_groups": len(ours) == len(theirs), "max_abs_diff": worst, "counts": counts_differ}


# --------------------------------------------------------------------------- the report


def _fmt_s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.1f} s"


def _verdict(ok: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "—"}[ok]


def write_report(results: list[dict], out: Path, *, repeat: int, elapsed: float) -> None:
    big = max(results, key=lambda r: r["n_patients"])
    small = min(results, key=lambda r: r["n_patients"])
    N = big["n_patients"]
    rows = big["stages"]["rows"]
    lines = [
        "# Performance",
        "",
        "Written by `make bench` (`python -m tests.benchmarks.run`); do not edit by hand.",
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, load average at the start "
        f"{_LOAD_START}, whole run {elapsed / 60:.1f} min. The machine is shared: times are "
        "medians of the runs shown and still carry the noise of other work.",
        "",
        f"Clinics: N patients × 365 days from `analytics.demo` with every day of each "
        f"diary filled (missed days interpolated; `tests/benchmarks/clinic.py`); at N = {N:,}: "
        f"{rows['diary']:,} diary rows, {rows['sessions']:,} sessions.",
        "",
        f"## Targets at {N:,} patients",
        "",
        "| what | target | measured | |",
        "|---|---|---|---|",
    ]
    load = big["stages"]["load_median_s"]
    an = big["analyze"]
    an_wall = _median(an["wall_s"]) if an["wall_s"] else None
    an_peak = max(an["peak_mb"]) if an["peak_mb"] else None
    core = big["core"]
    ours, duck = _median(core["paindiary"]), _median(core["duckdb"])
    ratio = ours / duck
    n_load = len(big["stages"]["load_s"])
    lines.append(
        f"| load + validate the three CSVs | ≤ 3 s | {_fmt_s(load)} (median of {n_load}) | "
        f"{_verdict(load <= 3)} |"
    )
    lines.append(
        f"| core outcomes from the CSVs, whole process | ≤ 2× the DuckDB query | "
        f"{_fmt_s(ours)} vs DuckDB {_fmt_s(duck)}: **{ratio:.1f}×** (median of "
        f"{len(core['paindiary'])}) | {_verdict(ratio <= 2)} |"
    )
    if an_wall is not None:
        lines.append(
            f"| whole `paindiary analyze` | ≤ 8 s, peak RSS ≤ 1.5 GB | {_fmt_s(an_wall)}, "
            f"{an_peak / 1024:.2f} GB (median of {len(an['wall_s'])}) | "
            f"{_verdict(an_wall <= 8 and an_peak <= 1536)} |"
        )
    for db in ("sqlite", "postgresql"):
        pages = big["imports"].get(db, {}).get("pages")
        if pages is None:
            lines.append(
                f"| Clinic overview data, cold / warm ({db}) | ≤ 1 s / ≤ 200 ms | not measured | — |"
            )
            continue
        cold, warm = pages["overview_cold_median_s"], pages["overview_warm_median_s"]
        lines.append(
            f"| Clinic overview data, cold / warm ({db}) | ≤ 1 s / ≤ 200 ms | {_fmt_s(cold)} / "
            f"{_fmt_s(warm)} (medians of {len(pages['overview_cold_s'])} / "
            f"{len(pages['overview_warm_s'])}, in a process that cached nothing / a visit "
            f"served from the page cache; the first read after the import, which writes the "
            f"clinic's outcome snapshot: {_fmt_s(pages['overview_first_s'])}) | "
            f"{_verdict(cold <= 1 and warm <= 0.2)} |"
        )
    for db in ("sqlite", "postgresql"):
        imp = big["imports"].get(db, {})
        pages = imp.get("pages")
        if pages is not None:
            pc = pages["patient_chart_median_s"]
            lines.append(
                f"| Patient chart data for one patient ({db}) | ≤ 300 ms | {_fmt_s(pc)} "
                f"(median of {len(pages['patient_chart_s'])} patients: their rows through the "
                f"service + `summarize_patient` + the cohort's outcomes version) | "
                f"{_verdict(pc <= 0.3)} |"
            )
        elif "store" in imp:
            pc = imp["store"]["patient_chart_median_s"]
            lines.append(
                f"| Patient chart data for one patient ({db}) | ≤ 300 ms | {_fmt_s(pc)} "
                f"(median of {len(imp['store']['patient_chart_s'])} patients: their rows from "
                f"the store + `summarize_patient`) | {_verdict(pc <= 0.3)} |"
            )
    for db in ("sqlite", "postgresql"):
        pages = big["imports"].get(db, {}).get("pages")
        if pages is not None:
            sv = pages["save_median_s"]
            lines.append(
                f"| save a diary day, including that patient's refresh ({db}) | ≤ 100 ms | "
                f"{_fmt_s(sv)} (median of {len(pages['save_s'])} saves through the service) | "
                f"{_verdict(sv <= 0.1)} |"
            )
    for db, target in (("sqlite", 20), ("postgresql", 20)):
        imp = big["imports"].get(db, {})
        if "wall_s" in imp:
            lines.append(
                f"| import into {'SQLite' if db == 'sqlite' else 'PostgreSQL'} "
                f"(`paindiary import`, whole process) | ≤ {target} s | {_fmt_s(imp['wall_s'])}, "
                f"peak {imp['peak_mb'] / 1024:.2f} GB (1 run; of which reading and checking the "
                f"CSVs, the rows written in {_fmt_s(imp.get('rows_s'))}, then every imported "
                f"patient's outcomes computed and stored in {_fmt_s(imp.get('outcomes_s'))}) | "
                f"{_verdict(imp['wall_s'] <= target)} |"
            )
        else:
            lines.append(
                f"| import into {db} | ≤ {target} s | not measured: {imp.get('skipped', '?')} | — |"
            )
    if small is not big and small["analyze"]["wall_s"] and an_wall is not None:
        growth = an_wall / _median(small["analyze"]["wall_s"])
        lines.append(
            f"| growth from {small['n_patients']:,} to {N:,} patients (whole `analyze`) | ≤ 11× | "
            f"{growth:.1f}× | {_verdict(growth <= 11)} |"
        )
    lines.append(
        "| Dask engine, 100k patients × 365 days | completes with 4 GB workers; identical "
        "tables on 10k | `make bench-registry` (not part of `make bench`); identical tables are "
        "checked by tests/engines/test_distributed.py | — |"
    )
    agree = core["agreement"]
    lines += [
        "",
        f"The DuckDB query and our core path agree on the group table: largest difference of a "
        f"mean {agree.get('max_abs_diff', float('nan')):.1e}; counts that differ: "
        f"{', '.join(agree.get('counts', [])) or 'none'} (the query counts a responder with "
        "the project's tolerance at the threshold, `analytics.stats.EPS`).",
        "",
        "## By size",
        "",
        "| patients | diary rows | load + validate | analysis in process | whole `analyze` | "
        "peak RSS | core (ours) | DuckDB | ratio | SQLite import | PostgreSQL import |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: r["n_patients"]):
        a = r["analyze"]
        c = r["core"]
        imps = [
            _fmt_s(r["imports"][db]["wall_s"]) if "wall_s" in r["imports"].get(db, {}) else "—"
            for db in ("sqlite", "postgresql")
        ]
        lines.append(
            f"| {r['n_patients']:,} | {r['stages']['rows']['diary']:,} | "
            f"{_fmt_s(r['stages']['load_median_s'])} | {_fmt_s(r['stages']['analysis_s'])} | "
            f"{_fmt_s(_median(a['wall_s'])) if a['wall_s'] else '—'} | "
            f"{max(a['peak_mb']) / 1024:.2f} GB | {_fmt_s(_median(c['paindiary']))} | "
            f"{_fmt_s(_median(c['duckdb']))} | "
            f"{_median(c['paindiary']) / _median(c['duckdb']):.1f}× | {imps[0]} | {imps[1]} |"
            if a["peak_mb"]
            else f"| {r['n_patients']:,} | — |"
        )
    lines += [
        "",
        f"## Analysis stages at {N:,} patients (one run, in process)",
        "",
        "| stage | time | share |",
        "|---|---|---|",
    ]
    stages = big["stages"]["stages_s"]
    total = big["stages"]["analysis_s"]
    for name, sec in sorted(stages.items(), key=lambda kv: -kv[1]):
        lines.append(f"| `{name}` | {_fmt_s(sec)} | {100 * sec / total:.0f} % |")
    lines.append(
        f"| per-patient path (`per_patient`) | {_fmt_s(big['stages']['per_patient_s'])} | |"
    )
    lines.append(f"| whole analysis (`per_patient` + `cohort`) | {_fmt_s(total)} | |")
    lines += ["", "## Reading from the databases", ""]
    for db in ("sqlite", "postgresql"):
        imp = big["imports"].get(db, {})
        if "store" in imp:
            s = imp["store"]
            lines.append(
                f"- {db}, {N:,} patients: one patient's chart data "
                f"{_fmt_s(s['patient_chart_median_s'])} (median of "
                f"{len(s['patient_chart_s'])} patients)."
            )
    for r in sorted(results, key=lambda r: r["n_patients"]):
        for db in ("sqlite", "postgresql"):
            pg_ = r["imports"].get(db, {}).get("pages", {})
            if pg_:
                lines.append(
                    f"- {db}, {r['n_patients']:,} patients: Clinic overview data from the stored "
                    f"outcomes {_fmt_s(pg_['overview_cold_median_s'])} cold, "
                    f"{_fmt_s(pg_['overview_warm_median_s'])} warm, "
                    f"{_fmt_s(pg_['overview_after_save_s'])} after {len(pg_['save_s'])} saves "
                    f"(their patients patched into the snapshot), "
                    f"{_fmt_s(pg_['overview_first_s'])} the first read after the import; "
                    f"Treatment response data (every table + `cohort`) "
                    f"{_fmt_s(pg_['response_cold_median_s'])} cold; a diary save "
                    f"with its refresh {_fmt_s(pg_['save_median_s'])}"
                    + (
                        f"; `paindiary refresh --all` work {_fmt_s(pg_['refresh_all_s'])}"
                        if "refresh_all_s" in pg_
                        else ""
                    )
                    + "."
                )
    for r in sorted(results, key=lambda r: r["n_patients"]):
        for db in ("sqlite", "postgresql"):
            s = r["imports"].get(db, {}).get("store", {})
            if "read_clinic_s" in s:
                lines.append(
                    f"- {db}, {r['n_patients']:,} patients: the whole clinic "
                    f"({s['read_clinic_rows']:,} diary rows) read back into canonical frames in "
                    f"{_fmt_s(s['read_clinic_s'])} (what the Clinic overview no longer does)."
                )
    gen = big["generate"]
    lines += [
        "",
        "## Generating the clinics",
        "",
        f"`analytics.demo.generate_clinic` plus filling every day took "
        f"{gen['generate_s']:.1f} s at {N:,} patients; writing the CSV files "
        f"{gen['total_s'] - gen['generate_s']:.1f} s (Arrow-formatted columns; the exporter's "
        "per-value formatting is several times slower).",
        "",
    ]
    out.write_text("\n".join(lines) + _kept_sections(out, lines))


#: Sections of the report that other benchmarks write (``make bench-pages``,
#: ``make bench-registry``) or that compare code side by side: kept as they are, in this
#: order, after this one's.
OTHER_SECTIONS = (
    "## Analysis work shared between stages",
    "## One patient's summary",
    "## One patient's tables on arrays",
    "## Pages in the browser",
    "## Registry",
)


def _kept_sections(out: Path, lines: list[str]) -> str:
    """The sections of ``OTHER_SECTIONS`` in the report at ``out``, as they are there."""
    if not out.exists():
        return ""
    text = out.read_text()
    kept = []
    for heading in OTHER_SECTIONS:
        start = text.find("\n" + heading)
        if start < 0 or any(line.startswith(heading) for line in lines):
            continue
        end = text.find("\n## ", start + 1)
        kept.append(text[start + 1 : end if end >= 0 else len(text)].rstrip() + "\n")
    return "".join("\n" + block for block in kept)


_LOAD_START = ""


def main(argv: list[str] | None = None) -> int:
    global _LOAD_START
    p = argparse.ArgumentParser(description="Measure paindiary at clinic scale.")
    p.add_argument("--sizes", default=os.environ.get("PAINDIARY_BENCH_SIZES", "1000,3000,10000"))
    p.add_argument("--repeat", type=int, default=int(os.environ.get("PAINDIARY_BENCH_REPEAT", "3")))
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = p.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    _LOAD_START = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    pg = None
    try:
        from tests.store.pg_server import PgServer, PgServerError

        try:
            pg = PgServer().start()
        except PgServerError as exc:
            print(f"PostgreSQL not measured: {exc}", file=sys.stderr)
        results = []
        with tempfile.TemporaryDirectory(prefix="paindiary-bench-") as tmp:
            for n in sizes:
                results.append(measure(n, args.repeat, Path(tmp), pg))
        write_report(results, args.out, repeat=args.repeat, elapsed=time.monotonic() - T0)
    finally:
        if pg is not None:
            pg.stop()
    print(f"wrote {args.out} in {(time.monotonic() - T0) / 60:.1f} min")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
