"""Tests of analytics.pipeline: settings, analyze(), write_csv and ``paindiary analyze``."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from analytics.cli import main
from analytics.contract import empty_frame
from analytics.pipeline import (
    FLARE_FILE,
    OUTPUT_FILES,
    PATIENT_OUTCOME_COLUMNS,
    QUESTIONNAIRE_FILE,
    AnalysisResult,
    AnalysisSettings,
    analyze,
)
from analytics.stats import FLARE_COLUMNS
from analytics.stats._groups import COMPARISON_COLUMNS, SUMMARY_COLUMNS
from tests.frames import SAMPLE_DIR, daily_diary

#: Documented columns of the files written from B's frames (see docs/analytics.md).
CONTRACT_FIRST_COLUMNS = {
    "patient_outcomes.csv": PATIENT_OUTCOME_COLUMNS,
    "group_summary.csv": SUMMARY_COLUMNS,
    "group_comparison.csv": COMPARISON_COLUMNS,
    "cpra.csv": ["cutoff_pct", "n_patients", "n_responders", "share_responding"],
}


def test_settings_defaults_and_checks():
    s = AnalysisSettings()
    assert (s.baseline_days, s.followup_days, s.followup_at, s.min_entries) == (14, 14, None, 4)
    assert (s.responder_threshold, s.seed, s.n_boot) == (30.0, 0, 2000)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.seed = 1  # type: ignore[misc]
    assert AnalysisSettings(responder_threshold=35).responder_threshold == 35.0
    with pytest.raises(
        ValueError,
        match=r"The 'baseline_days' parameter of AnalysisSettings must be an int in \[1, 3650\]. "
        "Got 0 instead.",
    ):
        AnalysisSettings(baseline_days=0)
    for bad in ({"followup_at": 0}, {"min_entries": 2.0}, {"responder_threshold": -1},
                {"seed": -1}, {"n_boot": 0}, {"followup_days": True}):  # fmt: skip
        with pytest.raises(ValueError, match="parameter of AnalysisSettings"):
            AnalysisSettings(**bad)


def test_analyze_small_clinic(small_clinic, tmp_path):
    frames = {k: v.copy(deep=True) for k, v in small_clinic.items()}
    result = analyze(small_clinic["patients"], small_clinic["diary"], small_clinic["sessions"])
    for k, v in frames.items():
        pd.testing.assert_frame_equal(small_clinic[k], v)
    assert isinstance(result, AnalysisResult)
    po = result.patient_outcomes
    assert list(po.columns) == PATIENT_OUTCOME_COLUMNS
    assert po["patient_id"].tolist() == ["A", "B", "C", "D"]
    a = po.set_index("patient_id").loc["A"]
    assert a["change"] == 3.0 and a["days_to_response"] >= 0
    assert set(result.group_summary["group_by"]) == {"group", "condition", "technique"}
    assert list(result.group_summary.columns) == SUMMARY_COLUMNS
    paths = result.write_csv(tmp_path / "out")
    assert [p.name for p in paths] == list(OUTPUT_FILES.values())
    back = pd.read_csv(tmp_path / "out" / "patient_outcomes.csv", keep_default_na=False)
    assert list(back.columns) == PATIENT_OUTCOME_COLUMNS
    assert back.loc[0, "index_date"] == "2026-01-15"


def test_analyze_without_sessions_or_patients():
    result = analyze(None, empty_frame("diary"), None)
    assert len(result.patient_outcomes) == 0
    assert result.emax_fit is None and result.kaplan_meier is None
    diary = daily_diary("A", "2026-01-01", [5] * 20)
    result = analyze(None, diary, None)
    assert result.patient_outcomes["reason"].tolist() == ["no_index"]
    assert len(result.session_response) == 0 and len(result.dose_response) == 0


def test_write_csv_neutralises_formula_labels_and_keeps_precision(small_clinic, tmp_path):
    patients = small_clinic["patients"].copy()
    patients["group"] = patients["group"].replace({"waitlist": "=HYPERLINK(1)"})
    diary = small_clinic["diary"].copy()
    diary.loc[diary["patient_id"] == "A", "pain"] = np.where(
        np.arange((diary["patient_id"] == "A").sum()) < 14, 7.0, 1.0 / 3.0
    )
    result = analyze(patients, diary, small_clinic["sessions"])
    result.write_csv(tmp_path)
    text = (tmp_path / "patient_outcomes.csv").read_text()
    assert "'=HYPERLINK(1)" in text and ",=HYPERLINK" not in text
    back = pd.read_csv(tmp_path / "patient_outcomes.csv")
    expected = result.patient_outcomes.set_index("patient_id").loc["A", "pct_change"]
    assert back.set_index("patient_id").loc["A", "pct_change"] == expected  # unrounded


def _sample_out(tmp_path_factory):
    out = tmp_path_factory.mktemp("analyze")
    code = main(["analyze", str(SAMPLE_DIR), "--out", str(out), "--seed", "1"])
    return code, out


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    return _sample_out(tmp_path_factory)


def test_cli_end_to_end_on_sample(sample_run, capsys):
    code, out = sample_run
    assert code == 0
    written = sorted(p.name for p in out.iterdir())
    # sample_data has questionnaires.csv and entries.csv: the questionnaire and flare tables
    # are written beside the others
    assert written == sorted([*OUTPUT_FILES.values(), QUESTIONNAIRE_FILE, FLARE_FILE])
    flares = pd.read_csv(out / FLARE_FILE)
    assert list(flares.columns) == FLARE_COLUMNS and len(flares) > 10
    assert flares["rescue_helped_rate"].between(0, 1).all()
    for name, columns in CONTRACT_FIRST_COLUMNS.items():
        assert list(pd.read_csv(out / name, nrows=0).columns) == columns, name
    for name in OUTPUT_FILES.values():
        assert len(pd.read_csv(out / name, nrows=0).columns) > 0, name
    po = pd.read_csv(out / "patient_outcomes.csv")
    assert len(po) == 60
    summary = pd.read_csv(out / "group_summary.csv").query("group_by == 'group'").set_index("group")
    assert summary.loc["acupuncture", "mean_change"] > summary.loc["waitlist", "mean_change"] + 1
    assert summary["responder_rate"].between(0, 1).all()


def test_cli_reports_invalid_data_without_traceback(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "diary.csv").write_text("patient_id,date,pain\nA,2026-01-01,11\nA,2026-01-02,5\n")
    code = main(["analyze", str(data), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 1
    assert "diary.csv:2" in err and "Traceback" not in err
    assert not (tmp_path / "out" / "patient_outcomes.csv").exists()
    code = main(["analyze", str(data), "--out", str(tmp_path / "out"), "--skip-invalid"])
    assert code == 0
    assert (tmp_path / "out" / "diary.rejects.csv").exists()
    assert (tmp_path / "out" / "patient_outcomes.csv").exists()


def test_cli_bad_option_and_missing_directory(tmp_path, capsys):
    assert main(["analyze", str(tmp_path), "--out", str(tmp_path / "o"), "--min-entries", "0"]) == 2
    assert "min_entries" in capsys.readouterr().err
    assert main(["analyze", str(tmp_path / "nope"), "--out", str(tmp_path / "o")]) == 1
    assert "Traceback" not in capsys.readouterr().err


def test_every_written_column_is_documented_and_rates_are_fractions(sample_run):
    """docs/analytics.md names every column of every file written.

    Rates (``*_rate*``, ``share_*``, ``adherence*``, ``survival``) lie in [0, 1];
    only ``pct_*`` columns and the documented per-100 exceptions exceed 1 as a scale.
    """
    import re

    code, out = sample_run
    assert code == 0
    docs = (SAMPLE_DIR.parent / "docs" / "analytics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"[a-z][a-z0-9_]*", docs))
    fractions = re.compile(r"(^|_)rate($|_)|^share_|^adherence|^survival$|^responder_rate")
    for name in OUTPUT_FILES.values():
        frame = pd.read_csv(out / name)
        for col in frame.columns:
            # the secondary measures are documented as "baseline_/followup_/change_<m>"
            stem = (
                "change_" + col.split("_", 1)[1]
                if col.startswith(("baseline_", "followup_"))
                else col
            )
            assert col in documented or stem in documented, f"{name}: {col} not in the docs"
            if fractions.search(col) and col in frame and frame[col].notna().any():
                assert frame[col].dropna().between(0, 1).all(), f"{name}: {col} outside 0-1"
