"""onboarding: clinician codes mapped to accounts, first sign-in links

Revision ID: 0010_onboarding
Revises: 0008_audit_repeats
Create Date: 2026-12-06 23:00:00

``clinician_codes`` maps each ``clinician_id`` of the data (C01, ...) to one
clinician account, so an import assigns the new patients it brings. ``invites``
keeps a first sign-in link of an account as the SHA-256 hash of its token, with
its expiry, its one use and its revocation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_onboarding"
down_revision = "0008_audit_repeats"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clinician_codes",
        sa.Column(
            "clinician_id", sa.Text(), primary_key=True, comment="a code of the data, e.g. C01"
        ),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_clinician_codes_user"),
            nullable=False, comment="the clinician account the code stands for",
        ),  # fmt: skip
        sa.Column("mapped_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("mapped_by", sa.Text(), nullable=False),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.Integer(), sa.Identity(), primary_key=True),
        sa.Column("token_hash", sa.Text(), nullable=False, comment="SHA-256 hex of the token"),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", name="fk_invites_user"),
            nullable=False, comment="the account whose owner chooses a password with it",
        ),  # fmt: skip
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("expires_at", sa.DateTime(), nullable=False, comment="UTC, naive"),
        sa.Column("used_at", sa.DateTime(), comment="UTC, naive; a link works once"),
        sa.Column("revoked_at", sa.DateTime(), comment="UTC, naive; set by a newer link"),
        sa.UniqueConstraint("token_hash", name="uq_invites_token_hash"),
    )
    op.create_index("ix_invites_user", "invites", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_invites_user", table_name="invites")
    op.drop_table("invites")
    op.drop_table("clinician_codes")
