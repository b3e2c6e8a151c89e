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

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009_patient_covariates"
down_revision = "0008_audit_repeats"
branch_labels = None
depends_on = None


#: The two columns with their range checks, as one SQL column definition each.
_COLUMNS: tuple[tuple[str, sa.types.TypeEngine[Any], str, str, str], ...] = (
    (
        "age",
        sa.Integer(),
        "ck_patients_age_range",
        '"age" BETWEEN 0 AND 130',
        "age in whole years at the index date",
    ),
    (
        "pain_duration_years",
        sa.Double(),
        "ck_patients_pain_duration_years_range",
        '"pain_duration_years" BETWEEN 0 AND 130',
        "years since the pain condition began, at the index date",
    ),
)


def upgrade() -> None:
    # ADD COLUMN with its CHECK on both backends: a batch rebuild of the patients
    # table would drop and recreate it, which SQLite refuses while diary and session
    # rows refer to it.
    dialect = op.get_bind().dialect
    postgres = dialect.name == "postgresql"
    for name, col_type, check_name, check, comment in _COLUMNS:
        sql_type = col_type.compile(dialect=dialect)
        op.execute(
            sa.text(
                f'ALTER TABLE patients ADD COLUMN "{name}" {sql_type} '
                f"CONSTRAINT {check_name} CHECK ({check})"
            )
        )
        if postgres:
            op.execute(sa.text(f"COMMENT ON COLUMN patients.\"{name}\" IS '{comment}'"))


def downgrade() -> None:
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint("ck_patients_pain_duration_years_range", type_="check")
        batch_op.drop_constraint("ck_patients_age_range", type_="check")
        batch_op.drop_column("pain_duration_years")
        batch_op.drop_column("age")
