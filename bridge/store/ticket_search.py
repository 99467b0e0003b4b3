"""The portal's ticket lists: a customer's tickets (open first, then the most recent) and
the desk's queue of open tickets with its filters and counts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, case, func, or_
from sqlalchemy import select as core_select

from bridge.core.lifecycle import ACTIVE, IncidentStatus
from bridge.core.priority import Priority
from bridge.store.models import Incident
from bridge.store.reads import incident_dict


@dataclass(frozen=True)
class QueueFilter:
    """What the queue may be narrowed by; None (or "") is any."""

    customer: str | None = None
    priority: Priority | None = None
    tier: int | None = None
    status: IncidentStatus | None = None
    assignee: str | None = None
    device: str | None = None
    text: str = ""  # in the ID, device or summary


def customer_tickets(engine: Engine, customer: str, limit: int = 500) -> list[dict[str, Any]]:
    """A customer's tickets: the open ones first, then by when they opened, newest first."""
    t = Incident.__table__.c  # type: ignore[attr-defined]
    still_open = case((t.status.in_(tuple(ACTIVE)), 0), else_=1)
    query = (core_select(t.id.table).where(t.customer == customer)
             .order_by(still_open, t.opened_at.desc(), t.id.desc()).limit(limit))
    with engine.connect() as connection:
        return [incident_dict(r) for r in connection.execute(query)]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass(frozen=True)
class QueueTicket:
    """One row of the desk's queue: what the page shows, and the SLA deadlines it orders by."""

    ref: str
    customer: str
    priority: Priority
    tier: int
    status: IncidentStatus
    assignee: str
    device: str | None
    summary: str
    assigned_at: datetime | None
    reaction_due_at: datetime | None
    resolution_due_at: datetime | None


@dataclass(frozen=True)
class Queue:
    """The most urgent open tickets the filter lets through, how many it lets through in
    all, and every open ticket counted by priority (whatever the filter)."""

    tickets: list[QueueTicket]
    matching: int
    counts: dict[Priority, int]


def _queue_conditions(flt: QueueFilter) -> list[ColumnElement[bool]]:
    t = Incident.__table__.c  # type: ignore[attr-defined]
    conditions: list[ColumnElement[bool]] = [t.status.in_(
        (flt.status,) if flt.status is not None else tuple(ACTIVE))]
    for column, value in ((t.customer, flt.customer), (t.priority, flt.priority),
                          (t.tier, flt.tier), (t.assignee, flt.assignee),
                          (t.device, flt.device)):
        if value is not None and value != "":
            conditions.append(column == value)
    if flt.text:
        pattern = _like(flt.text)
        conditions.append(or_(t.ref.ilike(pattern, escape="\\"),
                              t.device.ilike(pattern, escape="\\"),
                              t.summary.ilike(pattern, escape="\\")))
    return conditions


def open_queue(engine: Engine, flt: QueueFilter, rows: int) -> Queue:
    """The `rows` most urgent open tickets the filter lets through: by priority, then by the
    next SLA deadline (none last). Only the shown columns are read, without ORM objects: the
    queue is read every few seconds by every operator's page."""
    t = Incident.__table__.c  # type: ignore[attr-defined]
    conditions = _queue_conditions(flt)
    # The deadline the ticket runs against now, as core.ticket_clocks.next_due_at picks it:
    # the database orders by it so that only the shown rows leave it.
    due = case((t.assigned_at.is_(None), t.reaction_due_at), else_=t.resolution_due_at)
    shown = (core_select(t.ref, t.customer, t.priority, t.tier, t.status, t.assignee, t.device,
                         t.summary, t.assigned_at, t.reaction_due_at, t.resolution_due_at)
             .where(*conditions).order_by(t.priority, due.is_(None), due, t.id).limit(rows))
    matching = core_select(func.count()).select_from(t.id.table).where(*conditions)
    by_priority = (core_select(t.priority, func.count()).where(t.status.in_(tuple(ACTIVE)))
                   .group_by(t.priority))
    with engine.connect() as connection:
        tickets = [QueueTicket(*row) for row in connection.execute(shown)]
        total = int(connection.execute(matching).scalar_one())
        counts = {Priority(p): int(n) for p, n in connection.execute(by_priority)}
    return Queue(tickets, total, counts)
