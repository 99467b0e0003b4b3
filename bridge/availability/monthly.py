"""A customer's month: availability per device against the contract, outages and their causes.

Rolled-up days are read as stored; the days not rolled up yet (the current month's last
ones) are measured from raw history the same way. The result is the report's JSON shape,
which the API serves and every format (table, CSV, HTML) is rendered from.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bridge.availability.inputs import LOOKBACK, Inventory
from bridge.availability.month_data import MonthData
from bridge.availability.raw import load_raw, measure_loaded
from bridge.availability.summary import summarize
from bridge.availability.tickets import ticket_section
from bridge.config.model import Config
from bridge.core.periods import LocalDay, local_days, month_bounds, parse_month
from bridge.core.spans import epoch, moment
from bridge.store import Connection, Engine
from bridge.store.rollups import DEVICE, day_rows, outage_rows, rolled_days


class ReportError(ValueError):
    """A report that cannot be made, worded for the user (unknown customer, future month)."""


def month_report(engine: Engine, config: Config, customer: str, month: str,
                 now: datetime) -> dict[str, Any]:
    """The report of a customer's month (up to `now` for the current month)."""
    if customer not in config.customers:
        raise ReportError(f"no customer {customer!r}")
    try:
        year, number = parse_month(month)
    except ValueError as exc:
        raise ReportError(str(exc)) from None
    zone = ZoneInfo(config.customers[customer].timezone)
    start, end = month_bounds(year, number, zone)
    if start >= now:
        raise ReportError(f"{month} has not begun in {zone.key}")
    until = min(end, now)
    data = MonthData()
    with engine.connect() as connection:
        rolled = rolled_days(connection, start, end).get(customer, [])
        days = local_days(zone, start, until)
        _read_rolled(connection, customer, start, end, {d.start: d for d in days}, data)
        rest = [d for d in days if not any(a <= epoch(d.start) and epoch(d.end) <= b
                                           for a, b in rolled)]
        _measure_rest(connection, Inventory.of(config), customer, rest, until, now, data)
        tickets = ticket_section(connection, config, customer, start, until)
    return summarize(config, customer, month, (start, end, until), data, tickets, now)


def _read_rolled(connection: Connection, customer: str, start: datetime, end: datetime,
                 days: dict[datetime, LocalDay], data: MonthData) -> None:
    for row in day_rows(connection, customer, start, end):
        day = days.get(row.starts_at)
        if day is not None:
            data.add(day, row.device, row.probe, row.tally)
    for o in outage_rows(connection, customer, start, end):
        data.see(o.device, o.cause, o.root, o.started_at, o.ended_at, o.down_s,
                 o.maintenance_s, o.counted_begins, o.maintenance_begins)


def _measure_rest(connection: Connection, inventory: Inventory, customer: str,
                  days: list[LocalDay], until: datetime, now: datetime,
                  data: MonthData) -> None:
    """The days not rolled up yet, from raw history read once."""
    if not days:
        return
    ahead = min(until + timedelta(seconds=inventory.recheck_s), max(now, until))
    raw = load_raw(connection, inventory, inventory.measured_for([customer]),
                   days[0].start - LOOKBACK, ahead, now)
    for day in days:
        measured = measure_loaded(inventory, raw, [customer], day.start, min(day.end, until),
                                  LOOKBACK)
        for name, m in measured.items():
            if m.customer != customer:
                continue
            data.add(day, name, DEVICE, m.tally)
            for probe, tally in m.checks.items():
                data.add(day, name, probe, tally)
            for o in m.outages:
                data.see(name, o.cause, o.root, moment(o.started),
                         moment(o.ended) if o.ended is not None else None, o.down_s,
                         o.maintenance_s, o.counted_begins, o.maintenance_begins)
