"""Partition safety: a patient's rows do not depend on which other patients are analysed.

Per-patient outputs (patient outcomes with slopes, ITS,
secondary outcomes and flags; session response; dose-response; time to response)
are computed on the sample clinic and on a subset of its patients (every third
one); the subset's rows must equal the full run's rows for the same patients
exactly. With the subset's rows also shuffled they must agree to 1e-12 (sums
taken in another order differ in the last bit). Cohort-level tables (group
summaries, comparisons, CPRA, Kaplan-Meier, the bootstrap) legitimately depend
on the cohort and are not compared.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analytics.pipeline import analyze

PER_PATIENT = ("patient_outcomes", "session_response", "dose_response", "time_to_response")


def _subset(frame: pd.DataFrame, keep: set[str], seed: int | None) -> pd.DataFrame:
    part = frame[frame["patient_id"].isin(keep)]
    if seed is not None:
        part = part.sample(frac=1.0, random_state=seed)
    return part.reset_index(drop=True)


@pytest.fixture(scope="module")
def full_and_part(sample_dataset):
    ds = sample_dataset
    ids = sorted(ds.patients["patient_id"])
    keep = set(ids[::3])
    full = analyze(ds.patients, ds.diary, ds.sessions)
    frames = (ds.patients, ds.diary, ds.sessions)
    part = analyze(*(_subset(f, keep, None) for f in frames))
    shuffled = analyze(*(_subset(f, keep, seed) for seed, f in enumerate(frames)))
    return full, part, shuffled, keep


def _rows(result, table: str, keep: set[str]) -> pd.DataFrame:
    frame = getattr(result, table)
    return frame[frame["patient_id"].isin(keep)].reset_index(drop=True)


@pytest.mark.parametrize("table", PER_PATIENT)
def test_per_patient_rows_do_not_depend_on_other_patients(full_and_part, table):
    full, part, _, keep = full_and_part
    expected = _rows(full, table, keep)
    got = getattr(part, table).reset_index(drop=True)
    assert len(got) and set(got["patient_id"]) == set(expected["patient_id"])
    assert set(expected["patient_id"]) <= keep
    pd.testing.assert_frame_equal(got, expected, check_exact=True)


@pytest.mark.parametrize("table", PER_PATIENT)
def test_per_patient_rows_do_not_depend_on_row_order(full_and_part, table):
    full, _, shuffled, keep = full_and_part
    got = getattr(shuffled, table).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, _rows(full, table, keep), rtol=1e-12, atol=0)
