"""Who hears about a change to a ticket, and which timeline kinds the system writes itself."""

from __future__ import annotations

from enum import StrEnum


class Audience(StrEnum):
    """Who hears about a change."""

    CUSTOMER = "customer"  # the customer's receivers from the contract
    TIER = "tier"  # the contacts of the ticket's current tier for that customer
    OPERATORS = "operators"  # the desk's own receivers


NOTIFIED_STAFF = "notified_staff"  # the timeline kind for messages to the desk's people
NOTE = "note"  # the timeline kind of an operator's internal comment: nobody is told

# The timeline kinds a customer sees that no person's action writes: what monitoring and
# the desk's clock did to its ticket and what it was told. The actions' own kinds come from
# the desk's action table.
PUBLIC_SYSTEM_KINDS = frozenset({
    "opened", "still_down", "reopened", "resolved", "flapping", "steady",
    "proposed_priority", "closed", "eta_will_be_exceeded",
    "sla_breach", "notified",  # "notified": the customer's own receivers only
})
