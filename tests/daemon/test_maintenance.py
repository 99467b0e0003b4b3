"""A running daemon with a cron maintenance window whose start time repeats (issue 11.19):
it rolls up the day the clocks fall back, counts the window once, and stops on SIGTERM."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bridge.core.state import Status
from bridge.store import Database
from tests.kits.daemon import Bridge, metric, wait_for, write_deployment
from tests.kits.history import record

HELSINKI = ZoneInfo("Europe/Helsinki")


def last_fall_back(before: date) -> date:
    """The latest Helsinki day before `before` that lasts 25 hours."""
    day = before - timedelta(days=1)
    while True:
        start = datetime.combine(day, time(), HELSINKI).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(), HELSINKI).astimezone(UTC)
        if end - start == timedelta(hours=25):
            return day
        day -= timedelta(days=1)


def deployment(root: Path, fall_back: date) -> Path:
    """acme in Helsinki, with "0 3 * * 0" windows; gw down 23:30-02:00 UTC around the day
    03:00 comes twice: its first 03:00 is 00:00 UTC, the second 01:00 UTC."""
    config = write_deployment(root, {"gw": "127.0.0.2"})
    inventory = root / "config" / "inventory.toml"
    inventory.write_text(inventory.read_text().replace(
        'name = "Acme"\n', 'name = "Acme"\ntimezone = "Europe/Helsinki"\n'))
    (root / "config" / "maintenance.toml").write_text(
        '[maintenance.sunday-night]\ncustomers = ["acme"]\ntimezone = "Europe/Helsinki"\n'
        'cron = "0 3 * * 0"\nduration_min = 60\n')
    midnight = datetime.combine(fall_back, time(), UTC)
    db = Database(f"sqlite:///{root / 'var' / 'bridge.db'}")
    db.migrate()
    record(db, "acme", "gw", [(midnight - timedelta(days=3), Status.UP),
                              (midnight - timedelta(minutes=30), Status.DOWN),
                              (midnight + timedelta(hours=2), Status.UP)])
    db.dispose()
    return config


def test_a_repeated_cron_start_is_rolled_up_once_and_the_daemon_stops(tmp_path: Path) -> None:
    fall_back = last_fall_back(datetime.now(UTC).date())
    bridge = Bridge(deployment(tmp_path, fall_back))
    try:
        wait_for("the fall-back week rolled up", lambda: (metric(
            bridge.get("/metrics", None), "bridge_availability_rollups_total") or 0) >= 7)
    finally:
        assert bridge.stop() == 0
    day_start = datetime.combine(fall_back, time(), HELSINKI).astimezone(UTC)
    with sqlite3.connect(tmp_path / "var" / "bridge.db") as connection:
        counted_s, down_s, maintenance_s = connection.execute(
            "SELECT counted_s, down_s, maintenance_s FROM availability_day WHERE device = 'gw' "
            "AND probe = '' AND starts_at LIKE ?", (f"{day_start:%Y-%m-%d %H:%M}%",)).fetchone()
    # 25 hours, one of them maintenance (from the first 03:00); down 2.5 h, 30 min of it in
    # the window: the second 03:00 (01:00 UTC) starts none, so 01:00-02:00 UTC counts down
    assert (counted_s, maintenance_s, down_s) == (24 * 3600, 3600, 1.5 * 3600)
