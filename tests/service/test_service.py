"""The scoped door: a role x function matrix over every Service function, scope applied in
SQL, the audit log (one row per view, edit, import, export, report, login; none for calls that
show no patient data), de-identified exports and share links."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa

from analytics.access import LOCAL_OPERATOR, User
from analytics.access import _auth as auth
from analytics.contract import Dataset
from analytics.errors import AccessDeniedError, AuthenticationError, NotFoundError
from analytics.pipeline import AnalysisSettings
from analytics.service import Service
from analytics.store import Store, open_store

PASSWORD = "a long enough password"


def _new_folder() -> Path:
    """A folder that does not exist yet, in a fresh temporary directory."""
    return Path(tempfile.mkdtemp(prefix="paindiary-export-")) / "out"


# P1, P2 belong to clinician "ann"; P3, P4 to "ben"; the patient account "pat" is P1.
ANN_PATIENTS = ["P1", "P2"]
BEN_PATIENTS = ["P3", "P4"]
ALL = ANN_PATIENTS + BEN_PATIENTS


@pytest.fixture(autouse=True)
def _own_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A data directory of this test's own (passwords hash cheaply: tests/conftest.py)."""
    monkeypatch.setenv("PAINDIARY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("PAINDIARY_SECRET_KEY", raising=False)


def _build(path: Path) -> None:
    with open_store(f"sqlite:///{path}") as s:
        for i, pid in enumerate(ALL):
            s.save_patient(
                "setup",
                {"patient_id": pid, "condition": "knee pain", "group": "acupuncture",
                 "start_date": "2024-01-10", "sex": "F", "birth_year": 1930 + 20 * i,
                 "clinician_id": "ann" if pid in ANN_PATIENTS else "ben"},
            )  # fmt: skip
            for d in range(1, 4):
                s.save_diary_entry(
                    "setup",
                    {"patient_id": pid, "date": f"2024-01-{d + 7:02d}", "pain": 5 + d / 2,
                     "notes": f"note {pid} {d}"},
                )  # fmt: skip
            s.save_session(
                "setup",
                {"patient_id": pid, "date": "2024-01-10T09:30", "technique": "manual",
                 "practitioner": "Dr Who", "pain_before": 6, "pain_after": 4},
            )  # fmt: skip
        h = auth.hash_password(PASSWORD)
        s.add_user("setup", username="admin", role="admin", password_hash=h)
        s.add_user("setup", username="ann", role="clinician", password_hash=h)
        s.add_user("setup", username="ben", role="clinician", password_hash=h)
        s.add_user("setup", username="pat", role="patient", patient_id="P1", password_hash=h)
        s.add_user("setup", username="spare", role="clinician", password_hash=h)
        s.assign("setup", "ann", ANN_PATIENTS)
        s.assign("setup", "ben", BEN_PATIENTS)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "clinic.sqlite3"
    _build(path)
    return path


@pytest.fixture
def store(template: Path, tmp_path: Path) -> Iterator[Store]:
    path = tmp_path / "clinic.sqlite3"
    shutil.copy(template, path)
    with open_store(f"sqlite:///{path}") as s:
        yield s


def _user(store: Store, name: str) -> User:
    record = store.user_record(name)
    assert record is not None
    return auth.user_from_record(record)


def _service(store: Store, who: str) -> Service:
    if who == "share-link":
        owner = Service(store, _user(store, "pat"), face="test")
        token = owner.create_share_link("P1", days=3)
        return Service.for_share_link(store, token)
    return Service(store, _user(store, who), face="test:matrix")


def _log(store: Store) -> pd.DataFrame:
    return store.audit_log("test")


# --------------------------------------------------------------------------- the matrix


@dataclass(frozen=True)
class Call:
    name: str
    run: Callable[[Service], Any]
    allowed: frozenset[str]
    action: str  # audit action of the call (and of its refusal)


def _small_dataset() -> Dataset:
    from analytics.io import validate_records

    return Dataset(
        patients=validate_records("patients", [{"patient_id": "P9", "condition": "neck pain"}]),
        diary=validate_records("diary", [{"patient_id": "P9", "date": "2024-02-01", "pain": 3}]),
        sessions=validate_records("sessions", []),
    )


EVERYONE = frozenset({"pat", "ann", "ben", "admin", "share-link"})
STAFF = frozenset({"ann", "ben", "admin"})
ADMIN = frozenset({"admin"})
P1_READERS = frozenset({"pat", "ann", "admin", "share-link"})
P1_WRITERS = frozenset({"pat", "ann", "admin"})
P3_READERS = frozenset({"ben", "admin"})

CALLS = [
    Call("visible_patient_ids", lambda s: s.visible_patient_ids(), EVERYONE, ""),
    Call("patients", lambda s: s.patients(), EVERYONE, "view"),
    Call("cohort_dataset", lambda s: s.cohort_dataset(purpose="t"), EVERYONE, "view"),
    Call("cohort_result", lambda s: s.cohort_result(purpose="t"), EVERYONE, "view"),
    Call("cohort_tables", lambda s: s.cohort_tables(purpose="t"), EVERYONE, "view"),
    Call("outcomes_version", lambda s: s.outcomes_version(), EVERYONE, ""),
    Call(
        "record_cohort_view",
        lambda s: s.record_cohort_view(purpose="t", n_patients=1),
        EVERYONE,
        "view",
    ),
    Call("refresh_outcomes", lambda s: s.refresh_outcomes(), ADMIN, "refresh"),
    Call("patient_dataset P1", lambda s: s.patient_dataset("P1", purpose="t"), P1_READERS, "view"),
    Call("patient_dataset P3", lambda s: s.patient_dataset("P3", purpose="t"), P3_READERS, "view"),
    Call("get_diary_entry P1", lambda s: s.get_diary_entry("P1", "2024-01-08"), P1_READERS, "view"),
    Call("get_diary_entry P3", lambda s: s.get_diary_entry("P3", "2024-01-08"), P3_READERS, "view"),
    Call("history P1", lambda s: s.history("P1"), P1_READERS, "view"),
    Call("history P3", lambda s: s.history("P3"), P3_READERS, "view"),
    Call(
        "save_diary_entry P1",
        lambda s: s.save_diary_entry({"patient_id": "P1", "date": "2024-01-20", "pain": 2}),
        P1_WRITERS,
        "edit",
    ),
    Call(
        "save_diary_entry P3",
        lambda s: s.save_diary_entry({"patient_id": "P3", "date": "2024-01-20", "pain": 2}),
        frozenset({"ben", "admin"}),
        "edit",
    ),
    Call(
        "delete_diary_entry P1",
        lambda s: s.delete_diary_entry("P1", "2024-01-08", reason="typo"),
        P1_WRITERS,
        "edit",
    ),
    Call("course_states", lambda s: s.course_states(), EVERYONE, "view"),
    Call("course_history P1", lambda s: s.course_history("P1"), P1_READERS, "view"),
    Call(
        "set_course_state P1",
        lambda s: s.set_course_state("P1", "paused"),
        frozenset({"ann", "admin"}),
        "edit",
    ),
    Call(
        "save_session P1",
        lambda s: s.save_session({"patient_id": "P1", "date": "2024-01-17", "technique": "manual"}),
        frozenset({"ann", "admin"}),
        "edit",
    ),
    Call(
        "save_session P3",
        lambda s: s.save_session({"patient_id": "P3", "date": "2024-01-17", "technique": "manual"}),
        frozenset({"ben", "admin"}),
        "edit",
    ),
    Call("import_dataset", lambda s: s.import_dataset(_small_dataset()), ADMIN, "import"),
    Call(
        "import_dataset dry run",
        lambda s: s.import_dataset(_small_dataset(), dry_run=True),
        ADMIN,
        "import",
    ),
    Call("export_dataset", lambda s: s.export_dataset(), ADMIN, "export"),
    Call("export_dataset P1", lambda s: s.export_dataset(patient_id="P1"), ADMIN, "export"),
    Call(
        "export_dataset deidentified",
        lambda s: s.export_dataset(deidentify=True, rng=1),
        ADMIN,
        "export",
    ),
    Call("export_to", lambda s: s.export_to(_new_folder()), ADMIN, "export"),
    Call(
        "export_to P1 deidentified",
        lambda s: s.export_to(_new_folder(), patient_id="P1", deidentify=True, rng=1),
        ADMIN,
        "export",
    ),
    Call("export_zip", lambda s: s.export_zip(), ADMIN, "export"),
    Call(
        "export_zip P1 deidentified",
        lambda s: s.export_zip(patient_id="P1", deidentify=True, rng=1),
        ADMIN,
        "export",
    ),
    Call("users", lambda s: s.users(), ADMIN, "user_admin"),
    Call(
        "add_user",
        lambda s: s.add_user("newbie", role="clinician", password=PASSWORD),
        ADMIN,
        "user_admin",
    ),
    Call(
        "set_password other", lambda s: s.set_password("spare", PASSWORD + "!"), ADMIN, "user_admin"
    ),
    Call(
        "set_password own",
        lambda s: s.set_password(s.user.username, PASSWORD + "?"),
        EVERYONE - {"share-link"},
        "user_admin",
    ),
    Call("disable_user", lambda s: s.disable_user("spare"), ADMIN, "user_admin"),
    Call("enable_user", lambda s: s.enable_user("spare"), ADMIN, "user_admin"),
    Call("unlock_user", lambda s: s.unlock_user("spare"), ADMIN, "user_admin"),
    Call("assign", lambda s: s.assign("spare", ["P1"]), ADMIN, "user_admin"),
    Call("unassign", lambda s: s.unassign("ann", ["P2"]), ADMIN, "user_admin"),
    Call("clinician_codes", lambda s: s.clinician_codes(), ADMIN, "user_admin"),
    Call("map_clinician_code", lambda s: s.map_clinician_code("C9", "spare"), ADMIN, "user_admin"),
    Call("onboarding_status", lambda s: s.onboarding_status(["P2"]), ADMIN, "user_admin"),
    Call("assign_by_code", lambda s: s.assign_by_code(["P2"]), ADMIN, "user_admin"),
    Call(
        "create_patient_accounts", lambda s: s.create_patient_accounts(["P2"]), ADMIN, "user_admin"
    ),
    Call("invite_patients", lambda s: s.invite_patients(["P3"]), ADMIN, "user_admin"),
    Call("audit_log", lambda s: s.audit_log(limit=5), ADMIN, "view"),
    Call("active_share_links", lambda s: s.active_share_links(), ADMIN, "view"),
    Call("audit_log_csv", lambda s: s.audit_log_csv(action="login"), ADMIN, "export"),
    Call(
        "record_export cohort",
        lambda s: s.record_export("outcomes.csv", patient_id=None),
        STAFF,
        "export",
    ),
    Call(
        "record_export P1",
        lambda s: s.record_export("diary.csv", patient_id="P1"),
        P1_READERS,  # a share link's reader may download what the link shows
        "export",
    ),
    Call(
        "check_cohort_report",
        lambda s: s.check_cohort_report("cohort report (PDF)"),
        STAFF,
        "report",
    ),
    Call(
        "record_report P3",
        lambda s: s.record_report("referral.pdf", patient_id="P3"),
        P3_READERS,
        "report",
    ),
    Call(
        "create_share_link P1",
        lambda s: s.create_share_link("P1"),
        P1_WRITERS,
        "share_create",
    ),
    Call(
        "save_analysis_settings",
        lambda s: s.save_analysis_settings(AnalysisSettings(responder_threshold=50.0)),
        ADMIN,
        "settings",
    ),
    Call("analysis_settings", lambda s: s.analysis_settings(), EVERYONE, ""),
]


@pytest.mark.parametrize("who", sorted(EVERYONE))
@pytest.mark.parametrize("call", CALLS, ids=[c.name for c in CALLS])
def test_role_function_matrix(store: Store, who: str, call: Call) -> None:
    service = _service(store, who)
    before = len(_log(store))
    if who in call.allowed:
        call.run(service)
        return
    with pytest.raises(AccessDeniedError, match="Access denied"):
        call.run(service)
    log = _log(store)
    assert len(log) == before + 1, "a refusal writes exactly one audit row"
    row = log.iloc[-1]
    assert (row["username"], row["outcome"], row["action"]) == (
        service.user.username,
        "denied",
        call.action,
    )
    assert row["face"] == service.face


def test_the_matrix_covers_every_public_service_function() -> None:
    public = {  # Service is assembled from parts (its bases): look at each one
        name
        for cls in Service.__mro__
        for name, value in vars(cls).items()
        if not name.startswith("_") and callable(value) and name != "for_share_link"
    }
    assert "patient_dataset" in public and "import_dataset" in public
    covered = {c.name.split(" ")[0] for c in CALLS} | {
        "revoke_share_link",  # test_share_links
        "share_links",  # test_share_links
        "invite_account",  # test_onboarding
        "accept_invite",  # test_onboarding
        "answer_session_pain",  # test_session_answer
        "table_csv",  # tests/hostile/test_table_download
        "record_page_refusal",  # test_policy's probe of its action, tests/dashboard/test_pages
        "save_questionnaire",  # test_questionnaire_service, test_policy
        "questionnaire_answers",  # test_questionnaire_service
        "questionnaire_scores",  # test_questionnaire_service
        "questionnaires_due",  # test_questionnaire_service
        "add_entry",  # test_entry_service, test_policy
        "answer_rescue",  # test_entry_service, test_policy
        "entries",  # test_entry_service
        "rescue_questions",  # test_entry_service
        "cohort_questionnaires_due",  # test_questionnaire_service
    }
    assert public <= covered, public - covered


# --------------------------------------------------------------------------- scope


def test_each_role_sees_its_own_scope(store: Store) -> None:
    assert _service(store, "pat").visible_patient_ids() == ["P1"]
    assert _service(store, "ann").visible_patient_ids() == ANN_PATIENTS
    assert _service(store, "ben").visible_patient_ids() == BEN_PATIENTS
    assert _service(store, "admin").visible_patient_ids() == ALL
    assert _service(store, "spare").visible_patient_ids() == []
    ds = _service(store, "ben").cohort_dataset(purpose="overview")
    for frame in (ds.patients, ds.diary, ds.sessions):
        assert set(frame["patient_id"]) == set(BEN_PATIENTS)
    assert _service(store, "pat").patients()["patient_id"].tolist() == ["P1"]


def test_a_clinicians_cohort_query_never_reads_unassigned_rows(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    statements: list[str] = []
    fetched: list[pd.DataFrame] = []
    real_frame = Store._frame

    def counting_frame(self: Store, conn: Any, table: Any, stmt: Any) -> pd.DataFrame:
        out = real_frame(self, conn, table, stmt)
        fetched.append(out)
        return out

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    monkeypatch.setattr(Store, "_frame", counting_frame)
    sa.event.listen(store.engine, "before_cursor_execute", capture)
    try:
        ds = _service(store, "ann").cohort_dataset(purpose="clinic overview")
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", capture)
    # every row that left the database belongs to an assigned patient
    rows = pd.concat([f["patient_id"] for f in fetched])
    assert set(rows) == set(ANN_PATIENTS)
    assert len(rows) == len(ds.patients) + len(ds.diary) + len(ds.sessions)
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    data_reads = [
        s for s in reads if any(f"FROM {t}" in s for t in ("patients", "diary", "sessions"))
    ]
    assert len(data_reads) == 3
    assert all("clinician_patients" in s and "user_id" in s for s in data_reads), data_reads


def test_the_per_patient_read_is_scoped_in_sql_too(store: Store) -> None:
    """Even past the check, the query itself cannot return an unassigned patient's rows."""
    ann = _user(store, "ann")
    outside = store.patient_dataset("test", "P3", clinician_user_id=ann.user_id)
    assert len(outside.patients) == len(outside.diary) == len(outside.sessions) == 0
    inside = store.patient_dataset("test", "P1", clinician_user_id=ann.user_id)
    assert inside.patients["patient_id"].tolist() == ["P1"] and len(inside.diary) == 3
    assert len(store.patient_dataset("test", "P3", patient_ids=["P1"]).diary) == 0


def test_a_clinician_asking_for_an_unassigned_patient_by_id_is_refused(store: Store) -> None:
    ann = _service(store, "ann")
    with pytest.raises(AccessDeniedError) as real:
        ann.patient_dataset("P3", purpose="typed in the URL")
    with pytest.raises(AccessDeniedError) as missing:
        ann.patient_dataset("NOBODY", purpose="typed in the URL")
    # the refusal does not reveal whether the patient exists
    assert str(real.value).replace("'P3'", "X") == str(missing.value).replace("'NOBODY'", "X")
    denied = _log(store).tail(2)
    assert denied["outcome"].tolist() == ["denied", "denied"]
    assert denied["patient_id"].tolist() == ["P3", "NOBODY"]
    with pytest.raises(NotFoundError):  # an admin, who may see everyone, is told
        _service(store, "admin").patient_dataset("NOBODY", purpose="t")


def test_a_patient_cannot_reach_another_patient_by_any_id_they_send(store: Store) -> None:
    """Whatever a tampered session state, query parameter or widget key puts in the call."""
    pat = _service(store, "pat")
    for attempt in ("P2", "P3", "p1", "P1 ", "*", "P1' OR '1'='1"):
        with pytest.raises(AccessDeniedError):
            pat.patient_dataset(attempt, purpose="tampered")
        with pytest.raises(AccessDeniedError):
            pat.save_diary_entry({"patient_id": attempt, "date": "2024-01-21", "pain": 1})
    # without a patient id the entry is the account's own
    result = pat.save_diary_entry({"date": "2024-01-21", "pain": 1})
    assert result.action == "created" and result.current["patient_id"] == "P1"  # type: ignore[index]
    with pytest.raises(AccessDeniedError):
        pat.save_session({"patient_id": "P1", "date": "2024-01-21", "technique": "manual"})
    with pytest.raises(AccessDeniedError):
        pat.save_analysis_settings(AnalysisSettings())
    assert store.diary("test", "P2")["date"].max() < pd.Timestamp("2024-01-21")


def test_a_service_needs_a_real_user(store: Store) -> None:
    with pytest.raises(ValueError, match="analytics.access.User"):
        Service(store, "admin", face="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="exactly one patient_id"):
        Service(store, User(1, "x", "patient", None), face="x")
    with pytest.raises(ValueError, match="role"):
        Service(store, User(1, "x", "root", None), face="x")  # type: ignore[arg-type]


# --------------------------------------------------------------------------- the audit log


def test_one_audit_row_per_view_edit_import_export_report_and_login(store: Store) -> None:
    start = len(_log(store))
    user = auth.authenticate(store, "ann", PASSWORD, face="test:login")
    ann = Service(store, user, face="dashboard:Patient chart")
    admin = _service(store, "admin")
    ann.patient_dataset("P1", purpose="chart")
    ann.save_diary_entry({"patient_id": "P1", "date": "2024-01-22", "pain": 3})
    ann.record_export("diary.csv", patient_id="P1")
    ann.record_report("summary.pdf", patient_id="P2")
    admin.import_dataset(_small_dataset())
    admin.export_dataset(patient_id="P1")
    log = _log(store).iloc[start:]
    assert log["action"].tolist() == [
        "login",
        "view",
        "edit",
        "export",
        "report",
        "import",
        "export",
    ]
    assert log["patient_id"].isna().iat[0]  # a login concerns no patient
    assert log["patient_id"].iloc[1:].tolist() == ["P1", "P1", "P1", "P2", "*", "P1"]
    assert log["face"].iat[1] == "dashboard:Patient chart"
    assert (log["role"].iloc[1:5] == "clinician").all()
    assert json.loads(log["detail"].iat[1])["purpose"] == "chart"


def test_calls_that_show_no_patient_data_write_no_audit_rows(store: Store) -> None:
    start = len(_log(store))
    for who in ("pat", "ann", "admin"):
        s = _service(store, who)
        s.visible_patient_ids()
        s.analysis_settings()
    _service(store, "admin").users()
    _service(store, "admin").audit_log()
    assert len(_log(store)) == start


def test_failed_edits_are_recorded_as_failed(store: Store) -> None:
    ann = _service(store, "ann")
    with pytest.raises(Exception, match="pain"):
        ann.save_diary_entry({"patient_id": "P1", "date": "2024-01-23", "pain": 11})
    assert _log(store)[["action", "outcome"]].iloc[-1].tolist() == ["edit", "failed"]


def test_admin_audit_log_is_newest_first_and_filtered(store: Store) -> None:
    _service(store, "ann").patient_dataset("P2", purpose="x")
    _service(store, "ben").patient_dataset("P3", purpose="y")
    admin = _service(store, "admin")
    log = admin.audit_log(limit=2)
    assert log["username"].tolist() == ["ben", "ann"]
    assert admin.audit_log(username="ann", patient_id="P2")["action"].tolist() == ["view"]


# --------------------------------------------------------------------------- admin functions


def test_accounts_through_the_service(store: Store) -> None:
    admin = _service(store, "admin")
    new = admin.add_user("pat3", role="patient", password=PASSWORD, patient_id="P3")
    assert new.patient_id == "P3" and new.role == "patient"
    assert auth.authenticate(store, "pat3", PASSWORD).username == "pat3"
    pat3 = Service(store, new, face="t")
    pat3.set_password("pat3", "another long password")
    with pytest.raises(AuthenticationError):
        auth.authenticate(store, "pat3", PASSWORD)
    admin.disable_user("pat3")
    with pytest.raises(AuthenticationError):
        auth.authenticate(store, "pat3", "another long password")
    with pytest.raises(ValueError, match="your own account"):
        admin.disable_user("admin")
    admin.assign("spare", ["P4"])
    assert _service(store, "spare").visible_patient_ids() == ["P4"]
    admin.unassign("spare", ["P4"])
    assert _service(store, "spare").visible_patient_ids() == []
    users = admin.users()
    assert "password_hash" not in users.columns
    assert PASSWORD not in _log(store).to_string()


def test_local_operator_is_an_admin(store: Store) -> None:
    op = Service(store, LOCAL_OPERATOR, face="cli:test")
    assert op.visible_patient_ids() == ALL
    assert LOCAL_OPERATOR.username.startswith("local:")
    op.export_dataset()
    assert _log(store)["username"].iat[-1] == LOCAL_OPERATOR.username


def test_deidentified_export(store: Store) -> None:
    admin = _service(store, "admin")
    out = admin.export_dataset(deidentify=True, rng=7)
    text = out.patients.to_string() + out.diary.to_string() + out.sessions.to_string()
    for secret in ("P1", "P2", "note", "Dr Who", "ann", "ben", "2024"):
        assert secret not in text, secret
    assert out.patients["patient_code"].str.fullmatch(r"R[0-9a-f]{10}").all()
    assert out.patients["patient_code"].is_unique
    # index date 2024-01-10: diary days 2024-01-08..10 are days -2..0, the session day 0
    assert sorted(out.diary["day"].unique()) == [-2, -1, 0]
    assert (out.sessions["day"] == 0).all()
    # born 1930, 1950, 1970, 1990: only those 90 or over in the export year are grouped
    year = dt.date.today().year
    expected_old = [year - b >= 90 for b in (1930, 1950, 1970, 1990)]
    by_birth = out.patients.sort_values("age_90_or_over")
    assert out.patients["age_90_or_over"].sum() == sum(expected_old)
    assert by_birth.loc[by_birth["age_90_or_over"], "birth_year"].isna().all()
    assert out.patients["clinician_code"].str.fullmatch(r"C[0-9a-f]{6}").all()
    assert out.patients["clinician_code"].nunique() == 2
    assert "notes" not in out.diary.columns and "practitioner" not in out.sessions.columns
    assert json.loads(_log(store)["detail"].iat[-1])["deidentified"] is True


# --------------------------------------------------------------------------- share links


def test_share_links(store: Store) -> None:
    pat = _service(store, "pat")
    token = pat.create_share_link("P1", days=2)
    assert token not in _log(store).to_string()
    links = pat.share_links("P1")
    assert len(links) == 1
    row = store.share_link(link_id=int(links["link_id"].iat[0]))
    assert row is not None and row["token_hash"] != token and len(row["token_hash"]) == 64

    shared = Service.for_share_link(store, token)
    assert shared.face == f"share-link:{row['id']}" and shared.read_only
    assert shared.visible_patient_ids() == ["P1"]
    ds = shared.patient_dataset("P1", purpose="shared view")
    assert set(ds.diary["patient_id"]) == {"P1"}
    log = _log(store)
    assert log["action"].tail(2).tolist() == ["share_use", "view"]
    assert (log["face"].tail(2) == shared.face).all()
    with pytest.raises(AccessDeniedError):
        shared.save_diary_entry({"date": "2024-01-25", "pain": 1})
    with pytest.raises(AccessDeniedError):
        shared.patient_dataset("P2", purpose="x")

    later = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(days=3)
    with pytest.raises(AuthenticationError, match="not valid"):
        Service.for_share_link(store, token, now=later)
    with pytest.raises(AccessDeniedError):
        _service(store, "ben").revoke_share_link(int(row["id"]))
    pat.revoke_share_link(int(row["id"]))
    with pytest.raises(AuthenticationError, match="not valid"):
        Service.for_share_link(store, token)
    with pytest.raises(AuthenticationError):
        Service.for_share_link(store, "x" * 43)
    revokes = _log(store).query("action == 'share_revoke'")
    assert revokes[["username", "outcome"]].values.tolist() == [["ben", "denied"], ["pat", "ok"]]
    with pytest.raises(ValueError, match="'days' parameter"):
        pat.create_share_link("P1", days=0)
