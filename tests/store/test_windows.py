"""API maintenance windows in the store, on SQLite and PostgreSQL: ending says whether a
window ended or was dropped, and a number, once handed out, is never handed out again
(logs and tickets name windows `api-N`)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig

from bridge.store import Database
from bridge.store.maintenance import WindowEnd, add_window, current_windows, end_window
from bridge.store.models import MaintenanceWindowRow
from bridge.store.retention import purge

NOW = datetime(2026, 12, 6, 8, 0, tzinfo=UTC)


def window(start: datetime, hours: float = 1.0) -> MaintenanceWindowRow:
    return MaintenanceWindowRow(devices=["gw"], starts_at=start,
                                ends_at=start + timedelta(hours=hours), created_at=NOW)


def test_a_dropped_or_purged_windows_number_is_never_handed_out_again(db: Database) -> None:
    running = add_window(db.writer, window(NOW - timedelta(minutes=5)))
    later = add_window(db.writer, window(NOW + timedelta(days=1)))
    assert end_window(db.writer, later, NOW) == WindowEnd.DROPPED
    assert end_window(db.writer, running, NOW) == WindowEnd.ENDED
    assert end_window(db.writer, running, NOW) is None  # over already
    next_one = add_window(db.writer, window(NOW + timedelta(days=2)))
    assert next_one > later
    # history purged by retention: the highest number goes too, and stays taken
    purge(db.writer, NOW + timedelta(days=400), NOW + timedelta(days=400))
    assert current_windows(db.writer, NOW) == []
    assert add_window(db.writer, window(NOW + timedelta(days=3))) > next_one


def test_the_migration_keeps_the_windows_and_numbers_on_from_the_highest(
        tmp_path: Path) -> None:
    path = tmp_path / "bridge.db"
    db = Database(f"sqlite:///{path}")
    alembic = AlembicConfig()
    alembic.set_main_option("script_location", str(Path(__file__).parents[2] / "bridge"
                                                   / "store" / "migrations"))
    with db.writer.begin() as connection:
        alembic.attributes["connection"] = connection
        command.upgrade(alembic, "0011")
    first = add_window(db.writer, window(NOW + timedelta(days=1)))
    second = add_window(db.writer, window(NOW + timedelta(days=2)))
    db.migrate()
    assert [w.id for w in current_windows(db.writer, NOW)] == [first, second]
    assert end_window(db.writer, second, NOW) == WindowEnd.DROPPED
    assert add_window(db.writer, window(NOW + timedelta(days=3))) == second + 1
    db.dispose()
    with sqlite3.connect(path) as connection:
        [(indexes,)] = connection.execute(
            "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'maintenance_window' "
            "AND type = 'index'").fetchall()
    assert indexes == 1  # ends_at's, kept through the rebuild
