"""Escalation chains: which tier is told when, and which steps a ticket's progress makes moot.

A step is time-based (`after_s` of coverage time since the ticket opened, "not assigned
within 30 minutes") or an SLA-risk step (`at_pct` of a reaction or resolution target). The
desk stores each step's due time and fires it once; this module only says when a step is
due and whether it still applies.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from bridge.core.calendar import Coverage
from bridge.core.sla import BREACH_PCT, Clock, SlaKind, SlaTargets, due_at, reached_at

TIERS = (1, 2, 3, 4)  # duty engineer, project specialist, senior experts, on-site technician


class Unless(StrEnum):
    """What makes a time-based step moot once the ticket has got that far."""

    ACKNOWLEDGED = "acknowledged"
    ASSIGNED = "assigned"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Step:
    """One step of a chain: notify `tier` after a time or at an SLA risk."""

    index: int  # position in the chain, the step's identity on a ticket
    tier: int
    after_s: float | None = None
    unless: Unless | None = None
    sla: SlaKind | None = None
    at_pct: int | None = None

    def __post_init__(self) -> None:
        if self.tier not in TIERS:
            raise ValueError(f"tier must be one of {TIERS}, got {self.tier}")
        timed = self.after_s is not None
        at_risk = self.sla is not None and self.at_pct is not None
        if timed == at_risk or (not at_risk and (self.sla, self.at_pct) != (None, None)):
            raise ValueError("a step has after_s, or sla with at_pct, not both")
        if at_risk and self.unless is not None:
            raise ValueError("an SLA step ends with its clock; it takes no unless")
        if self.at_pct is not None and not 0 < self.at_pct <= BREACH_PCT:
            raise ValueError(f"at_pct must be in 1..{BREACH_PCT}, got {self.at_pct}")
        if self.after_s is not None and self.after_s < 0:
            raise ValueError(f"after_s must be >= 0, got {self.after_s}")

    def describe(self) -> str:
        """The step in words, for timelines and messages."""
        if self.sla is not None:
            return f"tier {self.tier} at {self.at_pct} % of the {self.sla} target"
        condition = f" unless {self.unless}" if self.unless else ""
        return f"tier {self.tier} after {(self.after_s or 0) / 60:g} min{condition}"


@dataclass(frozen=True)
class Chain:
    """A named escalation chain."""

    name: str
    steps: tuple[Step, ...]


def step_due_at(step: Step, coverage: Coverage, reaction_clock: Clock,
                resolution_clock: Clock, targets: SlaTargets) -> datetime | None:
    """When the step falls due; None while its clock is paused short of it, or if the
    clock it watches stopped first (then the step never fires).

    Time-based steps count coverage time since the ticket opened; "unless resolved" ones
    on the resolution clock, so waiting on the customer holds them too.
    """
    if step.sla is not None and step.at_pct is not None:
        clock = reaction_clock if step.sla is SlaKind.REACTION else resolution_clock
        return due_at(coverage, clock, targets.target_s(step.sla) * step.at_pct / 100)
    assert step.after_s is not None
    clock = resolution_clock if step.unless is Unless.RESOLVED else reaction_clock
    # Progress decides through step_applies; the time since opening does not stop.
    # "After 10 min" is when 10 min have been counted ("after 0 min" at the opening,
    # covered or not); an SLA step, like the breach, waits for the first covered moment past.
    return reached_at(coverage, replace(clock, stopped_at=None), step.after_s)


def skip_reason(step: Step, *, acknowledged: bool, assigned: bool,
                resolved: bool) -> str | None:
    """Why a step no longer applies to a ticket that has got this far, or None."""
    if resolved:
        return "resolved"
    if assigned and (step.unless in (Unless.ASSIGNED, Unless.ACKNOWLEDGED)
                     or step.sla is SlaKind.REACTION):
        return "assigned"
    if acknowledged and step.unless is Unless.ACKNOWLEDGED:
        return "acknowledged"
    return None


def step_applies(step: Step, *, acknowledged: bool, assigned: bool, resolved: bool) -> bool:
    """Whether a step should still fire (an "unless assigned" step is skipped once assigned)."""
    return skip_reason(step, acknowledged=acknowledged, assigned=assigned,
                       resolved=resolved) is None
