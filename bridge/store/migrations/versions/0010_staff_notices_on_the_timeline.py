"""timeline entries of messages to the desk's people have their own kind

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Until now one "notified" entry named every receiver of a notice, the desk's tiers and
    # operators included, and customers see "notified" entries. Which of an old entry's
    # receivers were the customer's own is not recorded, so all of them become the desk's
    # own kind: a customer loses sight of old ones rather than seeing internal addresses.
    op.execute("UPDATE incident_event SET kind = 'notified_staff' WHERE kind = 'notified'")


def downgrade() -> None:
    op.execute("UPDATE incident_event SET kind = 'notified' WHERE kind = 'notified_staff'")
