"""Routes: health, readiness, metrics, incidents, devices (and relearning their
interfaces), reload."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge.api import inbound_mail, maintenance, openapi, outbox, path, reports, tickets
from bridge.api.auth import (
    CALLER_KEY,
    Caller,
    auth_middleware,
    caller_of,
    error,
    json_errors,
    personal_tokens,
)
from bridge.api.body import MAX_BODY_BYTES, identity_bodies
from bridge.api.customer_view import ticket_for
from bridge.api.outage import store_outage
from bridge.api.query import Query, accepts, count, inventory_id, member
from bridge.api.service import SERVICE, Service, service_of
from bridge.config.main_file import Role
from bridge.core.decisions import OPERATOR_CUSTOMER
from bridge.core.lifecycle import IncidentStatus
from bridge.core.probe_kinds.snmp import SnmpProbe
from bridge.core.results import ProbeResult
from bridge.core.state import CheckKey
from bridge.store.learned import forget_learned
from bridge.store.reads import IncidentFilter, list_incidents

MAX_PAGE = 1000


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the store is reachable and writes succeed."""
    service = service_of(request)
    problems = service.readiness()
    notes = service.readiness_notes()  # e.g. cut off from the store, on still-valid leases
    extra = {"notes": notes} if notes else {}
    if problems:
        return web.json_response({"status": "not ready", "problems": problems, **extra},
                                 status=503)
    return web.json_response({"status": "ready", **extra})


@accepts(media_types=("text/plain",), strict=False)  # scrapers may add parameters
async def metrics(request: web.Request, _query: Query) -> web.Response:
    """Prometheus text exposition; with metrics_auth, operators only (it spans customers)."""
    caller = request.get(CALLER_KEY)
    if isinstance(caller, Caller) and caller.role != Role.OPERATOR:
        return error(403, "metrics need an operator token")
    body = await service_of(request).render_metrics()
    return web.Response(body=body, content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})


STATUS = member("status", "Only tickets in this status.", IncidentStatus)
CUSTOMER = inventory_id("customer", "Only this customer's tickets (its id in the inventory, or "
                                    f"`{OPERATOR_CUSTOMER}` for the desk's own); a customer "
                                    "token sees its own only.")
DEVICE = inventory_id("device", "Only the tickets of this device (its id in the inventory).")
LIMIT = count("limit", "At most this many tickets, newest first.", 100, 1, MAX_PAGE)
OFFSET = count("offset", "Skip this many tickets first, to page through `total`.", 0, 0, 10**9)


@accepts(STATUS, CUSTOMER, DEVICE, LIMIT, OFFSET)
async def incidents_list(request: web.Request, query: Query) -> web.Response:
    """GET /api/v1/incidents?status=&customer=&device=&limit=&offset="""
    caller = caller_of(request)
    customer = query[CUSTOMER]
    known = {*service_of(request).current_config().customers, OPERATOR_CUSTOMER}
    if customer is not None and (not caller.sees(customer) or customer not in known):
        return error(404, f"no customer {customer!r}")  # one answer for absent and forbidden
    if caller.role == Role.CUSTOMER:
        customer = caller.customer
    flt = IncidentFilter(customer=customer, status=query[STATUS], device=query[DEVICE],
                         limit=query[LIMIT], offset=query[OFFSET])
    items, total = await service_of(request).read(lambda e: list_incidents(e, flt))
    config = service_of(request).current_config()
    return web.json_response(
        {"incidents": [ticket_for(caller, t, config) for t in items], "total": total,
         "limit": flt.limit, "offset": flt.offset})


@accepts()
async def incident_show(request: web.Request, _query: Query) -> web.Response:
    """GET /api/v1/incidents/{id}, with its timeline."""
    return await tickets.show_ticket(request, request.match_info["id"])


