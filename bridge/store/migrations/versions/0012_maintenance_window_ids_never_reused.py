"""maintenance window ids are never reused

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

On SQLite, a table without AUTOINCREMENT hands the highest rowid out again once its row is
deleted (a dropped not-yet-started window, or one purged by retention): the table is
rebuilt with AUTOINCREMENT, which SQLite remembers in sqlite_sequence. PostgreSQL's
sequence never goes back: nothing to do there.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _rebuild(autoincrement: bool) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("maintenance_window", recreate="always",
                              table_kwargs={"sqlite_autoincrement": autoincrement}):
        pass


def upgrade() -> None:
    _rebuild(True)


def downgrade() -> None:
    _rebuild(False)
