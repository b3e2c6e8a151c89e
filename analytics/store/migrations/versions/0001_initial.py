"""initial schema: patients, diary, sessions, history, audit_log

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21 07:52:24.247371
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True, comment="JSON object"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "history",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column(
            "key", sa.Text(), nullable=False, comment="natural key as text, e.g. the ISO date"
        ),
        sa.Column("old", sa.Text(), nullable=True, comment="JSON object of the previous values"),
        sa.Column("new", sa.Text(), nullable=True, comment="JSON object of the new values"),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("action IN ('create', 'update', 'delete')", name="ck_history_action"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.create_index("ix_history_patient", ["patient_id", "id"], unique=False)

    op.create_table(
        "patients",
        sa.Column(
            "patient_id", sa.Text(), nullable=False, comment="1-64 characters of A-Z a-z 0-9 . _ -"
        ),
        sa.Column("condition", sa.Text(), nullable=False, comment="condition treated"),
        sa.Column("group", sa.Text(), nullable=True, comment="cohort / programme / trial arm"),
        sa.Column(
            "start_date",
            sa.Date(),
            nullable=True,
            comment="index date; empty = first session's date",
        ),
        sa.Column("sex", sa.Text(), nullable=True, comment="F, M, X or U"),
        sa.Column("birth_year", sa.Integer(), nullable=True, comment="1900..current year"),
        sa.Column("clinician_id", sa.Text(), nullable=True, comment="responsible clinician"),
        sa.CheckConstraint('"birth_year" >= 1900', name="ck_patients_birth_year_range"),
        sa.CheckConstraint("\"sex\" IN ('F', 'M', 'X', 'U')", name="ck_patients_sex_choice"),
        sa.CheckConstraint('length("clinician_id") <= 200', name="ck_patients_clinician_id_len"),
        sa.CheckConstraint('length("condition") <= 200', name="ck_patients_condition_len"),
        sa.CheckConstraint('length("group") <= 200', name="ck_patients_group_len"),
        sa.CheckConstraint(
            'length("patient_id") BETWEEN 1 AND 64', name="ck_patients_patient_id_len"
        ),
        sa.PrimaryKeyConstraint("patient_id"),
    )
    op.create_table(
        "diary",
        sa.Column("patient_id", sa.Text(), nullable=False, comment="patient identifier"),
        sa.Column("date", sa.Date(), nullable=False, comment="diary day, not after today"),
        sa.Column(
            "pain", sa.Double(), nullable=False, comment="average pain over the past 24 h, 0-10 NRS"
        ),
        sa.Column(
            "worst_pain", sa.Double(), nullable=True, comment="worst pain over the past 24 h, 0-10"
        ),
        sa.Column(
            "enjoyment_interference",
            sa.Double(),
            nullable=True,
            comment="PEG E: interference with enjoyment of life, 0-10",
        ),
        sa.Column(
            "activity_interference",
            sa.Double(),
            nullable=True,
            comment="PEG G: interference with general activity, 0-10",
        ),
        sa.Column(
            "sleep_quality", sa.Double(), nullable=True, comment="sleep quality, 0-10, 10 = best"
        ),
        sa.Column("mood", sa.Double(), nullable=True, comment="mood, 0-10, 10 = best"),
        sa.Column("stress", sa.Double(), nullable=True, comment="stress, 0-10, 10 = worst"),
        sa.Column(
            "analgesic_doses", sa.Integer(), nullable=True, comment="pain-medication doses taken"
        ),
        sa.Column(
            "opioid_mme",
            sa.Double(),
            nullable=True,
            comment="opioid morphine milligram equivalents",
        ),
        sa.Column("notes", sa.Text(), nullable=True, comment="free text"),
        sa.CheckConstraint(
            '"activity_interference" BETWEEN 0 AND 10', name="ck_diary_activity_interference_range"
        ),
        sa.CheckConstraint('"analgesic_doses" >= 0', name="ck_diary_analgesic_doses_range"),
        sa.CheckConstraint(
            '"enjoyment_interference" BETWEEN 0 AND 10',
            name="ck_diary_enjoyment_interference_range",
        ),
        sa.CheckConstraint('"mood" BETWEEN 0 AND 10', name="ck_diary_mood_range"),
        sa.CheckConstraint('"opioid_mme" >= 0', name="ck_diary_opioid_mme_range"),
        sa.CheckConstraint('"pain" BETWEEN 0 AND 10', name="ck_diary_pain_range"),
        sa.CheckConstraint('"sleep_quality" BETWEEN 0 AND 10', name="ck_diary_sleep_quality_range"),
        sa.CheckConstraint('"stress" BETWEEN 0 AND 10', name="ck_diary_stress_range"),
        sa.CheckConstraint('"worst_pain" BETWEEN 0 AND 10', name="ck_diary_worst_pain_range"),
        sa.CheckConstraint('length("notes") <= 2000', name="ck_diary_notes_len"),
        sa.CheckConstraint('length("patient_id") BETWEEN 1 AND 64', name="ck_diary_patient_id_len"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"], name="fk_diary_patient"),
        sa.PrimaryKeyConstraint("patient_id", "date"),
    )
    op.create_table(
        "sessions",
        sa.Column("patient_id", sa.Text(), nullable=False, comment="patient identifier"),
        sa.Column("date", sa.DateTime(), nullable=False, comment="session date or date-time"),
        sa.Column("technique", sa.Text(), nullable=False, comment="technique"),
        sa.Column(
            "frequency_hz",
            sa.Text(),
            nullable=True,
            comment="EA frequency: 2, 100 or 2/100 (0.5-200 Hz)",
        ),
        sa.Column("points", sa.Text(), nullable=True, comment="';'-separated acupoint codes"),
        sa.Column("needles", sa.Integer(), nullable=True, comment="number of needles"),
        sa.Column(
            "retention_min", sa.Integer(), nullable=True, comment="needle retention, minutes"
        ),
        sa.Column(
            "pain_before", sa.Double(), nullable=True, comment="pain just before the session, 0-10"
        ),
        sa.Column(
            "pain_after", sa.Double(), nullable=True, comment="pain just after the session, 0-10"
        ),
        sa.Column(
            "adverse_events", sa.Text(), nullable=True, comment="';'-separated adverse events"
        ),
        sa.Column("practitioner", sa.Text(), nullable=True, comment="practitioner"),
        sa.Column("notes", sa.Text(), nullable=True, comment="free text"),
        sa.CheckConstraint('"needles" BETWEEN 1 AND 100', name="ck_sessions_needles_range"),
        sa.CheckConstraint('"pain_after" BETWEEN 0 AND 10', name="ck_sessions_pain_after_range"),
        sa.CheckConstraint('"pain_before" BETWEEN 0 AND 10', name="ck_sessions_pain_before_range"),
        sa.CheckConstraint(
            '"retention_min" BETWEEN 1 AND 120', name="ck_sessions_retention_min_range"
        ),
        sa.CheckConstraint(
            "\"technique\" IN ('manual', 'electro', 'auricular', 'other')",
            name="ck_sessions_technique_choice",
        ),
        sa.CheckConstraint('length("notes") <= 2000', name="ck_sessions_notes_len"),
        sa.CheckConstraint(
            'length("patient_id") BETWEEN 1 AND 64', name="ck_sessions_patient_id_len"
        ),
        sa.CheckConstraint('length("points") <= 2000', name="ck_sessions_points_len"),
        sa.CheckConstraint('length("practitioner") <= 200', name="ck_sessions_practitioner_len"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.patient_id"], name="fk_sessions_patient"
        ),
        sa.PrimaryKeyConstraint("patient_id", "date"),
    )


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("diary")
    op.drop_table("patients")
    with op.batch_alter_table("history", schema=None) as batch_op:
        batch_op.drop_index("ix_history_patient")

    op.drop_table("history")
    op.drop_table("audit_log")
