"""availability rollups and the heartbeat

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "availability_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column("probe", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("counted_s", sa.Float(), nullable=False),
        sa.Column("down_s", sa.Float(), nullable=False),
        sa.Column("parent_s", sa.Float(), nullable=False),
        sa.Column("maintenance_s", sa.Float(), nullable=False),
        sa.Column("total_counted_s", sa.Float(), nullable=False),
        sa.Column("total_down_s", sa.Float(), nullable=False),
        sa.Column("total_parent_s", sa.Float(), nullable=False),
        sa.Column("total_maintenance_s", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ends_at", "probe", "device", name="uq_availability_day"),
    )
    with op.batch_alter_table("availability_day", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_day_customer"), ["customer"], unique=False
        )
        batch_op.create_index(
            "ix_availability_day_device_probe_ends_at",
            ["device", "probe", "ends_at"],
            unique=False,
        )

    op.create_table(
        "availability_outage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=False),
        sa.Column(
            "cause",
            sa.Enum("own", "parent", name="outage_cause", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("root", sa.String(length=64), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("day_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("down_s", sa.Float(), nullable=False),
        sa.Column("maintenance_s", sa.Float(), nullable=False),
        sa.Column("counted_begins", sa.Boolean(), nullable=False),
        sa.Column("maintenance_begins", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "device", "started_at", "day_starts_at", name="uq_availability_outage"
        ),
    )
    with op.batch_alter_table("availability_outage", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_availability_outage_customer"), ["customer"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_availability_outage_day_starts_at"), ["day_starts_at"], unique=False
        )

    op.create_table(
        "availability_rollup",
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer", "starts_at"),
    )
    op.create_table(
        "heartbeat",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("heartbeat")
    op.drop_table("availability_rollup")
    with op.batch_alter_table("availability_outage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_availability_outage_day_starts_at"))
        batch_op.drop_index(batch_op.f("ix_availability_outage_customer"))

    op.drop_table("availability_outage")
    with op.batch_alter_table("availability_day", schema=None) as batch_op:
        batch_op.drop_index("ix_availability_day_device_probe_ends_at")
        batch_op.drop_index(batch_op.f("ix_availability_day_customer"))

    op.drop_table("availability_day")
