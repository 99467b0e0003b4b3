"""Rolled-up days of availability, retention, and the heartbeat that dates the bridge's silence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, delete, func, tuple_
from sqlalchemy import select as core_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bridge.core.availability import Measured, Tally
from bridge.core.periods import LocalDay
from bridge.core.spans import Spans, epoch, moment, union
from bridge.store.models import (
    AvailabilityDay,
    AvailabilityOutage,
    AvailabilityRollup,
    Heartbeat,
    MaintenanceWindowRow,
    MonitoringGap,
    StateChange,
)

DEVICE = ""  # the probe column of a device's own row


def rolled_days(engine: Engine, start: datetime, end: datetime) -> dict[str, Spans]:
    """Per customer, the rolled-up days that lie wholly inside [start, end)."""
    with Session(engine) as session:
        rows = session.exec(select(AvailabilityRollup.customer, AvailabilityRollup.starts_at,
                                   AvailabilityRollup.ends_at).where(
            col(AvailabilityRollup.starts_at) >= start, col(AvailabilityRollup.ends_at) <= end,
        )).all()
    days: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for customer, began, ended in rows:
        days[customer].append((epoch(began), epoch(ended)))
    return {customer: union(spans) for customer, spans in days.items()}


def last_rolled(engine: Engine) -> dict[str, datetime]:
    """Per customer, where its rolled-up days end."""
    with Session(engine) as session:
        rows = session.exec(select(AvailabilityRollup.customer,
                                   func.max(AvailabilityRollup.ends_at))
                            .group_by(col(AvailabilityRollup.customer))).all()
    return {customer: ended for customer, ended in rows}


def sum_days(engine: Engine, start: datetime, end: datetime,
             checks: bool = False) -> dict[tuple[str, str], Tally]:
    """Rolled-up seconds per (device, probe) over the days wholly inside [start, end);
    device rows only (probe "") unless `checks`."""
    day = AvailabilityDay.__table__.c  # type: ignore[attr-defined]
    query = (core_select(day.device, day.probe, func.sum(day.counted_s), func.sum(day.down_s),
                    func.sum(day.parent_s), func.sum(day.maintenance_s))
             .where(day.starts_at >= start, day.ends_at <= end)
             .group_by(day.device, day.probe))
    if not checks:
        query = query.where(day.probe == DEVICE)
    with engine.connect() as connection:
        return {(d, p): Tally(c, s, ps, m) for d, p, c, s, ps, m in connection.execute(query)}


@dataclass(frozen=True)
class DayRow:
    """One rolled-up day of a device or check, as a report reads it."""

    device: str
    probe: str
    starts_at: datetime
    tally: Tally


def day_rows(engine: Engine, customer: str, start: datetime, end: datetime) -> list[DayRow]:
    """A customer's rolled-up rows of the days wholly inside [start, end)."""
    with Session(engine) as session:
        rows = session.exec(select(AvailabilityDay).where(
            AvailabilityDay.customer == customer, col(AvailabilityDay.starts_at) >= start,
            col(AvailabilityDay.ends_at) <= end)).all()
    return [DayRow(r.device, r.probe, r.starts_at,
                   Tally(r.counted_s, r.down_s, r.parent_s, r.maintenance_s)) for r in rows]


def outage_rows(engine: Engine, customer: str, start: datetime,
                end: datetime) -> list[AvailabilityOutage]:
    """A customer's outages as the rolled-up days inside [start, end) saw them."""
    with Session(engine) as session:
        return list(session.exec(select(AvailabilityOutage).where(
            AvailabilityOutage.customer == customer,
            col(AvailabilityOutage.day_starts_at) >= start,
            col(AvailabilityOutage.day_starts_at) < end)).all())


def save_day(engine: Engine, customer: str, day: LocalDay,
             measured: Mapping[str, Measured], now: datetime) -> None:
    """Store one rolled-up day of a customer, replacing what an earlier run stored."""
    days, outages = [], []
    for name, m in measured.items():
        if m.customer != customer:
            continue  # a parent of another customer, measured for attribution only
        for probe, tally in ((DEVICE, m.tally), *m.checks.items()):
            days.append(AvailabilityDay(customer=customer, device=name, probe=probe,
                                        starts_at=day.start, ends_at=day.end,
                                        counted_s=tally.counted_s, down_s=tally.down_s,
                                        parent_s=tally.parent_s,
                                        maintenance_s=tally.maintenance_s))
        outages += [AvailabilityOutage(
            customer=customer, device=name, cause=o.cause, root=o.root,
            started_at=moment(o.started), ended_at=moment(o.ended) if o.ended else None,
            day_starts_at=day.start, down_s=o.down_s, maintenance_s=o.maintenance_s,
            counted_begins=o.counted_begins, maintenance_begins=o.maintenance_begins,
        ) for o in m.outages]
    with Session(engine) as session, session.begin():
        session.execute(delete(AvailabilityDay).where(
            col(AvailabilityDay.customer) == customer, col(AvailabilityDay.starts_at) == day.start))
        session.execute(delete(AvailabilityOutage).where(
            col(AvailabilityOutage.customer) == customer,
            col(AvailabilityOutage.day_starts_at) == day.start))
        session.execute(delete(AvailabilityRollup).where(
            col(AvailabilityRollup.customer) == customer,
            col(AvailabilityRollup.starts_at) == day.start))
        session.add_all([*days, *outages, AvailabilityRollup(
            customer=customer, starts_at=day.start, ends_at=day.end, day=day.day,
            computed_at=now)])


def purge(engine: Engine, history_before: datetime, rollups_before: datetime) -> dict[str, int]:
    """Drop history and rollups past their retention; returns rows deleted per table.

    Each check keeps its last change before the cut-off: it is the status the kept history
    starts from.
    """
    sc = StateChange.__table__.c  # type: ignore[attr-defined]
    latest = (core_select(sc.device, sc.probe, func.max(sc.at).label("at"))
              .where(sc.at < history_before).group_by(sc.device, sc.probe))
    kept = core_select(sc.id).where(tuple_(sc.device, sc.probe, sc.at).in_(latest))
    deleted = {}
    with Session(engine) as session, session.begin():
        for name, statement in (
            ("state_change", delete(StateChange).where(
                col(StateChange.at) < history_before, col(StateChange.id).not_in(kept))),
            ("monitoring_gap", delete(MonitoringGap).where(
                col(MonitoringGap.ended_at) < history_before)),
            ("maintenance_window", delete(MaintenanceWindowRow).where(
                col(MaintenanceWindowRow.ends_at) < history_before)),
            ("availability_day", delete(AvailabilityDay).where(
                col(AvailabilityDay.ends_at) < rollups_before)),
            ("availability_outage", delete(AvailabilityOutage).where(
                col(AvailabilityOutage.day_starts_at) < rollups_before)),
            ("availability_rollup", delete(AvailabilityRollup).where(
                col(AvailabilityRollup.ends_at) < rollups_before)),
        ):
            deleted[name] = session.execute(statement).rowcount  # type: ignore[attr-defined]
    return deleted


def beat(engine: Engine, name: str, now: datetime) -> None:
    """Record that the bridge is monitoring now."""
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    statement = insert(Heartbeat).values(name=name, at=now)
    with Session(engine) as session, session.begin():
        session.execute(statement.on_conflict_do_update(index_elements=["name"],
                                                        set_={"at": statement.excluded.at}))


def last_beat(engine: Engine) -> datetime | None:
    """The latest heartbeat of any bridge sharing this store."""
    with Session(engine) as session:
        return session.exec(select(func.max(Heartbeat.at))).first()

