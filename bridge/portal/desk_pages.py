"""The desk's pages: the queue (open tickets by priority and SLA time left, filters, counts,
refreshed in place), a ticket with every action of the action table (its form from the
action's body), and devices with their live state and maintenance windows."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bridge.config.main_file import Role
from bridge.core.lifecycle import IncidentStatus
from bridge.core.priority import Priority
from bridge.core.state import CheckKey
from bridge.core.ticket_clocks import next_due_at, time_left_s
from bridge.desk.actions import Action, action_named
from bridge.portal.forms import FormError, inputs_of, read_form
from bridge.portal.guard import PREFIX, person_of
from bridge.portal.pages import not_found, words_of_desk
from bridge.portal.posted import posted
from bridge.portal.service import service_of
from bridge.portal.tickets import act, clocks, operator_actions, read_ticket
from bridge.store.device_tickets import open_tickets_by_device
from bridge.store.ticket_search import QueueFilter, open_queue

FILTERS = ("customer", "priority", "tier", "status", "assignee", "device", "q")
# The most urgent this many are shown; the filters narrow the rest down (the counts and
# "shown N of M" say how many there are).
QUEUE_ROWS = 200


def _desk(request: web.Request) -> None:
    if person_of(request).role is not Role.OPERATOR:
        raise web.HTTPForbidden(text="403: the desk's pages are for operators")


def _filter(query: dict[str, str]) -> QueueFilter:
    def pick(name: str) -> str | None:
        return query.get(name) or None

    try:
        priority = Priority(query["priority"]) if pick("priority") else None
        status = IncidentStatus(query["status"]) if pick("status") else None
        tier = int(query["tier"]) if pick("tier") else None
    except ValueError:
        raise web.HTTPBadRequest(text="400: unknown priority, status or tier") from None
    return QueueFilter(customer=pick("customer"), priority=priority, tier=tier, status=status,
                       assignee=pick("assignee"), device=pick("device"),
                       text=query.get("q", "")[:200])


async def _queue_context(request: web.Request) -> dict[str, Any]:
    service = service_of(request)
    query = {k: request.query.get(k, "") for k in FILTERS}
    flt = _filter(query)
    queue_ = await service.read(lambda e: open_queue(e, flt, QUEUE_ROWS))
    now = service.now()
    rows = [(t, time_left_s(next_due_at(t.assigned_at, t.reaction_due_at, t.resolution_due_at),
                            now)) for t in queue_.tickets]
    config = service.current_config()
    return {**words_of_desk(request), "rows": rows, "matching": queue_.matching,
            "counts": dict(sorted(queue_.counts.items())),
            "query": query, "customers": sorted(config.customers),
            "priorities": [p.value for p in Priority],
            "statuses": [s.value for s in IncidentStatus],
            "gap": service.snapshot().monitoring_gap}


async def queue(request: web.Request) -> web.Response:
    """GET /portal/desk/queue: the whole page."""
    _desk(request)
    return aiohttp_jinja2.render_template("queue.html", request, await _queue_context(request))


async def queue_rows(request: web.Request) -> web.Response:
    """GET /portal/desk/queue/rows: the table alone, for the page's refresh."""
    _desk(request)
    return aiohttp_jinja2.render_template("queue_rows.html", request,
                                          await _queue_context(request))


async def desk_ticket(request: web.Request, status: int = 200,
                      error: str = "") -> web.Response:
    """GET /portal/desk/tickets/{ref}: the whole ticket and every action it may take now."""
    _desk(request)
    ticket = await read_ticket(service_of(request), request.match_info["ref"], None)
    if ticket is None:
        return not_found(request, None)
    page = words_of_desk(request)
    page["zone"] = ticket["timezone"]
    forms = [(a, inputs_of(a.spec.body)) for a in operator_actions(ticket)]
    updates = [(a, r, inputs_of(a.spec.update.body)) for a in Action if a.spec.update
               for r in ticket["records"].get(a.value, [])]
    return aiohttp_jinja2.render_template("desk_ticket.html", request, {
        **page, "ticket": ticket, "clocks": clocks(ticket, page["w"]), "forms": forms,
        "updates": updates, "error": error}, status=status)


async def desk_act(request: web.Request) -> web.StreamResponse:
    """POST /portal/desk/tickets/{ref}/{action}[/{record}]: any action of the table."""
    _desk(request)
    ref = request.match_info["ref"]
    action = action_named(request.match_info["action"])
    record = request.match_info.get("record")
    if action is None or (record is not None and (action.spec.update is None
                                                  or not record.isdigit())):
        return not_found(request, None)
    ticket = await read_ticket(service_of(request), ref, None)
    if ticket is None:
        return not_found(request, None)
    assert action.spec.update is not None or record is None
    model = action.spec.update.body if record is not None and action.spec.update \
        else action.spec.body
    try:
        body = read_form(model, await posted(request), ticket["timezone"])
    except FormError as exc:
        return await desk_ticket(request, 400, f"{action.value}: {exc}")
    status, reason = await act(service_of(request), person_of(request), ref, action, body,
                               int(record) if record is not None else None)
    if status != 200:
        return await desk_ticket(request, status, f"{action.value}: {reason}")
    raise web.HTTPSeeOther(f"{PREFIX}/desk/tickets/{ref}")


async def devices(request: web.Request) -> web.Response:
    """GET /portal/desk/devices: every device, its checks' live state, its open tickets
    (its own and those it is attached to behind a parent), its windows."""
    _desk(request)
    service = service_of(request)
    config = service.current_config()
    snap = service.snapshot()
    states = await service.live_states([CheckKey(device_id, probe)
                                        for device_id, device in config.devices.items()
                                        for probe in device.probes])
    windows = await service.maintenance_windows()
    tickets = await service.read(open_tickets_by_device)
    rows = []
    for device_id, device in sorted(config.devices.items()):
        checks = [(probe, states.get(CheckKey(device_id, probe)))
                  for probe in device.probes]
        mine = [w for w in windows if device_id in (w.devices or [])
                or device.customer in (w.customers or [])]
        rows.append({"id": device_id, "device": device, "checks": checks, "windows": mine,
                     "tickets": tickets.get(device_id, []),
                     "zone": config.customers[device.customer].timezone})
    return aiohttp_jinja2.render_template("devices.html", request, {
        **words_of_desk(request), "devices": rows, "gap": snap.monitoring_gap,
        "windows": windows, "customers": sorted(config.customers)})


def add_routes(app: web.Application) -> None:
    """The desk's pages."""
    app.router.add_get("/desk/queue", queue)
    app.router.add_get("/desk/queue/rows", queue_rows)
    app.router.add_get("/desk/tickets/{ref}", desk_ticket)
    app.router.add_post("/desk/tickets/{ref}/{action}", desk_act)
    app.router.add_post("/desk/tickets/{ref}/{action}/{record}", desk_act)
    app.router.add_get("/desk/devices", devices)
