"""What `GET /api/v1/incidents/{id}` adds to the stored ticket: the customer's time zone and
whether the reaction and resolution targets were met, by how much (coverage seconds)."""

from __future__ import annotations

from typing import Any

from bridge.api.service import Service
from bridge.core.sla_outcome import ClockOutcome, outcomes
from bridge.store.reads import ticket_facts


def _as_dict(outcome: ClockOutcome) -> dict[str, Any]:
    return {"met": outcome.met, "target_s": outcome.target_s,
            "elapsed_s": outcome.elapsed_s, "margin_s": round(outcome.margin_s, 3),
            "stopped": outcome.stopped}


async def sla_fields(service: Service, ref: str) -> dict[str, Any]:
    """`timezone` (the customer's; UTC for the desk's own tickets) and `sla_outcome`
    ({reaction, resolution}, or None where no contract applies)."""
    config = service.current_config()
    found = await service.read(lambda e: ticket_facts(e, ref))
    if found is None or found[0] not in config.customers:
        return {"timezone": "UTC", "sla_outcome": None}
    customer, priority, facts = found
    reaction, resolution = outcomes(config.coverage_for(customer), facts,
                                    config.sla_for(customer, priority), service.now())
    return {"timezone": config.customers[customer].timezone,
            "sla_outcome": {"reaction": _as_dict(reaction), "resolution": _as_dict(resolution)}}
