"""The SQL of the desk's planning and clock: a ticket's clock facts, its escalation step
rows, SLA marks, and the tickets each periodic check looks at.

The desk (bridge/desk/) decides; these functions read and write what it decided, inside
the transaction it was handed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, insert, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bridge.core.escalation import Step
from bridge.core.lifecycle import ACTIVE, IncidentStatus
from bridge.core.sla import SlaMark
from bridge.core.ticket_clocks import TicketFacts, TicketPlan
from bridge.store.models import (
    EscalationStepRow,
    Incident,
    IncidentEvent,
    IncidentPause,
    SlaMarkRow,
)
from bridge.store.refs import insert_for
from bridge.store.tickets import RESOLVED_SPAN

_CLAIM_CHUNK = 500  # ids per UPDATE: well under SQLite's bound-variable limit
_PAUSE = IncidentPause.__table__  # type: ignore[attr-defined]
_MARK = SlaMarkRow.__table__  # type: ignore[attr-defined]


def facts_of(session: Session, incident: Incident) -> TicketFacts:
    """The clock facts of a ticket, with its waits and the times it sat resolved (none for
    one not stored yet)."""
    if incident.id is None:
        return _facts(incident, [])
    return facts_by_id(session, [incident])[incident.id]


def facts_by_id(session: Session, incidents: Sequence[Incident]) -> dict[int, TicketFacts]:
    """The clock facts of each stored ticket (by id), their waits and resolved spans read in
    one statement per _CLAIM_CHUNK tickets."""
    ids = [incident.id for incident in incidents if incident.id is not None]
    rows: dict[int, list[tuple[str, datetime, datetime | None]]] = {i: [] for i in ids}
    for at in range(0, len(ids), _CLAIM_CHUNK):
        for incident_id, waiting_on, started_at, ended_at in session.execute(
                sa_select(_PAUSE.c.incident_id, _PAUSE.c.waiting_on, _PAUSE.c.started_at,
                          _PAUSE.c.ended_at)
                .where(_PAUSE.c.incident_id.in_(ids[at:at + _CLAIM_CHUNK]))
                .order_by(_PAUSE.c.incident_id, _PAUSE.c.id)):
            rows[incident_id].append((waiting_on, started_at, ended_at))
    return {incident.id: _facts(incident, rows[incident.id]) for incident in incidents
            if incident.id is not None}


def new_ticket_facts(incident: Incident) -> TicketFacts:
    """The clock facts of a ticket opened in this transaction: it has waited on nobody and
    never sat resolved (no query needed)."""
    return _facts(incident, ())


def _facts(incident: Incident,
           rows: Sequence[tuple[str, datetime, datetime | None]]) -> TicketFacts:
    waits = tuple((s, e) for kind, s, e in rows if kind != RESOLVED_SPAN)
    resolved = tuple((s, e) for kind, s, e in rows if kind == RESOLVED_SPAN)
    return TicketFacts(incident.status, incident.started_at, incident.acknowledged_at,
                       incident.assigned_at, incident.resolved_at, waits, resolved)


def save(session: Session, incident: Incident) -> None:
    """Write a ticket's changed fields now (later statements of the transaction see them)."""
    session.add(incident)
    session.flush()


def latest_event_id(session: Session, incident_id: int) -> int:
    """The id of a ticket's newest timeline entry (written, not just added)."""
    session.flush()
    return int(session.exec(select(func.max(IncidentEvent.id)).where(
        IncidentEvent.incident_id == incident_id)).one() or 0)


def add_steps(session: Session, incident_id: int, steps: Sequence[Step],
              new_ticket: bool = False) -> None:
    """A row for each of a chain's steps that the ticket has no row for yet (a ticket
    opened in this transaction has none: no query)."""
    existing = set() if new_ticket else set(session.exec(select(
        EscalationStepRow.step_index).where(EscalationStepRow.incident_id == incident_id)).all())
    for step in steps:
        if step.index not in existing:
            session.add(EscalationStepRow(incident_id=incident_id, step_index=step.index,
                                          tier=step.tier, description=step.describe()))


