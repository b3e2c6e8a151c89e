"""The upkeep of the stored outcomes, called directly on a store (no service, no policy).

The reference is always one pandas pass of :func:`analytics.pipeline.per_patient` over
the same rows (as in tests/store/test_stored_outcomes.py, which covers the same work
through the service).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pandas.testing as pdt
import pytest

from analytics.contract import Dataset
from analytics.errors import DataQualityWarning
from analytics.io import load_dataset
from analytics.pipeline import (
    analysis_diary,
    fill_missing_outcomes,
    per_patient,
    refresh_after_write,
    refresh_stored_outcomes,
    settings_fingerprint,
    store_outcomes,
    stored_cohort,
)
from analytics.settings import AnalysisSettings
from analytics.store import Store, open_store, project_root

SETTINGS = AnalysisSettings(n_boot=50)
OTHER = AnalysisSettings(n_boot=50, responder_threshold=50.0)
FP = settings_fingerprint(SETTINGS)
ACTOR = "test:upkeep"


def _subset(ds: Dataset, ids: list[str]) -> Dataset:
    return Dataset(
        **{
            name: getattr(ds, name)[getattr(ds, name)["patient_id"].astype("str").isin(ids)]
            for name in ("patients", "diary", "sessions")
        }
    )


@pytest.fixture(scope="module")
def clinic() -> Dataset:
    """Six patients of the sample clinic, loaded through the real loader."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataQualityWarning)
        ds = load_dataset(project_root() / "sample_data")
    ids = sorted(ds.patients["patient_id"].astype("str"))[:6]
    return _subset(ds, ids)


