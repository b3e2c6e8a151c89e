"""Stored outcomes: per-patient tables kept in the database (SQLite and PostgreSQL).

The reference is always one pandas pass of :func:`analytics.pipeline.per_patient`
over the same rows.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
import pandas.testing as pdt
import pytest

import analytics.pipeline._analyze as pipeline
from analytics.access import LOCAL_OPERATOR
from analytics.contract import Dataset
from analytics.pipeline import PER_PATIENT_TABLES, analysis_diary, per_patient
from analytics.service import Service
from analytics.settings import AnalysisSettings
from analytics.store import Store
from tests.store.conftest import SQLITE_ONLY

SETTINGS = AnalysisSettings(n_boot=50)


@pytest.fixture
def admin(store: Store, clinic: Dataset) -> Service:
    service = Service(store, LOCAL_OPERATOR, face="test")
    service.import_dataset(clinic)
    return service


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Patient ids handed to ``per_patient``, one entry per patient computed."""
    seen: list[str] = []
    real = pipeline.per_patient

    def counting(patients, diary, sessions, settings=pipeline.DEFAULT_SETTINGS):  # type: ignore[no-untyped-def]
        seen.extend(patients["patient_id"].astype("str").tolist())
        return real(patients, diary, sessions, settings)

    monkeypatch.setattr(pipeline, "per_patient", counting)
    yield seen


def _reference(store: Store, settings: AnalysisSettings) -> dict[str, pd.DataFrame]:
    ds = store.dataset("test")
    return per_patient(ds.patients, analysis_diary(ds.diary, ds.entries), ds.sessions, settings)


def test_stored_tables_equal_one_pandas_pass(store: Store, admin: Service) -> None:
    # the import already stored every patient; a full refresh recomputes them all
    assert admin.refresh_outcomes(SETTINGS, full=True, batch_size=4) == len(
        admin.visible_patient_ids()
    )
    got = admin.cohort_tables(SETTINGS, purpose="test")
    expected = _reference(store, SETTINGS)
    for name in PER_PATIENT_TABLES:
        pdt.assert_frame_equal(got[name], expected[name], obj=name)
    result = admin.cohort_result(SETTINGS, purpose="test")
    direct = pipeline.cohort(expected, settings=SETTINGS)
    for name, frame in direct.tables().items():
        pdt.assert_frame_equal(result.tables()[name], frame, obj=name)


@SQLITE_ONLY
def test_status_columns_equal_per_patient_on_several_dates(store: Store, admin: Service) -> None:
    last = store.dataset("test").diary["date"].max()
    dates = [last, last + pd.Timedelta(days=1), last + pd.Timedelta(days=10)]
    dates += [last + pd.Timedelta(days=45), last - pd.Timedelta(days=30)]
    for day in dates:
        settings = AnalysisSettings(n_boot=50, as_of=day.date())
        got = admin.cohort_tables(settings, purpose="test")["patient_outcomes"]
        expected = _reference(store, settings)["patient_outcomes"]
        pdt.assert_frame_equal(got, expected, obj=str(day.date()))


@SQLITE_ONLY
def test_a_new_status_date_computes_no_patient_again(admin: Service, spy: list[str]) -> None:
    admin.cohort_tables(SETTINGS, purpose="test")
    later = AnalysisSettings(n_boot=50, as_of="2099-01-01")
    admin.cohort_tables(later, purpose="test")
    assert spy == []


def _digests(store: Store) -> pd.DataFrame:
    return store.outcome_digests().set_index(["patient_id", "fingerprint", "table_name"])


def _changed_patients(before: pd.DataFrame, after: pd.DataFrame) -> set[str]:
    both = before.add_suffix("_before").join(after, how="outer")
    differs = (both["digest_before"] != both["digest"]) | (
        both["updated_at_before"] != both["updated_at"]
    )
    return set(both.index[differs].get_level_values("patient_id"))


