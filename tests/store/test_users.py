"""The portal's accounts in the store, on SQLite and PostgreSQL; 0017 steps down and up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import inspect

from bridge.config.main_file import Role
from bridge.store import Database
from bridge.store.db import MIGRATIONS
from bridge.store.portal_sessions import end_session, session_ended
from bridge.store.sign_in_failures import add_failure, forget_failures, recent_failures
from bridge.store.users import (
    UserExists,
    add_user,
    find_user,
    list_users,
    set_disabled,
    set_password,
    user_by_id,
)

NOW = datetime(2026, 12, 6, 9, tzinfo=UTC)


def test_accounts_are_added_found_changed_and_listed(db: Database) -> None:
    ann = add_user(db.writer, "ann", "Ann Acme", Role.CUSTOMER, "acme", "hash-1", NOW)
    add_user(db.writer, "olga", "Olga", Role.OPERATOR, None, "hash-2", NOW)
    with pytest.raises(UserExists):
        add_user(db.writer, "ann", "Another Ann", Role.OPERATOR, None, "hash-3", NOW)
    assert find_user(db.reader, "ann") == ann
    assert find_user(db.reader, "nobody") is None
    assert user_by_id(db.reader, ann.id) == ann
    assert [(u.name, u.role, u.customer) for u in list_users(db.reader)] == [
        ("ann", Role.CUSTOMER, "acme"), ("olga", Role.OPERATOR, None)]
    assert set_password(db.writer, "ann", "hash-4", NOW)
    assert set_disabled(db.writer, "olga", True, NOW)
    assert not set_password(db.writer, "nobody", "hash-5", NOW)
    changed = find_user(db.reader, "ann")
    assert changed is not None
    assert (changed.password_hash, changed.session_epoch) == ("hash-4", 1)
    disabled = find_user(db.reader, "olga")
    assert disabled is not None
    assert disabled.disabled
    assert disabled.session_epoch == 1


def test_the_accounts_table_steps_down_and_up_again(db: Database) -> None:
    add_user(db.writer, "ann", "Ann Acme", Role.CUSTOMER, "acme", "hash-1", NOW)
    config = AlembicConfig()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db.writer.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0016")
    assert "portal_user" not in inspect(db.writer).get_table_names()
    db.migrate()
    assert list_users(db.reader) == []


def test_sign_in_failures_are_counted_in_the_window_and_forgotten(db: Database) -> None:
    at = datetime(2026, 12, 6, 9, tzinfo=UTC)
    for minute in (0, 1, 2):
        add_failure(db.writer, ("name:ann", "addr:10.0.0.9"), at + timedelta(minutes=minute),
                    at - timedelta(minutes=5))
    found = recent_failures(db.reader, ["name:ann", "addr:10.0.0.9", "name:olga"], at)
    assert found == {"name:ann": (2, at + timedelta(minutes=1)),
                     "addr:10.0.0.9": (2, at + timedelta(minutes=1))}
    forget_failures(db.writer, "name:ann")
    assert set(recent_failures(db.reader, ["name:ann", "addr:10.0.0.9"],
                               at - timedelta(hours=1))) == {"addr:10.0.0.9"}
    # a failure an hour later drops those older than its window: the table stays small
    add_failure(db.writer, ("name:bob",), at + timedelta(hours=1), at + timedelta(minutes=55))
    assert set(recent_failures(db.reader, ["name:ann", "addr:10.0.0.9", "name:bob"],
                               at - timedelta(days=1))) == {"name:bob"}


def test_ended_sessions_are_kept_until_no_cookie_of_theirs_can_live(db: Database) -> None:
    end_session(db.writer, "first", NOW, NOW - timedelta(days=30))
    end_session(db.writer, "first", NOW, NOW - timedelta(days=30))  # signed out twice
    assert session_ended(db.reader, "first")
    assert not session_ended(db.reader, "second")
    later = NOW + timedelta(days=31)  # the next sign-out drops what is past every timeout
    end_session(db.writer, "second", later, later - timedelta(days=30))
    assert (session_ended(db.reader, "first"), session_ended(db.reader, "second")) \
        == (False, True)
