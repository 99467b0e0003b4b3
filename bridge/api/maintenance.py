"""Maintenance windows over the API: list (config and API windows), add, end."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bridge.api.auth import caller_of, error
from bridge.api.body import bad_request, read_body
from bridge.api.path import WINDOW_ID
from bridge.api.query import Query, accepts
from bridge.api.service import service_of
from bridge.config.main_file import Role
from bridge.config.model import Config
from bridge.core.maintenance import MaintenanceRule
from bridge.desk.maintenance import NewWindow, window_problems
from bridge.store.maintenance import as_rule
from bridge.store.models import MaintenanceWindowRow


def _for_customer(rule: MaintenanceRule, config: Config, customer: str,
                  window: dict[str, Any]) -> dict[str, Any] | None:
    """A window as a customer sees it: None if it concerns none of its devices; else with
    only its own devices, tags and customer id listed, and the reason and author only if the
    window is the customer's own (it covers nothing of anyone else's)."""
    own = {name: d for name, d in config.devices.items() if d.customer == customer}
    covered = {name for name, d in config.devices.items()
               if rule.covers(name, d.tags, d.customer)}
    if customer not in rule.customers and not covered & own.keys():
        return None
    own_tags = {tag for d in own.values() for tag in d.tags}
    its_own = (covered <= own.keys() and rule.devices <= own.keys()
               and rule.customers <= {customer})
    seen = {**window, "devices": sorted(rule.devices & own.keys()),
            "tags": sorted(rule.tags & own_tags),
            "customers": [customer] if customer in rule.customers else []}
    if not its_own:
        seen["reason"] = None
        if "created_by" in seen:
            seen["created_by"] = None
    return seen


def _rule_dict(rule: MaintenanceRule, now: datetime, **extra: Any) -> dict[str, Any]:
    window = rule.window_at(now)
    return {"name": rule.name, "devices": sorted(rule.devices), "tags": sorted(rule.tags),
            "customers": sorted(rule.customers), "reason": rule.reason,
            "schedule": rule.schedule_text, "active": window is not None,
            "active_until": window.end.isoformat() if window else None, **extra}


@accepts()
async def list_windows(request: web.Request, _query: Query) -> web.Response:
    """GET /api/v1/maintenance: every window from the config and the API (a customer: those
    of its devices, narrowed to them)."""
    caller = caller_of(request)
    service = service_of(request)
    config = service.current_config()
    now = service.now()
    rules: list[tuple[MaintenanceRule, dict[str, Any]]] = [
        (r, {"source": "config"}) for r in config.maintenance]
    for row in await service.maintenance_windows():
        rules.append((as_rule(row), {"source": "api", "id": row.id, "start":
                                     row.starts_at.isoformat(), "end": row.ends_at.isoformat(),
                                     "created_by": row.created_by}))
    windows = [_rule_dict(r, now, **extra) for r, extra in rules]
    if caller.role != Role.OPERATOR:
        customer = caller.customer or ""
        narrowed = [_for_customer(rule, config, customer, window)
                    for (rule, _), window in zip(rules, windows, strict=True)]
        windows = [w for w in narrowed if w is not None]
    return web.json_response({"windows": windows})


async def add_window(request: web.Request) -> web.Response:
    """POST /api/v1/maintenance (operators): a one-off window, effective at once."""
    caller = caller_of(request)
    if caller.role != Role.OPERATOR:
        return error(403, "adding maintenance windows needs an operator token")
    body = await read_body(request, NewWindow)
    service = service_of(request)
    now = service.now()
    config = service.current_config()
    problems = window_problems(body, config, now)
    if problems:
        raise bad_request(problems)
    row = MaintenanceWindowRow(devices=body.devices, tags=body.tags, customers=body.customers,
                               starts_at=body.start.astimezone(UTC),
                               ends_at=body.end.astimezone(UTC), reason=body.reason,
                               created_by=caller.name, created_at=now)
    window_id = await service.add_maintenance(row)
    return web.json_response({"id": window_id, "name": f"api-{window_id}"}, status=201)


OUTCOME_HEADER = "Bridge-Window-Outcome"


async def end_window(request: web.Request) -> web.Response:
    """DELETE /api/v1/maintenance/{id} (operators): drop it, or end it now if running; a
    204 whose Bridge-Window-Outcome header says which (ended or dropped)."""
    if caller_of(request).role != Role.OPERATOR:
        return error(403, "ending maintenance windows needs an operator token")
    try:
        window_id = WINDOW_ID.read(request.match_info["id"])
    except ValueError as exc:
        return error(400, f"id {exc}")
    outcome = await service_of(request).end_maintenance(window_id)
    if outcome is None:
        return error(404, f"no current maintenance window {window_id}")
    return web.Response(status=204, headers={OUTCOME_HEADER: outcome.value})


def add_routes(app: web.Application) -> None:
    """Register the maintenance routes."""
    app.router.add_get("/api/v1/maintenance", list_windows)
    app.router.add_post("/api/v1/maintenance", add_window)
    app.router.add_delete("/api/v1/maintenance/{id}", end_window)
