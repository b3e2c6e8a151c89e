"""questionnaires: the answers to the outcome questionnaires

Revision ID: 0012_questionnaires
Revises: 0011_join
Create Date: 2026-12-06 23:50:00

One row per patient, date, instrument and item, as in the contract's optional
``questionnaires.csv``; the scores are computed from the answers, never stored.
A new table only: nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_questionnaires"
down_revision = "0011_join"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "questionnaires",
        sa.Column("patient_id", sa.Text(), nullable=False, comment="patient identifier"),
        sa.Column("date", sa.Date(), nullable=False, comment="day the questionnaire was answered"),
        sa.Column("instrument", sa.Text(), nullable=False, comment="instrument id: pgic, phq4, psfs"),
        sa.Column("item", sa.Text(), nullable=False, comment="item id of that instrument"),
        sa.Column("answer", sa.Integer(), nullable=False, comment="value of the chosen answer option"),
        sa.PrimaryKeyConstraint("patient_id", "date", "instrument", "item"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"], name="fk_questionnaires_patient"),
        sa.CheckConstraint('length("patient_id") BETWEEN 1 AND 64', name="ck_questionnaires_patient_id_len"),
        sa.CheckConstraint(
            "\"instrument\" IN ('pgic', 'phq4', 'psfs')", name="ck_questionnaires_instrument_choice"
        ),
        sa.CheckConstraint('length("item") <= 40', name="ck_questionnaires_item_len"),
        sa.CheckConstraint('"answer" BETWEEN 0 AND 10', name="ck_questionnaires_answer_range"),
    )


def downgrade() -> None:
    op.drop_table("questionnaires")
