"""The contract desk: plans a ticket's escalation steps and SLA due times, and writes its
notices to the outbox, in the transaction of the change that caused them.

`ContractDesk.changed` runs inside every ticket write (monitoring's and people's);
`run_clock` is the periodic tick: steps due, warnings and breaches, "ETA will be
exceeded", and closing after the contract's silence. Each is written once: steps carry
`fired_at`, marks are unique rows, ETA notices `eta_noticed_at`, so a restart at any
moment neither loses nor repeats one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import ColumnElement, func, update
from sqlmodel import Session, col, select

from bridge.config.model import Config
from bridge.core.desk import (
    NOTIFIED_STAFF,
    Audience,
    TicketFacts,
    audience,
    default_eta,
    plan,
)
from bridge.core.lifecycle import IncidentStatus
from bridge.core.sla import elapsed_s
from bridge.notify.compose import compose
from bridge.notify.notice import NoticeKind, TicketNotice
from bridge.notify.readers import problem_of, readers
from bridge.notify.templates import TemplateSet, TemplateSets
from bridge.store.models import (
    Actor,
    EscalationStepRow,
    Incident,
    IncidentEvent,
    IncidentPause,
    TicketSource,
)
from bridge.store.outbox.queue import add_drafts
from bridge.store.tickets import RESOLVED_SPAN, TicketChange, note

log = logging.getLogger(__name__)


@dataclass
class DeskCounters:
    """What the desk did, for metrics: (customer, kind) -> count.

    Written on the store's writer thread, read at scrape time; durations are handed over
    under a lock so none is lost between the two.
    """

    sla_warnings: dict[tuple[str, str], int] = field(default_factory=dict)
    sla_breaches: dict[tuple[str, str], int] = field(default_factory=dict)
    steps_fired: int = 0
    _durations: list[tuple[str, str, float]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_duration(self, kind: str, priority: str, seconds: float) -> None:
        """A reaction or resolution time, in coverage seconds."""
        with self._lock:
            self._durations.append((kind, priority, seconds))

    def take_durations(self) -> list[tuple[str, str, float]]:
        """The durations recorded since the last call: (kind, priority, seconds)."""
        with self._lock:
            taken, self._durations = self._durations, []
        return taken


def visit_of(change: TicketChange) -> datetime | None:
    """The scheduled visit of an on-site dispatch change, for the customer's notice."""
    record = change.data.get("record") if change.kind.startswith("onsite") else None
    scheduled = record.get("scheduled_at") if isinstance(record, dict) else None
    return datetime.fromisoformat(scheduled) if scheduled else None


def facts_of(session: Session, incident: Incident) -> TicketFacts:
    """The clock facts of a ticket, with its waits and the times it sat resolved."""
    rows = session.exec(select(IncidentPause.waiting_on, IncidentPause.started_at,
                               IncidentPause.ended_at).where(
        IncidentPause.incident_id == incident.id)).all()
    waits = tuple((s, e) for kind, s, e in rows if kind != RESOLVED_SPAN)
    resolved = tuple((s, e) for kind, s, e in rows if kind == RESOLVED_SPAN)
    return TicketFacts(incident.status, incident.started_at, incident.acknowledged_at,
                       incident.assigned_at, incident.resolved_at, waits, resolved)


