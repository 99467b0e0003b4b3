"""The tickets section of a monthly report: reaction and resolution times against targets.

Times are counted in the contract's coverage time, as the SLA clocks count them (the
resolution time less the pauses while waiting on the customer or a supplier, and both
less the time a reopened ticket sat resolved); breaches are the ones the desk recorded.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from bridge.availability.summary import iso_utc
from bridge.config.model import Config
from bridge.core.sla import elapsed_s
from bridge.store import Connection
from bridge.store.report_tickets import report_tickets


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 1)


def whole_seconds(seconds: float | None) -> int | None:
    """A duration in whole seconds, a started second counted: 900.4 s reads 901, past a
    900 s target as the desk judges it (rounded to the millisecond first, so float noise in
    900.0000001 s does not)."""
    return None if seconds is None else math.ceil(round(seconds, 3))


def ticket_section(connection: Connection, config: Config, customer: str, start: datetime,
                   end: datetime) -> list[dict[str, Any]]:
    """The customer's tickets opened in [start, end), with their SLA figures."""
    if customer not in config.customers:
        return []
    coverage = config.coverage_for(customer)
    section = []
    for ticket in report_tickets(connection, customer, start, end):
        facts = ticket.facts
        targets = config.sla_for(customer, ticket.priority)
        reaction = facts.reaction()
        resolution = facts.resolution()
        reaction_s = (elapsed_s(coverage, reaction, reaction.stopped_at)
                      if reaction.stopped_at else None)
        resolution_s = (elapsed_s(coverage, resolution, resolution.stopped_at)
                        if resolution.stopped_at else None)
        section.append({
            "id": ticket.ref, "priority": ticket.priority.value, "status": ticket.status.value,
            "device": ticket.device, "opened": iso_utc(ticket.opened_at),
            # Seconds are exact (what the SLA is judged on); minutes are kept for readers of
            # the first version of this JSON.
            "reaction_s": whole_seconds(reaction_s),
            "reaction_target_s": whole_seconds(targets.reaction_s),
            "resolution_s": whole_seconds(resolution_s),
            "resolution_target_s": whole_seconds(targets.resolution_s),
            "reaction_min": _minutes(reaction_s),
            "reaction_target_min": _minutes(targets.reaction_s),
            "resolution_min": _minutes(resolution_s),
            "resolution_target_min": _minutes(targets.resolution_s),
            "breached": ", ".join(sorted(ticket.breaches)) or "",
        })
    return section
