"""join the revisions that follow 0011: body regions, headache days and questionnaires

Revision ID: 0013_join
Revises: 0012_body_regions, 0012_headache, 0012_questionnaires
Create Date: 2026-12-07 00:40:00

Each revision only adds to the schema of 0011 (a diary column for the body map; a
diary column for the kind of headache; the questionnaire answers table),
independently of the others, so the join changes nothing itself.
"""

from __future__ import annotations

revision = "0013_join"
down_revision = ("0012_body_regions", "0012_headache", "0012_questionnaires")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
