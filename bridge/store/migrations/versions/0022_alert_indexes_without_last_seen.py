"""the intake's alert indexes leave out last_seen_at and add status to the problem key's,
so that a repeat (which only moves last_seen_at) rewrites no index entry

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07

A trap or webhook alert that repeats its row (most of what senders send) only moves its
last_seen_at. (status, last_seen_at) made every such UPDATE delete and insert an index
entry (on PostgreSQL it also ruled out HOT updates). (status, source) serves what read it:
the deferred resolves (status alone), a source's deferred ones, a silent source's firing
alerts (whose last_seen_at is compared on the rows, read every 30 s). (problem_key,
status) lets "how many alerts fire on this ticket" stop at the firing ones instead of
reading every row ever on the ticket.
"""

from __future__ import annotations

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_intake_alert_status_last_seen", table_name="intake_alert")
    op.create_index("ix_intake_alert_status_source", "intake_alert", ["status", "source"])
    op.drop_index("ix_intake_alert_problem_key", table_name="intake_alert")
    op.create_index("ix_intake_alert_problem_status", "intake_alert",
                    ["problem_key", "status"])


def downgrade() -> None:
    op.drop_index("ix_intake_alert_problem_status", table_name="intake_alert")
    op.create_index("ix_intake_alert_problem_key", "intake_alert", ["problem_key"])
    op.drop_index("ix_intake_alert_status_source", table_name="intake_alert")
    op.create_index("ix_intake_alert_status_last_seen", "intake_alert",
                    ["status", "last_seen_at"])
