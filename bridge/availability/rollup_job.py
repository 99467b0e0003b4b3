"""The rollup job: which closed local days are due, measured in batches from raw history and
handed to the store (store/rollups.py keeps them); and dropping what is past its retention.

A customer's local day is rolled up once it ended `rollup_delay_s` ago: its seconds and
outages are measured from raw history (looking back a week for where outages began) and
stored, and are final from then on. Later edits to the config do not rewrite them, so a
maintenance window added today does not change last month's availability.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bridge.availability.inputs import LOOKBACK, Inventory
from bridge.availability.raw import load_raw, measure_loaded
from bridge.config.main_file import AvailabilitySection
from bridge.config.model import Config
from bridge.core.availability import Measured
from bridge.core.periods import LocalDay, local_day
from bridge.store import Engine
from bridge.store.history import first_changes
from bridge.store.retention import purge
from bridge.store.rollups import last_rolled, save_days

MAX_DAYS_PER_RUN = 62  # a long catch-up is spread over several runs
BATCH_DAYS = 7  # consecutive days measured from one history read


@dataclass(frozen=True)
class DayToRoll:
    """One local day to roll up, for every customer in that time zone that needs it."""

    day: LocalDay
    customers: tuple[str, ...]


def days_to_roll(config: Config, last: Mapping[str, datetime], first: Mapping[str, datetime],
                 now: datetime, settings: AvailabilitySection) -> list[DayToRoll]:
    """The closed days each customer has not rolled up, oldest first, customers of one
    time zone together."""
    oldest = now - timedelta(days=settings.keep_rollups_days)
    closed_before = now - timedelta(seconds=settings.rollup_delay_s)
    found: dict[tuple[datetime, datetime], list[str]] = defaultdict(list)
    days: dict[tuple[datetime, datetime], LocalDay] = {}
    for name, customer in sorted(config.customers.items()):
        begin = last.get(name) or first.get(name)
        if begin is None:
            continue
        begin = max(begin, oldest)
        zone = ZoneInfo(customer.timezone)
        day = local_day(begin.astimezone(zone).date(), zone)
        if day.start < begin:  # the first day is partly rolled up or partly unknown: skip it
            day = local_day(day.day + timedelta(days=1), zone)
        for _ in range(MAX_DAYS_PER_RUN):
            if day.end > closed_before:
                break
            key = (day.start, day.end)
            days[key] = day
            found[key].append(name)
            day = local_day(day.day + timedelta(days=1), zone)
    return [DayToRoll(days[key], tuple(found[key])) for key in sorted(found)]


def plan(engine: Engine, config: Config, now: datetime) -> list[DayToRoll]:
    """What the next rollup run does (reads only)."""
    with engine.connect() as connection:
        last = last_rolled(connection)
        first = first_changes(connection, [c for c in config.customers if c not in last])
    return days_to_roll(config, last, first, now, config.main.availability)


def batches(items: list[DayToRoll], size: int = BATCH_DAYS) -> list[list[DayToRoll]]:
    """Consecutive days of the same customers together: one history read serves them all
    (each day looks back a week, so separate reads would read most history again)."""
    out: list[list[DayToRoll]] = []
    for item in sorted(items, key=lambda i: (i.customers, i.day.start)):
        last = out[-1][-1] if out else None
        if (last is not None and last.customers == item.customers
                and last.day.end == item.day.start and len(out[-1]) < size):
            out[-1].append(item)
        else:
            out.append([item])
    return sorted(out, key=lambda batch: batch[0].day.start)


def measure_days(engine: Engine, inventory: Inventory, batch: list[DayToRoll],
                 now: datetime) -> list[dict[str, Measured]]:
    """Consecutive days of the same customers, measured from one raw read (reads only)."""
    customers = batch[0].customers
    with engine.connect() as connection:
        last = batch[-1].day.end  # and a check interval on: see measure_loaded
        raw = load_raw(connection, inventory, inventory.measured_for(customers),
                       batch[0].day.start - LOOKBACK,
                       min(last + timedelta(seconds=inventory.recheck_s), max(now, last)), now)
    return [measure_loaded(inventory, raw, customers, item.day.start, item.day.end, LOOKBACK)
            for item in batch]


def store_day(engine: Engine, item: DayToRoll, measured: Mapping[str, Measured],
              now: datetime) -> None:
    """Write one measured day of its customers, in one transaction."""
    save_days(engine, item.customers, item.day, measured, now)


def expire(engine: Engine, settings: AvailabilitySection, now: datetime) -> dict[str, int]:
    """Drop raw history and rolled-up days past their retention."""
    return purge(engine, now - timedelta(days=settings.keep_history_days),
                 now - timedelta(days=settings.keep_rollups_days))


def roll_up(engine: Engine, config: Config, now: datetime) -> int:
    """Plan, measure and store every due day on one engine (tools, tests, benchmarks; the
    daemon measures on its readers and writes on its writer). Returns the days stored."""
    items = plan(engine, config, now)
    inventory = Inventory.of(config)
    for batch in batches(items):
        for item, measured in zip(batch, measure_days(engine, inventory, batch, now),
                                  strict=True):
            store_day(engine, item, measured, now)
    return len(items)
