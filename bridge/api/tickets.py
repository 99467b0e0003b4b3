"""Ticket actions over HTTP: create, ack, assign, comment, eta, wait, resume, escalate,
supplier/on-site/loaner records, resolve, confirm, close, reopen.

Customers may create tickets and comment on, confirm or reopen their own; another
customer's ticket is a 404, never a hint that it exists. Illegal moves are 409s.
"""

from __future__ import annotations

from hashlib import sha256

from aiohttp import web

from bridge.api.auth import Caller, caller_of, error
from bridge.api.body import bad_request, read_body
from bridge.api.customer_view import ticket_for
from bridge.api.path import RECORD_ID, TICKET_REF, accepts_value
from bridge.api.service import service_of
from bridge.api.ticket_sla import sla_fields
from bridge.config.main_file import Role
from bridge.desk.actions import Action, action_named
from bridge.desk.bodies import Body, CreateBody
from bridge.store.models import Actor, TicketSource
from bridge.store.reads import get_incident, ref_of
from bridge.store.records import Refused
from bridge.store.tickets import ActionRequest, NewTicket, create_ticket, take_action

IDEMPOTENCY_HEADER = "Idempotency-Key"  # a retried create answers with the ticket it made
# Stored as "report:<customer>:<key>" in 200 characters, and a customer id has up to 64: 128
# is what fits whatever the customer, on SQLite and PostgreSQL alike. A UUID is 36.
IDEMPOTENCY_KEY_MAX = 128
IDEMPOTENCY_KEY_SCHEMA = {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX,
                          "pattern": "^[ -~]+$"}


def _idempotency_key(request: web.Request) -> str | None:
    """The request's Idempotency-Key, if it has one; a 400 if that is not a key."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is not None and not (0 < len(key) <= IDEMPOTENCY_KEY_MAX and key.isascii()
                                and key.isprintable()):
        raise bad_request([f"{IDEMPOTENCY_HEADER} must be 1 to {IDEMPOTENCY_KEY_MAX} printable "
                           f"ASCII characters (got {len(key)} characters)"])
    return key


def _actor(caller: Caller) -> Actor:
    return Actor.OPERATOR if caller.role == Role.OPERATOR else Actor.CUSTOMER


def _scope(caller: Caller) -> str | None:
    return None if caller.role == Role.OPERATOR else caller.customer


async def show_ticket(request: web.Request, ref: str, status: int = 200) -> web.Response:
    """A ticket as the caller may see it, with its SLA outcome, or a 404."""
    caller = caller_of(request)
    if not accepts_value(TICKET_REF, ref):  # names no ticket (and PostgreSQL refuses NUL)
        return error(404, f"no incident {ref!r}")
    scope = _scope(caller)
    incident = await service_of(request).read(lambda e: get_incident(e, ref, scope))
    if incident is None:
        return error(404, f"no incident {ref!r}")
    ticket = {**incident, **await sla_fields(service_of(request), ref)}
    seen = ticket_for(caller, ticket, service_of(request).current_config())
    return web.json_response(seen, status=status)


async def create(request: web.Request) -> web.Response:
    """POST /api/v1/incidents: a customer-reported (or operator-opened) ticket."""
    caller = caller_of(request)
    key = _idempotency_key(request)
    body = await read_body(request, CreateBody)
    config = service_of(request).current_config()
    customer = body.customer if caller.role == Role.OPERATOR else caller.customer
    if customer is None:
        return error(400, "customer: required for operator tokens")
    if body.customer is not None and (not caller.sees(body.customer)
                                      or body.customer not in config.customers):
        return error(404, f"no customer {body.customer!r}")
    if body.device is not None:
        device = config.devices.get(body.device)
        if device is None or device.customer != customer:
            return error(404, f"no device {body.device!r} of customer {customer!r}")
    operator = caller.role == Role.OPERATOR
    new = NewTicket(
        customer=customer, device=body.device, summary=body.summary,
        priority=body.priority if operator and body.priority else
        config.reported_priority(customer),
        proposed_priority=None if operator else body.priority,
        source=TicketSource.OPERATOR if caller.role == Role.OPERATOR else TicketSource.CUSTOMER,
        actor=_actor(caller), author=caller.name, message=body.message,
        dedupe_key=key,
        request_digest=sha256(body.model_dump_json().encode()).hexdigest() if key else None)
    service = service_of(request)
    try:
        incident_id, created = await service.write_tickets(
            lambda engine, desk, now, prefix: create_ticket(engine, new, prefix, now, desk))
    except Refused as exc:  # the key was used for another request
        return error(exc.status, exc.reason)
    ref = await service.read(lambda e: ref_of(e, incident_id))
    return await show_ticket(request, ref, 201 if created else 200)


def _request(action: Action, caller: Caller, body: Body, record_id: int | None) -> ActionRequest:
    return ActionRequest(move=action.spec.move, actor=_actor(caller), author=caller.name,
                         record_id=record_id, **body.request_fields())


async def act(request: web.Request) -> web.Response:
    """POST /api/v1/incidents/{id}/{action}[/{record}]"""
    caller = caller_of(request)
    ref = request.match_info["id"]
    action = action_named(request.match_info["action"])
    if action is None:
        return error(404, f"no action {request.match_info['action']!r}; one of: "
                          + ", ".join(a.value for a in Action))
    spec = action.spec
    record = request.match_info.get("record")
    if record is not None and (spec.update is None or not accepts_value(RECORD_ID, record)):
        return error(404, f"no such path: {request.path}")
    if not accepts_value(TICKET_REF, ref):  # it names no ticket; PostgreSQL refuses some text
        return error(404, f"no incident {ref!r}")
    if caller.role != Role.OPERATOR and not spec.customer_may:
        scope = _scope(caller)
        if await service_of(request).read(lambda e: get_incident(e, ref, scope)) is None:
            return error(404, f"no incident {ref!r}")
        allowed = ", ".join(sorted(a.value for a in Action if a.spec.customer_may))
        return error(403, f"{action.value} needs an operator token (customers may: {allowed})")
    model = spec.update.body if spec.update is not None and record is not None else spec.body
    body = await read_body(request, model)
    if getattr(body, "internal", False) and caller.role != Role.OPERATOR:
        return error(403, "internal comments need an operator token")
    req = _request(action, caller, body, int(record) if record is not None else None)
    scope = _scope(caller)
    result = await service_of(request).write_tickets(
        lambda engine, desk, now, _prefix: take_action(engine, ref, scope, req, now, desk))
    if result.status != 200:
        return error(result.status, result.reason)
    return await show_ticket(request, ref)


def add_routes(app: web.Application) -> None:
    """Register the ticket action routes."""
    app.router.add_post("/api/v1/incidents", create)
    app.router.add_post("/api/v1/incidents/{id}/{action}", act)
    app.router.add_post("/api/v1/incidents/{id}/{action}/{record}", act)
