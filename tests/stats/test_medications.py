"""The medicines table, the daily opioid MME and the opioid start/rise flags, by hand.

MME per day = the day's total dose × the CDC 2022 conversion factor (Dowell et al.
2022, MMWR Recomm Rep 71(RR-3), the table of conversion factors): tramadol 0.2,
oxycodone 1.5, morphine 1, fentanyl patch 2.4 per mcg/h. Every expected number
below is worked out in the comment next to it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from analytics.stats import (
    MEDICINE_COLUMNS,
    OPIOID_CHANGE_COLUMNS,
    medicine_table,
    opioid_change,
    opioid_mme_per_day,
    secondary_outcomes,
)
from tests.frames import daily_diary

#: Index date of A to E: baseline window 01 Jan–14 Jan 2026.
T0 = pd.Timestamp("2026-01-15")
INDEX = pd.Series([T0] * 5, index=["A", "B", "C", "D", "E"])
N = 28  # 01 Jan – 28 Jan 2026


def _day(d: int) -> int:
    """Row of January day ``d`` in a diary that starts on 1 January."""
    return d - 1


def _patient(pid: str, medicine: dict[int, tuple[str, float | None]], mme: dict[int, float]):
    """A diary of N daily entries naming ``medicine`` {day: (name, dose)} and MME {day: value}."""
    names = [None] * N
    doses = [np.nan] * N
    mmes = [np.nan] * N
    for d, (name, dose) in medicine.items():
        names[_day(d)] = name
        doses[_day(d)] = np.nan if dose is None else dose
    for d, value in mme.items():
        mmes[_day(d)] = value
    return daily_diary(
        pid, "2026-01-01", [5] * N, medication=names, medication_dose=doses, opioid_mme=mmes
    )


def _clinic() -> pd.DataFrame:
    # A: ibuprofen in the baseline; tramadol started after it (an opioid start)
    a = _patient(
        "A",
        {
            3: ("ibuprofen", 400.0),
            5: ("Ibuprofen", 600.0),
            8: ("ibuprofen", None),
            22: ("Tramadol ", 100.0),  # 100 × 0.2 = 20 MME
            25: ("tramadol", 150.0),  # 150 × 0.2 = 30 MME
            28: ("tramadol", 200.0),  # 200 × 0.2 = 40 MME (also recorded)
        },
        {28: 40.0},
    )
    # B: oxycodone 20 mg every day (30 MME), 30 mg (45 MME) from 22 Jan: a rise
    b = _patient("B", {d: ("oxycodone", 20.0 if d < 22 else 30.0) for d in range(1, N + 1)}, {})
    # C: oxycodone 20 mg every day, 25 Jan left blank: no change
    c = _patient("C", {d: ("oxycodone", 20.0) for d in range(1, N + 1) if d != 25}, {})
    # D: morphine 30 mg (30 MME), then 34 mg from 22 Jan: +4 MME/day, below the flag
    d_ = _patient("D", {d: ("morphine", 30.0 if d < 22 else 34.0) for d in range(1, N + 1)}, {})
    # E: paracetamol only, no opioid item ever filled: no MME at all
    e = _patient("E", {d: ("paracetamol", 1000.0) for d in (2, 9, 20)}, {})
    # F: no index date; first 14 days with no opioid (one recorded 0), then a
    # fentanyl patch of 25 mcg/h (25 × 2.4 = 60 MME) on days 15-21
    f = daily_diary(
        "F",
        "2026-01-01",
        [5] * 21,
        medication=[None] * 14 + ["Fentanyl Patch"] * 7,
        medication_dose=[np.nan] * 14 + [25.0] * 7,
        opioid_mme=[0.0] + [np.nan] * 20,
    )
    return pd.concat([a, b, c, d_, e, f], ignore_index=True)


def test_medicines_table_equals_the_hand_calculation():
    table = medicine_table(_clinic(), INDEX)
    assert tuple(table.columns) == MEDICINE_COLUMNS
    got = table.set_index(["patient_id", "medicine"])
    jan = lambda d: pd.Timestamp(f"2026-01-{d:02d}")  # noqa: E731

    ibu = got.loc[("A", "ibuprofen")]
    assert (ibu["n_days"], ibu["n_dose_days"]) == (3, 2)  # 3, 5 and 8 Jan; no dose on 8 Jan
    assert (ibu["dose_min"], ibu["dose_max"], ibu["dose_unit"]) == (400.0, 600.0, "mg")
    assert not ibu["opioid"] and np.isnan(ibu["mme_min"]) and np.isnan(ibu["mme_max"])
    assert (ibu["first_day"], ibu["last_day"]) == (jan(3), jan(8))
    assert not ibu["started"]

    tra = got.loc[("A", "tramadol")]
    assert tra["opioid"] and tra["n_days"] == 3
    assert (tra["dose_min"], tra["dose_max"]) == (100.0, 200.0)
    assert_allclose([tra["mme_min"], tra["mme_max"]], [100 * 0.2, 200 * 0.2])
    assert (tra["first_day"], tra["last_day"]) == (jan(22), jan(28))
    assert tra["started"]  # first taken on 22 Jan, after the baseline window (to 14 Jan)

    oxy = got.loc[("B", "oxycodone")]
    assert oxy["n_days"] == 28 and not oxy["started"]
    assert_allclose([oxy["mme_min"], oxy["mme_max"]], [20 * 1.5, 30 * 1.5])
    assert got.loc[("C", "oxycodone"), "n_days"] == 27

    patch = got.loc[("F", "fentanyl patch")]
    assert patch["dose_unit"] == "mcg/h"
    assert_allclose([patch["mme_min"], patch["mme_max"]], [25 * 2.4, 25 * 2.4])
    assert patch["started"]  # no index date: after the first 14 days of the diary
    # one row per patient and medicine, in order of first day
    assert list(table["medicine"][table["patient_id"] == "A"]) == ["ibuprofen", "tramadol"]
    assert not table["medicine"].str.contains("Ibuprofen").any()


def test_daily_mme_counts_a_blank_day_as_zero_only_while_no_opioid_is_taken():
    diary = _clinic()
    mme = opioid_mme_per_day(diary)
    a = mme[diary["patient_id"] == "A"].to_numpy()
    assert_allclose(a[: _day(22)], 0.0)  # blank days before the first opioid: none taken
    assert a[_day(22)] == pytest.approx(20.0)  # tramadol 100 mg
    # blank days after an opioid day are not known (forgotten or not taken)
    assert np.isnan(a[_day(23)]) and np.isnan(a[_day(24)])
    assert a[_day(25)] == pytest.approx(30.0) and a[_day(28)] == pytest.approx(40.0)
    c = mme[diary["patient_id"] == "C"].to_numpy()
    assert np.isnan(c[_day(25)])  # C's forgotten day does not lower the mean
    assert mme[diary["patient_id"] == "E"].isna().all()  # never an opioid item: no MME
    f = mme[diary["patient_id"] == "F"].to_numpy()
    assert_allclose(f, [0.0] * 14 + [60.0] * 7)
    # the input is not modified and the result follows its row order
    shuffled = diary.sample(frac=1.0, random_state=1)
    pd.testing.assert_series_equal(opioid_mme_per_day(shuffled), mme.loc[shuffled.index])


def test_opioid_flags_on_a_start_a_rise_and_no_change():
    got = opioid_change(_clinic(), INDEX).set_index("patient_id")
    assert tuple(got.reset_index().columns) == OPIOID_CHANGE_COLUMNS

    # A: baseline 1-14 Jan all 0 MME; last 7 days 22-28 Jan: 20, ?, ?, 30, ?, ?, 40
    a = got.loc["A"]
    assert a["reference"] == "baseline"
    assert (a["reference_start"], a["reference_end"]) == (
        pd.Timestamp("2026-01-01"),
        pd.Timestamp("2026-01-14"),
    )
    assert (a["n_reference_days"], a["reference_mme"]) == (14, 0.0)
    assert a["n_recent_days"] == 3
    assert a["recent_mme"] == pytest.approx((20 + 30 + 40) / 3)
    assert a["mme_rise"] == pytest.approx(30.0)
    assert a["flag_opioid_started"] and a["opioids_started"] == "tramadol"
    assert a["flag_mme_rose"]

    # B: 30 MME at baseline, 45 in the last 7 days: +15 ≥ 5, no new opioid
    b = got.loc["B"]
    assert (b["reference_mme"], b["recent_mme"]) == pytest.approx((30.0, 45.0))
    assert b["flag_mme_rose"] and not b["flag_opioid_started"] and b["opioids_started"] == ""

    # C: 30 at baseline and 30 on the 6 known days of the last 7: no flag
    c = got.loc["C"]
    assert (c["n_recent_days"], c["recent_mme"], c["mme_rise"]) == (6, 30.0, 0.0)
    assert not c["flag_mme_rose"] and not c["flag_opioid_started"]

    # D: 30 → 34 MME: +4 is below the default 5; inclusive at the threshold
    d = got.loc["D"]
    assert d["mme_rise"] == pytest.approx(4.0) and not d["flag_mme_rose"]
    at_four = opioid_change(_clinic(), INDEX, min_rise=4.0).set_index("patient_id")
    assert at_four.loc["D", "flag_mme_rose"]

    # E: no opioid recorded: no MME, no flag
    e = got.loc["E"]
    assert np.isnan(e["reference_mme"]) and np.isnan(e["mme_rise"])
    assert not e["flag_mme_rose"] and not e["flag_opioid_started"]

    # F: no index date: the first 14 days of the diary are the reference
    f = got.loc["F"]
    assert f["reference"] == "diary_start"
    assert (f["reference_mme"], f["recent_mme"]) == (0.0, pytest.approx(60.0))
    assert f["flag_mme_rose"] and f["opioids_started"] == "fentanyl patch"


def test_overlapping_windows_raise_no_rise_flag():
    # 10 days, no index date: the first 14 days and the last 7 overlap
    diary = daily_diary(
        "G", "2026-01-01", [5] * 10, medication=["tramadol"] * 10, medication_dose=[50.0] * 10
    )
    row = opioid_change(diary).iloc[0]
    assert np.isnan(row["mme_rise"]) and not row["flag_mme_rose"]
    assert not row["flag_opioid_started"]


def test_secondary_opioid_mean_sees_an_opioid_logged_today():
    # baseline: 14 days of explicit 0 MME; follow-up: 4 diary days, one left blank,
    # the last naming tramadol 100 mg (20 MME) -> (0 + 0 + 0 + 20) / 4 = 5.0
    pains = [5] * 14 + [5, np.nan, 5, 5, np.nan, np.nan, 5]
    mme = [0.0] * 14 + [0.0, np.nan, np.nan, 0.0, np.nan, np.nan, np.nan]
    names = [None] * 20 + ["tramadol"]
    doses = [np.nan] * 20 + [100.0]
    diary = daily_diary(
        "P", "2026-01-01", pains, opioid_mme=mme, medication=names, medication_dose=doses
    )
    index = pd.Series([T0], index=["P"])
    row = secondary_outcomes(diary, index).iloc[0]
    assert row["baseline_opioid_mme"] == 0.0
    assert row["followup_opioid_mme"] == pytest.approx(20 / 4)
    assert row["change_opioid_mme"] == pytest.approx(-5.0)  # negative = more opioid


def test_no_medicine_gives_an_empty_table_with_every_column():
    diary = daily_diary("H", "2026-01-01", [5] * 5)
    table = medicine_table(diary)
    assert table.empty and tuple(table.columns) == MEDICINE_COLUMNS
    change = opioid_change(diary)
    assert len(change) == 1 and not change["flag_opioid_started"].iloc[0]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda d: medicine_table(d, baseline_days=0),
            "'baseline_days' parameter of medicine_table",
        ),
        (lambda d: opioid_change(d, recent_days=0), "'recent_days' parameter of opioid_change"),
        (lambda d: opioid_change(d, min_rise=-1), "'min_rise' parameter of opioid_change"),
    ],
)
def test_parameters_are_checked_in_sentences(call, message):
    with pytest.raises(ValueError, match=message):
        call(daily_diary("H", "2026-01-01", [5] * 5))
