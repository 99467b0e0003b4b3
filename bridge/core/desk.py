"""The desk's clockwork, pure: a ticket's SLA due times, its escalation plan, what is due
now (warnings, breaches, steps, ETA notices, closing after silence) and who is told what.

Everything takes the ticket's facts and `now`; the store carries the answers out in the
same transaction as the change that made them due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from bridge.core.calendar import Coverage
from bridge.core.escalation import Chain, Step, skip_reason, step_due_at
from bridge.core.lifecycle import ACTIVE, IncidentStatus
from bridge.core.sla import (
    Clock,
    Pause,
    SlaKind,
    SlaMark,
    SlaTargets,
    due_at,
    reaction_clock,
    resolution_clock,
    sla_marks_due,
)


@dataclass(frozen=True)
class TicketFacts:
    """What the clocks need to know about one ticket."""

    status: IncidentStatus
    started_at: datetime  # the monitoring event's time, or the report's
    acknowledged_at: datetime | None
    assigned_at: datetime | None
    resolved_at: datetime | None
    pauses: tuple[Pause, ...] = ()  # waiting on the customer or a supplier
    resolved_spans: tuple[Pause, ...] = ()  # from each resolution to its reopening

    @property
    def resolved(self) -> bool:
        """Solved (or closed): the resolution clock has stopped."""
        return self.status not in ACTIVE

    def reaction(self) -> Clock:
        """Creation to assignment (or to resolution, if it was solved unassigned)."""
        stop = self.assigned_at or (self.resolved_at if self.resolved else None)
        return reaction_clock(self.started_at, stop, self.resolved_spans)

    def resolution(self) -> Clock:
        """Creation to resolution, paused while waiting and while it sat resolved."""
        return resolution_clock(self.started_at, self.resolved_at if self.resolved else None,
                                self.pauses + self.resolved_spans)


@dataclass(frozen=True)
class StepPlan:
    """One escalation step of a ticket: when it is due, or why it never will be."""

    step: Step
    due_at: datetime | None
    skip: str | None


@dataclass(frozen=True)
class TicketPlan:
    """A ticket's targets and steps as its facts stand."""

    reaction_due_at: datetime | None
    resolution_due_at: datetime | None
    steps: tuple[StepPlan, ...]


def plan(facts: TicketFacts, coverage: Coverage, targets: SlaTargets, chain: Chain) -> TicketPlan:
    """Due times of both targets and of every step of the chain."""
    reaction, resolution = facts.reaction(), facts.resolution()
    steps = tuple(
        StepPlan(step, step_due_at(step, coverage, reaction, resolution, targets),
                 skip_reason(step, acknowledged=facts.acknowledged_at is not None,
                             assigned=facts.assigned_at is not None, resolved=facts.resolved))
        for step in chain.steps)
    return TicketPlan(due_at(coverage, reaction, targets.reaction_s),
                      due_at(coverage, resolution, targets.resolution_s), steps)


def marks_due(facts: TicketFacts, coverage: Coverage, targets: SlaTargets,
              recorded: set[tuple[str, int]], now: datetime) -> list[SlaMark]:
    """Warnings and breaches of both clocks reached by `now` and not recorded yet."""
    marks: list[SlaMark] = []
    for kind, clock in ((SlaKind.REACTION, facts.reaction()),
                        (SlaKind.RESOLUTION, facts.resolution())):
        done = {pct for k, pct in recorded if k == kind.value}
        marks.extend(sla_marks_due(coverage, clock, kind, targets, done, now))
    return sorted(marks, key=lambda m: (m.at, m.kind.value, m.pct))


def next_mark_at(facts: TicketFacts, coverage: Coverage, targets: SlaTargets,
                 recorded: set[tuple[str, int]]) -> datetime | None:
    """When the next unrecorded warning or breach falls due; None if none will (clocks
    stopped or paused short of them): nothing to look at until the ticket changes."""
    due: list[datetime] = []
    for kind, clock in ((SlaKind.REACTION, facts.reaction()),
                        (SlaKind.RESOLUTION, facts.resolution())):
        for pct in targets.marks_pct():
            if (kind.value, pct) not in recorded:
                at = due_at(coverage, clock, targets.target_s(kind) * pct / 100)
                if at is not None:
                    due.append(at)
    return min(due, default=None)


