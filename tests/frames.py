"""Tiny canonical frames and the sample clinic, for the statistics and pipeline tests.

Builders (``make_diary``, ``make_sessions``, ``make_patients``) return frames with
exactly the canonical columns and dtypes of ``analytics.contract.schema``; tests pass only
the columns they care about.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.contract import empty_frame
from analytics.io import load_dataset

ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = ROOT / "sample_data"


def _canonical(table: str, data: dict) -> pd.DataFrame:
    template = empty_frame(table)
    n = len(next(iter(data.values()))) if data else 0
    out = pd.DataFrame(index=range(n))
    for col in template.columns:
        dtype = template[col].dtype
        if col in data:
            values = data[col]
            if str(dtype).startswith("datetime"):
                out[col] = pd.to_datetime(pd.Series(values), format="ISO8601").astype(dtype)
            else:
                out[col] = pd.Series(values).astype(dtype)
        else:
            out[col] = pd.Series([pd.NA if str(dtype) == "Int64" else np.nan] * n).astype(dtype)
    return out


def make_diary(**columns) -> pd.DataFrame:
    """Canonical diary frame from column lists (missing columns are all-missing)."""
    return _canonical("diary", columns)


def make_sessions(**columns) -> pd.DataFrame:
    """Canonical sessions frame; ``technique`` defaults to manual."""
    if "technique" not in columns and columns:
        columns["technique"] = ["manual"] * len(next(iter(columns.values())))
    return _canonical("sessions", columns)


def make_patients(**columns) -> pd.DataFrame:
    """Canonical patients frame; ``condition`` defaults to chronic_low_back_pain."""
    if "condition" not in columns and columns:
        columns["condition"] = ["chronic_low_back_pain"] * len(next(iter(columns.values())))
    return _canonical("patients", columns)


def daily_diary(patient_id: str, start: str, pains, **extra) -> pd.DataFrame:
    """One patient's diary on consecutive days from ``start``; NaN pain = no entry."""
    dates = pd.date_range(start, periods=len(pains), freq="D")
    frame = {"patient_id": [patient_id] * len(pains), "date": dates, "pain": list(pains)}
    for key, values in extra.items():
        frame[key] = list(values)
    diary = make_diary(**frame)
    return diary[diary["pain"].notna()].reset_index(drop=True)


@pytest.fixture
def small_clinic():
    """Three patients with awkward cases.

    - ``A``: 14 baseline days at pain 6, first session on 2026-01-15, then 28
      days at pain 3 (50 % better) -> responder.
    - ``B``: index from ``start_date`` (waitlist, no sessions), pain 5 then 5 ->
      no change.
    - ``C``: sessions but only 2 baseline entries -> insufficient_baseline.
    - ``D``: diary only, no index -> no_index.
    """
    a = daily_diary("A", "2026-01-01", [6] * 14 + [3] * 28)
    b = daily_diary("B", "2026-01-01", [5] * 14 + [5] * 28)
    c = daily_diary("C", "2026-01-12", [7] * 3 + [4] * 20)
    d = daily_diary("D", "2026-01-01", [4] * 10)
    diary = pd.concat([a, b, c, d], ignore_index=True)
    sessions = make_sessions(
        patient_id=["A", "A", "C"],
        date=["2026-01-15 10:30", "2026-01-22 09:00", "2026-01-15"],
        technique=["electro", "electro", "manual"],
        frequency_hz=["2/100", "2/100", None],
        adverse_events=["soreness", None, None],
    )
    patients = make_patients(
        patient_id=["A", "B", "C", "D"],
        group=["acupuncture", "waitlist", "acupuncture", None],
        start_date=[None, "2026-01-15", None, None],
    )
    return {"diary": diary, "sessions": sessions, "patients": patients}


@pytest.fixture(scope="session")
def sample_dataset():
    """The demo clinic of ``sample_data/`` loaded through the real loader."""
    return load_dataset(SAMPLE_DIR)


@pytest.fixture(scope="session")
def sample_truth():
    return pd.read_csv(SAMPLE_DIR / "truth.csv", dtype={"patient_id": "str"})
