"""The contract desk: plans a ticket's escalation steps and SLA due times, and composes its
notices into the outbox, in the transaction of the change that caused them.

`ContractDesk.changed` runs inside every ticket write (monitoring's and people's);
desk/clock.py's `run_clock` is the periodic tick: steps due, warnings and breaches, "ETA will be
exceeded", and closing after the contract's silence. Each is written once: steps carry
`fired_at`, marks are unique rows, ETA notices `eta_noticed_at`, so a restart at any
moment neither loses nor repeats one.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import partial
from pathlib import Path

from bridge.config.model import Config
from bridge.core.audience import NOTIFIED_STAFF, Audience
from bridge.core.escalation import Step
from bridge.core.sla import elapsed_s
from bridge.core.ticket_clocks import TicketFacts, TicketPlan, default_eta, plan
from bridge.desk.counters import DeskCounters
from bridge.desk.telling import OPENED, notice_of
from bridge.notify.compose import compose
from bridge.notify.links import MailLinks, no_links, ticket_link
from bridge.notify.notice import NoticeKind, OutboxDraft, TicketNotice
from bridge.notify.readers import Readers, problem_of, readers
from bridge.notify.templates import TemplateSet, TemplateSets
from bridge.store import Session
from bridge.store.models import Incident, TicketSource
from bridge.store.outbox.queue import add_drafts, add_drafts_keyed
from bridge.store.ticket_plans import (
    add_planned_steps,
    add_steps,
    facts_of,
    latest_event_id,
    new_ticket_facts,
    save,
    store_plan,
)
from bridge.store.tickets import OpenedTicket, TicketChange, note, notes

log = logging.getLogger(__name__)


def visit_of(change: TicketChange) -> datetime | None:
    """The scheduled visit of an on-site dispatch change, for the customer's notice."""
    record = change.data.get("record")  # only on-site dispatches have a scheduled time
    scheduled = record.get("scheduled_at") if isinstance(record, dict) else None
    return datetime.fromisoformat(scheduled) if scheduled else None