def default_eta(started_at: datetime, coverage: Coverage, targets: SlaTargets) -> datetime:
    """The ETA a ticket gets when nobody sets one: the priority's default, in coverage time."""
    return coverage.add(started_at, targets.eta_default_s)


def eta_notice_due(status: IncidentStatus, eta_at: datetime | None,
                   noticed_at: datetime | None, notice_s: float, now: datetime) -> bool:
    """Whether to tell the customer now that the ETA will be exceeded (once per ETA)."""
    if status not in ACTIVE or eta_at is None or noticed_at is not None:
        return False
    return now >= eta_at - timedelta(seconds=notice_s)


def close_due(status: IncidentStatus, resolved_at: datetime | None, silence_s: float,
              now: datetime) -> bool:
    """A resolved ticket closes when the customer stayed silent for the contract's period."""
    return (status is IncidentStatus.RESOLVED and resolved_at is not None
            and now >= resolved_at + timedelta(seconds=silence_s))


class Audience(StrEnum):
    """Who hears about a change."""

    CUSTOMER = "customer"  # the customer's receivers from the contract
    TIER = "tier"  # the contacts of the ticket's current tier for that customer
    OPERATORS = "operators"  # the desk's own receivers


_AUDIENCES: dict[str, frozenset[Audience]] = {
    "opened": frozenset({Audience.CUSTOMER}),
    "acknowledged": frozenset({Audience.CUSTOMER}),
    "assigned": frozenset({Audience.CUSTOMER}),
    "eta_set": frozenset({Audience.CUSTOMER}),
    "waiting": frozenset({Audience.CUSTOMER}),
    "resumed": frozenset({Audience.CUSTOMER}),
    "escalated": frozenset({Audience.TIER}),
    "supplier": frozenset({Audience.CUSTOMER}),
    "onsite": frozenset({Audience.CUSTOMER}),
    "loaner": frozenset({Audience.CUSTOMER}),
    "resolved": frozenset({Audience.CUSTOMER}),
    "closed": frozenset({Audience.CUSTOMER}),
    "reopened": frozenset({Audience.CUSTOMER, Audience.TIER}),
    "sla_warning": frozenset({Audience.TIER, Audience.OPERATORS}),
    "sla_breach": frozenset({Audience.TIER, Audience.OPERATORS}),
    "eta_will_be_exceeded": frozenset({Audience.CUSTOMER, Audience.TIER}),
}


# The timeline entries a customer sees: what happened to its ticket and what it was told.
# Anything else (internal notes, messages to the desk's people, escalation, SLA warnings,
# other customers' devices attached behind a shared parent) is the desk's own; a kind not
# listed here is internal, so a new kind is never shown by accident.
PUBLIC_KINDS = frozenset({
    "opened", "still_down", "reopened", "resolved", "flapping", "steady",
    "proposed_priority", "acknowledged", "assigned", "comment", "eta_set", "waiting",
    "resumed", "supplier_added", "supplier_updated", "onsite_added", "onsite_updated",
    "loaner_added", "loaner_updated", "confirmed", "closed", "eta_will_be_exceeded",
    "sla_breach", "notified",  # "notified": the customer's own receivers only
})
NOTIFIED_STAFF = "notified_staff"  # the timeline kind for messages to the desk's people


def is_public(kind: str) -> bool:
    """Whether a customer sees timeline entries of this kind."""
    return kind in PUBLIC_KINDS


def audience(kind: str, actor_is_customer: bool, internal_customer: bool) -> frozenset[Audience]:
    """Who is told of a change of `kind`.

    A comment goes to the other side: an operator's to the customer, a customer's to the
    ticket's tier. The desk's own tickets (a monitoring gap, a dead letter) go to operators.
    """
    if internal_customer:
        return frozenset({Audience.OPERATORS})
    if kind == "comment":
        return frozenset({Audience.TIER if actor_is_customer else Audience.CUSTOMER})
    if kind in ("confirmed", "note") or kind.endswith("_updated"):
        return frozenset()
    return _AUDIENCES.get(kind.removesuffix("_added"), frozenset())
