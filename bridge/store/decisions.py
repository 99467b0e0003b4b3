"""The core's decisions carried out, one transaction per batch: check states, history rows
and ticket changes together (all or nothing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Engine, insert, update
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
from bridge.store.models import CheckStateRow, MonitoringGap, StateChange
from bridge.store.opening import OpeningRun
from bridge.store.refs import insert_for as _insert
from bridge.store.tickets import Desk, QuietDesk


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
        "flap_results": "".join("1" if ok else "0" for ok in decision.flap.results),
        "flapping": decision.flap.flapping,
    }


@cache
def _state_upsert(dialect: str, columns: tuple[str, ...]) -> Any:
    """The check states' upsert, built once per dialect and set of columns. Built per batch,
    its `excluded` (an alias of the whole table) left ~190 objects in reference cycles
    that only a garbage collection frees: at 10,000 checks 94 % of the daemon's cyclic
    garbage (bench/README.md, scale)."""
    stmt = _insert(dialect)(CheckStateRow)
    updated = {c: stmt.excluded[c] for c in columns if c not in ("device", "probe")}
    return stmt.on_conflict_do_update(index_elements=["device", "probe"], set_=updated)


def _save_states(session: Session, dialect: str, decisions: list[SaveState]) -> None:
    latest = {d.key: d for d in decisions}  # several results per check in one batch: last wins
    if not latest:
        return
    rows = [_state_row(d) for d in latest.values()]
    session.execute(_state_upsert(dialect, tuple(rows[0])), rows)


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
        _save_states(session, dialect, [d for d in decisions if isinstance(d, SaveState)])
        opening = OpeningRun(session, dialect, id_prefix, now, desk, outcomes)
        changes: list[dict[str, Any]] = []
        for d in decisions:
            if isinstance(d, OpenIncident) and not d.reopen:
                opening.add(d)
                continue
            if isinstance(d, _TICKET_DECISIONS):
                opening.flush()  # they read tickets in SQL: the run's first
            if isinstance(d, RecordChange):  # written together at the end: nothing here reads them
                changes.append({"customer": d.customer, "device": d.key.device,
                                "probe": d.key.probe, "old_status": d.old, "new_status": d.new,
                                "at": d.at, "reason": d.reason, "output": d.output[:500]})
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
        if changes:  # the history, in one statement (the ORM's unit of work: one per row)
            session.execute(insert(StateChange.__table__), changes)  # type: ignore[attr-defined]
    return [o for o in outcomes if o is not None]
