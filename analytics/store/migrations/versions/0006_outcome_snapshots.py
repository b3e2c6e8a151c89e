"""outcome snapshots: each scope's per-patient tables kept together, patched per patient

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 15:30:00

A derived table, like ``stored_outcomes``: nothing is lost by dropping it. One
row per scope (the whole clinic, or one clinician's patients), settings
fingerprint and table holds every patient's rows of that table, and the stamp
(``updated_at`` of the patient's stored rows) each patient had when it was
written. A cohort page reads one row per table instead of one per patient and
table, and patches in only the patients whose stamp changed since.

The second index answers "each patient's stamp" from the index alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outcome_snapshots",
        sa.Column(
            "scope", sa.Text(), nullable=False,
            comment="'clinic', or 'clinician:<user id>'",
        ),
        sa.Column(
            "fingerprint", sa.Text(), nullable=False,
            comment="hash of the settings that shape the rows",
        ),
        sa.Column("table_name", sa.Text(), nullable=False, comment="a per-patient table"),
        sa.Column(
            "members", sa.LargeBinary(), nullable=False,
            comment="patient_id and stamp of every patient in it, Arrow IPC stream",
        ),
        sa.Column(
            "payload", sa.LargeBinary(), nullable=False, comment="the rows, Arrow IPC stream"
        ),
        sa.Column("updated_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.PrimaryKeyConstraint("scope", "fingerprint", "table_name"),
    )  # fmt: skip
    op.create_index(
        "ix_stored_outcomes_stamp",
        "stored_outcomes",
        ["fingerprint", "table_name", "patient_id", "updated_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_stored_outcomes_stamp", table_name="stored_outcomes")
    op.drop_table("outcome_snapshots")
