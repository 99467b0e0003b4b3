"""Rolled-up days on real SQLite and PostgreSQL: the same numbers as raw history, frozen once
rolled up, and retention that keeps what the kept history starts from."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bridge.availability.inputs import Inventory
from bridge.availability.raw import measure_raw
from bridge.availability.rollup_job import expire, plan, roll_up
from bridge.availability.windows import measure_window
from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.decisions import RecordGap
from bridge.core.state import Status
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.heartbeat import beat, last_beat, record_silence
from bridge.store.history import load_gaps
from bridge.store.models import AvailabilityRollup, StateChange
from tests.kits.engine import build_config, device
from tests.kits.history import record

NOW = datetime(2026, 6, 20, 9, 30, tzinfo=UTC)  # 12:30 in Helsinki
DAY = timedelta(days=1)
HOUR = 3600.0


def deployment(tmp_path: Path, extra: str = "") -> Config:
    return build_config(tmp_path, device("router") + device("switch", parents=["router"]),
                        extra=extra)


def seed(db: Database) -> None:
    # Up since 40 days; the router down 2 h on 10 June and 1 h today; the switch behind it
    # down with it on 10 June, and 30 min on its own on 15 June.
    up = NOW - 40 * DAY
    record(db, "acme", "router", [
        (up, Status.UP), (datetime(2026, 6, 10, 8, tzinfo=UTC), Status.DOWN),
        (datetime(2026, 6, 10, 10, tzinfo=UTC), Status.UP),
        (datetime(2026, 6, 20, 7, tzinfo=UTC), Status.DOWN),
        (datetime(2026, 6, 20, 8, tzinfo=UTC), Status.UP)])
    record(db, "acme", "switch", [
        (up, Status.UP), (datetime(2026, 6, 10, 8, tzinfo=UTC), Status.DOWN),
        (datetime(2026, 6, 10, 10, tzinfo=UTC), Status.UP),
        (datetime(2026, 6, 15, 12, tzinfo=UTC), Status.DOWN),
        (datetime(2026, 6, 15, 12, 30, tzinfo=UTC), Status.UP)])


def test_rolled_up_days_give_the_numbers_raw_history_gives(db: Database, tmp_path: Path) -> None:
    config = deployment(tmp_path)
    seed(db)
    start = NOW - 30 * DAY
    with db.reader.connect() as connection:
        raw = measure_raw(connection, Inventory.of(config), ["acme"], start, NOW, NOW)
    assert roll_up(db.writer, config, NOW) == 39  # 12 May (Helsinki) to 19 June; not today
    assert plan(db.reader, config, NOW) == []  # nothing left to do
    window = measure_window(db.reader, config, start, NOW, NOW, checks=True)
    for name in ("router", "switch"):
        assert window.devices[name].counted_s == pytest.approx(raw[name].tally.counted_s)
        assert window.devices[name].down_s == pytest.approx(raw[name].tally.down_s)
        assert window.devices[name].parent_s == pytest.approx(raw[name].tally.parent_s)
    assert window.devices["router"] == Tally(30 * 86400, 3 * HOUR)
    assert window.devices["switch"] == Tally(30 * 86400, 2.5 * HOUR, 2 * HOUR)
    assert window.checks[("switch", "ping")] == Tally(30 * 86400, 2.5 * HOUR)
    assert window.customer(config, "acme") == Tally(60 * 86400, 5.5 * HOUR, 2 * HOUR)


def test_a_rolled_up_day_is_final_when_the_config_changes_later(
    db: Database, tmp_path: Path
) -> None:
    seed(db)
    roll_up(db.writer, deployment(tmp_path), NOW)
    # A window over 10 June added afterwards changes raw numbers, not the rolled-up day.
    later = deployment(tmp_path, '\n[maintenance.late]\ndevices = ["router"]\n'
                                 'start = 2026-06-10T00:00:00\nend = 2026-06-11T00:00:00\n')
    start, end = datetime(2026, 6, 9, 21, tzinfo=UTC), datetime(2026, 6, 10, 21, tzinfo=UTC)
    # (the window is in UTC: 21 of the 24 hours of 10 June in Helsinki)
    with db.reader.connect() as connection:
        raw = measure_raw(connection, Inventory.of(later), ["acme"], start, end, NOW)
    assert raw["router"].tally == Tally(3 * HOUR, 0, 0, 2 * HOUR)
    assert measure_window(db.reader, later, start, end, NOW).devices["router"] == Tally(
        24 * HOUR, 2 * HOUR)


def test_retention_keeps_the_status_the_kept_history_starts_from(
    db: Database, tmp_path: Path
) -> None:
    config = deployment(tmp_path, "")
    seed(db)
    roll_up(db.writer, config, NOW)
    before = measure_window(db.reader, config, NOW - 7 * DAY, NOW, NOW)
    deleted = expire(db.writer, config.main.availability.model_copy(
        update={"keep_history_days": 5, "keep_rollups_days": 40}), NOW)
    assert deleted["state_change"] == 4  # per check, the two oldest
    with db.reader.connect() as connection:
        kept = connection.execute(select(func.count()).select_from(StateChange)).scalar_one()
        days = connection.execute(select(func.count()).select_from(AvailabilityRollup)
                                  ).scalar_one()
    assert kept == 6  # per check, the last change before the cut-off (recovery on 10 June) + 2
    assert days == 39
    after = measure_window(db.reader, config, NOW - 7 * DAY, NOW, NOW)
    assert after.devices == before.devices


def test_the_heartbeat_is_the_latest_of_any_bridge(db: Database) -> None:
    assert last_beat(db.reader) is None
    beat(db.writer, "a", NOW)
    beat(db.writer, "b", NOW - DAY)
    beat(db.writer, "a", NOW + DAY)  # an update, not a second row
    assert last_beat(db.reader) == NOW + DAY


def test_a_start_after_silence_records_it_as_a_monitoring_gap(db: Database) -> None:
    beat(db.writer, "bridge", NOW - timedelta(minutes=10))
    apply_batch(db.writer, [RecordGap(NOW - timedelta(minutes=20), None, "blind")], "INC", NOW)
    silence = record_silence(db.writer, "bridge", NOW)
    assert silence is not None
    assert (silence.started_at, silence.ended_at) == (NOW - timedelta(minutes=10), NOW)
    with db.reader.connect() as connection:
        # the gap it was in when it stopped ends where its heartbeat stopped
        assert load_gaps(connection, NOW - DAY, NOW, NOW) == [
            ((NOW - timedelta(minutes=20)).timestamp(), NOW.timestamp())]
    assert record_silence(db.writer, "bridge", NOW + timedelta(seconds=60)) is None