def test_a_diary_save_changes_exactly_that_patients_rows(
    store: Store, admin: Service, spy: list[str]
) -> None:
    admin.cohort_result(purpose="test")  # everything stored for the clinic settings
    spy.clear()
    pid = admin.visible_patient_ids()[1]
    diary = store.dataset("test").diary
    day = diary.loc[diary["patient_id"] == pid, "date"].max()
    entry = admin.get_diary_entry(pid, day.date())
    assert entry is not None
    before = _digests(store)
    entry["pain"] = 10.0 if entry["pain"] != 10.0 else 0.0
    assert admin.save_diary_entry(entry, replace=True).action == "updated"
    assert spy == [pid], "the save recomputed that patient only"
    assert _changed_patients(before, _digests(store)) == {pid}

    spy.clear()
    result = admin.cohort_result(purpose="test")
    assert spy == [], "the overview read stored rows, no recomputation"
    expected = _reference(store, admin.analysis_settings())["patient_outcomes"]
    pdt.assert_frame_equal(result.patient_outcomes, expected)
    row = result.patient_outcomes.set_index("patient_id").loc[pid]
    assert row["last_valid_mean"] == expected.set_index("patient_id").loc[pid, "last_valid_mean"]


@SQLITE_ONLY
def test_a_deleted_day_and_a_session_edit_refresh_that_patient_only(
    store: Store, admin: Service, spy: list[str]
) -> None:
    admin.cohort_result(purpose="test")
    ids = admin.visible_patient_ids()
    pid, other = ids[0], ids[2]
    diary = store.dataset("test").diary
    day = diary.loc[diary["patient_id"] == pid, "date"].min()
    before = _digests(store)
    spy.clear()
    admin.delete_diary_entry(pid, day.date(), reason="entered twice")
    assert spy == [pid]
    assert _changed_patients(before, _digests(store)) == {pid}

    sessions = store.dataset("test").sessions
    last = sessions[sessions["patient_id"] == other].iloc[-1]
    record = {
        "patient_id": other,
        "date": (last["date"] + pd.Timedelta(days=1)).to_pydatetime(),
        "technique": last["technique"],
        "adverse_events": "nausea",
    }
    before = _digests(store)
    spy.clear()
    admin.save_session(record)
    assert spy == [other]
    assert _changed_patients(before, _digests(store)) == {other}
    spy.clear()
    result = admin.cohort_result(purpose="test")
    assert spy == []
    expected = _reference(store, admin.analysis_settings())
    pdt.assert_frame_equal(result.patient_outcomes, expected["patient_outcomes"])
    pdt.assert_frame_equal(result.session_response, expected["session_response"])


@SQLITE_ONLY
def test_an_import_refreshes_exactly_the_patients_it_touched(
    store: Store, admin: Service, clinic: Dataset, spy: list[str]
) -> None:
    admin.cohort_result(purpose="test")
    pid = admin.visible_patient_ids()[0]
    diary = clinic.diary[clinic.diary["patient_id"] == pid].copy()
    diary["pain"] = (10.0 - diary["pain"]).astype(diary["pain"].dtype)
    one = Dataset(
        patients=clinic.patients[clinic.patients["patient_id"] == pid],
        diary=diary,
        sessions=clinic.sessions.iloc[0:0],
    )
    before = _digests(store)
    spy.clear()
    admin.import_dataset(one, update=True)
    assert spy == [pid]
    assert _changed_patients(before, _digests(store)) == {pid}


def test_a_clinicians_cohort_covers_only_their_patients(store: Store, admin: Service) -> None:
    ids = admin.visible_patient_ids()
    mine = ids[:3]
    admin.add_user(
        "dr_a", role="clinician", password="a long enough password 1", must_change_password=False
    )
    admin.assign("dr_a", mine)
    from analytics.access import user_from_record

    record = store.user_record("dr_a")
    assert record is not None
    doctor = Service(store, user_from_record(record), face="test")
    result = doctor.cohort_result(SETTINGS, purpose="test")
    assert result.patient_outcomes["patient_id"].tolist() == mine
    assert set(result.session_response["patient_id"]) <= set(mine)
    ds = store.dataset("test", patient_ids=mine)
    expected = per_patient(ds.patients, analysis_diary(ds.diary, ds.entries), ds.sessions, SETTINGS)
    pdt.assert_frame_equal(result.patient_outcomes, expected["patient_outcomes"])
    version = doctor.outcomes_version(SETTINGS)
    assert version[2] == len(mine)


