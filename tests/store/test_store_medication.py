"""Named medications (revision 0003a): upgrading a 0002 database keeps every row, and the
diary stores a drug name and its daily dose within the contract's rules."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from analytics.contract import Dataset
from analytics.contract.schema import TABLES
from analytics.errors import DataValidationError
from analytics.store import alembic_config, open_store
from analytics.store._values import table_records

ACTOR = "admin"


def _upgrade(conn: sa.Connection, revision: str) -> None:
    from alembic import command

    cfg = alembic_config()
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, revision)


def test_upgrading_a_0002_database_keeps_every_diary_row(
    empty_db_url: str, clinic: Dataset
) -> None:
    db_url = empty_db_url
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        _upgrade(conn, "0002")
        legacy = sa.Table("diary", sa.MetaData(), autoload_with=conn)
        assert "medication" not in legacy.c
        for t in ("patients", "sessions", "diary"):
            table = sa.Table(t, sa.MetaData(), autoload_with=conn)
            conn.execute(table.insert(), table_records(TABLES[t], getattr(clinic, t)))
        n_before = conn.execute(sa.text("SELECT count(*) FROM diary")).scalar()
    with engine.begin() as conn:
        _upgrade(conn, "0003a")
        upgraded = sa.Table("diary", sa.MetaData(), autoload_with=conn)
        assert {"medication", "medication_dose"} <= set(upgraded.c.keys())
        n_after = conn.execute(sa.text("SELECT count(*) FROM diary")).scalar()
        n_named = conn.execute(
            sa.text("SELECT count(*) FROM diary WHERE medication IS NOT NULL")
        ).scalar()
    engine.dispose()
    assert n_after == n_before == len(clinic.diary)
    assert n_named == 0

    with open_store(db_url) as store:  # the newest revision
        ds = store.dataset(ACTOR)
        for t in TABLES:
            # a database from before courses of treatment has no course ends, nor body regions
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
        assert ds.diary["medication"].isna().all()
        assert ds.diary["medication_dose"].isna().all()


def test_the_diary_stores_a_named_medication_and_refuses_a_bad_dose(db_url: str) -> None:
    with open_store(db_url) as store:
        store.save_patient(ACTOR, {"patient_id": "P1", "condition": "neck_pain"})
        store.save_diary_entry(
            ACTOR,
            {
                "patient_id": "P1",
                "date": "2026-01-05",
                "pain": 5,
                "opioid_mme": 45.0,
                "medication": "oxycodone",
                "medication_dose": 30,
            },
        )
        entry = store.get_diary_entry(ACTOR, "P1", "2026-01-05")
        assert entry["medication"] == "oxycodone"
        assert entry["medication_dose"] == pytest.approx(30.0)
        with pytest.raises(DataValidationError, match="medication_dose"):
            store.save_diary_entry(
                ACTOR,
                {"patient_id": "P1", "date": "2026-01-06", "pain": 5, "medication_dose": -1},
            )
        with pytest.raises(DataValidationError, match="medication"):
            store.save_diary_entry(
                ACTOR,
                {"patient_id": "P1", "date": "2026-01-07", "pain": 5, "medication": "x" * 201},
            )
        diary = store.dataset(ACTOR).diary
        assert len(diary) == 1
        assert pd.api.types.is_float_dtype(diary["medication_dose"])
