"""entries: entries during the day (flares, their duration, rescue medicines)

Revision ID: 0014_entries
Revises: 0013_join
Create Date: 2026-12-07 02:00:00

One row per patient, day and minute, as in the contract's optional ``entries.csv``,
with who answered "Did it help?" about the rescue medicine and when. A new table
only: nothing existing changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_entries"
down_revision = "0013_join"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("patient_id", sa.Text(), nullable=False, comment="patient identifier"),
        sa.Column("date", sa.Date(), nullable=False, comment="day of the entry, not after today"),
        sa.Column("time", sa.Text(), nullable=False, comment="time of day, HH:MM (24-hour)"),
        sa.Column("pain", sa.Double(), nullable=False, comment="pain at that moment, 0-10 NRS"),
        sa.Column("flare", sa.Text(), comment="yes when the entry is a flare or attack; empty = no"),
        sa.Column(
            "duration_minutes",
            sa.Integer(),
            comment="how long the flare lasted, minutes (flares only)",
        ),
        sa.Column("rescue_medication", sa.Text(), comment="a medicine taken for it, e.g. ibuprofen"),
        sa.Column(
            "rescue_helped",
            sa.Text(),
            comment="did the rescue medicine help: yes, a_little or no (asked 2 h later)",
        ),
        sa.Column("notes", sa.Text(), comment="free text"),
        sa.Column("rescue_answered_by", sa.Text(), comment="who answered whether the rescue helped"),
        sa.Column("rescue_answered_at", sa.DateTime(), comment="when that was answered (UTC)"),
        sa.PrimaryKeyConstraint("patient_id", "date", "time"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"], name="fk_entries_patient"),
        sa.CheckConstraint('length("patient_id") BETWEEN 1 AND 64', name="ck_entries_patient_id_len"),
        sa.CheckConstraint('length("time") <= 5', name="ck_entries_time_len"),
        sa.CheckConstraint('"pain" BETWEEN 0 AND 10', name="ck_entries_pain_range"),
        sa.CheckConstraint("\"flare\" IN ('yes', 'no')", name="ck_entries_flare_choice"),
        sa.CheckConstraint(
            '"duration_minutes" BETWEEN 1 AND 10080', name="ck_entries_duration_minutes_range"
        ),
        sa.CheckConstraint(
            'length("rescue_medication") <= 200', name="ck_entries_rescue_medication_len"
        ),
        sa.CheckConstraint(
            "\"rescue_helped\" IN ('yes', 'a_little', 'no')", name="ck_entries_rescue_helped_choice"
        ),
        sa.CheckConstraint('length("notes") <= 2000', name="ck_entries_notes_len"),
    )


def downgrade() -> None:
    op.drop_table("entries")
