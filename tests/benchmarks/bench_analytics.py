"""Benchmarks (`make bench`): loading and analysing the demo clinic and a larger clinic.

Not collected by the normal test run (file names start with bench_); timings are
reported by pytest-benchmark, never asserted.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from analytics.exports import table_to_csv_bytes
from analytics.loaders import load_dataset, load_diary
from analytics.pipeline import AnalysisSettings, analyze
from analytics.synthetic import generate_clinic

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module", params=[1000])
def big_clinic(request):
    """request.param patients × 365 days (the clinic-scale target is 10,000 × 365)."""
    return generate_clinic(request.param, rng=1, n_days=365)


def test_load_sample_clinic(benchmark):
    ds = benchmark(load_dataset, SAMPLE)
    assert len(ds.patients) == 60


def test_analyze_sample_clinic(benchmark, sample):
    """Issue 3: the analytics for the whole sample clinic take well under a second."""
    result = benchmark(analyze, sample.patients, sample.diary, sample.sessions, AnalysisSettings())
    assert len(result.patient_outcomes) == 60


def test_load_diary_csv_big(benchmark, big_clinic):
    data = table_to_csv_bytes(big_clinic["diary"], "diary")
    frame = benchmark.pedantic(lambda: load_diary(io.BytesIO(data)), rounds=1, iterations=1)
    assert len(frame) == len(big_clinic["diary"])


def test_analyze_big_clinic(benchmark, big_clinic):
    c = big_clinic
    settings = AnalysisSettings(n_boot=200)
    result = benchmark.pedantic(
        analyze, args=(c["patients"], c["diary"], c["sessions"], settings), rounds=1, iterations=1
    )
    assert len(result.patient_outcomes) == len(c["patients"])
