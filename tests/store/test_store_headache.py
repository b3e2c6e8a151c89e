"""The diary's headache column (revision 0012_headache): upgrade, rules and a CSV round trip."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from pandas.testing import assert_frame_equal

from analytics.errors import DataValidationError
from analytics.io import load_dataset, write_dataset
from analytics.store import alembic_config, open_store

ACTOR = "admin"


def test_the_migration_adds_an_empty_column_and_the_store_keeps_the_kind(
    db_url: str, tmp_path: Path
) -> None:
    from alembic import command

    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0011_join")
        conn.execute(
            sa.text("INSERT INTO patients (patient_id, condition) VALUES ('P1', 'migraine')")
        )
        conn.execute(
            sa.text("INSERT INTO diary (patient_id, date, pain) VALUES ('P1', '2026-01-04', 3)")
        )
    engine.dispose()
    with open_store(db_url) as store:  # upgraded to the newest revision
        assert store.get_diary_entry(ACTOR, "P1", "2026-01-04")["headache"] is None
        store.save_diary_entry(
            ACTOR, {"patient_id": "P1", "date": "2026-01-05", "pain": 6, "headache": "migraine"}
        )
        assert store.get_diary_entry(ACTOR, "P1", "2026-01-05")["headache"] == "migraine"
        with pytest.raises(DataValidationError, match="headache"):
            store.save_diary_entry(
                ACTOR, {"patient_id": "P1", "date": "2026-01-06", "pain": 6, "headache": "aura"}
            )
        ds = store.dataset(ACTOR)
    write_dataset(ds, tmp_path)
    assert "headache" in (tmp_path / "diary.csv").read_text().splitlines()[0]
    back = load_dataset(tmp_path)
    assert_frame_equal(back.diary, ds.diary, check_exact=True)
    assert back.diary["headache"].tolist()[-1] == "migraine"
