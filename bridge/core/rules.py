"""Ticket rules: when a failing check becomes a ticket, and at which priority.

rules/*.toml compiles into these (config/model.py); the engine asks the first that matches.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bridge.core.priority import Priority


class Criticality(StrEnum):
    """How much a device matters to its customer."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Condition(StrEnum):
    """What is wrong with a check, for rules to match on."""

    DOWN = "down"  # hard failure
    FLAPPING = "flapping"  # changing state too often to be believed either way


@dataclass(frozen=True)
class TicketRule:
    """When a hard failure becomes a ticket, and at which priority. First match wins.

    An empty selector (probes, customers, tags, criticality, conditions) matches any.
    """

    probes: tuple[str, ...] = ()
    customers: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    criticality: tuple[Criticality, ...] = ()
    conditions: tuple[Condition, ...] = ()
    # One priority, or one per device criticality: { high = "P1", medium = "P2", low = "P3" }
    priority: Priority | Mapping[Criticality, Priority] = Priority.P3
    open_ticket: bool = True
    max_attempts: int | None = None  # overrides the probe's
    recover_after: int | None = None  # overrides the probe's
    escalation: str | None = None  # overrides the contract's chain for tickets it opens

    def matches(self, probe_id: str, customer: str, tags: tuple[str, ...],
                criticality: Criticality, condition: Condition) -> bool:
        """Whether the rule covers this condition of a check on such a device."""
        return not ((self.conditions and condition not in self.conditions)
                    or (self.probes and probe_id not in self.probes)
                    or (self.customers and customer not in self.customers)
                    or (self.tags and not set(self.tags) & set(tags))
                    or (self.criticality and criticality not in self.criticality))

    def priority_for(self, criticality: Criticality) -> Priority:
        """The rule's priority for a device of this criticality (P3 if the table omits it)."""
        if isinstance(self.priority, Mapping):
            return self.priority.get(criticality, Priority.P3)
        return self.priority
