"""check state keeps the last result's measurements by name, whatever the probe's kind

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

The ICMP-shaped columns last_rtt_s and last_loss_ratio become the rtt_avg_s and loss_ratio
entries of one JSON mapping, so a new kind of probe needs no column of its own. Stepping
down keeps those two (and drops what other kinds measured).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (old column, its name in the mapping)
_COLUMNS = (("last_rtt_s", "rtt_avg_s"), ("last_loss_ratio", "loss_ratio"))


def _check_state(*columns: sa.ColumnClause[Any]) -> sa.TableClause:
    return sa.table("check_state", sa.column("device", sa.String()),
                    sa.column("probe", sa.String()), *columns)


def upgrade() -> None:
    with op.batch_alter_table("check_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_measurements", sa.JSON(none_as_null=True),
                                      nullable=True))
    table = _check_state(*(sa.column(old, sa.Float()) for old, _ in _COLUMNS),
                         sa.column("last_measurements", sa.JSON(none_as_null=True)))
    bind = op.get_bind()
    rows = bind.execute(sa.select(table)).mappings().all()
    for row in rows:
        measured = {name: row[old] for old, name in _COLUMNS if row[old] is not None}
        if measured:
            bind.execute(table.update().where(table.c.device == row["device"],
                                              table.c.probe == row["probe"])
                         .values(last_measurements=measured))
    with op.batch_alter_table("check_state", schema=None) as batch_op:
        for old, _ in _COLUMNS:
            batch_op.drop_column(old)


def downgrade() -> None:
    with op.batch_alter_table("check_state", schema=None) as batch_op:
        for old, _ in _COLUMNS:
            batch_op.add_column(sa.Column(old, sa.Float(), nullable=True))
    table = _check_state(*(sa.column(old, sa.Float()) for old, _ in _COLUMNS),
                         sa.column("last_measurements", sa.JSON(none_as_null=True)))
    bind = op.get_bind()
    rows = bind.execute(sa.select(table)).mappings().all()
    for row in rows:
        measured = row["last_measurements"] or {}
        kept = {old: measured[name] for old, name in _COLUMNS if name in measured}
        if kept:
            bind.execute(table.update().where(table.c.device == row["device"],
                                              table.c.probe == row["probe"]).values(**kept))
    with op.batch_alter_table("check_state", schema=None) as batch_op:
        batch_op.drop_column("last_measurements")
