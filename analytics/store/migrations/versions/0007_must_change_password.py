"""accounts: a password an administrator set must be changed at the next sign-in

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:00:00

``users.must_change_password`` is true while an account's password is one an
administrator chose (a new account, a reset): until its owner chooses their own,
the service refuses everything but that change. Existing accounts keep signing in
as before (false).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false(),
                comment="set by an administrator's password; cleared when the owner sets theirs",
            )  # fmt: skip
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("must_change_password")