def _measured(last: ProbeResult | None) -> dict[str, object]:
    """What the last check measured: round trips and loss (ICMP), the values it read under
    their readable names (SNMP: counters as rates, interface states)."""
    if last is None:
        return {}
    measured: dict[str, object] = dict(last.measurements)
    if last.values:
        measured["values"] = dict(last.values)
    return measured


@accepts()
async def devices_list(request: web.Request, _query: Query) -> web.Response:
    """GET /api/v1/devices: every device the caller may see, with its checks' state."""
    caller = caller_of(request)
    service = service_of(request)
    config = service.current_config()
    seen = [(device_id, device) for device_id, device in config.devices.items()
            if caller.sees(device.customer)]
    states = await service.live_states([CheckKey(device_id, probe) for device_id, device in seen
                                        for probe in device.probes], values=True)
    devices: list[dict[str, Any]] = []
    for device_id, device in seen:
        checks = []
        for probe in device.probes:
            state = states.get(CheckKey(device_id, probe))
            if state is None:
                continue
            checks.append({
                "probe": probe,
                "status": state.status.value,
                "state_type": state.state_type.value,
                "attempts": state.attempts,
                "hard_status": state.hard_status.value,
                "since": state.hard_since.isoformat() if state.hard_since else None,
                "last_check_at": state.last.at.isoformat() if state.last else None,
                "warning": state.last.warning if state.last else False,
                "output": state.last.output if state.last else "",
                **_measured(state.last),
            })
        devices.append({"id": device_id, "customer": device.customer,
                        "timezone": config.customers[device.customer].timezone,
                        "address": device.address,
                        "criticality": device.criticality.value,
                        "description": device.description, "tags": device.tags,
                        "parents": device.parents, "checks": checks})
    return web.json_response({"devices": devices})


async def reload(request: web.Request) -> web.Response:
    """POST /-/reload: validate the files in full, then swap, or keep the old config."""
    if caller_of(request).role != Role.OPERATOR:
        return error(403, "reload needs an operator token")
    result = await service_of(request).reload()
    if result.ok:
        return web.json_response({"status": "reloaded"})
    return web.json_response({"status": "kept previous config", "errors": list(result.errors)},
                             status=400)


async def learn_interfaces(request: web.Request) -> web.Response:
    """POST /api/v1/devices/{device}/interfaces/learn: learn its interfaces again."""
    if caller_of(request).role != Role.OPERATOR:
        return error(403, "learning interfaces needs an operator token")
    try:
        device = path.DEVICE.read(request.match_info["device"])
    except ValueError as exc:
        return error(400, f"device {exc}")
    service = service_of(request)
    config = service.current_config()
    if device not in config.devices:
        return error(404, f"no device {device!r}")
    learning = [name for name in config.devices[device].probes
                if isinstance(probe := config.probes[name], SnmpProbe)
                and probe.interfaces is not None and probe.interfaces.learn]
    # forgotten now, learned at each check's next poll (the probe reads the store each time)
    await service.write(lambda engine: forget_learned(engine, device))
    return web.json_response({"device": device, "probes": learning,
                              "learned": "at each check's next poll"})


def build_app(service: Service) -> web.Application:
    """The aiohttp application for a running daemon."""
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=[
        store_outage, identity_bodies, json_errors,
        auth_middleware(service.tokens, service.metrics_public,
                        personal_tokens(lambda fn: service.read(fn)))])
    app[SERVICE] = service
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/incidents", incidents_list)
    app.router.add_get("/api/v1/incidents/{id}", incident_show)
    app.router.add_get("/api/v1/devices", devices_list)
    app.router.add_post("/api/v1/devices/{device}/interfaces/learn", learn_interfaces)
    app.router.add_post("/-/reload", reload)
    maintenance.add_routes(app)
    tickets.add_routes(app)
    reports.add_routes(app)
    outbox.add_routes(app)
    inbound_mail.add_routes(app)
    app.router.add_get("/api/v1/openapi.json", openapi.openapi)
    return app

