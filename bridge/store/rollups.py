"""Rolled-up days of availability in the store: what a window or a report reads of them, and
the one write that stores a day (with running totals on from the day before)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, insert
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bridge.core.availability import Measured, Tally
from bridge.core.outages import Cause
from bridge.core.periods import LocalDay
from bridge.core.spans import Spans, epoch, moment
from bridge.store.models import AvailabilityDay, AvailabilityOutage, AvailabilityRollup

DEVICE = ""  # the probe column of a device's own row


def rolled_days(connection: Connection, start: datetime, end: datetime) -> dict[str, Spans]:
    """Per customer, the rolled-up days that lie wholly inside [start, end), oldest first."""
    rollup = AvailabilityRollup.__table__.c  # type: ignore[attr-defined]
    rows = connection.execute(core_select(rollup.customer, rollup.starts_at, rollup.ends_at)
                              .where(rollup.starts_at >= start, rollup.ends_at <= end)).all()
    days: dict[str, Spans] = defaultdict(list)
    for customer, began, ended in rows:
        days[customer].append((epoch(began), epoch(ended)))
    return {customer: sorted(spans) for customer, spans in days.items()}


def rolled_until(connection: Connection, at: datetime,
                 customers: Collection[str]) -> dict[str, datetime]:
    """Per customer, the end of its last rolled-up day that ended by `at`."""
    rollup = AvailabilityRollup.__table__.c  # type: ignore[attr-defined]
    rows = connection.execute(core_select(rollup.customer, func.max(rollup.ends_at))
                              .where(rollup.ends_at <= at, rollup.customer.in_(list(customers)))
                              .group_by(rollup.customer)).all()
    return {customer: ended for customer, ended in rows}


def rollups_mark(connection: Connection) -> tuple[int, datetime | None]:
    """What changes whenever days are rolled up or expired: how many there are, and when
    the last were."""
    rollup = AvailabilityRollup.__table__.c  # type: ignore[attr-defined]
    count, latest = connection.execute(core_select(func.count(), func.max(rollup.computed_at))
                                       ).one()
    return int(count), latest


def last_rolled(connection: Connection) -> dict[str, datetime]:
    """Per customer, where its rolled-up days end."""
    rollup = AvailabilityRollup.__table__.c  # type: ignore[attr-defined]
    rows = connection.execute(core_select(rollup.customer, func.max(rollup.ends_at))
                              .group_by(rollup.customer)).all()
    return {customer: ended for customer, ended in rows}


Totals = dict[tuple[str, str, datetime], Tally]  # (device, probe, day end) -> running totals


def _totals(row: Any) -> Tally:
    return Tally(row.total_counted_s, row.total_down_s, row.total_parent_s,
                 row.total_maintenance_s)


def totals_at(connection: Connection, at: datetime,
              checks: bool = False) -> dict[tuple[str, str], Tally]:
    """Running totals of every device (and check, if asked) at the end of the rolled-up
    days ending at `at`, by (device, probe)."""
    day = AvailabilityDay.__table__.c  # type: ignore[attr-defined]
    query = core_select(day.device, day.probe, day.total_counted_s, day.total_down_s,
                        day.total_parent_s, day.total_maintenance_s).where(day.ends_at == at)
    if not checks:
        query = query.where(day.probe == DEVICE)
    return {(device, probe): Tally(counted, down, parent, maintenance)
            for device, probe, counted, down, parent, maintenance in connection.execute(query)}


def rolled_between(connection: Connection, customers: Collection[str], prior: datetime | None,
                   last: datetime, checks: bool = False) -> dict[tuple[str, str], Tally]:
    """The seconds of the customers' devices (and checks, if asked) in their rolled-up days
    from `prior` to `last`: running totals at `last` less those at `prior` (None: from
    their first day), by (device, probe), worked out by the database. Left out: a device
    or check without a row at either end (see `totals_before`)."""
    end = AvailabilityDay.__table__.alias("end_day")  # type: ignore[attr-defined]
    names = ("total_counted_s", "total_down_s", "total_parent_s", "total_maintenance_s")
    if prior is None:
        query = core_select(end.c.device, end.c.probe, *(end.c[n] for n in names))
    else:
        start = AvailabilityDay.__table__.alias("start_day")  # type: ignore[attr-defined]
        query = core_select(end.c.device, end.c.probe,
                            *(end.c[n] - start.c[n] for n in names)).select_from(end.join(
                                start, and_(start.c.device == end.c.device,
                                            start.c.probe == end.c.probe,
                                            start.c.ends_at == prior)))
    query = query.where(end.c.ends_at == last, end.c.customer.in_(list(customers)))
    if not checks:
        query = query.where(end.c.probe == DEVICE)
    return {(device, probe): Tally(counted, down, parent, maintenance)
            for device, probe, counted, down, parent, maintenance in connection.execute(query)}


def totals_before(connection: Connection,
                  wanted: Collection[tuple[str, str, datetime]]) -> Totals:
    """For each (device, probe, instant), the running totals of its last rolled-up day that
    ended by then (none: nothing rolled up before). For the few a day's rows lack."""
    day = AvailabilityDay.__table__.c  # type: ignore[attr-defined]
    found: Totals = {}
    for device, probe, at in wanted:
        row = connection.execute(
            core_select(day.total_counted_s, day.total_down_s, day.total_parent_s,
                        day.total_maintenance_s)
            .where(day.device == device, day.probe == probe, day.ends_at <= at)
            .order_by(day.ends_at.desc()).limit(1)).first()
        if row is not None:
            found[(device, probe, at)] = _totals(row)
    return found


