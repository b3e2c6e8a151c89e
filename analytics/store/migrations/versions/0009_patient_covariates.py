"""patient covariates: age and pain duration at the start of the course

Revision ID: 0009_patient_covariates
Revises: 0008_audit_repeats
Create Date: 2026-12-06 22:45:00

Two optional columns of the patients table for covariate-adjusted comparisons:
``age`` (whole years at the index date) and ``pain_duration_years`` (years the
pain condition has lasted at the index date). Every existing row is kept, with
both columns empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_patient_covariates"
down_revision = "0008_audit_repeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "age", sa.Integer(), nullable=True, comment="age in whole years at the index date"
            )
        )
        batch_op.add_column(
            sa.Column(
                "pain_duration_years",
                sa.Double(),
                nullable=True,
                comment="years since the pain condition began, at the index date",
            )
        )
        batch_op.create_check_constraint("ck_patients_age_range", sa.text('"age" BETWEEN 0 AND 130'))
        batch_op.create_check_constraint(
            "ck_patients_pain_duration_years_range",
            sa.text('"pain_duration_years" BETWEEN 0 AND 130'),
        )


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint("ck_patients_pain_duration_years_range", type_="check")
        batch_op.drop_constraint("ck_patients_age_range", type_="check")
        batch_op.drop_column("pain_duration_years")
        batch_op.drop_column("age")
