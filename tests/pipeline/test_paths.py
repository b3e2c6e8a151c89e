"""The per-patient path and the cohort path give exactly what one ``analyze`` gives.

- ``analyze`` on ``sample_data/`` writes byte for byte the files in
  ``tests/pipeline/snapshots/sample_output`` (written by ``paindiary analyze
  sample_data`` before the analysis was split into the two paths).
- ``per_patient`` run on 4 partitions of the patients and concatenated equals one
  pass, table by table; ``cohort`` of the concatenation equals ``analyze``.
- ``summarize_patient`` on one patient's rows equals that patient's rows of the
  whole-clinic run.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analytics.pipeline import (
    OUTPUT_FILES,
    PER_PATIENT_TABLES,
    AnalysisSettings,
    PatientSummary,
    analysis_diary,
    analyze,
    cohort,
    flares,
    per_patient,
    summarize_patient,
)

SNAPSHOT = Path(__file__).parent / "snapshots" / "sample_output"


def _part(frame: pd.DataFrame, keep) -> pd.DataFrame:
    return frame[frame["patient_id"].isin(keep)].reset_index(drop=True)


@pytest.fixture(scope="module")
def one_pass(sample_dataset):
    ds = sample_dataset
    return per_patient(ds.patients, ds.diary, ds.sessions, AnalysisSettings())


@pytest.fixture(scope="module")
def four_parts(sample_dataset):
    """per_patient on 4 contiguous partitions of the sorted patient ids, concatenated."""
    ds = sample_dataset
    ids = np.array(sorted(ds.patients["patient_id"]))
    parts = [
        per_patient(*(_part(f, set(chunk)) for f in (ds.patients, ds.diary, ds.sessions)))
        for chunk in np.array_split(ids, 4)
    ]
    assert all(len(p["patient_outcomes"]) for p in parts)
    return {
        name: pd.concat([p[name] for p in parts], ignore_index=True) for name in PER_PATIENT_TABLES
    }


#: Columns of the snapshot that changed on purpose, with why:
#: - days_to_response: the trailing mean inside time to response uses post-index
#:   days only (it reached back into the baseline before);
#: - rd_ci_low/rd_ci_high: Newcombe's hybrid score interval replaced the Wald one.
CHANGED_COLUMNS = {
    "patient_outcomes.csv": {"days_to_response"},
    "group_comparison.csv": {"rd_ci_low", "rd_ci_high"},
}
#: Files compared on their ``group_by == "group"`` rows only: the condition and
#: technique rows now leave control patients out.
GROUP_ROWS_ONLY = {"group_summary.csv", "group_comparison.csv"}
#: Files rebuilt on purpose from the new time to response (tested in test_survival).
REBUILT = {"time_to_response.csv", "kaplan_meier.csv"}


def _text(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype="str", keep_default_na=False)


def test_analyze_output_equals_the_snapshot(sample_dataset, tmp_path):
    """Byte for byte, except the documented changes; the snapshot's columns never move."""
    ds = sample_dataset
    analyze(ds.patients, ds.diary, ds.sessions).write_csv(tmp_path)
    for file_name in OUTPUT_FILES.values():
        if file_name in REBUILT or not (SNAPSHOT / file_name).exists():
            continue
        expected_bytes = (SNAPSHOT / file_name).read_bytes()
        got_bytes = (tmp_path / file_name).read_bytes()
        if file_name not in CHANGED_COLUMNS and file_name not in GROUP_ROWS_ONLY:
            if file_name != "patient_outcomes.csv":
                assert got_bytes == expected_bytes, file_name
                continue
        keep_exact = file_name not in GROUP_ROWS_ONLY
        read = _text if keep_exact else pd.read_csv
        expected = read(SNAPSHOT / file_name)
        got = read(tmp_path / file_name)
        assert set(expected.columns) <= set(got.columns), file_name
        if file_name in GROUP_ROWS_ONLY:
            # the Wilson bounds now come from statsmodels: equal to the last bit or two
            expected = expected[expected["group_by"] == "group"].reset_index(drop=True)
            got = got[got["group_by"] == "group"].reset_index(drop=True)
        keep = [c for c in expected.columns if c not in CHANGED_COLUMNS.get(file_name, set())]
        pd.testing.assert_frame_equal(
            got[keep], expected[keep], obj=file_name, check_exact=keep_exact, rtol=1e-12
        )


def test_time_to_response_still_finds_the_same_responders(sample_dataset):
    """Post-index trailing means move response days, not who responds on the sample."""
    ds = sample_dataset
    got = analyze(ds.patients, ds.diary, ds.sessions, AnalysisSettings(n_boot=10))
    old = pd.read_csv(SNAPSHOT / "patient_outcomes.csv", dtype={"patient_id": "str"})
    new = got.patient_outcomes
    assert (old["days_to_response"].isna().to_numpy() == new["days_to_response"].isna()).all()
    assert (new["days_to_response"].dropna() <= old["days_to_response"].dropna()).all()


@pytest.mark.parametrize("table", PER_PATIENT_TABLES)
def test_per_patient_over_four_partitions_equals_one_pass(one_pass, four_parts, table):
    assert len(one_pass[table]), table
    pd.testing.assert_frame_equal(four_parts[table], one_pass[table], check_exact=True)


