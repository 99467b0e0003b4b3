"""alerts other monitors posted (intake): one row per sender's alert, keyed by its own
fingerprint, naming the problem whose ticket it is on

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("fingerprint", sa.String(length=200), nullable=False),
        sa.Column("status", sa.Enum("firing", "held", "resolved", name="alert_status",
                                    native_enum=False, length=32), nullable=False),
        sa.Column("customer", sa.String(length=64), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("problem_key", sa.String(length=200), nullable=True),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "fingerprint", name="uq_intake_alert_fingerprint"),
    )
    op.create_index("ix_intake_alert_problem_key", "intake_alert", ["problem_key"])
    op.create_index("ix_intake_alert_status_last_seen", "intake_alert",
                    ["status", "last_seen_at"])


def downgrade() -> None:
    op.drop_index("ix_intake_alert_status_last_seen", table_name="intake_alert")
    op.drop_index("ix_intake_alert_problem_key", table_name="intake_alert")
    op.drop_table("intake_alert")
