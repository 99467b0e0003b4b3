"""Alembic environment: runs on the connection bridge hands it, never from a URL."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import bridge.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("bridge migrations run through bridge.store.db.Database.migrate()")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
