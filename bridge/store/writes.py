"""One transaction per batch: check states, history rows and ticket changes together."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bridge.core.decisions import (
    AttachToIncident,
    Decision,
    DetachFromIncident,
    OpenIncident,
    RecordChange,
    RecordGap,
    ResolveIncident,
    SaveState,
    SetFlapping,
    SuspectGap,
)
from bridge.core.lifecycle import IncidentStatus
from bridge.core.wall_clock import local_text
from bridge.store.fencing import Fence, fenced
from bridge.store.heartbeat import save_gap_suspicion
from bridge.store.models import (
    Actor,
    CheckStateRow,
    Incident,
    IncidentMember,
    MonitoringGap,
    StateChange,
)
from bridge.store.refs import insert_for as _insert
from bridge.store.refs import next_ref
from bridge.store.tickets import (
    Desk,
    QuietDesk,
    TicketChange,
    end_pause,
    note,
    pause_while_resolved,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    """What a batch did to a ticket, for logs and metrics."""

    action: str  # "opened", "reopened", "resolved", "already_open" or "attached"
    ref: str
    problem_key: str
    customer: str


def _state_row(decision: SaveState) -> dict[str, Any]:
    state, last = decision.state, decision.state.last
    return {
        "device": decision.key.device,
        "probe": decision.key.probe,
        "status": state.status,
        "state_type": state.state_type,
        "attempts": state.attempts,
        "since": state.since,
        "hard_status": state.hard_status,
        "hard_since": state.hard_since,
        "last_ok": last.ok if last else None,
        "last_at": last.at if last else None,
        "last_output": (last.output if last else "")[:500],
        "last_warning": last.warning if last else False,
        "last_measurements": dict(last.measurements) if last else None,
        "ok_streak": state.ok_streak,
        "ok_since": state.ok_since,
    }


def _save_states(session: Session, dialect: str, decisions: list[SaveState]) -> None:
    latest = {d.key: d for d in decisions}  # several results per check in one batch: last wins
    if not latest:
        return
    rows = [_state_row(d) for d in latest.values()]
    stmt = _insert(dialect)(CheckStateRow)
    columns = {c: stmt.excluded[c] for c in rows[0] if c not in ("device", "probe")}
    session.execute(stmt.on_conflict_do_update(index_elements=["device", "probe"], set_=columns),
                    rows)


def _set(session: Session, incident_id: int, now: datetime, **values: Any) -> None:
    """Update one ticket's columns (and its updated_at)."""
    session.execute(update(Incident).where(col(Incident.id) == incident_id)
                    .values(updated_at=now, **values))


def _active(session: Session, problem_key: str) -> Incident | None:
    return session.exec(select(Incident).where(Incident.open_key == problem_key)).first()


def _system(desk: Desk, session: Session, incident: Incident, kind: str, at: datetime,
            message: str) -> None:
    desk.changed(session, incident, TicketChange(kind, at, Actor.SYSTEM, "", message))


def _open(
    session: Session, dialect: str, d: OpenIncident, prefix: str, now: datetime, desk: Desk
) -> Outcome:
    existing = _active(session, d.problem_key)
    if existing is None and d.reopen:
        reopened = _reopen(session, d, now, desk)
        if reopened is not None:
            return reopened
    if existing is None:
        try:
            with session.begin_nested():
                ref = next_ref(session, dialect, prefix, now)
                incident = Incident(
                    ref=ref, problem_key=d.problem_key, open_key=d.problem_key,
                    customer=d.customer, device=d.key.device if d.key else None,
                    probe=d.key.probe if d.key else None, status=IncidentStatus.OPEN,
                    priority=d.priority, rule=d.rule, flapping=d.flapping,
                    summary=d.summary[:500], started_at=d.started_at, opened_at=now,
                    updated_at=now,
                )
                session.add(incident)
                session.flush()
                assert incident.id is not None
                since = local_text(d.started_at, desk.timezone(d.customer), seconds=True)
                note(session, incident.id, now, "opened",
                     f"{d.summary} (failing since {since}, rule {d.rule}, "
                     f"priority {d.priority})")
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


def _resolve(session: Session, d: ResolveIncident, now: datetime, desk: Desk) -> Outcome | None:
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


def _attach(session: Session, d: AttachToIncident, now: datetime) -> Outcome | None:
    incident = _active(session, d.problem_key)
    if incident is None or incident.id is None:
        return None
    session.add(IncidentMember(incident_id=incident.id, device=d.key.device, probe=d.key.probe,
                               attached_at=d.at))
    note(session, incident.id, now, "attached", d.summary)
    return Outcome("attached", incident.ref, d.problem_key, incident.customer)


def _detach(session: Session, d: DetachFromIncident, now: datetime) -> None:
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


def _set_flapping(session: Session, d: SetFlapping, now: datetime) -> None:
    incident = _active(session, d.problem_key)
    if incident is None or incident.id is None:
        return
    _set(session, incident.id, now, flapping=d.flapping)
    note(session, incident.id, now, "flapping" if d.flapping else "steady", d.summary)


def _record_gap(session: Session, d: RecordGap) -> None:
    if d.ended_at is None:
        session.add(MonitoringGap(started_at=d.started_at, reason=d.reason[:500]))
        return
    session.execute(update(MonitoringGap).where(
        col(MonitoringGap.started_at) == d.started_at, col(MonitoringGap.ended_at).is_(None),
    ).values(ended_at=d.ended_at))


def apply_batch(
    engine: Engine, decisions: Sequence[Decision], id_prefix: str, now: datetime,
    desk: Desk | None = None, fence: Fence | None = None,
) -> list[Outcome]:
    """Write a batch of decisions in one transaction; all or nothing. With a `fence`
    (several instances), only the decisions of shards it still holds (store/fencing.py)."""
    desk = desk or QuietDesk()
    outcomes: list[Outcome] = []
    dialect = engine.dialect.name
    with Session(engine) as session, session.begin():
        if fence is not None:
            decisions = fenced(session, decisions, fence)
        _save_states(session, dialect, [d for d in decisions if isinstance(d, SaveState)])
        for d in decisions:
            if isinstance(d, RecordChange):
                session.add(StateChange(
                    customer=d.customer, device=d.key.device, probe=d.key.probe,
                    old_status=d.old, new_status=d.new, at=d.at, reason=d.reason,
                    output=d.output[:500],
                ))
            elif isinstance(d, OpenIncident):
                outcomes.append(_open(session, dialect, d, id_prefix, now, desk))
            elif isinstance(d, ResolveIncident):
                outcome = _resolve(session, d, now, desk)
                if outcome is not None:
                    outcomes.append(outcome)
            elif isinstance(d, AttachToIncident):
                outcome = _attach(session, d, now)
                if outcome is not None:
                    outcomes.append(outcome)
            elif isinstance(d, DetachFromIncident):
                _detach(session, d, now)
            elif isinstance(d, SetFlapping):
                _set_flapping(session, d, now)
            elif isinstance(d, RecordGap):
                _record_gap(session, d)
            elif isinstance(d, SuspectGap):
                save_gap_suspicion(session, dialect, d.since)
    return outcomes
