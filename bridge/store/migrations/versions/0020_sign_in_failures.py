"""failed portal sign-ins, counted by every instance alike

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sign_in_failure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sign_in_failure_key_failed_at", "sign_in_failure", ["key", "failed_at"])
    op.create_index("ix_sign_in_failure_failed_at", "sign_in_failure", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_failure_failed_at", table_name="sign_in_failure")
    op.drop_index("ix_sign_in_failure_key_failed_at", table_name="sign_in_failure")
    op.drop_table("sign_in_failure")
