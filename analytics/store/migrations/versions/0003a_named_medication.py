"""named medications: the diary gains medication (a drug name) and medication_dose

Revision ID: 0003a
Revises: 0002
Create Date: 2026-11-30 11:00:00

Two optional columns of the diary: the name of a pain medicine taken that day and
its total dose over the day (mg; mcg/h for a fentanyl patch). Every existing row is
kept, with both columns empty. ``opioid_mme`` stays the analysed daily value; for a
named opioid the app computes it from drug and dose (``analytics.medications``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003a"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("diary", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "medication",
                sa.Text(),
                nullable=True,
                comment="name of a pain medicine taken that day, e.g. oxycodone",
            )
        )
        batch_op.add_column(
            sa.Column(
                "medication_dose",
                sa.Double(),
                nullable=True,
                comment="total dose of that medicine over the day: mg (fentanyl patch: mcg/h)",
            )
        )
        batch_op.create_check_constraint(
            "ck_diary_medication_len", sa.text('length("medication") <= 200')
        )
        batch_op.create_check_constraint(
            "ck_diary_medication_dose_range",
            sa.text('"medication_dose" BETWEEN 0 AND 10000'),
        )


def downgrade() -> None:
    with op.batch_alter_table("diary", schema=None) as batch_op:
        batch_op.drop_constraint("ck_diary_medication_dose_range", type_="check")
        batch_op.drop_constraint("ck_diary_medication_len", type_="check")
        batch_op.drop_column("medication_dose")
        batch_op.drop_column("medication")
