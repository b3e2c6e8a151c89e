"""The accounts schema (revision 0002): upgrading a 0001 database, the append-only audit log,
and the store's account, assignment, session, share-link and setting rows."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from analytics.contract import Dataset
from analytics.contract.schema import TABLES
from analytics.errors import ConflictError, DataValidationError, NotFoundError, StoreError
from analytics.stats import patient_outcomes
from analytics.store import AUDIT_COLUMNS, USER_COLUMNS, Store, alembic_config, open_store
from analytics.store import _models as models
from analytics.store._values import table_records

ACTOR = "admin"
FAKE_HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"


def _engine_at_0001(url: str) -> sa.Engine:
    from alembic import command

    engine = sa.create_engine(url)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    return engine


def test_upgrading_a_0001_database_keeps_every_row_and_the_outcome_numbers(
    empty_db_url: str, clinic: Dataset
) -> None:
    db_url = empty_db_url
    engine = _engine_at_0001(db_url)
    legacy_audit = sa.Table("audit_log", sa.MetaData(), autoload_with=engine)
    assert "actor" in legacy_audit.c and "username" not in legacy_audit.c
    with engine.begin() as conn:
        for t in ("patients", "sessions", "diary"):
            # the tables as revision 0001 made them (later revisions add columns)
            legacy = sa.Table(t, sa.MetaData(), autoload_with=conn)
            records = [
                {k: v for k, v in r.items() if k in legacy.c}
                for r in table_records(TABLES[t], getattr(clinic, t))
            ]
            conn.execute(legacy.insert(), records)
        first = clinic.patients["patient_id"].iat[0]
        conn.execute(
            legacy_audit.insert(),
            [
                {"at": dt.datetime(2026, 1, 2, 3, 4), "actor": "cli:init-demo",
                 "action": "import", "detail": json.dumps({"diary": {"inserted": 5}})},
                {"at": dt.datetime(2026, 1, 3, 3, 4), "actor": "clinician:x",
                 "action": "export", "detail": json.dumps({"patient_id": first, "diary": 9})},
            ],
        )  # fmt: skip
    engine.dispose()
    before = patient_outcomes(clinic.diary, clinic.patients, clinic.sessions)

    with open_store(db_url) as store:  # migrates to the newest revision
        ds = store.dataset(ACTOR)
        for t in TABLES:
            # a database from before courses of treatment has no course ends, nor body regions
            # nor headache kinds
            course = {
                "patients": ["course_end", "course_end_reason"],
                "diary": ["body_regions", "headache"],
            }
            course = course.get(t, [])
            assert getattr(ds, t)[course].isna().all().all()
            assert_frame_equal(
                getattr(ds, t).drop(columns=course),
                getattr(clinic, t).drop(columns=course),
                check_exact=True,
                obj=t,
            )
        after = patient_outcomes(ds.diary, ds.patients, ds.sessions)
        assert_frame_equal(after, before, check_exact=True)
        log = store.audit_log(ACTOR)
        assert list(log.columns) == AUDIT_COLUMNS
        assert log["username"].tolist() == ["cli:init-demo", "clinician:x"]
        assert log["action"].tolist() == ["import", "export"]
        assert log["patient_id"].tolist() == ["*", first]
        assert log["outcome"].tolist() == ["ok", "ok"]
        assert log["role"].tolist() == ["", ""]
        assert json.loads(log["detail"].iat[0]) == {"diary": {"inserted": 5}}
        assert store.users(ACTOR).empty


def test_the_audit_log_refuses_updates_and_deletes(store: Store) -> None:
    store.record_audit("admin", "login", role="admin", face="cli", detail={"n": 1})
    a = models.audit_log
    for stmt in (a.update().values(action="view"), a.delete()):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as conn:
            conn.execute(stmt)
    log = store.audit_log(ACTOR)
    assert log[["username", "action", "outcome"]].values.tolist() == [["admin", "login", "ok"]]


def test_audit_log_filters_and_pages(store: Store) -> None:
    for i in range(5):
        store.record_audit(
            "ann" if i % 2 else "bob", "view", role="clinician", face="test",
            patient_id=f"P{i}", detail={"i": i},
        )  # fmt: skip
    assert store.audit_log(ACTOR, username="ann")["patient_id"].tolist() == ["P1", "P3"]
    assert store.audit_log(ACTOR, patient_id="P2")["username"].tolist() == ["bob"]
    newest = store.audit_log(ACTOR, limit=2, offset=1, newest_first=True)
    assert newest["patient_id"].tolist() == ["P3", "P2"]
    assert len(store.audit_log(ACTOR, since=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))) == 0
    with pytest.raises(ValueError, match="'since' parameter of Store.audit_log"):
        store.audit_log(ACTOR, since="yesterday-ish")
    with pytest.raises(ValueError, match="'limit' parameter"):
        store.audit_log(ACTOR, limit=0)
    with pytest.raises(ValueError, match="'outcome' parameter"):
        store.record_audit("a", "view", outcome="maybe")


def test_accounts_assignments_sessions_and_settings(store: Store, clinic: Dataset) -> None:
    store.import_dataset(ACTOR, clinic)
    ids = clinic.patients["patient_id"].tolist()
    store.add_user(ACTOR, username="doc", role="clinician", password_hash=FAKE_HASH)
    pat = store.add_user(
        ACTOR, username="pat", role="patient", password_hash=FAKE_HASH, patient_id=ids[0]
    )
    assert pat["patient_id"] == ids[0] and pat["disabled"] is False
    with pytest.raises(ConflictError, match="already exists"):
        store.add_user(ACTOR, username="doc", role="admin", password_hash=FAKE_HASH)
    with pytest.raises(DataValidationError, match="Unknown patient"):
        store.add_user(
            ACTOR, username="x", role="patient", password_hash=FAKE_HASH, patient_id="NOPE"
        )
    with pytest.raises(ValueError, match="'patient_id' parameter"):
        store.add_user(
            ACTOR, username="x", role="clinician", password_hash=FAKE_HASH, patient_id=ids[0]
        )
    with pytest.raises(ValueError, match="'role' parameter"):
        store.add_user(ACTOR, username="x", role="root", password_hash=FAKE_HASH)

    assert store.assign(ACTOR, "doc", ids[:3]) == 3
    assert store.assign(ACTOR, "doc", ids[:4]) == 1
    doc = store.user_record("doc")
    assert doc is not None
    assert store.assigned_patient_ids(doc["id"]) == sorted(ids[:4])
    assert store.unassign(ACTOR, "doc", [ids[0]]) == 1
    assert store.is_assigned(doc["id"], ids[1]) and not store.is_assigned(doc["id"], ids[0])
    with pytest.raises(DataValidationError, match="unknown patient"):
        store.assign(ACTOR, "doc", ["NOPE"])
    with pytest.raises(ValueError, match="only clinicians"):
        store.assign(ACTOR, "pat", ids[:1])
    with pytest.raises(NotFoundError):
        store.assign(ACTOR, "nobody", ids[:1])

    scoped = store.dataset(ACTOR, clinician_user_id=doc["id"])
    assert sorted(scoped.patients["patient_id"]) == sorted(ids[1:4])
    assert set(scoped.diary["patient_id"]) <= set(ids[1:4])
    # the sessions alone, read with the same scope in SQL
    sessions = store.sessions(ACTOR, clinician_user_id=doc["id"])
    pd.testing.assert_frame_equal(sessions, scoped.sessions)
    assert store.sessions(ACTOR, patient_ids=[]).empty

    users = store.users(ACTOR)
    assert list(users.columns) == USER_COLUMNS
    assert users.set_index("username").loc["doc", "assigned_patients"] == 3
    assert "password_hash" not in users.columns

    now = dt.datetime(2026, 5, 1, 12, 0)
    r = store.record_login_failure(
        pat["id"], now=now, max_failures=2, lock_for=dt.timedelta(minutes=15)
    )
    assert r == {"failed_count": 1, "locked_until": None}
    r = store.record_login_failure(
        pat["id"], now=now, max_failures=2, lock_for=dt.timedelta(minutes=15)
    )
    assert r["locked_until"] == now + dt.timedelta(minutes=15)
    store.set_password_hash(ACTOR, "pat", FAKE_HASH + "x")
    rec = store.user_record("pat")
    assert rec is not None and rec["locked_until"] is None and rec["password_hash"].endswith("x")
    store.set_disabled(ACTOR, "pat")
    assert store.user_record("pat")["disabled"] is True  # type: ignore[index]
    with pytest.raises(NotFoundError):
        store.set_disabled(ACTOR, "nobody")

    store.create_auth_session("s1", pat["id"], now)
    assert store.auth_session("s1")["revoked_at"] is None  # type: ignore[index]
    assert store.revoke_auth_session("s1", now) and not store.revoke_auth_session("s1", now)

    link = store.add_share_link(ACTOR, token_hash="ab" * 32, patient_id=ids[1], expires_at=now)
    assert store.share_link(token_hash="ab" * 32)["id"] == link  # type: ignore[index]
    assert store.revoke_share_link(ACTOR, link, now)
    links = store.share_links(ACTOR, ids[1])
    assert links["link_id"].tolist() == [link] and not pd.isna(links["revoked_at"].iat[0])

    assert store.get_setting("demo") is None
    store.set_setting(ACTOR, "demo", "true")
    store.set_setting(ACTOR, "demo", "false")
    assert store.get_setting("demo") == "false"


def test_a_newer_schema_is_still_refused(db_url: str) -> None:
    with open_store(db_url) as s, s.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(StoreError, match="newer version"):
        open_store(db_url)
