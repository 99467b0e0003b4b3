"""check state keeps its flap history; a monitoring gap names the instance that is blind

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

An instance that takes over a shard (or a restart) continues each check's flap detection
where it stood: the last results as a string of 1 (up) and 0 (failed), oldest first, and
the flag (it has hysteresis, so the results alone do not say it). With several instances
a gap is one instance's blindness until the fleet is blind: the gap row names its
instance, so another instance's start ends only gaps of instances no longer running.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("flap_results", sa.String(length=32), nullable=False,
                                      server_default=""))
        batch_op.add_column(sa.Column("flapping", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table("monitoring_gap", schema=None) as batch_op:
        batch_op.add_column(sa.Column("instance", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("monitoring_gap", schema=None) as batch_op:
        batch_op.drop_column("instance")
    with op.batch_alter_table("check_state", schema=None) as batch_op:
        batch_op.drop_column("flapping")
        batch_op.drop_column("flap_results")
