"""Read queries for the daemon's start-up, the API and the CLI. Never write."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, Row, Select, func, null
from sqlalchemy import select as core_select
from sqlmodel import Session, col, select

from bridge.core.decisions import CHECK_PROBLEM
from bridge.core.flap import FlapState, change_percent
from bridge.core.lifecycle import ACTIVE, IncidentStatus
from bridge.core.priority import Priority
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey, CheckState, Judged
from bridge.core.ticket_clocks import TicketFacts
from bridge.store.models import (
    CheckStateRow,
    EscalationStepRow,
    Incident,
    IncidentEvent,
    IncidentMember,
    SlaMarkRow,
)
from bridge.store.records import records_of
from bridge.store.ticket_plans import facts_of
from bridge.store.values import values_of

_CHUNK = 2000  # rows fetched at a time when reading every check
_NAMES_PER_QUERY = 500  # devices named in one query (SQLite allows 999 parameters)


Settled = Callable[[CheckKey, Judged], bool]
"""Whether a check's stored state but its last result (`judged_part`) is known as it is,
and its last result not wanted: a read leaves such rows out, building nothing of them."""

Devices = Callable[[str], bool] | Collection[str] | None
"""Which devices' checks to read: all (None), those a predicate says yes to (checked on
every row read), or those named (asked for by name, a chunk of names per query)."""


def _queries(query: Select[Any], devices: Devices, column: Any) -> list[Select[Any]]:
    if devices is None or callable(devices):
        return [query]
    names = sorted(devices)
    return [query.where(column.in_(names[at:at + _NAMES_PER_QUERY]))
            for at in range(0, len(names), _NAMES_PER_QUERY)]


def _rows(engine: Engine, query: Select[Any], devices: Devices, column: Any
          ) -> Iterator[Sequence[Any]]:
    """The rows of `query` for `devices`, streamed: tens of thousands of rows are never
    held at once (a process's resident memory does not shrink back after such a peak)."""
    wanted = devices if callable(devices) else None
    with engine.connect() as connection:
        for each in _queries(query, devices, column):
            for row in connection.execution_options(yield_per=_CHUNK).execute(each):
                if wanted is None or wanted(row[0]):
                    yield row


def load_states(engine: Engine, since: datetime | None = None, devices: Devices = None,
                settled: Settled | None = None, values: bool = False
                ) -> dict[CheckKey, CheckState]:
    """The saved state of every check, so a restart resumes attempts and open problems;
    with `since`, of the checks with a result from then on; with `devices`, of those
    devices' checks; with `settled`, without the checks it says are known as they are;
    with `values`, each last result with the values it read (for the API:
    the engine needs none, and a read of every row would fetch kilobytes of SNMP values a
    row). Plain rows, not ORM objects (~7 KB of peak memory each, held by the session all
    at once, and 0.1 ms of CPU)."""
    t = CheckStateRow.__table__  # type: ignore[attr-defined]
    query = core_select(t.c.device, t.c.probe, t.c.status, t.c.state_type, t.c.attempts,
                        t.c.since, t.c.hard_status, t.c.hard_since, t.c.last_ok, t.c.last_at,
                        t.c.last_output, t.c.last_measurements, t.c.last_warning,
                        t.c.ok_streak, t.c.ok_since,
                        t.c.last_values if values else null())
    if since is not None:
        query = query.where(t.c.last_at >= since)
    states = {}
    names: dict[str, str] = {}  # one string per probe and measurement name, not per row
    for (device, probe, status, state_type, attempts, since_at, hard_status, hard_since,
         last_ok, last_at, output, measurements, warning, ok_streak, ok_since, read
         ) in _rows(engine, query, devices, t.c.device):
        if settled is not None and settled(CheckKey(device, probe), (
                status, state_type, attempts, since_at, hard_status, hard_since, ok_streak,
                ok_since)):
            continue  # nothing is built: no object outlives the row
        last = None
        if last_at is not None and last_ok is not None:
            measured = ({names.setdefault(k, k): v for k, v in measurements.items()}
                        if measurements else {})
            last = ProbeResult.measured(last_ok, last_at, output, measured, warning=warning,
                                        values=values_of(read))
        if hard_since == since_at:  # one object for one instant (most checks)
            hard_since = since_at
        states[CheckKey(device, names.setdefault(probe, probe))] = CheckState(
            status, state_type, attempts, since_at, hard_status, hard_since, last,
            ok_streak, ok_since)
    return states


def load_flaps(engine: Engine, devices: Devices = None) -> dict[CheckKey, FlapState]:
    """The saved flap history of every check that has one (of `devices`' checks)."""
    t = CheckStateRow.__table__  # type: ignore[attr-defined]
    query = (core_select(t.c.device, t.c.probe, t.c.flap_results, t.c.flapping)
             .where(t.c.flap_results != ""))
    flaps = {}
    for device, probe, results, flapping in _rows(engine, query, devices, t.c.device):
        history = tuple(ch == "1" for ch in results)
        flaps[CheckKey(device, probe)] = FlapState(history, flapping, change_percent(history))
    return flaps


@dataclass(frozen=True)
class IncidentFilter:
    """What a list request may narrow by."""

    customer: str | None = None
    status: IncidentStatus | None = None
    device: str | None = None
    limit: int = 100
    offset: int = 0


def incident_dict(incident: Incident | Row[Any]) -> dict[str, Any]:
    """The public JSON shape of a ticket (without its timeline), from its object or from a
    row of its table's columns (lists read rows: no ORM objects for a thousand tickets)."""
    def iso(value: datetime | None) -> str | None:
        return value.isoformat() if value else None

    return {
        "id": incident.ref,
        "status": incident.status.value,
        "priority": incident.priority.value,
        "tier": incident.tier,
        "flapping": incident.flapping,
        "customer": incident.customer,
        "device": incident.device,
        "probe": incident.probe,
        "rule": incident.rule,
        "summary": incident.summary,
        "started_at": iso(incident.started_at),
        "opened_at": iso(incident.opened_at),
        "resolved_at": iso(incident.resolved_at),
        "updated_at": iso(incident.updated_at),
        "source": incident.source.value,
        "reported_by": incident.reported_by,
        "assignee": incident.assignee,
        "acknowledged_at": iso(incident.acknowledged_at),
        "assigned_at": iso(incident.assigned_at),
        "closed_at": iso(incident.closed_at),
        "confirmed_at": iso(incident.confirmed_at),
        "waiting_since": iso(incident.paused_since),
        "eta": iso(incident.eta_at),
        "reaction_due_at": iso(incident.reaction_due_at),
        "resolution_due_at": iso(incident.resolution_due_at),
    }


def list_incidents(engine: Engine, flt: IncidentFilter) -> tuple[list[dict[str, Any]], int]:
    """A page of tickets, newest first, and the total that match."""
    conditions = []
    if flt.customer is not None:
        conditions.append(col(Incident.customer) == flt.customer)
    if flt.status is not None:
        conditions.append(col(Incident.status) == flt.status)
    if flt.device is not None:
        conditions.append(col(Incident.device) == flt.device)
    t = Incident.__table__.c  # type: ignore[attr-defined]
    page = (core_select(t.id.table).where(*conditions)
            .order_by(t.opened_at.desc(), t.id.desc()).limit(flt.limit).offset(flt.offset))
    with engine.connect() as connection:
        total = int(connection.execute(
            core_select(func.count()).select_from(t.id.table).where(*conditions)).scalar_one())
        return [incident_dict(r) for r in connection.execute(page)], total


def ref_of(engine: Engine, incident_id: int) -> str:
    """A ticket's ID from its row id."""
    with Session(engine) as session:
        incident = session.get(Incident, incident_id)
        assert incident is not None
        return incident.ref


def get_incident(engine: Engine, ref: str, customer: str | None = None) -> dict[str, Any] | None:
    """One ticket with its timeline; None if absent or not the given customer's."""
    with Session(engine) as session:
        query = select(Incident).where(Incident.ref == ref)
        if customer is not None:
            query = query.where(Incident.customer == customer)
        incident = session.exec(query).first()
        if incident is None:
            return None
        events = session.exec(
            select(IncidentEvent).where(IncidentEvent.incident_id == incident.id)
            .order_by(col(IncidentEvent.at), col(IncidentEvent.id))
        ).all()
        members = session.exec(
            select(IncidentMember).where(IncidentMember.incident_id == incident.id)
            .order_by(col(IncidentMember.attached_at), col(IncidentMember.id))
        ).all()
        result = incident_dict(incident)
        result["attached"] = [
            {"device": m.device, "probe": m.probe, "attached_at": m.attached_at.isoformat(),
             "detached_at": m.detached_at.isoformat() if m.detached_at else None}
            for m in members
        ]
        result["timeline"] = [
            {"at": e.at.isoformat(), "actor": e.actor.value, "author": e.author, "kind": e.kind,
             "message": e.message}
            for e in events
        ]
        assert incident.id is not None
        result["records"] = records_of(session, incident.id)
        result["escalation"] = [
            {"step": s.step_index, "tier": s.tier, "what": s.description,
             "due_at": s.due_at.isoformat() if s.due_at else None,
             "fired_at": s.fired_at.isoformat() if s.fired_at else None,
             "skipped_at": s.skipped_at.isoformat() if s.skipped_at else None}
            for s in session.exec(select(EscalationStepRow).where(
                EscalationStepRow.incident_id == incident.id)
                .order_by(col(EscalationStepRow.step_index))).all()
        ]
        result["sla"] = [
            {"kind": m.kind, "pct": m.pct, "breach": m.pct >= 100, "at": m.at.isoformat()}
            for m in session.exec(select(SlaMarkRow).where(SlaMarkRow.incident_id == incident.id)
                                  .order_by(col(SlaMarkRow.at), col(SlaMarkRow.id))).all()
        ]
        return result


def open_incident_counts(engine: Engine) -> dict[tuple[str, str, int], int]:
    """Open tickets by (customer, priority, tier)."""
    with Session(engine) as session:
        rows = session.exec(
            select(Incident.customer, Incident.priority, Incident.tier, func.count())
            .where(col(Incident.status).in_(ACTIVE))
            .group_by(col(Incident.customer), col(Incident.priority), col(Incident.tier))
        ).all()
    return {(c, str(p), t): n for c, p, t, n in rows}


def sla_at_risk_counts(engine: Engine) -> dict[str, int]:
    """Open tickets with an SLA warning or breach recorded, by customer."""
    with Session(engine) as session:
        rows = session.exec(
            select(Incident.customer, func.count(func.distinct(Incident.id)))
            .join(SlaMarkRow, col(SlaMarkRow.incident_id) == col(Incident.id))
            .where(col(Incident.status).in_(ACTIVE))
            .group_by(col(Incident.customer))).all()
    return dict(rows)


def load_open_problems(engine: Engine) -> tuple[dict[str, bool], dict[CheckKey, str]]:
    """Problems with an active ticket (and whether flapping), and the checks attached to them."""
    with Session(engine) as session:
        rows = session.exec(select(Incident).where(col(Incident.open_key).is_not(None))).all()
        problems = {r.problem_key: r.flapping for r in rows}
        ids = {r.id: r.problem_key for r in rows}
        members = session.exec(select(IncidentMember).where(
            col(IncidentMember.detached_at).is_(None),
            col(IncidentMember.incident_id).in_(list(ids)),
        )).all() if ids else []
    return problems, {CheckKey(m.device, m.probe): ids[m.incident_id] for m in members}


def load_recently_resolved(engine: Engine, since: datetime) -> dict[str, datetime]:
    """Problems whose last ticket was resolved after `since`: a recurrence reopens it."""
    with Session(engine) as session:
        rows = session.exec(select(Incident.problem_key, Incident.resolved_at).where(
            col(Incident.status).in_((IncidentStatus.RESOLVED, IncidentStatus.CLOSED)),
            col(Incident.resolved_at) >= since)).all()
    latest: dict[str, datetime] = {}
    for problem, at in rows:
        if at is not None and (problem not in latest or at > latest[problem]):
            latest[problem] = at
    return latest


def ticket_facts(engine: Engine, ref: str) -> tuple[str, Priority, TicketFacts] | None:
    """A ticket's customer, priority and clock facts; None if there is no such ticket."""
    with Session(engine) as session:
        incident = session.exec(select(Incident).where(Incident.ref == ref)).first()
        if incident is None:
            return None
        return incident.customer, incident.priority, facts_of(session, incident)


def load_check_tickets(engine: Engine) -> tuple[dict[str, bool], dict[CheckKey, str]]:
    """`load_open_problems` for checks' problems only, read as plain rows (the fleet view
    reads them every few seconds)."""
    is_open = (col(Incident.open_key).is_not(None),
               col(Incident.problem_key).startswith(CHECK_PROBLEM))
    with Session(engine) as session:
        problems = {problem: flapping for problem, flapping in session.execute(
            select(Incident.problem_key, Incident.flapping).where(*is_open))}
        members = session.execute(
            select(IncidentMember.device, IncidentMember.probe, Incident.problem_key)
            .join(Incident, col(Incident.id) == col(IncidentMember.incident_id))
            .where(col(IncidentMember.detached_at).is_(None), *is_open)).all()
    return problems, {CheckKey(device, probe): problem for device, probe, problem in members}
