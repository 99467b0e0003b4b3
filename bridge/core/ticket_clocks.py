"""A ticket's clockwork, pure: its SLA due times, its escalation plan and what is due now
(warnings, breaches, steps, ETA notices, closing after silence).

Everything takes the ticket's facts and `now`; the store carries the answers out in the
same transaction as the change that made them due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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


def next_due_at(assigned_at: datetime | None, reaction_due_at: datetime | None,
                resolution_due_at: datetime | None) -> datetime | None:
    """The SLA deadline a ticket runs against now: reaction until it is assigned, then
    resolution."""
    return reaction_due_at if assigned_at is None else resolution_due_at


def time_left_s(due_at: datetime | None, now: datetime) -> float | None:
    """Seconds from `now` to `due_at` (negative: over by that much); None without one."""
    return None if due_at is None else (due_at - now).total_seconds()
