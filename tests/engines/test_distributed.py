"""The Dask engine equals one pandas pass, table by table and file by file.

One local cluster of two worker processes serves the module. The per-patient
path runs in 4 patient ranges on the sample clinic (CSV and Parquet) and on a
generated clinic of a year's diaries; every table of the result is compared
with ``analytics.pipeline.analyze`` on the same rows, exactly.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.cli import main
from analytics.demo import generate_clinic
from analytics.errors import DataValidationError
from analytics.io import (
    Slice,
    load_dataset,
    load_parquet_dataset,
    write_parquet,
    write_parquet_dataset,
)
from analytics.pipeline import (
    OUTPUT_FILES,
    analysis_diary,
    analyze,
    analyze_distributed,
    check_memory,
    partition_bounds,
    start_client,
)

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_data"


@pytest.fixture(scope="module")
def client():
    c = start_client(n_workers=2, worker_memory="1GB")
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def clinic_dir(tmp_path_factory):
    """120 patients with a year of diary each, as Parquet."""
    c = generate_clinic(120, rng=7, n_days=365)
    d = tmp_path_factory.mktemp("clinic")
    for name in ("patients", "diary", "sessions"):
        write_parquet(c[name], d / f"{name}.parquet", name)
    return d


def _assert_same_result(got, expected) -> None:
    a, b = got.tables(), expected.tables()
    assert sorted(a) == sorted(b)
    for name in b:
        pd.testing.assert_frame_equal(a[name], b[name], check_exact=True, obj=name)
    assert got.notes == expected.notes


@pytest.mark.slow  # a cluster of two worker processes
def test_sample_clinic_in_4_partitions_equals_one_pandas_pass(client, sample):
    seen = []
    run = analyze_distributed(
        SAMPLE, client=client, partitions=4, progress=lambda d, n: seen.append((d, n))
    )
    assert run.n_partitions == 4
    assert seen[-1] == (4, 4) and len(seen) == 4
    assert (run.n_diary, run.n_sessions) == (len(sample.diary), len(sample.sessions))
    daily = analysis_diary(sample.diary, sample.entries)  # the day's entries folded in
    _assert_same_result(run.result, analyze(sample.patients, daily, sample.sessions))


@pytest.mark.slow  # a cluster of two worker processes
def test_generated_clinic_from_parquet_in_4_partitions(client, clinic_dir):
    ds = load_parquet_dataset(clinic_dir)
    run = analyze_distributed(clinic_dir, client=client, partitions=4)
    assert run.n_partitions == 4 and run.n_diary == len(ds.diary)
    _assert_same_result(run.result, analyze(ds.patients, ds.diary, ds.sessions))


@pytest.mark.slow  # a cluster of two worker processes
def test_written_files_are_byte_identical(client, sample, tmp_path):
    write_parquet_dataset(sample, tmp_path / "pq")
    run = analyze_distributed(tmp_path / "pq", client=client, partitions=3)
    run.result.write_csv(tmp_path / "dask")
    daily = analysis_diary(sample.diary, sample.entries)
    analyze(sample.patients, daily, sample.sessions).write_csv(tmp_path / "pandas")
    for file_name in OUTPUT_FILES.values():
        dask_bytes = (tmp_path / "dask" / file_name).read_bytes()
        assert dask_bytes == (tmp_path / "pandas" / file_name).read_bytes(), file_name


def _break(sample, tmp_path: Path) -> Path:
    """Parquet files with bad rows in the first and the last patient range."""
    diary = sample.diary.copy()
    first, last = diary.index[3], diary.index[-2]
    diary["pain"] = diary["pain"].astype("float64")
    diary.loc[first, "pain"] = 12.0
    diary.loc[last, "pain"] = -1.0
    sessions = sample.sessions.copy()
    sessions.loc[sessions.index[-1], "patient_id"] = "ZZZ-unknown"
    d = tmp_path / "bad"
    d.mkdir()
    write_parquet(sample.patients, d / "patients.parquet", "patients")
    write_parquet(diary, d / "diary.parquet", "diary")
    write_parquet(sessions, d / "sessions.parquet", "sessions")
    return d


@pytest.mark.slow  # a cluster of two worker processes
def test_every_problem_of_every_range_is_reported_like_the_loader(client, sample, tmp_path):
    d = _break(sample, tmp_path)
    with pytest.raises(DataValidationError) as whole:
        load_parquet_dataset(d)
    with pytest.raises(DataValidationError) as parts:
        analyze_distributed(d, client=client, partitions=4)
    expected = whole.value.problems.reset_index(drop=True)
    got = parts.value.problems.reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)
    assert len(got) == 3 and set(got["file"]) == {"diary.parquet", "sessions.parquet"}


@pytest.mark.slow  # a cluster of two worker processes
def test_skip_invalid_analyses_the_valid_rows_and_returns_the_rejects(client, sample, tmp_path):
    d = _break(sample, tmp_path)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_parquet_dataset(d, on_error="skip")
    run = analyze_distributed(d, client=client, partitions=4, on_error="skip")
    _assert_same_result(run.result, analyze(ds.patients, ds.diary, ds.sessions))
    assert sorted(run.rejects) == sorted(ds.rejects)
    for table in ds.rejects:
        pd.testing.assert_frame_equal(
            run.rejects[table].reset_index(drop=True), ds.rejects[table].reset_index(drop=True)
        )


def test_partition_bounds_cover_every_id_once_and_balance_rows():
    rng = np.random.default_rng(3)
    ids = pd.Series([f"P{i:04d}" for i in range(500)])
    counts = pd.Series(rng.integers(50, 400, size=500), index=ids)
    parts = partition_bounds(counts, 7)
    assert len(parts) == 7
    assert parts[0].low is None and parts[-1].high is None
    assert all(a.high == b.low for a, b in zip(parts, parts[1:], strict=False))
    probes = [*ids, "", "A", "P", "P9999", "Z", "P0100x"]
    for pid in probes:
        inside = [
            p for p in parts if (p.low is None or pid >= p.low) and (p.high is None or pid < p.high)
        ]
        assert len(inside) == 1, pid
    index = counts.index
    sizes = [
        int(counts[(index >= (p.low or "")) & ((index < p.high) if p.high else True)].sum())
        for p in parts
    ]
    assert sum(sizes) == counts.sum()
    assert max(sizes) - min(sizes) <= 2 * counts.max()  # balanced up to one patient each side


def test_partition_bounds_with_few_patients():
    counts = pd.Series({"B": 3, "A": 1})
    assert partition_bounds(counts, 10) == [Slice(None, "B"), Slice("B", None)]
    assert partition_bounds(counts, 1) == [Slice()]
    assert partition_bounds(pd.Series([], dtype="int64"), 4) == [Slice()]
    with pytest.raises(ValueError, match="'n_partitions' parameter of partition_bounds"):
        partition_bounds(counts, 0)


def test_memory_sizes_are_checked_in_scikit_learns_wording():
    assert check_memory("4GB", "worker_memory", "analyze") == 4_000_000_000
    assert check_memory("512MiB", "worker_memory", "analyze") == 512 * 2**20
    for bad in ("lots", "1KB", -5, True):
        with pytest.raises(ValueError, match="'worker_memory' parameter of analyze must be"):
            check_memory(bad, "worker_memory", "analyze")


@pytest.mark.slow  # starts a cluster
def test_the_command_with_engine_dask_writes_the_pandas_files(tmp_path, capsys):
    """The whole command, with its own local cluster of one worker."""
    code = main(
        [
            "analyze",
            str(SAMPLE),
            "--out",
            str(tmp_path / "dask"),
            "--engine",
            "dask",
            "--partitions",
            "2",
            "--workers",
            "1",
            "--worker-memory",
            "1GB",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "in 2 partitions on Dask" in out
    assert main(["analyze", str(SAMPLE), "--out", str(tmp_path / "pandas")]) == 0
    for file_name in OUTPUT_FILES.values():
        assert (tmp_path / "dask" / file_name).read_bytes() == (
            tmp_path / "pandas" / file_name
        ).read_bytes(), file_name


def test_bad_engine_options_exit_2_without_starting_a_cluster(tmp_path, capsys):
    for option in (["--partitions", "0"], ["--workers", "0"], ["--worker-memory", "huge"]):
        argv = ["analyze", str(SAMPLE), "--out", str(tmp_path), "--engine", "dask", *option]
        assert main(argv) == 2
        assert "parameter of analyze must be" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())
