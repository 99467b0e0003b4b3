"""check state keeps the last result's values, so every instance shows them

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07

What a check last read (SNMP: `interface Gi1/0/5` -> `down`, sysName, rates) as [name,
text] pairs, capped in size; NULL for a check that read none (a ping). The API and the
portal of an instance that does not probe a device show its values from here. Stepping
down drops them (the owners keep theirs in memory).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("check_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_values", sa.JSON(none_as_null=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("check_state", schema=None) as batch_op:
        batch_op.drop_column("last_values")
