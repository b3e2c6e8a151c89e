"""stored outcomes: the per-patient analysis tables of each patient, per settings fingerprint

Revision ID: 0003b
Revises: 0002
Create Date: 2026-11-30 11:20:00

A derived table: nothing is lost by dropping it (``paindiary refresh`` rebuilds it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003b"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stored_outcomes",
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column(
            "fingerprint", sa.Text(), nullable=False,
            comment="hash of the settings that shape the rows",
        ),
        sa.Column("table_name", sa.Text(), nullable=False, comment="a per-patient table"),
        sa.Column(
            "payload", sa.LargeBinary(), nullable=False, comment="the rows, Arrow IPC stream"
        ),
        sa.Column("digest", sa.Text(), nullable=False, comment="SHA-256 of the payload"),
        sa.Column("updated_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.patient_id"], name="fk_stored_outcomes_patient"
        ),
        sa.PrimaryKeyConstraint("patient_id", "fingerprint", "table_name"),
    )  # fmt: skip
    op.create_index(
        "ix_stored_outcomes_fingerprint", "stored_outcomes", ["fingerprint", "patient_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_stored_outcomes_fingerprint", table_name="stored_outcomes")
    op.drop_table("stored_outcomes")
