"""monitoring gaps

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "monitoring_gap",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("monitoring_gap", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_monitoring_gap_started_at"), ["started_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("monitoring_gap", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_gap_started_at"))

    op.drop_table("monitoring_gap")