def add_planned_steps(session: Session,
                      planned: Sequence[tuple[int, Sequence[Step], TicketPlan]],
                      now: datetime) -> None:
    """The step rows of tickets opened in this transaction (ticket id, its chain's steps, its
    plan), due or skipped as planned, in one INSERT: what add_steps and store_plan write for
    one ticket."""
    rows = []
    for incident_id, steps, ticket in planned:
        by_index = {p.step.index: p for p in ticket.steps}
        for step in steps:
            step_plan = by_index.get(step.index)
            rows.append({"incident_id": incident_id, "step_index": step.index,
                         "tier": step.tier, "description": step.describe(),
                         "due_at": step_plan.due_at if step_plan else None, "fired_at": None,
                         "skipped_at": now if step_plan is None or step_plan.skip else None})
    if rows:
        session.execute(insert(EscalationStepRow.__table__), rows)  # type: ignore[attr-defined]


def store_plan(session: Session, incident: Incident, ticket: TicketPlan, now: datetime) -> None:
    """A ticket's target due times, and its unfired steps' due times (or skips)."""
    incident.reaction_due_at = ticket.reaction_due_at
    incident.resolution_due_at = ticket.resolution_due_at
    session.add(incident)
    by_index = {p.step.index: p for p in ticket.steps}
    rows = session.exec(select(EscalationStepRow).where(
        EscalationStepRow.incident_id == incident.id,
        col(EscalationStepRow.fired_at).is_(None))).all()
    for row in rows:
        step_plan = by_index.get(row.step_index)
        if step_plan is None:  # the chain changed under a running ticket (reload)
            row.due_at, row.skipped_at = None, row.skipped_at or now
        else:
            row.due_at = step_plan.due_at
            row.skipped_at = now if step_plan.skip else None
        session.add(row)


def active_tickets(session: Session, statuses: Sequence[IncidentStatus],
                   *also: ColumnElement[bool]) -> list[Incident]:
    """Tickets in these states (and meeting `also`), oldest first."""
    return list(session.exec(select(Incident).where(col(Incident.status).in_(statuses), *also)
                             .order_by(col(Incident.id))).all())


def ticket_heads(session: Session, statuses: Sequence[IncidentStatus]
                 ) -> list[tuple[int, str, datetime | None, str]]:
    """(id, status, resolved_at, customer) of the tickets in these states, oldest first: what
    the clock looks at before it loads a ticket whole (most wait for a mark far ahead)."""
    rows = session.exec(select(Incident.id, Incident.status, Incident.resolved_at,
                               Incident.customer)
                        .where(col(Incident.status).in_(statuses)).order_by(col(Incident.id)))
    return [(ticket_id, status, resolved_at, customer)
            for ticket_id, status, resolved_at, customer in rows if ticket_id is not None]


def tickets_by_id(session: Session, ids: Sequence[int]) -> list[Incident]:
    """These tickets whole, in the order of `ids` (one gone meanwhile is left out)."""
    found: dict[int | None, Incident] = {}
    for at in range(0, len(ids), _CLAIM_CHUNK):
        chunk = ids[at:at + _CLAIM_CHUNK]
        found.update((t.id, t) for t in session.exec(
            select(Incident).where(col(Incident.id).in_(chunk))))
    return [found[i] for i in ids if i in found]


def eta_tickets(session: Session, before: datetime) -> list[Incident]:
    """Active tickets whose ETA, not noticed yet, comes before `before`."""
    return active_tickets(session, list(ACTIVE), col(Incident.eta_noticed_at).is_(None),
                          col(Incident.eta_at) <= before)


def resolved_tickets(session: Session, before: datetime) -> list[Incident]:
    """Tickets resolved before `before` and not closed."""
    return active_tickets(session, [IncidentStatus.RESOLVED],
                          col(Incident.resolved_at) <= before)


