"""What `GET /api/v1/incidents/{id}` adds to the stored ticket: the customer's time zone and
whether the reaction and resolution targets were met (desk/ticket_sla.py)."""

from __future__ import annotations

from typing import Any

from bridge.api.service import Service
from bridge.desk.ticket_sla import sla_view
from bridge.store.reads import ticket_facts


async def sla_fields(service: Service, ref: str) -> dict[str, Any]:
    """`timezone` and `sla_outcome` of the ticket `ref`."""
    found = await service.read(lambda e: ticket_facts(e, ref))
    return sla_view(service.current_config(), found, service.now())
