"""A customer's tickets as the monthly report reads them: each with its clock facts and the
breaches the desk recorded, three queries however many tickets the month holds."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection
from sqlmodel import Session, col, select

from bridge.core.lifecycle import IncidentStatus
from bridge.core.priority import Priority
from bridge.core.sla import Pause
from bridge.core.ticket_clocks import TicketFacts
from bridge.store.models import Incident, IncidentPause, SlaMarkRow
from bridge.store.tickets import RESOLVED_SPAN


@dataclass(frozen=True)
class ReportTicket:
    """One ticket of a report: what it shows, the facts its clocks run on, its breaches."""

    ref: str
    priority: Priority
    status: IncidentStatus
    device: str
    opened_at: datetime
    facts: TicketFacts
    breaches: frozenset[str]  # the clocks (reaction, resolution) that reached 100 %


def report_tickets(connection: Connection, customer: str, start: datetime,
                   end: datetime) -> list[ReportTicket]:
    """The customer's tickets opened in [start, end), oldest first."""
    opened = select(Incident.id).where(
        col(Incident.customer) == customer, col(Incident.opened_at) >= start,
        col(Incident.opened_at) < end)
    with Session(bind=connection) as session:  # ORM rows over the report's own connection
        tickets = session.exec(select(Incident).where(
            col(Incident.customer) == customer, col(Incident.opened_at) >= start,
            col(Incident.opened_at) < end).order_by(col(Incident.opened_at))).all()
        if not tickets:
            return []
        breaches: dict[int, set[str]] = defaultdict(set)
        for incident_id, kind in session.exec(select(SlaMarkRow.incident_id, SlaMarkRow.kind)
                                              .where(col(SlaMarkRow.incident_id).in_(opened),
                                                     col(SlaMarkRow.pct) >= 100)).all():
            breaches[incident_id].add(kind)
        waits: dict[int, list[Pause]] = defaultdict(list)
        resolved: dict[int, list[Pause]] = defaultdict(list)
        for incident_id, waiting_on, began, ended in session.exec(
                select(IncidentPause.incident_id, IncidentPause.waiting_on,
                       IncidentPause.started_at, IncidentPause.ended_at)
                .where(col(IncidentPause.incident_id).in_(opened))
                .order_by(col(IncidentPause.id))).all():
            (resolved if waiting_on == RESOLVED_SPAN else waits)[incident_id].append(
                (began, ended))
    found = []
    for ticket in tickets:
        assert ticket.id is not None
        facts = TicketFacts(ticket.status, ticket.started_at, ticket.acknowledged_at,
                            ticket.assigned_at, ticket.resolved_at,
                            tuple(waits[ticket.id]), tuple(resolved[ticket.id]))
        found.append(ReportTicket(ticket.ref, ticket.priority, ticket.status,
                                  ticket.device or "", ticket.opened_at, facts,
                                  frozenset(breaches[ticket.id])))
    return found
