"""The desk's periodic tick: escalation steps due, SLA warnings and breaches, "ETA will be
exceeded" notices, and closing tickets after the contract's silence period.

One transaction per tick. Every action is claimed in the row it changes (a step's
`fired_at`, a unique SLA mark, `eta_noticed_at`, the status), so two instances, or a
restart after `kill -9`, never do one twice; an overdue one is done at the first tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bridge.core.audience import Audience
from bridge.core.lifecycle import ACTIVE, IncidentStatus
from bridge.core.sla import BREACH_PCT
from bridge.core.ticket_clocks import close_due, eta_notice_due, marks_due, next_mark_at
from bridge.core.timeline_texts import CLOSED_IN_SILENCE, ETA_WILL_BE_EXCEEDED, SLA_BREACHED
from bridge.core.wall_clock import local_text
from bridge.desk.contract import ContractDesk
from bridge.notify.notice import NoticeKind
from bridge.store import Engine, Session
from bridge.store.models import EscalationStepRow, Incident
from bridge.store.ticket_plans import (
    claim_steps,
    due_steps,
    eta_tickets,
    facts_by_id,
    first_due_step,
    first_etas,
    first_resolved,
    record_mark,
    recorded_marks_by_id,
    resolved_tickets,
    save,
    ticket_heads,
    tickets_by_id,
)
from bridge.store.tickets import in_transaction, note

# What a quiet tick found: the desk's change count then, and when the next tick can first
# find anything (ContractDesk.quiet).
_Quiet = tuple[int, datetime | None] | None


def _id_of(incident: Incident) -> int:
    """A stored ticket's row id."""
    assert incident.id is not None
    return incident.id


def _step_id(row: EscalationStepRow) -> int:
    """A stored step's row id."""
    assert row.id is not None
    return row.id


def fire_steps(session: Session, desk: ContractDesk, now: datetime) -> int:
    """Fire every escalation step that is due and still applies; each exactly once."""
    fired = 0
    due = due_steps(session, now)
    claimed = claim_steps(session, [_step_id(row) for row, _ in due], now)
    for row, incident in due:
        assert row.due_at is not None
        if row.id not in claimed:
            continue  # another instance fired it first
        fired += 1
        if row.tier > incident.tier:
            incident.tier = row.tier
            save(session, incident)
        # A step due before its ticket existed (clocks start at the first failed check)
        # is on time when it fires with the ticket; lateness counts from then.
        late = (now - max(row.due_at, incident.opened_at)).total_seconds()
        # Beyond a few ticks late: it fell due while no daemon was running.
        due_local = local_text(row.due_at, desk.timezone(incident.customer), seconds=True)
        lateness = f" (due {due_local}, {late:.0f} s late)" if late >= 5 else ""
        note(session, _id_of(incident), now, "escalation_step",
             f"step {row.step_index + 1}: {row.description}{lateness}")
        desk.notify(session, incident, NoticeKind.ESCALATED, f"step-{row.step_index}", now,
                    {Audience.TIER}, tier=row.tier, message=row.description)
    desk.counters.steps_fired += fired
    return fired


def record_marks(session: Session, desk: ContractDesk, now: datetime) -> int:
    """SLA warnings and breaches reached since the last tick; notices for the newest."""
    recorded = 0
    # Only the tickets whose next mark is unknown or due are loaded whole: at thousands of
    # open tickets, loading them all every tick was most of the tick.
    wanted = [ticket_id for ticket_id in _watched(session, desk, now)
              if _may_be_due(desk.next_mark, ticket_id, now)]
    incidents = tickets_by_id(session, wanted)
    # Read for all of them at once: after a storm opened tickets, every one is new here
    recorded_by_id = recorded_marks_by_id(session, [_id_of(i) for i in incidents])
    facts_by = facts_by_id(session, incidents)
    for incident in incidents:
        assert incident.id is not None
        coverage = desk.config.coverage_for(incident.customer)
        targets = desk.config.sla_for(incident.customer, incident.priority)
        done = recorded_by_id[incident.id]
        facts = facts_by[incident.id]
        marks = marks_due(facts, coverage, targets, done, now)
        desk.next_mark[incident.id] = next_mark_at(
            facts, coverage, targets, done | {(m.kind.value, m.pct) for m in marks})
        for mark in marks:
            if not record_mark(session, incident.id, mark, now):
                continue
            recorded += 1
            breach = mark.pct >= BREACH_PCT
            key = (incident.customer, mark.kind.value)
            tally = desk.counters.sla_breaches if breach else desk.counters.sla_warnings
            tally[key] = tally.get(key, 0) + 1
            at = local_text(mark.at, desk.timezone(incident.customer))
            what = SLA_BREACHED.write(clock=mark.kind.value, at=at) if breach \
                else f"{mark.pct} % of the {mark.kind.value} target elapsed at {at}"
            note(session, _id_of(incident), now, "sla_breach" if breach else "sla_warning", what)
            superseded = any(m.kind is mark.kind and m.pct > mark.pct for m in marks)
            if not superseded:  # after an outage of the bridge, only the newest is news
                desk.notify(session, incident,
                            NoticeKind.SLA_BREACH if breach else NoticeKind.SLA_WARNING,
                            f"{mark.kind.value}-{mark.pct}", now,
                            {Audience.TIER, Audience.OPERATORS}, message=what,
                            sla=(mark.kind.value, mark.pct))
    return recorded


