"""join the two revisions that follow 0002: named medications and stored outcomes

Revision ID: 0004
Revises: 0003a, 0003b
Create Date: 2026-11-30 12:00:00

Both revisions only add to the schema of 0002 (two diary columns; one derived table),
independently of each other, so the join changes nothing itself.
"""

from __future__ import annotations

revision = "0004"
down_revision = ("0003a", "0003b")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
