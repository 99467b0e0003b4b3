"""attachments flapping recovery streak

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "incident_member",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("probe", sa.String(length=64), nullable=False),
        sa.Column("attached_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detached_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incident.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("incident_member", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_incident_member_incident_id"), ["incident_id"], unique=False
        )

    with op.batch_alter_table("check_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("ok_streak", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("ok_since", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("flapping", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_column("flapping")

    with op.batch_alter_table("check_state", schema=None) as batch_op:
        batch_op.drop_column("ok_since")
        batch_op.drop_column("ok_streak")

    with op.batch_alter_table("incident_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_incident_member_incident_id"))

    op.drop_table("incident_member")
