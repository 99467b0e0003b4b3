"""The portal's ticket lists: a customer's tickets (open first, then the most recent) and
the desk's queue of open tickets with its filters and counts."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, case, or_
from sqlmodel import Session, col, select

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
    still_open = case((col(Incident.status).in_(tuple(ACTIVE)), 0), else_=1)
    with Session(engine) as session:
        rows = session.exec(
            select(Incident).where(Incident.customer == customer)
            .order_by(still_open, col(Incident.opened_at).desc(), col(Incident.id).desc())
            .limit(limit)).all()
        return [incident_dict(r) for r in rows]


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def open_queue(engine: Engine, flt: QueueFilter,
               limit: int = 5000) -> tuple[list[dict[str, Any]], Counter[str]]:
    """The open tickets the filter lets through (unsorted: the portal orders them by the
    SLA time left) and the counts of every open ticket by priority."""
    conditions: list[Any] = [col(Incident.status).in_(
        (flt.status,) if flt.status is not None else tuple(ACTIVE))]
    for column, value in ((Incident.customer, flt.customer), (Incident.priority, flt.priority),
                          (Incident.tier, flt.tier), (Incident.assignee, flt.assignee),
                          (Incident.device, flt.device)):
        if value is not None and value != "":
            conditions.append(col(column) == value)
    if flt.text:
        pattern = _like(flt.text)
        conditions.append(or_(col(Incident.ref).ilike(pattern, escape="\\"),
                              col(Incident.device).ilike(pattern, escape="\\"),
                              col(Incident.summary).ilike(pattern, escape="\\")))
    with Session(engine) as session:
        rows = session.exec(select(Incident).where(*conditions).limit(limit)).all()
        every = session.exec(select(Incident.priority).where(
            col(Incident.status).in_(tuple(ACTIVE)))).all()
        return [incident_dict(r) for r in rows], Counter(str(p) for p in every)
