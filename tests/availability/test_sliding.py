"""The daemon's rolling windows, moved minute by minute, are what a computation from scratch
gives: on a real store, over an evening in which outages cross the windows' edges, a parent
of another customer fails, maintenance windows (the config's, recurring, and the API's)
and a monitoring gap come and go, contract hours begin and end, a day is rolled up, and a
change arrives dated back into time already settled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bridge.availability.inputs import Inventory
from bridge.availability.rollup_job import roll_up
from bridge.availability.sliding import SlidingWindows
from bridge.availability.windows import WindowTallies, measure_window, rolling_windows
from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.decisions import RecordGap
from bridge.core.periods import ROLLING_WINDOWS
from bridge.core.state import Status
from bridge.store import Database
from bridge.store.decisions import apply_batch
from bridge.store.maintenance import add_window
from bridge.store.models import MaintenanceWindowRow
from tests.kits.engine import build_config, device
from tests.kits.history import record

UP, DOWN = Status.UP, Status.DOWN
START = datetime(2026, 6, 19, 19, 0, tzinfo=UTC)  # Friday 22:00 in Helsinki
STEP = timedelta(minutes=5)
STEPS = 66  # to Saturday 00:30 UTC: Helsinki's Friday ends and is rolled up on the way
# When a maintenance window is entered after the fact, a change arrives dated back 40
# minutes, and a silence is found half an hour late: all in time already settled.
LATE = (datetime(2026, 6, 19, 22, 35, tzinfo=UTC), datetime(2026, 6, 19, 23, 0, tzinfo=UTC),
        datetime(2026, 6, 19, 23, 30, tzinfo=UTC))


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def deployment(tmp_path: Path) -> Config:
    # acme counts weekday hours until 23:30 in Helsinki; globex (New York) counts all day,
    # and its web server is reached through acme's router.
    return build_config(
        tmp_path, device("router") + device("switch", parents=["router"])
        + device("web", customer="globex", parents=["router"]) + device("db", customer="globex"),
        extra='\n[customers.acme.contract]\ncalendar = "evenings"\n'
              '\n[calendars.evenings]\ntimezone = "Europe/Helsinki"\n'
              'weekly = ["mon-fri 08:00-23:30", "sat 10:00-14:00"]\n'
              '\n[customers.globex]\nname = "Globex"\ntimezone = "America/New_York"\n'
              '\n[maintenance.swap]\ndevices = ["switch"]\ntimezone = "UTC"\n'
              'start = 2026-06-12T19:00:00\nend = 2026-06-12T20:00:00\n'
              '\n[maintenance.fridays]\ndevices = ["switch"]\ntimezone = "Europe/Helsinki"\n'
              'weekly = ["fri 23:00"]\nduration_min = 60\n')


def seed(db: Database) -> None:
    """40 days of history, with outages where the windows' starts pass this evening: 30 and
    7 days back across Helsinki's midnight, yesterday, and an hour back."""
    router = [("2026-05-10 00:00", UP), ("2026-05-20 20:30", DOWN), ("2026-05-20 21:30", UP),
              ("2026-06-12 19:30", DOWN), ("2026-06-12 20:10", UP),
              ("2026-06-18 18:00", DOWN), ("2026-06-18 18:40", UP),
              ("2026-06-18 21:55", DOWN), ("2026-06-18 22:20", UP),
              ("2026-06-19 18:20", DOWN), ("2026-06-19 18:50", UP)]
    behind = [(at, status) for at, status in router] + [
        ("2026-06-18 23:00", DOWN), ("2026-06-18 23:30", UP)]  # and once on its own
    db_changes = [("2026-05-10 00:00", UP), ("2026-05-20 22:00", DOWN),
                  ("2026-05-20 23:00", UP), ("2026-06-18 19:50", DOWN), ("2026-06-18 20:30", UP)]
    # Yesterday at 19:05 the web server failed its check 5 s before the router did (its
    # parent's failure counts from a check interval before): the 1-day window's start
    # passes there in the middle of a slice.
    router += [("2026-06-18 19:05:03", DOWN), ("2026-06-18 19:30", UP)]
    web = [*behind[:-2], ("2026-06-18 19:04:58", DOWN), ("2026-06-18 19:30:05", UP)]
    for customer, name, changes in (("acme", "router", router), ("acme", "switch", behind),
                                    ("globex", "web", web), ("globex", "db", db_changes)):
        ordered = sorted((utc(at) + timedelta(seconds=5 if len(at) == 16 and name != "router"
                                                     else 0), status)
                         for at, status in changes)
        record(db, customer, name, ordered)
    apply_batch(db.writer, [RecordGap(utc("2026-06-18 20:00"), None, "blind")], "INC", START)
    apply_batch(db.writer, [RecordGap(utc("2026-06-18 20:00"), utc("2026-06-18 20:15"), "")],
                "INC", START)


