"""Routes: health, readiness, metrics, incidents, devices, reload."""

from __future__ import annotations

from typing import Any, TypeVar

from aiohttp import web

from bridge.api import maintenance, openapi, reports, tickets
from bridge.api.auth import (
    CALLER_KEY,
    Caller,
    auth_middleware,
    caller_of,
    error,
    json_errors,
)
from bridge.api.service import SERVICE, Service, service_of
from bridge.config.main_file import Role
from bridge.core.decisions import OPERATOR_CUSTOMER
from bridge.core.lifecycle import IncidentStatus
from bridge.core.state import CheckKey
from bridge.store.reads import IncidentFilter, get_incident, list_incidents

T = TypeVar("T")
MAX_PAGE = 1000


async def healthz(_request: web.Request) -> web.Response:
    """Liveness: the process answers."""
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Readiness: the store is reachable and writes succeed."""
    problems = service_of(request).readiness()
    if problems:
        return web.json_response({"status": "not ready", "problems": problems}, status=503)
    return web.json_response({"status": "ready"})


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition; with metrics_auth, operators only (it spans customers)."""
    caller = request.get(CALLER_KEY)
    if isinstance(caller, Caller) and caller.role != Role.OPERATOR:
        return error(403, "metrics need an operator token")
    body = await service_of(request).render_metrics()
    return web.Response(body=body, content_type="text/plain", charset="utf-8",
                        headers={"X-Content-Type-Options": "nosniff"})


def _int_param(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise web.HTTPBadRequest(
            text=f'{{"error": "{name} must be an integer from {low} to {high}"}}',
            content_type="application/json")
    return int(raw)


async def incidents_list(request: web.Request) -> web.Response:
    """GET /api/v1/incidents?status=&customer=&device=&limit=&offset="""
    caller = caller_of(request)
    query = request.query
    unknown = set(query) - {"status", "customer", "device", "limit", "offset"}
    if unknown:
        return error(400, f"unknown query parameter(s): {', '.join(sorted(unknown))}")
    status = query.get("status")
    if status is not None and status not in {s.value for s in IncidentStatus}:
        allowed = ", ".join(s.value for s in IncidentStatus)
        return error(400, f"status must be one of: {allowed}")
    customer = query.get("customer")
    known = {*service_of(request).current_config().customers, OPERATOR_CUSTOMER}
    if customer is not None and (not caller.sees(customer) or customer not in known):
        return error(404, f"no customer {customer!r}")  # one answer for absent and forbidden
    if caller.role == Role.CUSTOMER:
        customer = caller.customer
    flt = IncidentFilter(
        customer=customer,
        status=IncidentStatus(status) if status else None,
        device=query.get("device"),
        limit=_int_param(request, "limit", 100, 1, MAX_PAGE),
        offset=_int_param(request, "offset", 0, 0, 10**9),
    )
    items, total = await service_of(request).read(lambda e: list_incidents(e, flt))
    return web.json_response(
        {"incidents": items, "total": total, "limit": flt.limit, "offset": flt.offset})


async def incident_show(request: web.Request) -> web.Response:
    """GET /api/v1/incidents/{id}, with its timeline."""
    caller = caller_of(request)
    ref = request.match_info["id"]
    scope = None if caller.role == Role.OPERATOR else caller.customer
    incident = await service_of(request).read(lambda e: get_incident(e, ref, scope))
    if incident is None:
        return error(404, f"no incident {ref!r}")
    return web.json_response(incident)


async def devices_list(request: web.Request) -> web.Response:
    """GET /api/v1/devices: every device the caller may see, with its checks' state."""
    caller = caller_of(request)
    snap = service_of(request).snapshot()
    devices: list[dict[str, Any]] = []
    for device_id, device in snap.config.devices.items():
        if not caller.sees(device.customer):
            continue
        checks = []
        for probe in device.probes:
            state = snap.states.get(CheckKey(device_id, probe))
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
            })
        devices.append({"id": device_id, "customer": device.customer, "address": device.address,
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


def build_app(service: Service) -> web.Application:
    """The aiohttp application for a running daemon."""
    app = web.Application(middlewares=[
        json_errors, auth_middleware(service.tokens, service.metrics_public)])
    app[SERVICE] = service
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/api/v1/incidents", incidents_list)
    app.router.add_get("/api/v1/incidents/{id}", incident_show)
    app.router.add_get("/api/v1/devices", devices_list)
    app.router.add_post("/-/reload", reload)
    maintenance.add_routes(app)
    tickets.add_routes(app)
    reports.add_routes(app)
    app.router.add_get("/api/v1/openapi.json", openapi.openapi)
    return app