def _watched(session: Session, desk: ContractDesk, now: datetime) -> list[int]:
    """The tickets whose SLA marks the clock watches: the active ones under a contract, and
    those resolved within the hour (a resolved ticket's marks all fall before its
    resolution; only one resolved since the last ticks can still have one unrecorded)."""
    recent = now - timedelta(hours=1)
    return [ticket_id for ticket_id, status, resolved_at, customer
            in ticket_heads(session, [*ACTIVE, IncidentStatus.RESOLVED])
            if (status in ACTIVE or (resolved_at is not None and resolved_at >= recent))
            and customer in desk.config.customers]


def _may_be_due(next_mark: dict[int, datetime | None], ticket_id: int, now: datetime) -> bool:
    """Whether a ticket's next mark may have fallen due (not known yet, or known and due)."""
    if ticket_id not in next_mark:
        return True
    next_at = next_mark[ticket_id]
    return next_at is not None and next_at <= now


def eta_notices(session: Session, desk: ContractDesk, now: datetime) -> int:
    """Tell the customer, before it passes, that an ETA will be exceeded; once per ETA."""
    sent = 0
    # Only tickets whose ETA comes within the longest notice period of any contract.
    longest_s = max((c.contract.eta_notice_min * 60 for c in desk.config.customers.values()),
                    default=0.0)
    for incident in eta_tickets(session, now + timedelta(seconds=longest_s)):
        customer = desk.config.customers.get(incident.customer)
        if customer is None:
            continue
        notice_s = customer.contract.eta_notice_min * 60
        if not eta_notice_due(incident.status, incident.eta_at, incident.eta_noticed_at,
                              notice_s, now):
            continue
        assert incident.eta_at is not None
        incident.eta_noticed_at = now
        save(session, incident)
        message = ETA_WILL_BE_EXCEEDED.write(eta=local_text(incident.eta_at, customer.timezone))
        note(session, _id_of(incident), now, "eta_will_be_exceeded", message)
        desk.notify(session, incident, NoticeKind.ETA_WILL_BE_EXCEEDED,
                    f"eta-{incident.eta_at.isoformat()}", now,
                    {Audience.CUSTOMER, Audience.TIER}, message=message)
        sent += 1
    return sent


def close_silent(session: Session, desk: ContractDesk, now: datetime) -> int:
    """Close resolved tickets whose customer stayed silent for the contract's period."""
    closed = 0
    # "" stands for customers without a contract (the desk's own tickets).
    shortest_s = min(desk.silence_period_s(c) for c in (*desk.config.customers, ""))
    for incident in resolved_tickets(session, now - timedelta(seconds=shortest_s)):
        silence_s = desk.silence_period_s(incident.customer)
        if not close_due(incident.status, incident.resolved_at, silence_s, now):
            continue
        incident.status, incident.closed_at, incident.updated_at = IncidentStatus.CLOSED, now, now
        save(session, incident)
        message = CLOSED_IN_SILENCE.write(hours=f"{silence_s / 3600:g}")
        note(session, _id_of(incident), now, "closed", message)
        desk.notify(session, incident, NoticeKind.CLOSED, "closed-silence", now,
                    {Audience.CUSTOMER}, message=message)
        closed += 1
    return closed


def run_clock(engine: Engine, desk: ContractDesk, now: datetime) -> int:
    """One tick of the desk's clock, in one transaction; how many things it did.

    A tick that did nothing, with no ticket change planned since the tick before, notes in
    `desk.quiet` when the next can first find anything (`tick_wanted`). Only on SQLite,
    where this daemon is the one writing tickets; with several instances another's change
    passes no desk of ours, so every tick runs."""
    changes, desk.quiet = desk.changes, None

    def tick(session: Session) -> tuple[int, _Quiet]:
        done = (fire_steps(session, desk, now) + record_marks(session, desk, now)
                + eta_notices(session, desk, now) + close_silent(session, desk, now))
        if done or changes != desk.ticked_at or engine.dialect.name != "sqlite":
            return done, None
        return done, (changes, _next_due(session, desk, now))

    try:
        done, desk.quiet = in_transaction(engine, tick)
    except BaseException:
        # The next marks this tick learned are of marks it did not write after all: the
        # next tick looks at every watched ticket again.
        desk.next_mark.clear()
        raise
    desk.ticked_at = changes
    return done


def tick_wanted(desk: ContractDesk, now: datetime) -> bool:
    """Whether a tick at `now` may find anything to do: unless the last tick was quiet, no
    ticket change was planned since, and the first thing it found ahead is not due yet."""
    quiet = desk.quiet
    if quiet is None or quiet[0] != desk.changes:
        return True
    return quiet[1] is not None and now >= quiet[1]


def _next_due(session: Session, desk: ContractDesk, now: datetime) -> datetime | None:
    """The first moment a tick can find anything to do as the store stands (None: only a
    change can bring any): a step's due time, a watched ticket's next SLA mark, an ETA
    less its notice period, a resolution plus the silence."""
    ahead: list[datetime] = []
    for ticket_id in _watched(session, desk, now):  # each has a next mark after the tick
        mark = desk.next_mark.get(ticket_id, now)
        if mark is not None:
            ahead.append(mark)
    step = first_due_step(session)
    if step is not None:
        ahead.append(step)
    for customer, eta_at in first_etas(session):
        known = desk.config.customers.get(customer)
        if known is not None:  # eta_notices passes the others by
            ahead.append(eta_at - timedelta(seconds=known.contract.eta_notice_min * 60))
    ahead.extend(resolved_at + timedelta(seconds=desk.silence_period_s(customer))
                 for customer, resolved_at in first_resolved(session))
    return min(ahead, default=None)
