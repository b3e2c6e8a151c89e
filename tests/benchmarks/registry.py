"""``make bench-registry``: the Dask engine on a registry, and its identity with pandas on a clinic.

``python -m tests.benchmarks.registry [--patients 100000] [--check-patients 10000] [--out FILE]``
(or ``PAINDIARY_REGISTRY_PATIENTS`` / ``PAINDIARY_REGISTRY_CHECK``).

1. Generates the registry as Parquet in chunks of 10,000 patients (never as CSV
   text, never whole in memory) and runs ``paindiary analyze --engine dask
   --worker-memory 4GB`` on it as a whole process: wall time, peak RSS of the
   driver, and whether it completed.
2. On a clinic of ``--check-patients`` patients (CSV), runs the default engine
   and the Dask engine and compares every written file byte for byte.

The figures are appended to docs/performance.md under "Registry".
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import os
import shutil
import tempfile
import time
from pathlib import Path

from tests.benchmarks.clinic import make_clinic
from tests.benchmarks.run import BIN, ROOT, _timed

SECTION = "## Registry (`make bench-registry`)"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="The Dask engine on a registry.")
    p.add_argument(
        "--patients", type=int, default=int(os.environ.get("PAINDIARY_REGISTRY_PATIENTS", 100_000))
    )
    p.add_argument(
        "--check-patients",
        type=int,
        default=int(os.environ.get("PAINDIARY_REGISTRY_CHECK", 10_000)),
    )
    p.add_argument("--worker-memory", default="4GB")
    p.add_argument("--out", type=Path, default=ROOT / "docs" / "performance.md")
    args = p.parse_args(argv)
    lines = [
        SECTION,
        "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} CPUs, load "
        f"average {' / '.join(f'{x:.1f}' for x in os.getloadavg())}.",
        "",
    ]
    with tempfile.TemporaryDirectory(prefix="paindiary-registry-") as tmp:
        base = Path(tmp)
        reg = base / "registry"
        t = time.perf_counter()
        info = make_clinic(args.patients, reg, fmt="parquet")
        gen = time.perf_counter() - t
        print(f"generated {info} in {gen:.0f} s", flush=True)
        cmd = [
            str(BIN / "paindiary"),
            "analyze",
            str(reg),
            "--out",
            str(base / "reg-out"),
            "--engine",
            "dask",
            "--worker-memory",
            args.worker_memory,
        ]
        try:
            wall, peak = _timed(cmd)
            outcome = (
                f"completed in {wall / 60:.1f} min, driver peak RSS {peak / 1024:.2f} GB, "
                f"workers limited to {args.worker_memory} each"
            )
        except RuntimeError as exc:
            outcome = f"**did not complete**: {str(exc).splitlines()[-1][:300]}"
        print(outcome, flush=True)
        lines += [
            f"- {args.patients:,} patients × 365 days ({info['diary']:,} diary rows, "
            f"{info['sessions']:,} sessions, Parquet, generated in {gen:.0f} s): "
            f"`paindiary analyze --engine dask` {outcome}.",
        ]
        shutil.rmtree(reg, ignore_errors=True)

        clinic = base / "clinic"
        make_clinic(args.check_patients, clinic)
        out_pd, out_dask = base / "pandas", base / "dask"
        wall_pd, peak_pd = _timed(
            [str(BIN / "paindiary"), "analyze", str(clinic), "--out", str(out_pd)]
        )
        wall_dk, peak_dk = _timed(
            [
                str(BIN / "paindiary"),
                "analyze",
                str(clinic),
                "--out",
                str(out_dask),
                "--engine",
                "dask",
                "--worker-memory",
                args.worker_memory,
            ]
        )
        names = sorted(f.name for f in out_pd.iterdir())
        match, mismatch, errors = filecmp.cmpfiles(out_pd, out_dask, names, shallow=False)
        same = not mismatch and not errors and len(match) == len(names)
        lines.append(
            f"- {args.check_patients:,} patients (CSV): default engine {wall_pd:.1f} s "
            f"(peak {peak_pd / 1024:.2f} GB), Dask engine {wall_dk:.1f} s (driver peak "
            f"{peak_dk / 1024:.2f} GB); the {len(names)} files written are "
            + ("**byte-identical**." if same else f"**different**: {mismatch + errors}.")
        )
    text = args.out.read_text() if args.out.exists() else ""
    if SECTION in text:
        text = text[: text.index(SECTION)].rstrip() + "\n"
    args.out.write_text(text.rstrip() + "\n\n" + "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
