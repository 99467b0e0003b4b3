"""Whether a ticket met its reaction and resolution targets, and by how much.

Counted in coverage time, as the SLA clocks count it; meeting a target at its last
covered second is met. A clock still running is undecided until it passes its target.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bridge.core.calendar import Coverage
from bridge.core.sla import SlaKind, SlaTargets, elapsed_s
from bridge.core.ticket_clocks import TicketFacts


@dataclass(frozen=True)
class ClockOutcome:
    """One clock against its target."""

    kind: SlaKind
    target_s: float
    elapsed_s: float
    stopped: bool
    paused: bool = False  # running, and paused now (waiting on the customer or a supplier)

    @property
    def met(self) -> bool | None:
        """True if met, False if breached, None while running within the target."""
        if self.elapsed_s > self.target_s:
            return False
        return True if self.stopped else None

    @property
    def margin_s(self) -> float:
        """Coverage seconds to spare (or left, while running); negative: how far over."""
        return self.target_s - self.elapsed_s


def outcomes(coverage: Coverage, facts: TicketFacts, targets: SlaTargets,
             now: datetime) -> tuple[ClockOutcome, ClockOutcome]:
    """The reaction and resolution clocks of a ticket as of `now`."""
    found = []
    for kind, clock in ((SlaKind.REACTION, facts.reaction()),
                        (SlaKind.RESOLUTION, facts.resolution())):
        found.append(ClockOutcome(kind, targets.target_s(kind),
                                  round(elapsed_s(coverage, clock, now), 3),
                                  clock.stopped_at is not None, clock.paused))
    return found[0], found[1]
