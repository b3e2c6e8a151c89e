"""accounts and access: users, clinician assignments, sessions, share links, settings;
the audit log gains username, role, face, patient and outcome and becomes append-only

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:40:00

The data tables (patients, diary, sessions) and the history are not touched.
Existing audit rows are kept: their ``actor`` becomes ``username``, their role
and face are empty (they were written before accounts existed), their outcome
"ok", and their patient the exported patient or "*" for the whole clinic.
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_APPEND_ONLY = "the audit log is append-only: its rows cannot be changed or deleted"


def _append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION paindiary_audit_log_append_only() RETURNS trigger "
            "LANGUAGE plpgsql AS $$ BEGIN "
            f"RAISE EXCEPTION '{_APPEND_ONLY}' USING ERRCODE = 'insufficient_privilege'; "
            "END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
            "FOR EACH ROW EXECUTE FUNCTION paindiary_audit_log_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION paindiary_audit_log_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END"
            )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_change ON audit_log")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS paindiary_audit_log_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "share_links",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("token_hash", sa.Text(), nullable=False, comment="SHA-256 hex of the token"),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("expires_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("revoked_at", sa.DateTime(), nullable=True, comment="UTC, naive"),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.patient_id"], name="fk_share_links_patient"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_share_links_token_hash"),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.Column(
            "patient_id", sa.Text(), nullable=True, comment="the patient of a patient account"
        ),
        sa.Column("display_name", sa.Text(), server_default="", nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False, comment="argon2id, PHC string"),
        sa.Column("disabled", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("failed_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True, comment="UTC, naive"),
        sa.Column("password_changed_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.CheckConstraint(
            "(role = 'patient') = (patient_id IS NOT NULL)", name="ck_users_patient_role"
        ),
        sa.CheckConstraint("role IN ('patient', 'clinician', 'admin')", name="ck_users_role"),
        sa.CheckConstraint("length(username) BETWEEN 1 AND 64", name="ck_users_username_len"),
        sa.ForeignKeyConstraint(["patient_id"], ["patients.patient_id"], name="fk_users_patient"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", name="uq_users_username"),
    )
    op.create_table(
        "auth_sessions",
        sa.Column(
            "id", sa.Text(), nullable=False, comment="random, carried by the signed token"
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column(
            "revoked_at", sa.DateTime(), nullable=True, comment="UTC, naive; set by a sign-out"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_auth_sessions_user"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "clinician_patients",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Text(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("assigned_by", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patients.patient_id"], name="fk_clinician_patients_patient"
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_clinician_patients_user"),
        sa.PrimaryKeyConstraint("user_id", "patient_id"),
    )
    with op.batch_alter_table("clinician_patients", schema=None) as batch_op:
        batch_op.create_index("ix_clinician_patients_patient", ["patient_id"], unique=False)

    # The audit log: keep every row, rename actor to username, add the new columns.
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column("actor", new_column_name="username", existing_type=sa.Text())
        batch_op.add_column(sa.Column("role", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(sa.Column("face", sa.Text(), server_default="", nullable=False))
        batch_op.add_column(
            sa.Column(
                "patient_id",
                sa.Text(),
                nullable=True,
                comment='patient id, "*" for the cohort, NULL for none',
            )
        )
        batch_op.add_column(
            sa.Column("outcome", sa.Text(), server_default="ok", nullable=False)
        )
    audit = sa.table(
        "audit_log", sa.column("id", sa.Integer), sa.column("action", sa.Text),
        sa.column("detail", sa.Text), sa.column("patient_id", sa.Text),
    )  # fmt: skip
    bind = op.get_bind()
    for row in bind.execute(sa.select(audit.c.id, audit.c.action, audit.c.detail)).all():
        try:
            detail = json.loads(row.detail) if row.detail else {}
        except ValueError:
            detail = {}
        one = detail.get("patient_id") if isinstance(detail, dict) else None
        bind.execute(
            audit.update().where(audit.c.id == row.id).values(patient_id=one or "*")
        )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "ck_audit_log_outcome", "outcome IN ('ok', 'denied', 'failed')"
        )
        batch_op.create_index("ix_audit_log_patient", ["patient_id", "id"], unique=False)
        batch_op.create_index("ix_audit_log_username", ["username", "id"], unique=False)
    _append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_username")
        batch_op.drop_index("ix_audit_log_patient")
        batch_op.drop_constraint("ck_audit_log_outcome", type_="check")
        batch_op.drop_column("outcome")
        batch_op.drop_column("patient_id")
        batch_op.drop_column("face")
        batch_op.drop_column("role")
        batch_op.alter_column("username", new_column_name="actor", existing_type=sa.Text())
    with op.batch_alter_table("clinician_patients", schema=None) as batch_op:
        batch_op.drop_index("ix_clinician_patients_patient")
    op.drop_table("clinician_patients")
    op.drop_table("auth_sessions")
    op.drop_table("users")
    op.drop_table("share_links")
    op.drop_table("settings")
