"""The `availability` benchmark: 30 days of a 10,000-device fleet from a real SQLite store,
from rolled-up days (the daemon's path) against raw history alone (no rollups)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from bench.availability_fleet import HISTORY_DAYS, write_deployment
from bench.availability_fleet import seed as seed_fleet
from bench.common import Report, Row
from bridge.config import load_config
from bridge.config.model import Config
from bridge.core.periods import ROLLING_WINDOWS
from bridge.reports.rollup import roll_up
from bridge.reports.windows import WindowTallies, measure_window
from bridge.store import Database

DEVICES = 10_000
QUICK_DEVICES = 1_000
PEER = "raw history only (no rollups)"
T = TypeVar("T")


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Wall seconds of one call, and its result."""
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def windows(db: Database, config: Config, now: datetime) -> dict[str, WindowTallies]:
    """What the daemon computes on every refresh: every rolling window for every device."""
    return {label: measure_window(db.reader, config, now - span, now, now)
            for label, span in ROLLING_WINDOWS.items()}


def largest_difference(a: WindowTallies, b: WindowTallies) -> float:
    """The largest difference in down or counted seconds of any device between two runs."""
    return max((abs(a.devices[d].down_s - b.devices[d].down_s)
                + abs(a.devices[d].counted_s - b.devices[d].counted_s) for d in a.devices),
               default=0.0)


def run(*, quick: bool) -> Report:
    """Seed a store, then time the 30-day window and a full refresh, raw and rolled up."""
    devices = QUICK_DEVICES if quick else DEVICES
    now = datetime.now(UTC).replace(microsecond=0)
    month = now - timedelta(days=30)
    with tempfile.TemporaryDirectory(prefix="bench-availability-") as tmp:
        config_path = write_deployment(Path(tmp), devices)
        config = load_config(config_path)
        db = Database(config.storage_url)
        try:
            db.migrate()
            changes = seed_fleet(db, devices, now)
            raw_s, raw = timed(lambda: measure_window(db.reader, config, month, now, now))
            raw_refresh_s, _ = timed(lambda: windows(db, config, now))
            rollup_s, days = timed(lambda: roll_up(db.writer, config, now))
            rolled_s, rolled = timed(lambda: measure_window(db.reader, config, month, now, now))
            refresh_s, _ = timed(lambda: windows(db, config, now))
        finally:
            db.dispose()
    rows = [
        Row("availability.window_30d", "s", rolled_s, raw_s, PEER),
        Row("availability.refresh_all_windows", "s", refresh_s, raw_refresh_s, PEER),
        Row("availability.largest_difference", "s", largest_difference(rolled, raw), 0.0, PEER),
    ]
    notes = [
        f"{devices} devices of {devices // 100} customers in 5 time zones, one ping check "
        f"each, {HISTORY_DAYS} days of history: {changes} hard state changes in SQLite",
        "window_30d: every device's availability over the last 30 days; "
        "refresh_all_windows: the windows 1h, 1d, 7d and 30d, as the daemon's refresh",
        f"rolling up the {days} closed (customer, local day) pairs took {rollup_s:.1f} s "
        f"({rollup_s / max(days, 1) * 1000:.0f} ms each; the daemon does a day at a time)",
        "largest_difference: down plus counted seconds, rolled-up path against raw; must be 0",
    ]
    return Report(rows, notes)
