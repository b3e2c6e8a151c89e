"""body regions: the diary gains body_regions, where it hurt that day

Revision ID: 0012_body_regions
Revises: 0011_join
Create Date: 2026-12-07 00:00:00

One optional text column of the diary: the ';'-separated codes of the body
regions (the 19 regions of the widespread pain index) a patient marked on a day.
Every existing row is kept, with the column empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_body_regions"
down_revision = "0011_join"
branch_labels = None
depends_on = None

_COMMENT = "';'-separated body regions where it hurt that day (widespread pain index)"


def upgrade() -> None:
    # ADD COLUMN in place on both backends: a batch rebuild of the diary table
    # would drop and recreate it, which breaks the foreign keys that point at
    # its rows' patients on SQLite (see 0009_course)
    op.execute(sa.text('ALTER TABLE diary ADD COLUMN "body_regions" TEXT'))
    if op.get_bind().dialect.name == "postgresql":
        quoted = _COMMENT.replace("'", "''")  # SQL string literal: a quote is doubled
        op.execute(sa.text(f"COMMENT ON COLUMN diary.\"body_regions\" IS '{quoted}'"))


def downgrade() -> None:
    with op.batch_alter_table("diary", schema=None) as batch_op:
        batch_op.drop_column("body_regions")
