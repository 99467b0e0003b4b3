"""a ticket opened with an Idempotency-Key keeps the digest of its request

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("request_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # Not a batch: SQLite (3.35+) drops the column in place, while a batch rebuilds the
    # table, which its foreign keys (on in bridge's connections) refuse once it has events.
    op.drop_column("incident", "request_digest")
