"""join the revisions that follow 0013: entries during the day and headache-days answers

Revision ID: 0015_join
Revises: 0014_entries, 0014_headache_days
Create Date: 2026-12-07 02:50:00

Each revision only adds to the schema of 0013 (the entries table; the questionnaire
answers accepting the headache-days counts), independently of the other, so the join
changes nothing itself.
"""

from __future__ import annotations

revision = "0015_join"
down_revision = ("0014_entries", "0014_headache_days")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
