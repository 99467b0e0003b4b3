"""A signed mail link's one use is kept (SQLite and PostgreSQL); 0018 steps down and up."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect

from bridge.store import Database
from bridge.store.db import MIGRATIONS
from bridge.store.mail_links import forget_use, use_once

NOW = datetime(2026, 12, 6, 9, tzinfo=UTC)


def test_a_link_is_used_once_unless_its_use_is_forgotten(db: Database) -> None:
    assert use_once(db.writer, "t1", "INC-2026-000001", NOW)
    assert not use_once(db.writer, "t1", "INC-2026-000001", NOW)
    assert use_once(db.writer, "t2", "INC-2026-000001", NOW)
    forget_use(db.writer, "t2")
    assert use_once(db.writer, "t2", "INC-2026-000001", NOW)


def test_the_used_links_table_steps_down_and_up_again(db: Database) -> None:
    use_once(db.writer, "t1", "INC-2026-000001", NOW)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0017")
    assert "used_mail_link" not in inspect(db.writer).get_table_names()
    assert "portal_user" in inspect(db.writer).get_table_names()
    db.migrate()
    assert use_once(db.writer, "t1", "INC-2026-000001", NOW)
