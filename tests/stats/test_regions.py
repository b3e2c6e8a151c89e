"""Where it hurts: widespread pain index, region frequency and change, checked by hand.

The expected numbers are worked out by hand in the comments from the diary below
(WPI = number of the 19 regions marked; 2016 fibromyalgia criteria, Wolfe et al.
2016, Semin Arthritis Rheum 46:319).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.contract import BODY_REGIONS, empty_frame
from analytics.pipeline import summarize_patient
from analytics.stats import region_change, region_days, region_frequency


def _diary() -> pd.DataFrame:
    rows = [  # patient, day, regions marked (None = the map was not filled in)
        ("a", "2026-01-01", "low_back;l_hip"),
        ("a", "2026-01-02", "low_back"),
        ("a", "2026-01-03", None),
        ("a", "2026-01-04", "neck;low_back"),
        ("a", "2026-01-20", "neck"),
        ("a", "2026-01-21", "chest;neck;r_jaw;r_shoulder"),
        ("b", "2026-01-01", None),
    ]
    d = empty_frame("diary")
    d["patient_id"] = pd.Series([r[0] for r in rows], dtype="str")
    d["date"] = pd.to_datetime([r[1] for r in rows]).astype("datetime64[ns]")
    d["pain"] = 5.0
    d["body_regions"] = pd.Series([r[2] for r in rows], dtype="str")
    return d


def test_widespread_pain_index_and_areas_per_day() -> None:
    days = region_days(_diary())
    # the day without a map and patient b (no map at all) have no row
    assert days["date"].dt.day.tolist() == [1, 2, 4, 20, 21]
    assert days["wpi"].tolist() == [2, 1, 2, 1, 4]
    # areas: l_hip = left lower, low_back = axial -> 2; chest, neck axial + r_jaw,
    # r_shoulder right upper -> 2
    assert days["n_areas"].tolist() == [2, 1, 1, 1, 2]
    assert days["regions"].iloc[2] == "neck;low_back"  # the contract's order


def test_region_frequency_in_weekly_periods() -> None:
    freq = region_frequency(_diary(), bin_days=7)
    a = freq.set_index(["period_start", "region"])
    assert len(freq) == 2 * len(BODY_REGIONS)  # 1-7 Jan and 15-21 Jan hold days
    week1 = a.loc[pd.Timestamp("2026-01-01")]
    assert week1.loc["low_back", ["n_days_logged", "n_days_marked"]].tolist() == [3, 3]
    assert week1.loc["l_hip", "share_marked"] == pytest.approx(1 / 3)
    assert week1.loc["chest", "n_days_marked"] == 0
    week3 = a.loc[pd.Timestamp("2026-01-15")]
    assert week3.loc["neck", "share_marked"] == 1.0
    assert week3.loc["r_jaw", "share_marked"] == 0.5
    one = region_frequency(_diary(), start=pd.Timestamp("2026-01-02"))
    assert one.set_index("region").loc["low_back", "n_days_logged"] == 4


def test_painful_regions_baseline_against_recent() -> None:
    index = pd.Series(pd.to_datetime(["2026-01-05"]), index=pd.Index(["a"], name="patient_id"))
    out = region_change(_diary(), index, baseline_days=14, recent_days=7, min_days=2)
    row = out.iloc[0]
    # baseline 22 Dec - 4 Jan: days 1, 2, 4 with WPI 2, 1, 2 -> mean 5/3; low_back on
    # 3 of 3 days is painful, l_hip and neck on 1 of 3 are not
    assert row["n_reference_days"] == 3
    assert row["reference_wpi"] == pytest.approx(5 / 3)
    assert row["reference_regions"] == "low_back"
    # recent 15-21 Jan: WPI 1 and 4 -> 2.5; neck 2/2, chest, r_jaw, r_shoulder 1/2 (>= 0.5)
    assert row["recent_wpi"] == pytest.approx(2.5)
    assert row["recent_regions"] == "r_jaw;r_shoulder;neck;chest"
    assert row["wpi_change"] == pytest.approx(2.5 - 5 / 3)
    assert row["n_regions_change"] == 3.0
    assert (row["regions_added"], row["regions_gone"]) == (
        "r_jaw;r_shoulder;neck;chest",
        "low_back",
    )
    # too few days in a window: no values, no change
    few = region_change(_diary(), index, recent_days=7, min_days=3).iloc[0]
    assert np.isnan(few["recent_wpi"]) and pd.isna(few["recent_regions"])
    assert np.isnan(few["wpi_change"]) and pd.isna(few["regions_added"])


def test_rows_in_any_order_and_any_index_give_the_same_regions() -> None:
    diary = _diary()
    # a listed region repeated or padded with spaces counts once; a day listed twice
    # (a frame that is not canonical) marks what either row marks
    diary.loc[1, "body_regions"] = " low_back ; ;low_back"
    twice = diary.iloc[[0]].assign(body_regions="neck")
    mixed = pd.concat([diary, twice]).iloc[::-1]
    mixed.index = [10 * i + 7 for i in range(len(mixed))]  # labels that are no positions
    index = pd.Series(pd.to_datetime(["2026-01-05"]), index=pd.Index(["a"], name="patient_id"))
    days = region_days(mixed)
    assert days["regions"].tolist()[:2] == ["l_hip;neck;low_back", "low_back"]
    assert days["wpi"].tolist() == [3, 1, 2, 1, 4]
    plain = pd.concat([diary, twice]).reset_index(drop=True)
    pd.testing.assert_frame_equal(
        region_frequency(mixed, bin_days=7), region_frequency(plain, bin_days=7)
    )
    pd.testing.assert_frame_equal(
        region_change(mixed, index, min_days=2), region_change(plain, index, min_days=2)
    )


def test_the_patient_summary_carries_the_regions() -> None:
    summary = summarize_patient(None, _diary(), None, patient_id="a")
    assert summary.region_days["wpi"].sum() == 10
    assert summary.region_change["reference"].tolist() == ["diary_start"]
    assert region_days(_diary().drop(columns="body_regions")).empty