@SQLITE_ONLY
def test_the_cohort_result_never_reads_diary_rows_once_stored(
    store: Store, admin: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin.cohort_result(SETTINGS, purpose="test")  # stores anything missing
    reads: list[object] = []
    real = Store._dataset

    def counting(self: Store, *args: object, **kwargs: object) -> object:
        reads.append(args)
        return real(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Store, "_dataset", counting)
    today = AnalysisSettings(n_boot=50, as_of="2099-12-31")
    result = admin.cohort_result(today, purpose="test")
    assert reads == []
    assert len(result.patient_outcomes) == len(admin.visible_patient_ids())


def test_payloads_decode_alike_joined_or_one_by_one() -> None:
    """Runs of one schema are read as one stream; the frame equals decoding each payload."""
    import pyarrow as pa

    from analytics.pipeline import split_by_patient
    from analytics.store._outcomes import (
        decode_frame,
        decode_frames,
        encode_frame,
        encode_frames,
    )

    frame = pd.DataFrame(
        {
            "patient_id": ["P1", "P1", "P2", "P3", "P3", "P3"],
            "x": [1.0, None, 3.0, 4.0, 5.0, 6.0],
            "n": pd.array([1, None, 3, 4, 5, 6], dtype="Int64"),
            "when": pd.to_datetime(["2026-01-01"] * 6),
            "ok": pd.array([True, False, None, True, True, False], dtype="boolean"),
        }
    )
    parts = split_by_patient({"patient_outcomes": frame})
    cut = [encode_frame(parts[p]["patient_outcomes"]) for p in ("P1", "P2", "P3")]
    # an older payload, encoded from its own frame (another schema message), in the middle
    own = encode_frame(frame[frame["patient_id"] == "P2"].reset_index(drop=True))
    categorical = encode_frame(frame.assign(c=pd.Categorical(["a", "b", "a", "b", "a", "b"])))
    for payloads in ([*cut], [cut[0], own, cut[2]], [categorical, categorical]):
        one_by_one = pd.concat([decode_frame(p) for p in payloads], ignore_index=True)
        pdt.assert_frame_equal(decode_frames(payloads), one_by_one)
    assert isinstance(
        split_by_patient({"patient_outcomes": frame})["P1"]["patient_outcomes"], pa.Table
    )
    # encoded together (their first messages shared) byte for byte as one by one
    coded = split_by_patient({"patient_outcomes": frame.assign(c=pd.Categorical(list("abcabc")))})
    slices = [coded[p]["patient_outcomes"] for p in ("P1", "P2", "P3")]
    p2 = frame[frame["patient_id"] == "P2"].reset_index(drop=True)
    assert encode_frames([*slices, p2]) == [encode_frame(t) for t in slices] + [own]


def _dataset_reads(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Patient ids of each ``Store.dataset(patient_ids=...)`` read."""
    seen: list[list[str]] = []
    real = Store.dataset

    def reading(self, actor, **kwargs):  # type: ignore[no-untyped-def]
        seen.append(sorted(kwargs.get("patient_ids") or []))
        return real(self, actor, **kwargs)

    monkeypatch.setattr(Store, "dataset", reading)
    return seen


def _stored_frames(store: Store) -> dict[str, pd.DataFrame]:
    """Every stored table of the clinic settings, decoded (payload bytes also depend
    on which patients were computed together: their shared Arrow dictionaries)."""
    from analytics.pipeline import _stored as stored

    fp = stored.settings_fingerprint(Service(store, LOCAL_OPERATOR).analysis_settings())
    return store.read_outcomes(fp)


def _assert_same_frames(got: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    assert sorted(got) == sorted(expected)
    for name, frame in expected.items():
        pdt.assert_frame_equal(got[name], frame, check_exact=True, obj=name)


@SQLITE_ONLY
def test_an_import_computes_new_patients_from_its_rows_as_a_refresh_would(
    store: Store, clinic: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Service(store, LOCAL_OPERATOR, face="test")
    reads = _dataset_reads(monkeypatch)
    service.import_dataset(clinic)
    assert reads == [], "every patient was new: their outcomes came from the imported rows"
    from_import = _stored_frames(store)
    assert set(from_import["patient_outcomes"]["patient_id"]) == set(clinic.patients["patient_id"])
    service.refresh_outcomes(full=True)  # every patient again, from the database
    _assert_same_frames(_stored_frames(store), from_import)


@SQLITE_ONLY
def test_an_import_reads_back_only_the_patients_it_did_not_add(
    store: Store, clinic: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = Service(store, LOCAL_OPERATOR, face="test")
    ids = sorted(clinic.patients["patient_id"].astype("str"))
    first, later = ids[:-2], ids[-2:]
    service.import_dataset(
        Dataset(
            patients=clinic.patients[clinic.patients["patient_id"].isin(first)],
            diary=clinic.diary[clinic.diary["patient_id"].isin(first)],
            sessions=clinic.sessions[clinic.sessions["patient_id"].isin(first)],
        )
    )
    # the rest of the clinic, plus one more day of a stored patient
    old = first[0]
    day = clinic.diary[clinic.diary["patient_id"] == old].iloc[[-1]].copy()
    day["date"] = day["date"] + pd.Timedelta(days=1)
    more = Dataset(
        patients=clinic.patients[clinic.patients["patient_id"].isin(later)],
        diary=pd.concat(
            [clinic.diary[clinic.diary["patient_id"].isin(later)], day], ignore_index=True
        ),
        sessions=clinic.sessions[clinic.sessions["patient_id"].isin(later)],
    )
    reads = _dataset_reads(monkeypatch)
    report = service.import_dataset(more)
    assert report.new_patients == tuple(later)
    assert reads == [[old]], "only the stored patient was read back"
    from_import = _stored_frames(store)
    service.refresh_outcomes(full=True)
    _assert_same_frames(_stored_frames(store), from_import)


def test_an_import_that_fails_stores_no_outcome(store: Store, clinic: Dataset) -> None:
    from analytics.errors import ConflictError

    service = Service(store, LOCAL_OPERATOR, face="test")
    ids = sorted(clinic.patients["patient_id"].astype("str"))
    service.import_dataset(
        Dataset(
            patients=clinic.patients[clinic.patients["patient_id"] == ids[0]],
            diary=clinic.diary[clinic.diary["patient_id"] == ids[0]],
            sessions=clinic.sessions.iloc[0:0],
        )
    )
    # the rest of the clinic, with one stored day changed: a conflict, nothing imported
    diary = clinic.diary.copy()
    first = diary.index[diary["patient_id"] == ids[0]][0]
    diary.loc[first, "pain"] = 10.0 if diary.loc[first, "pain"] != 10.0 else 0.0
    with pytest.raises(ConflictError):
        service.import_dataset(
            Dataset(patients=clinic.patients, diary=diary, sessions=clinic.sessions)
        )
    assert store.outcome_digests()["patient_id"].unique().tolist() == [ids[0]]
    assert store.patient_ids("test") == [ids[0]]


def test_a_failing_computation_during_an_import_leaves_the_patients_to_the_next_read(
    store: Store, clinic: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    import analytics.pipeline._upkeep as stored_module  # where the upkeep looks it up

    service = Service(store, LOCAL_OPERATOR, face="test")
    real = stored_module.per_patient_tables
    monkeypatch.setattr(
        stored_module,
        "per_patient_tables",
        lambda *a, **k: (_ for _ in ()).throw(MemoryError("no room for the outcomes")),
    )
    report = service.import_dataset(clinic)
    assert report.applied, "the rows are kept"
    assert store.outcome_digests().empty, "no outcome stored from the failed computation"
    monkeypatch.setattr(stored_module, "per_patient_tables", real)
    got = service.cohort_tables(SETTINGS, purpose="test")
    expected = _reference(store, SETTINGS)
    pdt.assert_frame_equal(got["patient_outcomes"], expected["patient_outcomes"])
