"""headache days: the headache-days questionnaire may be stored

Revision ID: 0014_headache_days
Revises: 0013_join
Create Date: 2026-12-07 02:00:00

The answers table accepts the instrument ``headache_days`` and answers up to 28 (a
count of days in 4 weeks). Only two CHECK rules and a column comment change. SQLite
cannot change a CHECK rule in place, so there the small ``questionnaires`` table is
copied into a new one (no other table refers to it); PostgreSQL swaps the rules.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_headache_days"
down_revision = "0013_join"
branch_labels = None
depends_on = None

_COLUMNS = "patient_id, date, instrument, item, answer"


def _rules(instruments: tuple[str, ...], most: int) -> tuple[str, str, str]:
    choice = ", ".join(f"'{i}'" for i in instruments)
    return (
        f'"instrument" IN ({choice})',
        f'"answer" BETWEEN 0 AND {most}',
        "instrument id: " + ", ".join(instruments),
    )


_NEW = _rules(("headache_days", "pgic", "phq4", "psfs"), 28)
_OLD = _rules(("pgic", "phq4", "psfs"), 10)


def _sqlite_copy(rules: tuple[str, str, str]) -> None:
    choice, answer, comment = rules
    op.create_table(
        "questionnaires_new",
        sa.Column("patient_id", sa.Text(), nullable=False, comment="patient identifier"),
        sa.Column("date", sa.Date(), nullable=False, comment="day the questionnaire was answered"),
        sa.Column("instrument", sa.Text(), nullable=False, comment=comment),
        sa.Column("item", sa.Text(), nullable=False, comment="item id of that instrument"),
        sa.Column("answer", sa.Integer(), nullable=False, comment="value of the chosen answer option"),
        sa.PrimaryKeyConstraint("patient_id", "date", "instrument", "item"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"], name="fk_questionnaires_patient"),
        sa.CheckConstraint('length("patient_id") BETWEEN 1 AND 64', name="ck_questionnaires_patient_id_len"),
        sa.CheckConstraint(choice, name="ck_questionnaires_instrument_choice"),
        sa.CheckConstraint('length("item") <= 40', name="ck_questionnaires_item_len"),
        sa.CheckConstraint(answer, name="ck_questionnaires_answer_range"),
    )  # fmt: skip
    op.execute(
        f"INSERT INTO questionnaires_new ({_COLUMNS}) SELECT {_COLUMNS} FROM questionnaires"
    )
    op.drop_table("questionnaires")
    op.rename_table("questionnaires_new", "questionnaires")


def _postgresql(rules: tuple[str, str, str]) -> None:
    choice, answer, comment = rules
    for name, rule in (
        ("ck_questionnaires_instrument_choice", choice),
        ("ck_questionnaires_answer_range", answer),
    ):
        op.drop_constraint(name, "questionnaires", type_="check")
        op.create_check_constraint(name, "questionnaires", rule)
    op.alter_column("questionnaires", "instrument", existing_type=sa.Text(), comment=comment)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_copy(_NEW)
    else:
        _postgresql(_NEW)


def downgrade() -> None:
    # the headache-days answers cannot be kept under the old rules
    op.execute("DELETE FROM questionnaires WHERE instrument = 'headache_days'")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_copy(_OLD)
    else:
        _postgresql(_OLD)
