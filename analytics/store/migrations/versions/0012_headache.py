"""headache days: the diary gains headache (none, headache or migraine)

Revision ID: 0012_headache
Revises: 0011_join
Create Date: 2026-12-07 00:00:00

One optional column of the diary: the kind of headache that day, so that a migraine
day can be told from another headache day (docs/analytics.md, "Headache days").
Every existing row is kept with the column empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_headache"
down_revision = "0011_join"
branch_labels = None
depends_on = None

_CHECK = "\"headache\" IN ('none', 'headache', 'migraine')"
_NAME = "ck_diary_headache_choice"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in place; a batch copy of the diary would
        # rebuild the largest table and break the foreign keys that point at it
        op.execute(f'ALTER TABLE diary ADD COLUMN "headache" TEXT CONSTRAINT {_NAME} CHECK ({_CHECK})')
    else:
        op.add_column(
            "diary",
            sa.Column(
                "headache", sa.Text(), nullable=True,
                comment="headache that day: none, headache or migraine",
            ),
        )  # fmt: skip
        op.create_check_constraint(_NAME, "diary", _CHECK)


def downgrade() -> None:
    with op.batch_alter_table("diary", schema=None) as batch_op:
        batch_op.drop_constraint(_NAME, type_="check")
        batch_op.drop_column("headache")
