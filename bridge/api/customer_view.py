"""What a customer token sees of its own tickets: what happened and what it was told.

Operators see a ticket whole. A customer does not see the desk's workings: internal notes,
messages to the desk's people, the escalation plan, SLA warnings, the rule that opened the
ticket, or devices of other customers attached behind a shared parent. Every route that
answers with a ticket passes it through here.
"""

from __future__ import annotations

from typing import Any

from bridge.api.auth import Caller
from bridge.config.main_file import Role
from bridge.config.model import Config
from bridge.core.desk import is_public

# The desk's own fields of a ticket, left out of a customer's view.
STAFF_FIELDS = ("rule", "escalation")


def ticket_for(caller: Caller, ticket: dict[str, Any], config: Config) -> dict[str, Any]:
    """A ticket (as the store reads it) the way `caller` may see it."""
    if caller.role == Role.OPERATOR:
        return ticket
    seen = {k: v for k, v in ticket.items() if k not in STAFF_FIELDS}
    if "timeline" in seen:
        seen["timeline"] = [e for e in seen["timeline"] if is_public(e["kind"])]
    if "sla" in seen:
        seen["sla"] = [m for m in seen["sla"] if m["breach"]]
    if "attached" in seen:
        seen["attached"] = [a for a in seen["attached"] if _owns(config, caller, a["device"])]
    return seen


def _owns(config: Config, caller: Caller, device_id: str) -> bool:
    device = config.devices.get(device_id)
    return device is not None and device.customer == caller.customer
