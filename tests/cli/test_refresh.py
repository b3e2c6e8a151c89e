"""``paindiary refresh``: fills in and recomputes the stored outcomes."""

from __future__ import annotations

from pathlib import Path

import pandas.testing as pdt
import pytest

from analytics.access import LOCAL_OPERATOR
from analytics.cli import main
from analytics.pipeline import (
    PER_PATIENT_TABLES,
    analysis_diary,
    per_patient,
    settings_fingerprint,
)
from analytics.service import Service
from analytics.store import open_store, project_root

SAMPLE = project_root() / "sample_data"


@pytest.fixture
def db(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    assert main(["import", str(SAMPLE), "--db", url]) == 0
    capsys.readouterr()
    return url


def test_refresh_fills_in_missing_patients_then_recomputes_all(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with open_store(db) as store:
        ids = store.all_patient_ids()
        store.forget_outcomes("test", ids[:5])
    assert main(["refresh", "--db", db, "--batch-size", "2"]) == 0
    out = capsys.readouterr()
    assert "Computed the stored outcomes of 5 patient(s)" in out.out
    assert out.err == "", "the progress bar stays quiet when stderr is not a terminal"

    assert main(["refresh", "--db", db]) == 0
    assert "of 0 patient(s)" in capsys.readouterr().out

    assert main(["refresh", "--db", db, "--all"]) == 0
    assert f"of {len(ids)} patient(s)" in capsys.readouterr().out
    with open_store(db) as store:
        service = Service(store, LOCAL_OPERATOR, face="test")
        settings = service.analysis_settings()
        fp = settings_fingerprint(settings)
        assert store.outcome_patient_ids(fp) == ids
        got = service.cohort_tables(settings, purpose="test")
        ds = store.dataset("test")
        daily = analysis_diary(ds.diary, ds.entries)  # the day's pain folds in its entries
        expected = per_patient(ds.patients, daily, ds.sessions, settings)
        for name in PER_PATIENT_TABLES:
            pdt.assert_frame_equal(got[name], expected[name], obj=name)
        log = store.audit_log("test")
        assert (log["action"] == "refresh").sum() == 3


def test_refresh_of_new_settings_computes_every_patient(
    db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from analytics.settings import AnalysisSettings

    with open_store(db) as store:
        Service(store, LOCAL_OPERATOR, face="test").save_analysis_settings(
            AnalysisSettings(responder_threshold=50.0)
        )
        n = len(store.all_patient_ids())
    assert main(["refresh", "--db", db]) == 0
    assert f"of {n} patient(s)" in capsys.readouterr().out


def test_refresh_refuses_a_bad_batch_size(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["refresh", "--db", db, "--batch-size", "0"]) == 2
    assert "--batch-size must be an int in [1, inf). Got 0 instead." in capsys.readouterr().err


def test_refresh_names_a_missing_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'none' / 'x.sqlite3'}"
    assert main(["refresh", "--db", url]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err
