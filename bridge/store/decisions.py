"""The core's decisions carried out, one transaction per batch: check states, history rows
and ticket changes together (all or nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Engine, update
from sqlmodel import Session, col

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
from bridge.store.check_states import save_changes, save_states
from bridge.store.fencing import Fence, fenced
from bridge.store.heartbeat import save_gap_suspicion
from bridge.store.incidents import (
    Outcome,
    attach,
    detach,
    open_incident,
    resolve,
    set_flapping,
)
from bridge.store.models import MonitoringGap
from bridge.store.opening import OpeningRun
from bridge.store.tickets import Desk, QuietDesk


def _record_gap(session: Session, d: RecordGap, instance: str | None) -> None:
    """A gap of `instance` (None: the only one) starts or ends; an instance ends only its
    own (heartbeat.py ends those of instances that stopped)."""
    if d.ended_at is None:
        session.add(MonitoringGap(started_at=d.started_at, reason=d.reason[:500],
                                  instance=instance))
        return
    owner = (col(MonitoringGap.instance).is_(None) if instance is None
             else col(MonitoringGap.instance) == instance)
    session.execute(update(MonitoringGap).where(
        col(MonitoringGap.started_at) == d.started_at, col(MonitoringGap.ended_at).is_(None),
        owner).values(ended_at=d.ended_at))


# Decisions that read or change tickets (opening one anew goes in an OpeningRun)
_TICKET_DECISIONS = (OpenIncident, ResolveIncident, AttachToIncident, DetachFromIncident,
                     SetFlapping)


def apply_batch(
    engine: Engine, decisions: Sequence[Decision], id_prefix: str, now: datetime,
    desk: Desk | None = None, fence: Fence | None = None,
) -> list[Outcome]:
    """Write a batch of decisions in one transaction; all or nothing. With a `fence`
    (several instances), only the decisions of shards it still holds (store/fencing.py)."""
    desk = desk or QuietDesk()
    outcomes: list[Outcome | None] = []
    dialect = engine.dialect.name
    with Session(engine) as session, session.begin():
        if fence is not None:
            decisions = fenced(session, decisions, fence)
        save_states(session, dialect, [d for d in decisions if isinstance(d, SaveState)])
        opening = OpeningRun(session, dialect, id_prefix, now, desk, outcomes)
        changes: list[RecordChange] = []
        for d in decisions:
            if isinstance(d, OpenIncident) and not d.reopen:
                opening.add(d)
                continue
            if isinstance(d, _TICKET_DECISIONS):
                opening.flush()  # they read tickets in SQL: the run's first
            if isinstance(d, RecordChange):  # written together at the end: nothing here reads them
                changes.append(d)
            elif isinstance(d, OpenIncident):
                outcomes.append(open_incident(session, dialect, d, id_prefix, now, desk))
            elif isinstance(d, ResolveIncident):
                outcome = resolve(session, d, now, desk)
                if outcome is not None:
                    outcomes.append(outcome)
            elif isinstance(d, AttachToIncident):
                outcome = attach(session, d, now)
                if outcome is not None:
                    outcomes.append(outcome)
            elif isinstance(d, DetachFromIncident):
                detach(session, d, now)
            elif isinstance(d, SetFlapping):
                set_flapping(session, d, now)
            elif isinstance(d, RecordGap):
                _record_gap(session, d, fence.owner if fence is not None else None)
            elif isinstance(d, SuspectGap):
                save_gap_suspicion(session, dialect, d.since)
        opening.flush()
        save_changes(session, dialect, changes)
    return [o for o in outcomes if o is not None]