class ContractDesk:
    """The Desk of a running config (a reload builds a new one)."""

    def __init__(self, config: Config, counters: DeskCounters | None = None,
                 templates: TemplateSets | None = None) -> None:
        self.config = config
        self.counters = counters or DeskCounters()
        self.templates = templates or TemplateSets()
        # Per ticket, when its next SLA mark falls due (None: none until it changes), so
        # the clock does not recompute every open ticket's calendar on every tick.
        # Touched only on the store's writer thread.
        self.next_mark: dict[int, datetime | None] = {}

    def templates_for(self, customer_id: str) -> TemplateSet:
        """The customer's templates: the contract's folder over the built-in ones."""
        customer = self.config.customers.get(customer_id)
        folder = customer.contract.templates if customer else ""
        return self.templates.get(Path(folder) if folder else None)

    # ---- the Desk protocol -----------------------------------------------------------------

    def silence_period_s(self, customer: str) -> float:
        """The contract's silence period after resolution."""
        known = self.config.customers.get(customer)
        return known.contract.silence_period_h * 3600 if known else 72 * 3600.0

    def timezone(self, customer: str) -> str:
        """The customer's zone (UTC for the desk's own tickets)."""
        known = self.config.customers.get(customer)
        return known.timezone if known else "UTC"

    def changed(self, session: Session, incident: Incident, change: TicketChange) -> None:
        """Plan the ticket's clocks and steps after a change; tell whom it concerns."""
        assert incident.id is not None
        self.next_mark.pop(incident.id, None)  # its clocks may have moved
        if change.kind in ("opened", "reopened"):
            self._start(session, incident, change)
        self.replan(session, incident, change.at)
        kind = change.kind.removesuffix("_added")
        if kind in NoticeKind.__members__.values():
            session.flush()
            event_id = session.exec(select(func.max(IncidentEvent.id)).where(
                IncidentEvent.incident_id == incident.id)).one()
            self.notify(session, incident, NoticeKind(kind), f"event-{event_id}", change.at,
                        audience(change.kind, change.actor is Actor.CUSTOMER,
                                 incident.customer not in self.config.customers),
                        message=change.message, remark=change.remark,
                        visit_at=visit_of(change))
        if change.kind in ("assigned", "resolved"):
            self._record_duration(session, incident, change)

    # ---- planning ---------------------------------------------------------------------------

    def _start(self, session: Session, incident: Incident, change: TicketChange) -> None:
        """A new (or reopened) ticket: its chain's steps as rows, its default ETA."""
        assert incident.id is not None
        if incident.customer not in self.config.customers:
            return  # the desk's own tickets run no contract
        chain = self.config.chain_for(incident.customer, incident.priority, incident.rule or None)
        incident.chain = chain.name
        existing = set(session.exec(select(EscalationStepRow.step_index).where(
            EscalationStepRow.incident_id == incident.id)).all())
        for step in chain.steps:
            if step.index not in existing:
                session.add(EscalationStepRow(incident_id=incident.id, step_index=step.index,
                                              tier=step.tier, description=step.describe()))
        if incident.eta_at is None:
            coverage = self.config.coverage_for(incident.customer)
            targets = self.config.sla_for(incident.customer, incident.priority)
            incident.eta_at = default_eta(incident.started_at, coverage, targets)
        session.add(incident)
        session.flush()

    def replan(self, session: Session, incident: Incident, now: datetime) -> None:
        """Due times of the targets and of the steps not fired yet, as the facts now stand."""
        if incident.customer not in self.config.customers:
            return
        coverage = self.config.coverage_for(incident.customer)
        targets = self.config.sla_for(incident.customer, incident.priority)
        chain = self.config.chain_for(incident.customer, incident.priority, incident.rule or None)
        ticket = plan(facts_of(session, incident), coverage, targets, chain)
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

    def _record_duration(self, session: Session, incident: Incident,
                         change: TicketChange) -> None:
        if incident.customer not in self.config.customers:
            return
        coverage = self.config.coverage_for(incident.customer)
        facts = facts_of(session, incident)  # as reports count: less waits and resolved spans
        if change.kind == "resolved":
            seconds = elapsed_s(coverage, facts.resolution(), change.at)
            self.counters.add_duration("resolution", incident.priority.value, seconds)
        elif incident.assigned_at == change.at:  # the first assignment, not a reassignment
            seconds = elapsed_s(coverage, facts.reaction(), change.at)
            self.counters.add_duration("reaction", incident.priority.value, seconds)

    # ---- notices ----------------------------------------------------------------------------

    def notify(self, session: Session, incident: Incident, kind: NoticeKind,
               discriminator: str, at: datetime, who: Iterable[Audience], *,
               message: str = "", remark: str = "", tier: int | None = None,
               sla: tuple[str, int] | None = None, visit_at: datetime | None = None,
               ) -> list[str]:
        """Write one notice's messages to the outbox; note on the timeline who was told.

        `message` is the timeline's text, for the provider's people; `remark` what a
        person wrote, the only text besides the template's that the customer reads."""
        assert incident.id is not None
        customer = self.config.customers.get(incident.customer)
        notice = TicketNotice(
            kind=kind, ref=incident.ref, customer=incident.customer, discriminator=discriminator,
            at=at, summary=incident.summary, device=incident.device, priority=incident.priority,
            status=incident.status, eta=incident.eta_at, tier=tier or incident.tier,
            message=message, sla_kind=sla[0] if sla else None, sla_pct=sla[1] if sla else None,
            incident_id=incident.id, visit_at=visit_at)
        problem = problem_of(self.config, incident.device, incident.probe, incident.flapping) \
            if incident.source is TicketSource.MONITORING else None
        deadline_s = self.config.main.notifications.retry_deadline_h * 3600
        who = set(who)
        groups = readers(self.config, notice, who, notice.tier or 1, problem=problem,
                         remark=remark)
        if Audience.TIER in who and customer is not None and not any(g.staff for g in groups):
            # Partial tiers without operators (bridge check refuses a contract that reaches
            # nobody at all): say so where people look.
            nobody = (f"{kind}: nobody at the provider told: tier {notice.tier} has no "
                      "receivers and [notifications] operators is empty")
            log.warning("%s: %s", incident.ref, nobody)
            note(session, incident.id, at, NOTIFIED_STAFF, nobody)
        told: list[str] = []
        for group in groups:
            drafts = compose(group.notice, group.receivers, group.language,
                             self.templates_for(incident.customer),
                             customer.timezone if customer else "UTC", staff=group.staff)
            if add_drafts(session, drafts, at, deadline_s):
                # The customer's view of the timeline names only its own receivers,
                # never the desk's people (tiers, operators).
                note(session, incident.id, at, NOTIFIED_STAFF if group.staff else "notified",
                     f"{drafts[0].subject} -> {', '.join(group.receivers)}")
            told.extend(group.receivers)
        return told


def active_tickets(session: Session, statuses: Sequence[IncidentStatus],
                   *also: ColumnElement[bool]) -> list[Incident]:
    """Tickets in these states (and meeting `also`), oldest first."""
    return list(session.exec(select(Incident).where(col(Incident.status).in_(statuses), *also)
                             .order_by(col(Incident.id))).all())


def mark_fired(session: Session, row_id: int, now: datetime) -> bool:
    """Claim a step: True for exactly one caller, ever (the row's fired_at was empty)."""
    done = session.execute(update(EscalationStepRow).where(
        col(EscalationStepRow.id) == row_id, col(EscalationStepRow.fired_at).is_(None),
    ).values(fired_at=now))
    return bool(done.rowcount)  # type: ignore[attr-defined]
