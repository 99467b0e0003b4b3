"""What a customer sees of its own tickets (through its API token or in the portal): what
happened and what it was told.

Operators see a ticket whole. A customer does not see the desk's workings: internal notes,
messages to the desk's people, the escalation plan, SLA warnings, the rule that opened the
ticket, or devices of other customers attached behind a shared parent. Every route that
answers with a ticket, and every portal page a customer reads, passes it through here.

A monitoring ticket's summary and the entries monitoring writes (opened, still down,
reopened, resolved, flapping) carry the probe's output and the rule, for the desk. The
customer reads instead the problem in plain words in the contract's language, the same
words as its mail (notify/problems.py), derived from the ticket's device and check.
"""

from __future__ import annotations

from typing import Any

from bridge.config.model import Config
from bridge.desk.telling import is_public
from bridge.notify.problems import describe
from bridge.notify.readers import problem_of

# The desk's own fields of a ticket, left out of a customer's view.
STAFF_FIELDS = ("rule", "escalation")
# The timeline entries monitoring writes, whose text is the probe's output.
MONITORING_KINDS = frozenset({"opened", "still_down", "reopened", "resolved", "flapping",
                              "steady"})


def customer_view(customer: str, ticket: dict[str, Any], config: Config) -> dict[str, Any]:
    """A ticket (as the store reads it) the way a user of `customer` may see it."""
    seen = {k: v for k, v in ticket.items() if k not in STAFF_FIELDS}
    plain = _plain_words(customer, ticket, config)
    if plain is not None:
        seen["summary"] = plain
    if "timeline" in seen:
        rule = ticket.get("rule")
        seen["timeline"] = [
            _as_told(e, plain, rule) if _by_monitoring(e) else e
            for e in seen["timeline"] if is_public(e["kind"])]
    if "sla" in seen:
        seen["sla"] = [m for m in seen["sla"] if m["breach"]]
    if "attached" in seen:
        seen["attached"] = [a for a in seen["attached"] if _owns(config, customer, a["device"])]
    return seen


def _plain_words(customer_id: str, ticket: dict[str, Any], config: Config) -> str | None:
    """A monitoring ticket's problem as the customer's mail states it; None for others."""
    if ticket.get("source") != "monitoring":
        return None
    problem = problem_of(config, ticket.get("device"), ticket.get("probe"),
                         bool(ticket.get("flapping")))
    customer = config.customers.get(customer_id)
    if problem is None or customer is None:
        return None
    return describe(problem, customer.contract.language)


def _as_told(entry: dict[str, Any], plain: str | None, rule: str | None) -> dict[str, Any]:
    """A monitoring entry as the customer reads it: the plain words when there are some;
    else (an alert's ticket, whose summary is the alert's own) without the rule's name,
    which is the desk's (store.incidents.opened_text writes it)."""
    if plain is not None:
        return {**entry, "message": plain}
    message = entry["message"]
    if rule and isinstance(message, str) and f", rule {rule}," in message:
        # the last: the alert's own summary, written first, may say anything
        before, _, after = message.rpartition(f", rule {rule},")
        return {**entry, "message": f"{before},{after}"}
    return entry


def _by_monitoring(entry: dict[str, Any]) -> bool:
    return entry["kind"] in MONITORING_KINDS and entry["actor"] == "system"


def _owns(config: Config, customer: str, device_id: str) -> bool:
    device = config.devices.get(device_id)
    return device is not None and device.customer == customer
