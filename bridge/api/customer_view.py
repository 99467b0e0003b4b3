"""What a token sees of a ticket: operators all of it, a customer its view (desk's rules)."""

from __future__ import annotations

from typing import Any

from bridge.api.auth import Caller
from bridge.config.main_file import Role
from bridge.config.model import Config
from bridge.desk.customer_view import customer_view


def ticket_for(caller: Caller, ticket: dict[str, Any], config: Config) -> dict[str, Any]:
    """A ticket (as the store reads it) the way `caller` may see it."""
    if caller.role == Role.OPERATOR:
        return ticket
    return customer_view(caller.customer or "", ticket, config)
