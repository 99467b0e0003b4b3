"""People's actions on tickets: one transaction each, with its timeline entry and notices.

Each action arrives as a pure `Move` (declared in the desk's action table): this module
loads the ticket, asks whether the move is allowed, carries out its effect, writes the
timeline entry and hands the change to the desk (which plans escalation steps and writes
the outbox rows in the same transaction).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bridge.core.audience import NOTE
from bridge.core.lifecycle import (
    Effect,
    Illegal,
    IncidentStatus,
    Move,
    WaitingOn,
    may_close,
    target_status,
)
from bridge.core.priority import Priority
from bridge.core.timeline_texts import (
    ASSIGNED,
    ETA_SET,
    PROPOSED_PRIORITY,
    WAITING_ON_CUSTOMER,
    WAITING_ON_SUPPLIER,
)
from bridge.core.wall_clock import local_text
from bridge.store.bulk import insert_rows
from bridge.store.models import Actor, Incident, IncidentEvent, IncidentPause, TicketSource
from bridge.store.records import Refused, update_record
from bridge.store.refs import next_ref


@dataclass(frozen=True)
class TicketChange:
    """Something that happened to a ticket, for the desk to plan and notify on."""

    kind: str  # the timeline kind: opened, acknowledged, assigned, eta, resolved, ...
    at: datetime
    actor: Actor
    author: str = ""
    message: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)
    # What a person wrote, if anything: the customer is told this, never the generated
    # `message` (English, UTC, probe output) the timeline keeps.
    remark: str = ""
    move: Move | None = None  # the person's action that made it; None: monitoring, the desk


@dataclass(frozen=True)
class OpenedTicket:
    """A ticket inserted in this transaction (persistent in the session), the change that
    opened it, and the id of its "opened" timeline entry."""

    incident: Incident
    change: TicketChange
    event_id: int


class Desk(Protocol):
    """What ticket writes need from the contract side (the daemon provides it)."""

    def silence_period_s(self, customer: str) -> float: ...
    def timezone(self, customer: str) -> str:
        """The customer's zone, in which timeline text states times."""
        ...
    def changed(self, session: Session, incident: Incident, change: TicketChange) -> None: ...
    def opened(self, session: Session, tickets: Sequence[OpenedTicket]) -> None:
        """What `changed` does for each, for a batch of tickets opened together."""
        ...


class QuietDesk:
    """A desk with no contract: no notices, no steps, closing after a day's silence."""

    def silence_period_s(self, customer: str) -> float:
        """A day."""
        return 86400.0

    def timezone(self, customer: str) -> str:
        """UTC: no contract, no zone."""
        return "UTC"

    def changed(self, session: Session, incident: Incident, change: TicketChange) -> None:
        """Nothing to plan or send."""

    def opened(self, session: Session, tickets: Sequence[OpenedTicket]) -> None:
        """`changed` for each (nothing, unless a subclass says otherwise)."""
        for ticket in tickets:
            self.changed(session, ticket.incident, ticket.change)


T = TypeVar("T")


def in_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction: all it wrote, or nothing."""
    with Session(engine) as session, session.begin():
        return work(session)


@dataclass(frozen=True)
class ActionRequest:
    """One action on one ticket, as the API validated it."""

    move: Move
    actor: Actor
    author: str
    message: str = ""
    assignee: str = ""
    eta_at: datetime | None = None
    waiting_on: WaitingOn | None = None
    tier: int | None = None
    internal: bool = False  # an operator's comment the customer does not see
    record_id: int | None = None  # supplier/onsite/loaner: update this record, else add one
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionResult:
    """What became of an action: 200 with the ticket, 404 or 409 with a reason."""

    status: int
    reason: str = ""
    incident_id: int | None = None


def event(session: Session, incident_id: int, change: TicketChange) -> None:
    """One entry on a ticket's timeline."""
    session.add(IncidentEvent(incident_id=incident_id, at=change.at, actor=change.actor,
                              kind=change.kind, message=change.message[:2000],
                              author=change.author[:64]))


def note(session: Session, incident_id: int, at: datetime, kind: str, message: str) -> None:
    """One entry of the system's own on a ticket's timeline."""
    event(session, incident_id, TicketChange(kind, at, Actor.SYSTEM, "", message))