@dataclass(frozen=True)
class DayRow:
    """One rolled-up day of a device or check, as a report reads it."""

    device: str
    probe: str
    starts_at: datetime
    tally: Tally


def day_rows(connection: Connection, customer: str, start: datetime,
             end: datetime) -> list[DayRow]:
    """A customer's rolled-up rows of the days wholly inside [start, end)."""
    with Session(bind=connection) as session:
        rows = session.exec(select(AvailabilityDay).where(
            AvailabilityDay.customer == customer, col(AvailabilityDay.starts_at) >= start,
            col(AvailabilityDay.ends_at) <= end)).all()
    return [DayRow(r.device, r.probe, r.starts_at,
                   Tally(r.counted_s, r.down_s, r.parent_s, r.maintenance_s)) for r in rows]


@dataclass(frozen=True)
class OutageRow:
    """A device's outage as one rolled-up day saw it."""

    device: str
    cause: Cause
    root: str | None
    started_at: datetime
    ended_at: datetime | None
    down_s: float
    maintenance_s: float
    counted_begins: bool
    maintenance_begins: bool


def outage_rows(connection: Connection, customer: str, start: datetime,
                end: datetime) -> list[OutageRow]:
    """A customer's outages as the rolled-up days inside [start, end) saw them."""
    with Session(bind=connection) as session:
        rows = session.exec(select(AvailabilityOutage).where(
            AvailabilityOutage.customer == customer,
            col(AvailabilityOutage.day_starts_at) >= start,
            col(AvailabilityOutage.day_starts_at) < end)).all()
    return [OutageRow(r.device, r.cause, r.root, r.started_at, r.ended_at, r.down_s,
                      r.maintenance_s, r.counted_begins, r.maintenance_begins) for r in rows]


def save_days(engine: Engine, customers: Collection[str], day: LocalDay,
              measured: Mapping[str, Measured], now: datetime) -> None:
    """Store one rolled-up day of the customers (every device and check, with running
    totals on from the day before), replacing what an earlier run stored."""
    at = {"starts_at": day.start, "ends_at": day.end}
    own = {name: m for name, m in measured.items() if m.customer in customers}
    keys = [(name, probe) for name, m in own.items() for probe in (DEVICE, *m.checks)]
    outages = [{
        "customer": m.customer, "device": name, "cause": o.cause, "root": o.root,
        "started_at": moment(o.started), "ended_at": moment(o.ended) if o.ended else None,
        "day_starts_at": day.start, "down_s": o.down_s, "maintenance_s": o.maintenance_s,
        "counted_begins": o.counted_begins, "maintenance_begins": o.maintenance_begins,
    } for name, m in own.items() for o in m.outages]
    marks = [{"customer": c, **at, "day": day.day, "computed_at": now} for c in customers]
    wanted = list(customers)
    with engine.begin() as connection:
        for table, column in ((AvailabilityDay, AvailabilityDay.starts_at),
                              (AvailabilityOutage, AvailabilityOutage.day_starts_at),
                              (AvailabilityRollup, AvailabilityRollup.starts_at)):
            connection.execute(delete(table).where(
                col(table.customer).in_(wanted), col(column) == day.start))
        before: dict[tuple[str, str], Tally] = {}
        if rolled_until(connection, day.start, wanted):  # else nothing runs on before it
            before = totals_at(connection, day.start, checks=True)
            # A device new to the day (or back after a while) continues its own totals.
            missing = [(d, p, day.start) for d, p in keys if (d, p) not in before]
            before.update({(d, p): tally for (d, p, _), tally
                           in totals_before(connection, missing).items()})
        days = []
        for name, probe in keys:
            m = own[name]
            tally = m.tally if probe == DEVICE else m.checks[probe]
            total = before.get((name, probe), Tally()) + tally
            days.append({"customer": m.customer, "device": name, "probe": probe, **at,
                         "counted_s": tally.counted_s, "down_s": tally.down_s,
                         "parent_s": tally.parent_s, "maintenance_s": tally.maintenance_s,
                         "total_counted_s": total.counted_s, "total_down_s": total.down_s,
                         "total_parent_s": total.parent_s,
                         "total_maintenance_s": total.maintenance_s})
        for table, rows in ((AvailabilityDay, days), (AvailabilityOutage, outages),
                            (AvailabilityRollup, marks)):
            if rows:
                connection.execute(insert(table), rows)
