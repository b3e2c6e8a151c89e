"""audit log: repeats of one event counted on its row

Revision ID: 0008_audit_repeats
Revises: 0007
Create Date: 2026-12-06 21:00:00

The audit log stays append-only (its triggers refuse UPDATE and DELETE). An event
repeated many times in a few minutes (a revoked share link reloaded by a browser
tab) is one ``audit_log`` row plus an ``audit_repeats`` row that counts the times
and keeps the latest one; the count is updated, the audit row never is.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_audit_repeats"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_repeats",
        sa.Column(
            "audit_id", sa.Integer(), sa.ForeignKey("audit_log.id"), primary_key=True,
            comment="the audit row that stands for the repeats",
        ),  # fmt: skip
        sa.Column(
            "n_times", sa.Integer(), nullable=False, comment="times it happened, the first included"
        ),
        sa.Column(
            "last_at", sa.DateTime(), nullable=False, comment="UTC, naive: the latest repeat"
        ),
        sa.CheckConstraint("n_times >= 2", name="ck_audit_repeats_n_times"),
    )


def downgrade() -> None:
    op.drop_table("audit_repeats")