def notes(session: Session, at: datetime, entries: Sequence[tuple[int, str, str]]) -> None:
    """Entries of the system's own (ticket id, kind, message), in this order, in one
    statement: a batch's hundreds of entries without an ORM object each. Written after
    whatever the session still holds, so a ticket's timeline keeps its order."""
    if not entries:
        return
    session.flush()
    insert_rows(session, IncidentEvent.__table__, [  # type: ignore[attr-defined]
        {"incident_id": incident_id, "at": at, "actor": Actor.SYSTEM, "kind": kind,
         "message": message[:2000], "author": ""} for incident_id, kind, message in entries])


def find_ticket(session: Session, ref: str, customer: str | None) -> Incident | None:
    """A ticket by its ID; None if absent or not the given customer's (one answer for both)."""
    query = select(Incident).where(Incident.ref == ref)
    if customer is not None:
        query = query.where(Incident.customer == customer)
    return session.exec(query.with_for_update()).first()


def end_pause(session: Session, incident: Incident, now: datetime) -> None:
    """The resolution clock runs again."""
    assert incident.id is not None
    session.execute(update(IncidentPause).where(
        col(IncidentPause.incident_id) == incident.id, col(IncidentPause.ended_at).is_(None),
    ).values(ended_at=now))
    incident.paused_since = None


# The kind of an incident_pause row that is no wait: the time a reopened ticket sat
# resolved. It holds both clocks (waits hold only the resolution clock).
RESOLVED_SPAN = "resolved"


def pause_while_resolved(session: Session, incident: Incident, resumed_at: datetime) -> None:
    """On reopening: the time since the resolution counts on neither clock."""
    assert incident.id is not None
    if incident.resolved_at is None:
        return
    session.add(IncidentPause(incident_id=incident.id, waiting_on=RESOLVED_SPAN,
                              started_at=incident.resolved_at,
                              ended_at=max(incident.resolved_at, resumed_at)))


def take_action(
    engine: Engine, ref: str, scope: str | None, req: ActionRequest, now: datetime, desk: Desk
) -> ActionResult:
    """Apply one action in one transaction; refuse illegal moves without changing anything."""
    try:
        with Session(engine) as session, session.begin():
            incident = find_ticket(session, ref, scope)
            if incident is None or incident.id is None:
                raise Refused(404, f"no incident {ref!r}")
            new = target_status(incident.status, req.move, req.waiting_on)
            if isinstance(new, Illegal):
                raise Refused(409, f"{ref}: {new.reason}")
            problem = _check(incident, req, now, desk)
            if problem is not None:
                raise Refused(409, f"{ref}: {problem.reason}")
            change = _apply(session, incident, req, new, now, desk.timezone(incident.customer))
            session.add(incident)
            try:
                session.flush()
            except IntegrityError:
                raise Refused(409, f"{ref}: its problem has another active ticket now; "
                                   "work on that one") from None
            event(session, incident.id, change)
            desk.changed(session, incident, change)
            return ActionResult(200, incident_id=incident.id)
    except Refused as refused:
        return ActionResult(refused.status, refused.reason)


def _check(incident: Incident, req: ActionRequest, now: datetime, desk: Desk) -> Illegal | None:
    """Conditions beyond the allowed states: ETA in the future, escalation upwards, closing."""
    effect = req.move.effect
    if effect is Effect.SET_ETA and req.eta_at is not None and req.eta_at <= now:
        return Illegal(f"eta must be in the future (got {req.eta_at.isoformat()})")
    if effect is Effect.ESCALATE and req.tier is not None and req.tier <= incident.tier:
        return Illegal(f"already at tier {incident.tier}; escalate to a higher tier (up to 4)")
    if effect is Effect.CLOSE:
        resolved = incident.resolved_at or now
        elapsed = (now - resolved).total_seconds()
        return may_close(elapsed >= desk.silence_period_s(incident.customer))
    return None