def test_per_patient_round_robin_partitions_equal_one_pass_after_sorting(sample_dataset, one_pass):
    ds = sample_dataset
    ids = sorted(ds.patients["patient_id"])
    parts = [
        per_patient(*(_part(f, set(ids[i::4])) for f in (ds.patients, ds.diary, ds.sessions)))
        for i in range(4)
    ]
    keys = {"session_response": ["patient_id", "session_number"]}
    keys["dose_response"] = ["patient_id", "session_number"]
    for table in PER_PATIENT_TABLES:
        got = pd.concat([p[table] for p in parts], ignore_index=True)
        got = got.sort_values(keys.get(table, ["patient_id"]), kind="stable")
        pd.testing.assert_frame_equal(
            got.reset_index(drop=True), one_pass[table], check_exact=True, obj=table
        )


def test_cohort_of_the_partitions_equals_analyze(sample_dataset, four_parts):
    ds = sample_dataset
    settings = AnalysisSettings(n_boot=200)
    whole = analyze(ds.patients, ds.diary, ds.sessions, settings).tables()
    split = cohort(four_parts, ds.patients, ds.sessions, settings).tables()
    assert set(whole) == set(split)
    for name in whole:
        pd.testing.assert_frame_equal(split[name], whole[name], check_exact=True, obj=name)


def test_cohort_reads_no_raw_rows(sample_dataset, four_parts):
    ds = sample_dataset
    settings = AnalysisSettings(n_boot=200)
    whole = analyze(ds.patients, ds.diary, ds.sessions, settings).tables()
    alone = cohort(four_parts, settings=settings).tables()
    for name in whole:
        pd.testing.assert_frame_equal(alone[name], whole[name], check_exact=True, obj=name)


def test_cohort_names_missing_tables():
    with pytest.raises(ValueError, match="missing session_response, .*adverse_event_counts"):
        cohort({"patient_outcomes": pd.DataFrame()})


def test_summarize_patient_equals_the_patients_rows_of_the_clinic(sample_dataset, one_pass):
    ds = sample_dataset
    for pid in sorted(ds.patients["patient_id"])[::7]:
        rows = [_part(f, {pid}) for f in (ds.patients, ds.diary, ds.sessions)]
        summary = summarize_patient(*rows)
        assert isinstance(summary, PatientSummary) and summary.patient_id == pid
        pairs = {
            "outcome": "patient_outcomes",
            "session_response": "session_response",
            "dose_response": "dose_response",
            "time_to_response": "time_to_response",
            "adverse_event_counts": "adverse_event_counts",
            "factor_effects": "factor_effects",
            "nof1_effects": "nof1_effects",
        }
        for attr, table in pairs.items():
            expected = _part(one_pass[table], {pid})
            pd.testing.assert_frame_equal(getattr(summary, attr), expected, obj=attr)
        pd.testing.assert_frame_equal(summary.to_frame(), summary.outcome)
        n_events = int(summary.adverse_event_counts["n_events"].sum())
        assert len(summary.adverse_events) == n_events
        assert summary.trend["date"].tolist() == sorted(rows[1]["date"])


def test_summarize_patient_picks_the_patient_from_the_whole_clinic(sample_dataset):
    ds = sample_dataset
    pid = sorted(ds.patients["patient_id"])[5]
    whole = summarize_patient(ds.patients, ds.diary, ds.sessions, patient_id=pid)
    rows = [_part(f, {pid}) for f in (ds.patients, ds.diary, ds.sessions)]
    alone = summarize_patient(*rows)
    for name, table in alone.tables().items():
        pd.testing.assert_frame_equal(whole.tables()[name], table, obj=name)


def test_summarize_patient_needs_one_patient(sample_dataset):
    ds = sample_dataset
    with pytest.raises(ValueError, match="exactly one patient"):
        summarize_patient(ds.patients, ds.diary, ds.sessions)


def test_summarize_patient_folds_in_the_entries_as_analyze_does(sample_dataset):
    ds = sample_dataset
    with_entries = set(ds.entries["patient_id"])
    pid = "P003"
    rows = [_part(f, {pid}) for f in (ds.patients, ds.diary, ds.sessions, ds.entries)]
    summary = summarize_patient(*rows[:3], entries=rows[3])
    daily = analysis_diary(rows[1], rows[3])
    assert len(daily) > len(rows[1]) or not daily["pain"].equals(rows[1]["pain"])
    expected = per_patient(rows[0], daily, rows[2], AnalysisSettings())["patient_outcomes"]
    pd.testing.assert_frame_equal(summary.outcome, expected, check_exact=True)
    pd.testing.assert_frame_equal(summary.flares, flares(daily, rows[3], rows[0], rows[2]))
    assert summary.flares["n_flares"].iloc[0] > 0
    # a patient without entries gets exactly the summary without them
    alone = sorted(set(ds.patients["patient_id"]) - with_entries)[0]
    plain = summarize_patient(ds.patients, ds.diary, ds.sessions, patient_id=alone)
    folded = summarize_patient(
        ds.patients, ds.diary, ds.sessions, patient_id=alone, entries=ds.entries
    )
    for name, table in plain.tables().items():
        pd.testing.assert_frame_equal(folded.tables()[name], table, check_exact=True, obj=name)
    assert folded.flares.empty
