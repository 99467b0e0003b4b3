"""A ticket for a page: read as the reader may see it (a customer: its own, through the
desk's customer view; another customer's is None, as a missing one), its SLA clocks, and
the actions taken and tickets opened from the portal, under the person's own name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bridge.config.main_file import Role
from bridge.desk.actions import Action
from bridge.desk.bodies import Body
from bridge.desk.customer_view import customer_view
from bridge.desk.ticket_sla import sla_view
from bridge.portal.service import PortalService
from bridge.portal.words import PageWords
from bridge.store.models import Actor, TicketSource
from bridge.store.reads import get_incident, ref_of, ticket_facts
from bridge.store.tickets import ActionRequest, NewTicket, create_ticket, take_action
from bridge.store.users import User

TICKET_REF_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")


@dataclass(frozen=True)
class Clock:
    """One SLA clock as a page shows it."""

    name: str  # reaction, resolution
    target: str
    state: str  # "met", "breached", or the time left
    late: bool


async def read_ticket(service: PortalService, ref: str,
                      customer: str | None) -> dict[str, Any] | None:
    """The ticket `ref` with its SLA outcome, as a user of `customer` sees it (None: the
    desk's whole view); None if there is none the reader may see."""
    if not 0 < len(ref) <= 32 or not set(ref) <= TICKET_REF_CHARS:
        return None
    ticket = await service.read(lambda e: get_incident(e, ref, customer))
    if ticket is None:
        return None
    found = await service.read(lambda e: ticket_facts(e, ref))
    ticket.update(sla_view(service.current_config(), found, service.now()))
    if customer is not None:
        ticket = customer_view(customer, ticket, service.current_config())
    return ticket


def clocks(ticket: dict[str, Any], words: PageWords) -> list[Clock]:
    """The reaction and resolution clocks against the contract's targets."""
    outcome = ticket.get("sla_outcome") or {}
    shown = []
    for name in ("reaction", "resolution"):
        clock = outcome.get(name)
        if clock is None:
            continue
        late = clock["met"] is False
        state = words("breached") if late else words("met") if clock["met"] else words(
            "time_left_paused" if clock.get("paused") else "time_left",
            left=words.duration(clock["target_s"] - clock["elapsed_s"]))
        shown.append(Clock(name, words.duration(clock["target_s"]), state, late))
    return shown


def customer_actions(ticket: dict[str, Any]) -> list[Action]:
    """The actions a customer may take on this ticket now (besides commenting): derived
    from the action table's `customer_may` entries and their allowed states."""
    return [a for a in Action if a.spec.customer_may and a is not Action.COMMENT
            and ticket["status"] in a.spec.allowed_from]


def operator_actions(ticket: dict[str, Any]) -> list[Action]:
    """The actions the desk may take on this ticket now."""
    return [a for a in Action if ticket["status"] in a.spec.allowed_from]


async def act(service: PortalService, person: User, ref: str, action: Action, body: Body,
              record_id: int | None = None) -> tuple[int, str]:
    """Take `action` as `person` (customers: on their own tickets only); (status, reason)."""
    actor = Actor.OPERATOR if person.role is Role.OPERATOR else Actor.CUSTOMER
    scope = None if person.role is Role.OPERATOR else person.customer
    request = ActionRequest(move=action.spec.move, actor=actor, author=person.display_name,
                            record_id=record_id, **body.request_fields())
    result = await service.write_tickets(
        lambda engine, desk, now, _prefix: take_action(engine, ref, scope, request, now, desk))
    return result.status, result.reason


async def open_ticket(service: PortalService, person: User, device: str | None,
                      summary: str, message: str) -> str:
    """A ticket a customer user reports; its ID. The contract decides its priority."""
    assert person.customer is not None
    config = service.current_config()
    new = NewTicket(customer=person.customer, device=device, summary=summary,
                    priority=config.reported_priority(person.customer),
                    source=TicketSource.CUSTOMER, actor=Actor.CUSTOMER,
                    author=person.display_name, message=message)
    incident_id, _ = await service.write_tickets(
        lambda engine, desk, now, prefix: create_ticket(engine, new, prefix, now, desk))
    return await service.read(lambda e: ref_of(e, incident_id))