# What happens during the evening, in the order it reaches the store: (when it is written,
# what). Hard changes are dated back to their first failed check or first success.
EVENTS: list[tuple[str, str, tuple[object, ...]]] = [
    ("2026-06-19 20:06", "change", ("acme", "router", "2026-06-19 20:05:10", DOWN)),
    ("2026-06-19 20:06", "change", ("acme", "switch", "2026-06-19 20:05:20", DOWN)),
    ("2026-06-19 20:07", "change", ("globex", "web", "2026-06-19 20:05:30", DOWN)),
    # The web server reads down until its next check, 7 s after the router came back: the
    # router's outage still, though a slice's edge passes in between.
    ("2026-06-19 20:46", "change", ("acme", "router", "2026-06-19 20:44:58", UP)),
    ("2026-06-19 20:46", "change", ("acme", "switch", "2026-06-19 20:45:10", UP)),
    ("2026-06-19 20:46", "change", ("globex", "web", "2026-06-19 20:45:05", UP)),
    ("2026-06-19 21:01", "change", ("globex", "db", "2026-06-19 21:00:00", DOWN)),
    ("2026-06-19 21:20", "window", ("db", "2026-06-19 21:30", "2026-06-19 22:00")),
    ("2026-06-19 22:31", "change", ("globex", "db", "2026-06-19 22:30:00", UP)),
    ("2026-06-19 22:32", "window", ("db", "2026-06-19 21:00", "2026-06-19 21:10")),  # after it
    ("2026-06-19 22:40", "gap", ("2026-06-19 22:40", None)),
    ("2026-06-19 22:51", "gap", ("2026-06-19 22:40", "2026-06-19 22:50")),
    ("2026-06-19 23:00", "change", ("globex", "web", "2026-06-19 22:20:00", DOWN)),
    ("2026-06-19 23:00", "change", ("globex", "web", "2026-06-19 22:25:00", UP)),
    ("2026-06-19 23:30", "silence", ("2026-06-19 22:55", "2026-06-19 23:05")),
]


def happen(db: Database, kind: str, what: tuple[object, ...], now: datetime) -> None:
    if kind == "change":
        customer, name, at, status = what
        assert isinstance(status, Status)
        record(db, str(customer), str(name), [(utc(str(at)), status)])
    elif kind == "window":
        name, begins, ends = what
        add_window(db.writer, MaintenanceWindowRow(
            devices=[str(name)], starts_at=utc(str(begins)), ends_at=utc(str(ends)),
            reason="disk swap", created_by="ops", created_at=now))
    else:  # a gap opened or ended, or a silence found afterwards (opened and ended)
        began, ended = what
        gap = RecordGap(utc(str(began)), None if ended is None else utc(str(ended)), "blind")
        opened = [RecordGap(gap.started_at, None, "silent")] if kind == "silence" else []
        apply_batch(db.writer, [*opened, gap], "INC", now)


def assert_same(got: dict[str, WindowTallies], want: dict[str, WindowTallies]) -> None:
    assert got.keys() == want.keys()
    for label, window in want.items():
        assert (got[label].start, got[label].end) == (window.start, window.end)
        assert got[label].devices.keys() == window.devices.keys()
        assert dict(got[label].checks).keys() == window.checks.keys()
        for name, tally in window.devices.items():
            assert seconds(got[label].devices[name]) == pytest.approx(seconds(tally), abs=1e-6), (
                label, name)
        for key, tally in window.checks.items():
            assert seconds(got[label].checks[key]) == pytest.approx(seconds(tally), abs=1e-6), (
                label, key)


def seconds(tally: Tally) -> tuple[float, float, float, float]:
    return tally.counted_s, tally.down_s, tally.parent_s, tally.maintenance_s


def test_windows_moved_by_their_edges_equal_windows_computed_from_scratch(
    db: Database, tmp_path: Path
) -> None:
    config = deployment(tmp_path)
    inventory = Inventory.of(config)
    seed(db)
    windows = SlidingWindows(inventory)
    pending = list(EVENTS)
    busy = 0.0
    for step in range(STEPS + 1):
        now = START + step * STEP
        while pending and utc(pending[0][0]) <= now:
            _, kind, what = pending.pop(0)
            happen(db, kind, what, now)
        roll_up(db.writer, config, now)  # as the daemon does every few minutes
        before = windows.computed_from_scratch
        got = windows.refresh(db.reader, now)
        if now in LATE:  # what changed in settled time is not missed
            assert windows.computed_from_scratch == before + 1
        together = rolling_windows(db.reader, config, now, True, inventory)
        assert_same(got, together)
        if step % 3 == 0:  # measured together, the windows are what each is alone
            assert_same(together, {label: measure_window(db.reader, config, now - span, now,
                                                         now, checks=True, inventory=inventory)
                                   for label, span in ROLLING_WINDOWS.items()})
        busy = max(busy, got["1h"].devices["db"].down_s)
    assert not pending
    assert busy > 0  # the evening's outages are in the windows compared
    # Most refreshes moved the edges: from scratch only at the start, for the day rolled
    # up, when a window's start reached its first rolled-up day, and for the late news.
    assert windows.computed_from_scratch <= STEPS // 4


def test_a_window_beginning_before_a_childs_next_check_counts_its_parents_outage(
    db: Database, tmp_path: Path
) -> None:
    # The router is back at 20:44:58, the web server behind it reads down until its next
    # check at 20:45:05: a window from 20:45 sees 5 s of the router's outage, not the web
    # server's own.
    config = deployment(tmp_path)
    seed(db)
    now = utc("2026-06-19 23:00")
    for _, kind, what in EVENTS[:6]:
        happen(db, kind, what, now)
    window = measure_window(db.reader, config, utc("2026-06-19 20:45"),
                            utc("2026-06-19 21:45"), now, checks=False)
    assert seconds(window.devices["web"]) == (3600.0, 5.0, 5.0, 0.0)
