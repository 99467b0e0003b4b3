"""Raw history for availability: hard state changes, monitoring gaps, API maintenance windows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import datetime

from sqlalchemy import Connection, String, and_, func, or_, type_coerce
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bridge.core.outages import StatusChange
from bridge.core.spans import Spans, epoch, union
from bridge.core.state import Status
from bridge.store.models import CheckStateRow, MaintenanceWindowRow, MonitoringGap, StateChange
from bridge.store.types import stored_epoch

# device -> probe -> hard changes, oldest first, as epoch seconds
History = dict[str, dict[str, list[StatusChange]]]


def load_history(connection: Connection, start: datetime, end: datetime,
                 devices: Collection[str] | None = None, changed_only: bool = False) -> History:
    """Hard changes in [start, end) and, per check, the last one before `start` (its status
    when the period began). `devices` narrows the read; None reads every device.
    `changed_only` leaves out the checks up since `start` or before (see `up_since`).

    The status at `start` is one index seek per check (driven by check_state), so the cost
    does not grow with the history kept.
    """
    sc = StateChange.__table__.c  # type: ignore[attr-defined]
    cs = CheckStateRow.__table__.c  # type: ignore[attr-defined]
    earlier = StateChange.__table__.alias("earlier")  # type: ignore[attr-defined]
    latest_id = (core_select(earlier.c.id)
                 .where(earlier.c.device == cs.device, earlier.c.probe == cs.probe,
                        earlier.c.at < start)
                 .order_by(earlier.c.at.desc(), earlier.c.id.desc()).limit(1)
                 .scalar_subquery())
    openings = core_select(latest_id).select_from(cs.device.table)
    # Instants as stored (not through UTCDateTime): tens of thousands of rows are read.
    columns = (sc.device, sc.probe, type_coerce(sc.at, String), sc.new_status)
    recent = core_select(*columns).where(sc.at >= start, sc.at < end).order_by(sc.at, sc.id)
    if changed_only:
        openings = openings.where(~and_(cs.hard_status == Status.UP, cs.hard_since <= start))
    if devices is not None:
        openings = openings.where(cs.device.in_(list(devices)))
        recent = recent.where(sc.device.in_(list(devices)))
    history: History = defaultdict(lambda: defaultdict(list))
    # every opening is before `start` and every recent change after it: no sorting needed
    for query in (core_select(*columns).where(sc.id.in_(openings)), recent):
        for device, probe, at, status in connection.execute(query):
            history[device][probe].append((stored_epoch(at), status))
    return {device: dict(checks) for device, checks in history.items()}


Change = tuple[str, str, float, Status]  # device, probe, epoch seconds, the new hard status


def changes_between(connection: Connection, start: datetime, end: datetime) -> list[Change]:
    """Every hard change in [start, end), in the order they happened."""
    sc = StateChange.__table__.c  # type: ignore[attr-defined]
    query = (core_select(sc.device, sc.probe, type_coerce(sc.at, String), sc.new_status)
             .where(sc.at >= start, sc.at < end).order_by(sc.at, sc.id))
    return [(device, probe, stored_epoch(at), status)
            for device, probe, at, status in connection.execute(query)]


def count_changes(connection: Connection, start: datetime, end: datetime) -> int:
    """How many hard changes are stored in [start, end)."""
    sc = StateChange.__table__.c  # type: ignore[attr-defined]
    query = core_select(func.count()).select_from(sc.id.table).where(sc.at >= start,
                                                                      sc.at < end)
    return int(connection.execute(query).scalar_one())


def first_changes(connection: Connection, customers: Collection[str]) -> dict[str, datetime]:
    """Per customer, its oldest kept hard change (where its first rolled-up day is)."""
    if not customers:
        return {}
    sc = StateChange.__table__.c  # type: ignore[attr-defined]
    query = (core_select(sc.customer, func.min(sc.at)).where(sc.customer.in_(list(customers)))
             .group_by(sc.customer))
    return {customer: at for customer, at in connection.execute(query)}


def up_since(connection: Connection, at: datetime) -> set[tuple[str, str]]:
    """Checks hard up since `at` or before, and still: their history need not be read."""
    cs = CheckStateRow.__table__.c  # type: ignore[attr-defined]
    query = core_select(cs.device, cs.probe).where(cs.hard_status == Status.UP,
                                                    cs.hard_since <= at)
    return {(device, probe) for device, probe in connection.execute(query)}


def load_gaps(connection: Connection, start: datetime, end: datetime, now: datetime) -> Spans:
    """Monitoring gaps overlapping [start, end); one still open lasts until `now`."""
    gap = MonitoringGap.__table__.c  # type: ignore[attr-defined]
    rows = connection.execute(core_select(gap.started_at, gap.ended_at).where(
        gap.started_at < end, or_(gap.ended_at.is_(None), gap.ended_at > start))).all()
    return union((epoch(began), epoch(ended or now)) for began, ended in rows)


def load_windows(connection: Connection, start: datetime,
                 end: datetime) -> list[MaintenanceWindowRow]:
    """API maintenance windows overlapping [start, end), ended ones too."""
    with Session(bind=connection) as session:
        return list(session.exec(select(MaintenanceWindowRow).where(
            col(MaintenanceWindowRow.starts_at) < end, col(MaintenanceWindowRow.ends_at) > start,
        )).all())