@pytest.fixture
def store(tmp_path: Path, clinic: Dataset) -> Iterator[Store]:
    """The six patients' rows, and no stored outcome."""
    with open_store(f"sqlite:///{tmp_path / 'clinic.sqlite3'}") as s:
        s.import_dataset(ACTOR, clinic)
        yield s


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, object]]:
    """The keyword arguments of each ``Store.dataset`` read."""
    seen: list[dict[str, object]] = []
    real = Store.dataset

    def reading(self, actor, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(kwargs)
        return real(self, actor, **kwargs)

    monkeypatch.setattr(Store, "dataset", reading)
    return seen


def _reference(store: Store, settings: AnalysisSettings, ids: list[str] | None = None):  # type: ignore[no-untyped-def]
    ds = store.dataset("test") if ids is None else store.dataset("test", patient_ids=ids)
    return per_patient(ds.patients, analysis_diary(ds.diary, ds.entries), ds.sessions, settings)


def _assert_same_stored(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        pdt.assert_frame_equal(got[name], frame, check_exact=True, obj=name)


def test_store_outcomes_in_batches_stores_what_one_batch_does(store: Store) -> None:
    ids = store.patient_ids("test")
    seen: list[tuple[int, int]] = []
    assert store_outcomes(store, ids, SETTINGS, actor=ACTOR) == 6
    whole = store.read_outcomes(FP)
    store.forget_outcomes(ACTOR)
    n = store_outcomes(
        store,
        [*ids, ids[0]],
        SETTINGS,
        actor=ACTOR,
        batch_size=4,
        progress=lambda *a: seen.append(a),
    )
    assert n == 6, "a patient named twice is computed once"
    assert seen == [(0, 6), (4, 6), (6, 6)]
    assert store.outcome_patient_ids(FP) == ids
    _assert_same_stored(store.read_outcomes(FP), whole)


def test_store_outcomes_from_the_rows_given_reads_nothing_back(
    store: Store, clinic: Dataset, reads: list[dict[str, object]]
) -> None:
    ids = store.patient_ids("test")
    store_outcomes(store, ids, SETTINGS, actor=ACTOR, rows=clinic, batch_size=4)
    assert reads == []
    from_rows = store.read_outcomes(FP)
    store_outcomes(store, ids, SETTINGS, actor=ACTOR)
    assert [sorted(r["patient_ids"]) for r in reads] == [ids]  # type: ignore[arg-type]
    _assert_same_stored(store.read_outcomes(FP), from_rows)


def test_storing_replaces_the_patients_rows_of_other_settings_and_only_theirs(
    store: Store,
) -> None:
    ids = store.patient_ids("test")
    store_outcomes(store, ids, OTHER, actor=ACTOR)
    store_outcomes(store, ids[:2], SETTINGS, actor=ACTOR)
    assert store.outcome_patient_ids(settings_fingerprint(OTHER)) == ids[2:]
    store_outcomes(store, ids[2:4], SETTINGS, actor=ACTOR, replace=True)
    assert store.outcome_patient_ids(settings_fingerprint(OTHER)) == ids[4:]
    assert store.outcome_patient_ids(FP) == ids[:4]


def test_store_outcomes_refuses_a_bad_batch_size(store: Store) -> None:
    message = r"The 'batch_size' parameter of store_outcomes must be an int in \[1, inf\]\. Got 0"
    with pytest.raises(ValueError, match=message):
        store_outcomes(store, store.patient_ids("test"), SETTINGS, actor=ACTOR, batch_size=0)
    with pytest.raises(ValueError, match="'batch_size' parameter of refresh_stored_outcomes"):
        refresh_stored_outcomes(store, SETTINGS, actor=ACTOR, batch_size=True)  # type: ignore[arg-type]


def test_refresh_after_write_computes_new_patients_from_their_rows(
    store: Store, clinic: Dataset, reads: list[dict[str, object]]
) -> None:
    ids = store.patient_ids("test")
    seen: list[tuple[int, int]] = []
    refresh_after_write(
        store, ids, SETTINGS, actor=ACTOR, new_rows=_subset(clinic, ids[:4]), new_ids=ids[:4],
        progress=lambda *a: seen.append(a),
    )  # fmt: skip
    assert [sorted(r["patient_ids"]) for r in reads] == [ids[4:]], "only the known were read"
    assert seen[0] == (0, 6) and seen[-1] == (6, 6)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    expected = _reference(store, SETTINGS)
    got = stored_cohort(store, SETTINGS, actor=ACTOR)
    assert got.computed == ()
    pdt.assert_frame_equal(got.tables["patient_outcomes"], expected["patient_outcomes"])
    refresh_after_write(store, [], SETTINGS, actor=ACTOR)  # nothing changed: nothing to do


def test_a_failing_refresh_after_write_drops_the_patients_stale_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import analytics.pipeline._upkeep as upkeep

    ids = store.patient_ids("test")
    store_outcomes(store, ids[:4], SETTINGS, actor=ACTOR)
    store_outcomes(store, ids[4:], OTHER, actor=ACTOR)

    def fail(*args: object, **kwargs: object) -> None:
        raise MemoryError("no room for the outcomes")

    monkeypatch.setattr(upkeep, "per_patient_tables", fail)
    refresh_after_write(store, [ids[0], ids[5]], SETTINGS, actor=ACTOR)  # does not raise
    assert store.outcome_patient_ids(FP) == ids[1:4]
    assert store.outcome_patient_ids(settings_fingerprint(OTHER)) == ids[4:5]


def test_refresh_stored_outcomes_fills_in_then_recomputes_everyone(store: Store) -> None:
    ids = store.patient_ids("test")
    store_outcomes(store, ids[4:], OTHER, actor=ACTOR)
    store_outcomes(store, ids[:4], SETTINGS, actor=ACTOR)
    seen: list[tuple[int, int]] = []
    n = refresh_stored_outcomes(
        store, SETTINGS, actor=ACTOR, batch_size=1, progress=lambda *a: seen.append(a)
    )
    assert n == 2 and seen == [(0, 2), (1, 2), (2, 2)]
    assert refresh_stored_outcomes(store, SETTINGS, actor=ACTOR) == 0
    assert refresh_stored_outcomes(store, SETTINGS, actor=ACTOR, full=True) == 6
    assert store.outcome_patient_ids(FP) == ids
    assert store.outcome_patient_ids(settings_fingerprint(OTHER)) == [], "full drops the rest"


def _clinician(store: Store, ids: list[str]) -> int:
    record = store.add_user(ACTOR, username="doc", role="clinician", password_hash="not-a-hash")
    store.assign(ACTOR, "doc", ids)
    return int(record["id"])


def test_fill_missing_outcomes_stays_in_the_scope_in_the_query(
    store: Store, reads: list[dict[str, object]]
) -> None:
    ids = store.patient_ids("test")
    doc = _clinician(store, ids[1:4])
    store_outcomes(store, [ids[1]], SETTINGS, actor=ACTOR)
    reads.clear()
    assert fill_missing_outcomes(store, SETTINGS, actor=ACTOR, clinician_user_id=doc) == ids[2:4]
    assert [sorted(r["patient_ids"]) for r in reads] == [ids[2:4]]  # type: ignore[arg-type]
    assert store.outcome_patient_ids(FP) == ids[1:4]
    assert fill_missing_outcomes(store, SETTINGS, actor=ACTOR, patient_ids=[ids[5]]) == [ids[5]]
    assert fill_missing_outcomes(store, SETTINGS, actor=ACTOR, clinician_user_id=doc) == []
    assert fill_missing_outcomes(store, SETTINGS, actor=ACTOR) == [ids[0], ids[4]]


@pytest.mark.parametrize("scope", ["clinic", "clinician", "patient"])
def test_stored_cohort_equals_one_pandas_pass_on_any_status_date(
    store: Store, scope: str, reads: list[dict[str, object]]
) -> None:
    ids = store.patient_ids("test")
    kwargs: dict[str, object] = {}
    mine = ids
    if scope == "clinician":
        kwargs, mine = {"clinician_user_id": _clinician(store, ids[:3])}, ids[:3]
    elif scope == "patient":
        kwargs, mine = {"patient_ids": [ids[4]]}, [ids[4]]
    first = stored_cohort(store, SETTINGS, actor=ACTOR, **kwargs)  # type: ignore[arg-type]
    assert first.computed == tuple(mine) and first.recomputed == ()
    assert store.outcome_patient_ids(FP) == mine, "nothing outside the scope was computed"
    last = store.dataset("test", patient_ids=mine).diary["date"].max()
    for day in (last + pd.Timedelta(days=20), last - pd.Timedelta(days=30)):
        settings = AnalysisSettings(n_boot=50, as_of=day.date())
        reads.clear()
        got = stored_cohort(store, settings, actor=ACTOR, **kwargs)  # type: ignore[arg-type]
        assert got.computed == ()
        if day > last:
            assert got.recomputed == () and reads == [], "stored rows only"
        else:  # a look back in time: the late patients' rows, read in the scope
            assert got.recomputed and set(got.recomputed) <= set(mine)
            assert [sorted(r["patient_ids"]) for r in reads] == [sorted(got.recomputed)]  # type: ignore[arg-type]
            assert reads[0]["clinician_user_id"] == kwargs.get("clinician_user_id")
        expected = _reference(store, settings, mine)
        pdt.assert_frame_equal(got.tables["patient_outcomes"], expected["patient_outcomes"])
        pdt.assert_frame_equal(got.tables["session_response"], expected["session_response"])
        assert "status_anchor" in got.tables and "status_tail" not in got.tables


def test_stored_cohort_reads_only_the_tables_asked_for(store: Store) -> None:
    names = ["patient_outcomes", "status_tail", "status_sessions", "status_anchor"]
    got = stored_cohort(store, SETTINGS, actor=ACTOR, names=names)
    assert sorted(got.tables) == ["patient_outcomes", "status_anchor"]
    assert len(got.tables["patient_outcomes"]) == 6
