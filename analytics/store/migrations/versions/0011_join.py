"""join the revisions that follow 0008: courses, patient covariates and onboarding

Revision ID: 0011_join
Revises: 0009_course, 0009_patient_covariates, 0010_onboarding
Create Date: 2026-12-06 23:45:00

Each revision only adds to the schema of 0008 (the course columns and history; two
patient covariate columns; the clinician code and invite tables), independently of
the others, so the join changes nothing itself.
"""

from __future__ import annotations

revision = "0011_join"
down_revision = ("0009_course", "0009_patient_covariates", "0010_onboarding")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
