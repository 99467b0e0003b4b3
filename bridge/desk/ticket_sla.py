"""A ticket's SLA outcome: the customer's time zone and whether the reaction and resolution
targets were met, by how much (coverage seconds). The API's ticket and the portal's page
show the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bridge.config.model import Config
from bridge.core.priority import Priority
from bridge.core.sla_outcome import ClockOutcome, outcomes
from bridge.core.ticket_clocks import TicketFacts


def _as_dict(outcome: ClockOutcome) -> dict[str, Any]:
    return {"met": outcome.met, "target_s": outcome.target_s,
            "elapsed_s": outcome.elapsed_s, "margin_s": round(outcome.margin_s, 3),
            "stopped": outcome.stopped, "paused": outcome.paused}


def sla_view(config: Config, found: tuple[str, Priority, TicketFacts] | None,
             now: datetime) -> dict[str, Any]:
    """`timezone` (the customer's; UTC for the desk's own tickets) and `sla_outcome`
    ({reaction, resolution}, or None where no contract applies), from the store's
    `ticket_facts`."""
    if found is None or found[0] not in config.customers:
        return {"timezone": "UTC", "sla_outcome": None}
    customer, priority, facts = found
    reaction, resolution = outcomes(config.coverage_for(customer), facts,
                                    config.sla_for(customer, priority), now)
    return {"timezone": config.customers[customer].timezone,
            "sla_outcome": {"reaction": _as_dict(reaction), "resolution": _as_dict(resolution)}}
