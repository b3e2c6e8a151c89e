"""Benchmark clinics: ``python -m tests.benchmarks.clinic --patients N --out DIR [--format parquet]``.

Patients come from :func:`analytics.demo.generate_clinic` (a year of diary,
a course of sessions, realistic responses). Two things make it a benchmark
clinic of the size the targets name:

* ``--every-day`` (the default): the days a simulated patient skipped are filled
  by interpolating their pain linearly between the neighbouring entries (other
  items left empty), so N patients x 365 days is N x 365 diary rows;
* the files are written column by column (numbers in the shortest form by
  Arrow, text neutralised like the exporter, quoted only where needed), several
  times faster than :func:`analytics.io.write_dataset`'s per-value formatting;
  the loader reads them back exactly (checked by ``tests/engines``' round trips
  and by every benchmark run, which loads them).

Large clinics are generated in chunks of patients (ids ``R<chunk>-P<n>``), each
written as it is made, so a registry of 100,000 patients never sits in memory as
text.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from analytics.contract.schema import TABLES
from analytics.demo import generate_clinic
from analytics.io import PARQUET_FILES
from analytics.io._parquet import _arrow_table, _cells

__all__ = ["fill_every_day", "make_clinic", "write_csv_fast"]

TABLE_ORDER = ("patients", "diary", "sessions")


def fill_every_day(diary: pd.DataFrame) -> pd.DataFrame:
    """Add the missing days of each patient's diary span, pain interpolated and rounded."""
    d = diary.sort_values(["patient_id", "date"]).reset_index(drop=True)
    first = d.groupby("patient_id", sort=True)["date"].agg(["min", "max"])
    span = ((first["max"] - first["min"]).dt.days + 1).to_numpy()
    pid = np.repeat(first.index.to_numpy(), span)
    start = np.repeat(first["min"].to_numpy(), span)
    offset = np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span)
    grid = pd.DataFrame(
        {
            "patient_id": pd.Series(pid, dtype="str"),
            "date": (start + offset.astype("timedelta64[D]")).astype("datetime64[ns]"),
        }
    )
    full = grid.merge(d, on=["patient_id", "date"], how="left", sort=False)
    known = full["pain"].notna()
    day = (full["date"] - pd.Timestamp("2000-01-01")).dt.days.astype("float64")
    groups = full["patient_id"]
    t_prev = day.where(known).groupby(groups).ffill()
    t_next = day.where(known).groupby(groups).bfill()
    p_prev = full["pain"].groupby(groups).ffill()
    p_next = full["pain"].groupby(groups).bfill()
    w = ((day - t_prev) / (t_next - t_prev)).fillna(0.0)
    pain = (p_prev + (p_next - p_prev) * w).round()
    full["pain"] = full["pain"].fillna(pain).astype("float64")
    return full[TABLES["diary"].column_names]


def write_csv_fast(frame: pd.DataFrame, path: Path, table: str) -> Path:
    """Write a canonical frame as its contract CSV file (cells formatted by Arrow, joined by pandas).

    Cells are quoted only when they hold a comma, a quote or a line break, as the
    exporter's csv module does; lines end in CRLF.
    """
    frame = frame.copy()
    for spec in TABLES[table].columns:
        if spec.kind == "number":
            frame[spec.name] = frame[spec.name] + 0.0  # -0.0 is written as 0, like the exporter
    arrow = _arrow_table(frame, table)
    names = TABLES[table].column_names
    line = None
    for spec in TABLES[table].columns:
        text, _ = _cells(arrow.column(spec.name), spec.kind, spec.name)
        assert text is not None
        needs = text.str.contains(r'[",\r\n]', regex=True).to_numpy(dtype=bool)
        if needs.any():
            text = text.copy()
            text[needs] = '"' + text[needs].str.replace('"', '""', regex=False) + '"'
        line = text if line is None else line.str.cat(text, sep=",")
    with open(path, "w", encoding="utf-8", newline="") as fh:
        fh.write(",".join(names) + "\r\n")
        if line is not None and len(line):
            fh.write("\r\n".join(line.tolist()))
            fh.write("\r\n")
    return path


def _rename(clinic: dict[str, pd.DataFrame], prefix: str) -> dict[str, pd.DataFrame]:
    out = {}
    for name in TABLE_ORDER:
        f = clinic[name].copy()
        f["patient_id"] = (prefix + f["patient_id"].astype("str")).astype("str")
        out[name] = f
    return out


def make_clinic(
    n_patients: int,
    out: Path,
    *,
    n_days: int = 365,
    seed: int = 1,
    every_day: bool = True,
    fmt: str = "csv",
    chunk: int = 10_000,
) -> dict[str, int]:
    """Generate and write a benchmark clinic; returns rows per table and seconds taken."""
    import pyarrow.parquet as pq

    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    counts = dict.fromkeys(TABLE_ORDER, 0)
    n_chunks = max(1, -(-n_patients // chunk))
    writers: dict[str, pq.ParquetWriter] = {}
    frames: dict[str, list[pd.DataFrame]] = {t: [] for t in TABLE_ORDER}
    gen_s = 0.0
    for i in range(n_chunks):
        size = min(chunk, n_patients - i * chunk)
        t = time.perf_counter()
        clinic = generate_clinic(size, rng=seed + i, n_days=n_days)
        if n_chunks > 1:
            clinic = _rename(clinic, f"R{i:03d}-")
        if every_day:
            clinic["diary"] = fill_every_day(clinic["diary"])
        gen_s += time.perf_counter() - t
        for name in TABLE_ORDER:
            counts[name] += len(clinic[name])
            if fmt == "parquet":
                table = _arrow_table(clinic[name], name)
                if name not in writers:
                    writers[name] = pq.ParquetWriter(
                        out / PARQUET_FILES[name], table.schema, compression="zstd"
                    )
                writers[name].write_table(table, row_group_size=128 * 1024)
            else:
                frames[name].append(clinic[name])
    for w in writers.values():
        w.close()
    if fmt == "csv":
        for name in TABLE_ORDER:
            write_csv_fast(
                pd.concat(frames[name], ignore_index=True), out / TABLES[name].file_name, name
            )
    return {
        **counts,
        "generate_s": round(gen_s, 2),
        "total_s": round(time.perf_counter() - t0, 2),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--patients", type=int, required=True)
    p.add_argument("--days", type=int, default=365)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--format", choices=("csv", "parquet"), default="csv")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--as-simulated", action="store_true", help="keep the simulated missed days")
    args = p.parse_args(argv)
    info = make_clinic(
        args.patients,
        args.out,
        n_days=args.days,
        seed=args.seed,
        every_day=not args.as_simulated,
        fmt=args.format,
    )
    print(info)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
