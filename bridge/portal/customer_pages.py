"""A customer's pages: its tickets, one ticket, opening a ticket; commenting, confirming or
saying it is not fixed. Only its own: another customer's ticket is a 404, as a missing one.
An operator reads the same pages as the ticket's customer does ("the customer's view")."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bridge.config.main_file import Role
from bridge.desk.actions import action_named
from bridge.desk.customer_view import customer_view
from bridge.portal.forms import FormError, read_form
from bridge.portal.guard import PREFIX, person_of
from bridge.portal.pages import not_found, words_of_customer
from bridge.portal.posted import posted
from bridge.portal.service import service_of
from bridge.portal.tickets import act, clocks, customer_actions, open_ticket, read_ticket
from bridge.store.ticket_search import customer_tickets
from bridge.store.users import User

MAX_SEARCH = 200


def _customer(person: User) -> str:
    if person.role is not Role.CUSTOMER or person.customer is None:
        raise web.HTTPSeeOther(f"{PREFIX}/desk/queue")
    return person.customer


def _matches(ticket: dict[str, Any], text: str) -> bool:
    needle = text.casefold()
    return any(needle in str(ticket.get(k) or "").casefold() for k in ("id", "device", "summary"))


async def ticket_list(request: web.Request) -> web.Response:
    """GET /portal/tickets?q=: the customer's tickets, open first; found by ID, device, text."""
    customer = _customer(person_of(request))
    service = service_of(request)
    config = service.current_config()
    text = request.query.get("q", "")[:MAX_SEARCH].strip()
    tickets = [customer_view(customer, t, config)
               for t in await service.read(lambda e: customer_tickets(e, customer))]
    if text:
        tickets = [t for t in tickets if _matches(t, text)]
    return aiohttp_jinja2.render_template("tickets.html", request, {
        **words_of_customer(request, customer), "tickets": tickets, "q": text})


async def ticket_page(request: web.Request, status: int = 200,
                      error: str = "") -> web.Response:
    """GET /portal/tickets/{ref}: the public timeline, status, ETA, SLA clocks, records."""
    person = person_of(request)
    ref = request.match_info["ref"]
    service = service_of(request)
    if person.role is Role.OPERATOR:  # the customer's view of the ticket's own customer
        whole = await read_ticket(service, ref, None)
        customer = whole["customer"] if whole else ""
    else:
        customer = _customer(person)
    ticket = await read_ticket(service, ref, customer) if customer else None
    if ticket is None:
        return not_found(request, customer)
    page = words_of_customer(request, customer)
    return aiohttp_jinja2.render_template("ticket.html", request, {
        **page, "ticket": ticket, "clocks": clocks(ticket, page["w"]),
        "actions": customer_actions(ticket) if person.role is Role.CUSTOMER else [],
        "may_comment": person.role is Role.CUSTOMER, "error": error,
        "devices": [a["device"] for a in ticket.get("attached", [])]}, status=status)


async def customer_act(request: web.Request) -> web.StreamResponse:
    """POST /portal/tickets/{ref}/{action}: a comment, a confirmation, not fixed."""
    person = person_of(request)
    customer = _customer(person)
    ref = request.match_info["ref"]
    action = action_named(request.match_info["action"])
    service = service_of(request)
    if await read_ticket(service, ref, customer) is None:
        return not_found(request, customer)
    if action is None or not action.spec.customer_may:
        return not_found(request, customer)
    zone = service.current_config().customers[customer].timezone
    try:
        body = read_form(action.spec.body, await posted(request), zone)
    except FormError as exc:
        return await ticket_page(request, 400, str(exc))
    if getattr(body, "internal", False):
        return await ticket_page(request, 403, "internal comments are the desk's")
    status, reason = await act(service, person, ref, action, body)
    if status != 200:
        return await ticket_page(request, status, reason)
    raise web.HTTPSeeOther(f"{PREFIX}/tickets/{ref}")


async def new_ticket_form(request: web.Request, status: int = 200,
                          error: str = "") -> web.Response:
    """GET /portal/tickets/new: pick one of the customer's devices (or none), describe it."""
    customer = _customer(person_of(request))
    config = service_of(request).current_config()
    devices = sorted(d for d, device in config.devices.items() if device.customer == customer)
    return aiohttp_jinja2.render_template("new_ticket.html", request, {
        **words_of_customer(request, customer), "devices": devices, "error": error},
        status=status)


async def new_ticket(request: web.Request) -> web.StreamResponse:
    """POST /portal/tickets: open it; the customer lands on its page, with its ID."""
    person = person_of(request)
    customer = _customer(person)
    form = await posted(request)
    summary = str(form.get("summary", "")).strip()
    message = str(form.get("message", "")).strip()
    device = str(form.get("device", "")) or None
    config = service_of(request).current_config()
    if device is not None and (device not in config.devices
                               or config.devices[device].customer != customer):
        return not_found(request, customer)
    if not 0 < len(summary) <= 500 or len(message) > 2000:
        return await new_ticket_form(request, 400, "summary: 1 to 500 characters; "
                                                   "details: at most 2000")
    ref = await open_ticket(service_of(request), person, device, summary, message)
    raise web.HTTPSeeOther(f"{PREFIX}/tickets/{ref}")


def add_routes(app: web.Application) -> None:
    """The customer's pages."""
    app.router.add_get("/tickets", ticket_list)
    app.router.add_get("/tickets/new", new_ticket_form)
    app.router.add_post("/tickets", new_ticket)
    app.router.add_get("/tickets/{ref}", ticket_page)
    app.router.add_post("/tickets/{ref}/{action}", customer_act)