class ContractDesk:
    """The Desk of a running config (a reload builds a new one)."""

    def __init__(self, config: Config, counters: DeskCounters | None = None,
                 templates: TemplateSets | None = None, link_key: bytes | None = None) -> None:
        self.config = config
        self.counters = counters or DeskCounters()
        self.templates = templates or TemplateSets()
        # Per ticket, when its next SLA mark falls due (None: none until it changes), so
        # the clock does not recompute every open ticket's calendar on every tick.
        # Touched only on the store's writer thread.
        self.next_mark: dict[int, datetime | None] = {}
        # Ticket changes planned here (monitoring's, people's, the intake's), and what the
        # clock's last quiet tick found: the count then and the earliest moment anything it
        # does can fall due (desk/clock.py `tick_wanted`). A new desk (a reload) knows none.
        self.changes = 0
        self.ticked_at: int | None = None  # the count when the last tick started
        self.quiet: tuple[int, datetime | None] | None = None
        portal = config.main.portal  # notices link to its pages when it has a public address
        self.public_url = portal.public_url if portal.enabled else None
        self.mail_links = MailLinks(self.public_url, link_key, portal.link_days)

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
        self.changes += 1
        self.next_mark.pop(incident.id, None)  # its clocks may have moved
        new = change.kind == OPENED  # inserted in this transaction: no steps nor waits yet
        if change.kind in (OPENED, "reopened"):
            self._start(session, incident, new)
        # The clock facts, read once for the replan and the duration: neither moves them
        facts = None
        if incident.customer in self.config.customers:
            facts = new_ticket_facts(incident) if new else facts_of(session, incident)
        self.replan(session, incident, change.at, new_ticket=new, facts=facts)
        told = notice_of(change, internal_customer=incident.customer not in
                         self.config.customers)
        if told is not None:
            kind, who = told
            event_id = latest_event_id(session, incident.id)
            self.notify(session, incident, kind, f"event-{event_id}", change.at, who,
                        message=change.message, remark=change.remark,
                        visit_at=visit_of(change))
        if change.kind in ("assigned", "resolved"):
            self._record_duration(session, incident, change, facts)

    def opened(self, session: Session, tickets: Sequence[OpenedTicket]) -> None:
        """`changed` for tickets opened together, in a few statements for all of them:
        their plans in one UPDATE, their steps in one INSERT, their notices in another and
        who was told in a third."""
        if not tickets:
            return
        self.changes += 1
        add_planned_steps(session, [planned for ticket in tickets
                                    if (planned := self._plan_new(ticket)) is not None],
                          tickets[0].change.at)
        composed: dict[datetime, list[tuple[int, Readers, list[OutboxDraft]]]] = {}
        for ticket in tickets:
            incident, change = ticket.incident, ticket.change
            assert incident.id is not None
            told = notice_of(change, internal_customer=incident.customer not in
                             self.config.customers)
            if told is not None:
                composed.setdefault(change.at, []).extend(
                    (incident.id, group, drafts) for group, drafts in self._compose(
                        session, incident, told[0], f"event-{ticket.event_id}", change.at,
                        told[1], message=change.message, remark=change.remark))
        deadline_s = self.config.main.notifications.retry_deadline_h * 3600
        for at, groups in composed.items():
            added = add_drafts_keyed(session, [d for _i, _g, drafts in groups for d in drafts],
                                     at, deadline_s)
            notes(session, at, [(incident_id, *_told_note(group, drafts))
                                for incident_id, group, drafts in groups
                                if any(d.idempotency_key in added for d in drafts)])

    def _plan_new(self, ticket: OpenedTicket) -> tuple[int, Sequence[Step], TicketPlan] | None:
        """A new ticket's chain, default ETA and due times (set on it), and its steps to
        write; None for the desk's own tickets (no contract)."""
        incident = ticket.incident
        assert incident.id is not None
        self.next_mark.pop(incident.id, None)
        if incident.customer not in self.config.customers:
            return None
        chain = self.config.chain_for(incident.customer, incident.priority, incident.rule or None)
        coverage = self.config.coverage_for(incident.customer)
        targets = self.config.sla_for(incident.customer, incident.priority)
        incident.chain = chain.name
        if incident.eta_at is None:
            incident.eta_at = default_eta(incident.started_at, coverage, targets)
        planned = plan(new_ticket_facts(incident), coverage, targets, chain)
        incident.reaction_due_at = planned.reaction_due_at
        incident.resolution_due_at = planned.resolution_due_at
        return incident.id, chain.steps, planned

    # ---- planning ---------------------------------------------------------------------------

    def _start(self, session: Session, incident: Incident, new: bool) -> None:
        """A new (or reopened) ticket: its chain's steps as rows, its default ETA."""
        assert incident.id is not None
        if incident.customer not in self.config.customers:
            return  # the desk's own tickets run no contract
        chain = self.config.chain_for(incident.customer, incident.priority, incident.rule or None)
        incident.chain = chain.name
        add_steps(session, incident.id, chain.steps, new_ticket=new)
        if incident.eta_at is None:
            coverage = self.config.coverage_for(incident.customer)
            targets = self.config.sla_for(incident.customer, incident.priority)
            incident.eta_at = default_eta(incident.started_at, coverage, targets)
        save(session, incident)

    def replan(self, session: Session, incident: Incident, now: datetime,
               new_ticket: bool = False, facts: TicketFacts | None = None) -> None:
        """Due times of the targets and of the steps not fired yet, as the facts now stand
        (`facts` if the caller read them)."""
        if incident.customer not in self.config.customers:
            return
        coverage = self.config.coverage_for(incident.customer)
        targets = self.config.sla_for(incident.customer, incident.priority)
        chain = self.config.chain_for(incident.customer, incident.priority, incident.rule or None)
        if facts is None:
            facts = new_ticket_facts(incident) if new_ticket else facts_of(session, incident)
        store_plan(session, incident, plan(facts, coverage, targets, chain), now)

    def _record_duration(self, session: Session, incident: Incident,
                         change: TicketChange, facts: TicketFacts | None) -> None:
        if incident.customer not in self.config.customers or facts is None:
            return
        coverage = self.config.coverage_for(incident.customer)
        # `facts` as reports count: less waits and resolved spans
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
        deadline_s = self.config.main.notifications.retry_deadline_h * 3600
        told: list[str] = []
        for group, drafts in self._compose(session, incident, kind, discriminator, at, who,
                                           message=message, remark=remark, tier=tier,
                                           sla=sla, visit_at=visit_at):
            if add_drafts(session, drafts, at, deadline_s):
                note(session, incident.id, at, *_told_note(group, drafts))
            told.extend(group.receivers)
        return told

    def _compose(self, session: Session, incident: Incident, kind: NoticeKind,
                 discriminator: str, at: datetime, who: Iterable[Audience], *,
                 message: str = "", remark: str = "", tier: int | None = None,
                 sla: tuple[str, int] | None = None, visit_at: datetime | None = None,
                 ) -> list[tuple[Readers, list[OutboxDraft]]]:
        """One notice's messages, per group of readers (not written yet)."""
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
        return [(group, compose(group.notice, group.receivers, group.language,
                                self.templates_for(incident.customer),
                                customer.timezone if customer else "UTC", staff=group.staff,
                                link=ticket_link(self.public_url, incident.ref,
                                                 staff=group.staff),
                                mail_links=no_links if group.staff
                                else partial(self.mail_links.of, notice)))
                for group in groups]


def _told_note(group: Readers, drafts: Sequence[OutboxDraft]) -> tuple[str, str]:
    """The timeline entry saying who was told: the customer's view names only its own
    receivers, never the desk's people (tiers, operators)."""
    return (NOTIFIED_STAFF if group.staff else "notified",
            f"{drafts[0].subject} -> {', '.join(group.receivers)}")
