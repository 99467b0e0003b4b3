"""The engine's ticket decisions carried out: open (or reopen), resolve, attach and detach
checks, flapping. Each runs inside the batch's transaction (decisions.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bridge.core.decisions import (
    AttachToIncident,
    DetachFromIncident,
    OpenIncident,
    ResolveIncident,
    SetFlapping,
)
from bridge.core.lifecycle import IncidentStatus
from bridge.core.wall_clock import local_text
from bridge.store.models import Actor, Incident, IncidentMember
from bridge.store.refs import next_ref
from bridge.store.tickets import Desk, TicketChange, end_pause, note, pause_while_resolved


@dataclass(frozen=True)
class Outcome:
    """What a batch did to a ticket, for logs and metrics."""

    action: str  # "opened", "reopened", "resolved", "already_open" or "attached"
    ref: str
    problem_key: str
    customer: str


def _set(session: Session, incident_id: int, now: datetime, **values: Any) -> None:
    """Update one ticket's columns (and its updated_at)."""
    session.execute(update(Incident).where(col(Incident.id) == incident_id)
                    .values(updated_at=now, **values))


def _active(session: Session, problem_key: str) -> Incident | None:
    return session.exec(select(Incident).where(Incident.open_key == problem_key)).first()


def _system(desk: Desk, session: Session, incident: Incident, kind: str, at: datetime,
            message: str) -> None:
    desk.changed(session, incident, TicketChange(kind, at, Actor.SYSTEM, "", message))


def opened_text(d: OpenIncident, zone: str) -> str:
    """The "opened" timeline entry of a new ticket (times in the customer's `zone`)."""
    since = local_text(d.started_at, zone, seconds=True)
    return f"{d.summary} (failing since {since}, rule {d.rule}, priority {d.priority})"


def opened_row(d: OpenIncident, ref: str, device: str | None, now: datetime) -> Incident:
    """A new ticket's row; `device` the one it is about when it is no check's (an alert's)."""
    return Incident(
        ref=ref, problem_key=d.problem_key, open_key=d.problem_key, customer=d.customer,
        device=d.key.device if d.key else device, probe=d.key.probe if d.key else None,
        status=IncidentStatus.OPEN, priority=d.priority, rule=d.rule, flapping=d.flapping,
        summary=d.summary[:500], started_at=d.started_at, opened_at=now, updated_at=now)


def open_incident(
    session: Session, dialect: str, d: OpenIncident, prefix: str, now: datetime, desk: Desk,
    device: str | None = None,
) -> Outcome:
    """Open a ticket for the problem (or reopen its last one), unless one is open."""
    existing = _active(session, d.problem_key)
    if existing is None and d.reopen:
        reopened = _reopen(session, d, now, desk)
        if reopened is not None:
            return reopened
    if existing is None:
        try:
            with session.begin_nested():
                ref = next_ref(session, dialect, prefix, now)
                incident = opened_row(d, ref, device, now)
                session.add(incident)
                session.flush()
                assert incident.id is not None
                note(session, incident.id, now, "opened",
                     opened_text(d, desk.timezone(d.customer)))
                _system(desk, session, incident, "opened", now, d.summary)
            return Outcome("opened", ref, d.problem_key, d.customer)
        except IntegrityError:
            # Another instance opened it between our SELECT and INSERT.
            existing = _active(session, d.problem_key)
            if existing is None:
                raise
    assert existing.id is not None
    note(session, existing.id, now, "still_down", d.summary)
    return Outcome("already_open", existing.ref, d.problem_key, d.customer)


def _reopen(session: Session, d: OpenIncident, now: datetime, desk: Desk) -> Outcome | None:
    """Reopen the problem's last ticket; None if there is none to reopen."""
    last = _latest(session, d.problem_key)
    if last is None or last.id is None or last.status not in (IncidentStatus.RESOLVED,
                                                               IncidentStatus.CLOSED):
        return None
    try:
        with session.begin_nested():
            # The clocks resume with the recurrence, as a new ticket's start at its event.
            pause_while_resolved(session, last, d.started_at)
            _set(session, last.id, now, status=IncidentStatus.OPEN, open_key=d.problem_key,
                 resolved_at=None, closed_at=None, confirmed_at=None, flapping=d.flapping)
            recurred = local_text(d.started_at, desk.timezone(d.customer), seconds=True)
            note(session, last.id, now, "reopened", f"{d.summary} (recurred at {recurred})")
            session.refresh(last)
            _system(desk, session, last, "reopened", now, d.summary)
    except IntegrityError:
        return None  # another instance opened the problem meanwhile: the caller sees it
    return Outcome("reopened", last.ref, d.problem_key, d.customer)


def resolve(session: Session, d: ResolveIncident, now: datetime, desk: Desk) -> Outcome | None:
    """Resolve the problem's open ticket; None if it has none."""
    incident = _active(session, d.problem_key)
    if incident is None:
        return None
    assert incident.id is not None
    if incident.paused_since is not None:
        end_pause(session, incident, d.at)
    _set(session, incident.id, now, status=IncidentStatus.RESOLVED, resolved_at=d.at,
         open_key=None, paused_since=None)
    recovered = local_text(d.at, desk.timezone(incident.customer), seconds=True)
    note(session, incident.id, now, "resolved", f"{d.summary} (recovered at {recovered})")
    session.refresh(incident)
    _system(desk, session, incident, "resolved", now, d.summary)
    return Outcome("resolved", incident.ref, d.problem_key, incident.customer)


def _latest(session: Session, problem_key: str) -> Incident | None:
    """The active ticket of a problem, else its most recent one (resolved in this batch)."""
    return _active(session, problem_key) or session.exec(
        select(Incident).where(Incident.problem_key == problem_key)
        .order_by(col(Incident.id).desc())).first()


def attach(session: Session, d: AttachToIncident, now: datetime) -> Outcome | None:
    """Add a check behind a down parent to the parent's open ticket."""
    incident = _active(session, d.problem_key)
    if incident is None or incident.id is None:
        return None
    session.add(IncidentMember(incident_id=incident.id, device=d.key.device, probe=d.key.probe,
                               attached_at=d.at))
    note(session, incident.id, now, "attached", d.summary)
    return Outcome("attached", incident.ref, d.problem_key, incident.customer)


def detach(session: Session, d: DetachFromIncident, now: datetime) -> None:
    """Take a check off the ticket it was attached to."""
    incident = _latest(session, d.problem_key)
    if incident is None or incident.id is None:
        return
    session.execute(update(IncidentMember).where(
        col(IncidentMember.incident_id) == incident.id,
        col(IncidentMember.device) == d.key.device,
        col(IncidentMember.probe) == d.key.probe,
        col(IncidentMember.detached_at).is_(None),
    ).values(detached_at=d.at))
    note(session, incident.id, now, "detached", d.summary)


def set_flapping(session: Session, d: SetFlapping, now: datetime) -> None:
    """Mark the open ticket flapping, or steady again."""
    incident = _active(session, d.problem_key)
    if incident is None or incident.id is None:
        return
    _set(session, incident.id, now, flapping=d.flapping)
    note(session, incident.id, now, "flapping" if d.flapping else "steady", d.summary)