def due_steps(session: Session, now: datetime) -> list[tuple[EscalationStepRow, Incident]]:
    """Escalation steps due by `now`, neither fired nor skipped, of active tickets."""
    return list(session.exec(
        select(EscalationStepRow, Incident).join(Incident)
        .where(col(EscalationStepRow.fired_at).is_(None),
               col(EscalationStepRow.skipped_at).is_(None),
               col(EscalationStepRow.due_at) <= now,
               col(Incident.status).in_(ACTIVE))
        .order_by(col(EscalationStepRow.due_at))).all())


def claim_steps(session: Session, row_ids: Sequence[int], now: datetime) -> set[int]:
    """Claim steps in one statement: the ids whose fired_at was empty, now set; each id is
    claimed by exactly one caller, ever."""
    claimed: set[int] = set()
    for start in range(0, len(row_ids), _CLAIM_CHUNK):
        # Not matched against every object the session holds (the ORM's default): the
        # callers do not read the rows' fired_at again.
        done = session.execute(update(EscalationStepRow).where(
            col(EscalationStepRow.id).in_(row_ids[start:start + _CLAIM_CHUNK]),
            col(EscalationStepRow.fired_at).is_(None),
        ).values(fired_at=now).returning(col(EscalationStepRow.id))
            .execution_options(synchronize_session=False))
        claimed.update(done.scalars())
    return claimed


def recorded_marks_by_id(session: Session, incident_ids: Sequence[int]
                         ) -> dict[int, set[tuple[str, int]]]:
    """Each ticket's SLA marks recorded so far, (kind, percent), in one statement per
    _CLAIM_CHUNK tickets."""
    done: dict[int, set[tuple[str, int]]] = {i: set() for i in incident_ids}
    for at in range(0, len(incident_ids), _CLAIM_CHUNK):
        for incident_id, kind, pct in session.execute(
                sa_select(_MARK.c.incident_id, _MARK.c.kind, _MARK.c.pct)
                .where(_MARK.c.incident_id.in_(incident_ids[at:at + _CLAIM_CHUNK]))):
            done[incident_id].add((kind, pct))
    return done


def record_mark(session: Session, incident_id: int, mark: SlaMark, now: datetime) -> bool:
    """Record an SLA mark: True for exactly one caller, ever."""
    stmt = insert_for(session.get_bind().dialect.name)(SlaMarkRow).values(
        incident_id=incident_id, kind=mark.kind.value, pct=mark.pct, at=mark.at,
        recorded_at=now).on_conflict_do_nothing(index_elements=["incident_id", "kind", "pct"])
    return bool(session.execute(stmt.returning(col(SlaMarkRow.id))).first())


def first_due_step(session: Session) -> datetime | None:
    """When the earliest step `due_steps` will return falls due (None: none will)."""
    return session.exec(
        select(func.min(EscalationStepRow.due_at)).join(Incident)
        .where(col(EscalationStepRow.fired_at).is_(None),
               col(EscalationStepRow.skipped_at).is_(None),
               col(Incident.status).in_(ACTIVE))).one()


def first_etas(session: Session) -> list[tuple[str, datetime]]:
    """Per customer, the earliest ETA `eta_tickets` will return, not noticed yet."""
    rows = session.exec(select(Incident.customer, func.min(Incident.eta_at))
                        .where(col(Incident.status).in_(ACTIVE),
                               col(Incident.eta_noticed_at).is_(None),
                               col(Incident.eta_at).is_not(None))
                        .group_by(col(Incident.customer))).all()
    return [(customer, eta_at) for customer, eta_at in rows if eta_at is not None]


def first_resolved(session: Session) -> list[tuple[str, datetime]]:
    """Per customer, the earliest resolution of a ticket `resolved_tickets` may return."""
    rows = session.exec(select(Incident.customer, func.min(Incident.resolved_at))
                        .where(col(Incident.status) == IncidentStatus.RESOLVED)
                        .group_by(col(Incident.customer))).all()
    return [(customer, resolved_at) for customer, resolved_at in rows
            if resolved_at is not None]