def _apply(
    session: Session, incident: Incident, req: ActionRequest, new: IncidentStatus,
    now: datetime, zone: str,
) -> TicketChange:
    """Change the ticket's fields for one legal move; return the change to record
    (its text states times in `zone`, the customer's)."""
    assert incident.id is not None
    old, message, data = incident.status, req.message, dict[str, Any]()
    incident.status = new
    incident.updated_at = now
    kind, effect = req.move.timeline_kind, req.move.effect
    if effect is Effect.ACKNOWLEDGE:
        incident.acknowledged_at = now
    elif effect is Effect.ASSIGN:
        incident.assignee = req.assignee
        incident.assigned_at = incident.assigned_at or now  # the reaction clock stops once
        incident.acknowledged_at = incident.acknowledged_at or now
        message = message or ASSIGNED.write(assignee=req.assignee)
        data = {"assignee": req.assignee}
    elif effect is Effect.SET_ETA:
        assert req.eta_at is not None
        incident.eta_at, incident.eta_noticed_at = req.eta_at, None
        data = {"eta": req.eta_at.isoformat()}
        message = message or ETA_SET.write(eta=local_text(req.eta_at, zone))
    elif effect is Effect.WAIT:
        waiting_on = req.waiting_on or WaitingOn.CUSTOMER
        session.add(IncidentPause(incident_id=incident.id, waiting_on=waiting_on.value,
                                  started_at=now))
        incident.paused_since = now
        data = {"waiting_on": waiting_on.value}
        message = message or (WAITING_ON_CUSTOMER if waiting_on is WaitingOn.CUSTOMER
                                         else WAITING_ON_SUPPLIER).write()
    elif effect is Effect.RESUME:
        end_pause(session, incident, now)
    elif effect is Effect.ESCALATE:
        assert req.tier is not None
        data = {"tier": req.tier, "from_tier": incident.tier}
        incident.tier = req.tier
        message = message or f"escalated to tier {req.tier}"
    elif effect is Effect.RESOLVE:
        if incident.paused_since is not None:
            end_pause(session, incident, now)
        incident.resolved_at, incident.open_key = now, None
    elif effect in (Effect.CONFIRM, Effect.CLOSE):
        incident.closed_at = now
        if effect is Effect.CONFIRM:
            incident.confirmed_at = now
    elif effect is Effect.REOPEN:
        pause_while_resolved(session, incident, now)
        incident.resolved_at = incident.closed_at = incident.confirmed_at = None
        incident.open_key = incident.problem_key
        incident.eta_noticed_at = None
    elif req.move.is_record:
        data = update_record(session, incident.id, effect, req.record_id, req.fields,
                             req.author, now, zone)
        kind = f"{kind}_{data['change']}"
        message = message or data["summary"]
    if req.internal:  # an operator's comment the customer does not see
        kind = NOTE
    data = {**data, "from": old.value, "to": new.value}
    return TicketChange(kind, now, req.actor, req.author, message, data, req.message, req.move)


@dataclass(frozen=True)
class NewTicket:
    """A ticket reported by a customer or opened by an operator through the API."""

    customer: str
    device: str | None
    summary: str
    priority: Priority
    source: TicketSource
    actor: Actor
    author: str
    message: str = ""
    dedupe_key: str | None = None  # the client's Idempotency-Key: a retried POST opens nothing
    proposed_priority: Priority | None = None  # the customer's proposal; `priority` decides
    request_digest: str | None = None  # of the request with that key: another one is refused


def create_ticket(
    engine: Engine, new: NewTicket, prefix: str, now: datetime, desk: Desk
) -> tuple[int, bool]:
    """Open a reported ticket; (its id, True), or (the earlier one's id, False) on a retry.

    Refused (422) if the key opened a ticket for another request: a client that reused a key
    by mistake must hear so rather than get somebody else's ticket (tickets opened before
    digests were kept have none, and answer any retry)."""
    key = new.dedupe_key or uuid.uuid4().hex
    problem_key = f"report:{new.customer}:{key}"
    with Session(engine) as session, session.begin():
        earlier = session.exec(select(Incident).where(Incident.problem_key == problem_key)).first()
        if earlier is not None and earlier.id is not None:
            if earlier.request_digest not in (None, new.request_digest):
                raise Refused(422, f"this Idempotency-Key opened {earlier.ref} for another "
                                   "request; use a new key for a new ticket")
            return earlier.id, False
        incident = Incident(
            ref=next_ref(session, engine.dialect.name, prefix, now), problem_key=problem_key,
            open_key=problem_key, customer=new.customer, device=new.device,
            status=IncidentStatus.OPEN, priority=new.priority, summary=new.summary[:500],
            started_at=now, opened_at=now, updated_at=now, source=new.source,
            reported_by=new.author, rule="", request_digest=new.request_digest)
        session.add(incident)
        session.flush()
        assert incident.id is not None
        change = TicketChange("opened", now, new.actor, new.author,
                              new.message or new.summary, {"source": new.source.value},
                              new.message)
        event(session, incident.id, change)
        if new.proposed_priority is not None:
            event(session, incident.id, TicketChange(
                "proposed_priority", now, new.actor, new.author,
                PROPOSED_PRIORITY.write(proposed=new.proposed_priority,
                                        priority=new.priority)))
        desk.changed(session, incident, change)
        return incident.id, True
