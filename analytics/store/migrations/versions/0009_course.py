"""course of treatment: its end in patients, its states with their history

Revision ID: 0009_course
Revises: 0008_audit_repeats
Create Date: 2026-12-06 22:45:00

``patients.course_end`` and ``patients.course_end_reason`` carry the end of a
course as the CSV contract does (an import can end courses). ``course_states``
keeps every change of a patient's course — active, paused, ended with its day
and reason — with who set it and when; the latest row is the current state. A
patient without a row is on an active course, so existing databases need no data.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_course"
down_revision = "0008_audit_repeats"
branch_labels = None
depends_on = None

_REASONS = "'completed', 'discharged', 'dropped_out', 'moved'"


def upgrade() -> None:
    op.add_column(
        "patients",
        sa.Column(
            "course_end", sa.Date(), nullable=True,
            comment="day the course of treatment ended; empty = ongoing",
        ),
    )  # fmt: skip
    check = f'"course_end_reason" IN ({_REASONS})'
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its CHECK in place; a batch copy of patients would
        # break the foreign keys of the rows that point at it
        op.execute(
            'ALTER TABLE patients ADD COLUMN "course_end_reason" TEXT '
            f"CONSTRAINT ck_patients_course_end_reason_choice CHECK ({check})"
        )
    else:
        op.add_column(
            "patients",
            sa.Column(
                "course_end_reason", sa.Text(), nullable=True,
                comment="why the course ended; empty with a course_end = completed",
            ),
        )  # fmt: skip
        op.create_check_constraint("ck_patients_course_end_reason_choice", "patients", check)
    op.create_table(
        "course_states",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "patient_id", sa.Text(),
            sa.ForeignKey("patients.patient_id", name="fk_course_states_patient"), nullable=False,
        ),  # fmt: skip
        sa.Column("state", sa.Text(), nullable=False, comment="active, paused or ended"),
        sa.Column(
            "effective_date", sa.Date(), nullable=False, comment="the day the state began"
        ),
        sa.Column("reason", sa.Text(), comment="why an ended course ended; empty otherwise"),
        sa.Column("set_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column(
            "set_by", sa.Text(), nullable=False, comment="username, or the import's actor"
        ),
        sa.CheckConstraint("state IN ('active', 'paused', 'ended')", name="ck_course_states_state"),
        sa.CheckConstraint(
            f"reason IS NULL OR reason IN ({_REASONS})", name="ck_course_states_reason"
        ),
        sa.CheckConstraint(
            "(state = 'ended') = (reason IS NOT NULL)", name="ck_course_states_ended_reason"
        ),
    )
    op.create_index("ix_course_states_patient", "course_states", ["patient_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_course_states_patient", table_name="course_states")
    op.drop_table("course_states")
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_constraint("ck_patients_course_end_reason_choice", type_="check")
        batch_op.drop_column("course_end_reason")
        batch_op.drop_column("course_end")
