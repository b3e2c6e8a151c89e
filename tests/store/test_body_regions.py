"""Body regions of a diary day: stored, exported and imported again unchanged (CSV and Parquet)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pandas.testing import assert_frame_equal

from analytics.errors import DataValidationError
from analytics.io import load_dataset, load_parquet_dataset, write_dataset, write_parquet_dataset
from analytics.store import Store

ACTOR = "clinician:demo"
PATIENT = {"patient_id": "P001", "condition": "fibromyalgia", "start_date": "2024-03-04"}


def test_body_regions_round_trip_through_store_csv_and_parquet(
    store: Store, tmp_path: Path
) -> None:
    store.save_patient(ACTOR, PATIENT)
    day = {"patient_id": "P001", "date": "2024-03-01", "pain": 6}
    store.save_diary_entry(ACTOR, {**day, "body_regions": "low_back;l_hip;neck"})
    store.save_diary_entry(ACTOR, {**day, "date": "2024-03-02"})
    stored = store.get_diary_entry(ACTOR, "P001", "2024-03-01")
    assert stored is not None and stored["body_regions"] == "low_back;l_hip;neck"
    exported = store.export_dataset(ACTOR)
    assert exported.diary["body_regions"].isna().tolist() == [False, True]
    write_dataset(exported, tmp_path / "csv")
    assert "low_back;l_hip;neck" in (tmp_path / "csv" / "diary.csv").read_text()
    assert_frame_equal(load_dataset(tmp_path / "csv").diary, exported.diary)
    write_parquet_dataset(exported, tmp_path / "parquet")
    assert_frame_equal(load_parquet_dataset(tmp_path / "parquet").diary, exported.diary)


def test_a_saved_day_with_an_unknown_or_repeated_region_is_refused(store: Store) -> None:
    store.save_patient(ACTOR, PATIENT)
    day = {"patient_id": "P001", "date": "2024-03-01", "pain": 6}
    with pytest.raises(DataValidationError, match="unknown word.*l_knee.*l_jaw, l_shoulder"):
        store.save_diary_entry(ACTOR, {**day, "body_regions": "l_knee"})
    with pytest.raises(DataValidationError, match="names neck more than once"):
        store.save_diary_entry(ACTOR, {**day, "body_regions": "neck;chest;neck"})
