"""portal sessions ended by signing out

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07

The session lives in an encrypted cookie; a copy of it kept from before sign-out would
still sign in. Signing out keeps the session's id here, so every instance refuses it.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ended_portal_session",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_ended_portal_session_ended_at", "ended_portal_session", ["ended_at"])


def downgrade() -> None:
    op.drop_index("ix_ended_portal_session_ended_at", table_name="ended_portal_session")
    op.drop_table("ended_portal_session")
