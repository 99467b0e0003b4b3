"""Maintenance windows from the desk's devices page: add a one-off window (the API's rules,
desk/maintenance.py) and end one; under the person's own name."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web
from pydantic import ValidationError

from bridge.desk.maintenance import NewWindow, window_problems
from bridge.portal.guard import PREFIX, person_of
from bridge.portal.posted import posted
from bridge.portal.service import service_of
from bridge.store.models import MaintenanceWindowRow

DEVICES_PAGE = f"{PREFIX}/desk/devices"


def _refused(reason: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=f"400: {reason}")


async def add(request: web.Request) -> web.Response:
    """POST /portal/desk/maintenance: devices and customers picked, start and end in UTC."""
    if not person_of(request).is_operator:
        raise web.HTTPForbidden(text="403: maintenance windows are the desk's")
    form = await posted(request)
    try:
        body = NewWindow(
            devices=[str(d) for d in form.getall("devices", [])],
            customers=[str(c) for c in form.getall("customers", [])],
            start=datetime.fromisoformat(str(form.get("start", ""))).replace(tzinfo=UTC),
            end=datetime.fromisoformat(str(form.get("end", ""))).replace(tzinfo=UTC),
            reason=str(form.get("reason", "")))
    except (ValueError, ValidationError) as exc:
        raise _refused(f"a window needs what it covers, a start and an end ({exc})") from None
    service = service_of(request)
    problems = window_problems(body, service.current_config(), service.now())
    if problems:
        raise _refused("; ".join(problems))
    await service.add_maintenance(MaintenanceWindowRow(
        devices=body.devices, tags=[], customers=body.customers, starts_at=body.start,
        ends_at=body.end, reason=body.reason, created_by=person_of(request).display_name[:64],
        created_at=service.now()))
    raise web.HTTPSeeOther(DEVICES_PAGE)


async def end(request: web.Request) -> web.Response:
    """POST /portal/desk/maintenance/{id}/end: drop it, or end it now if running."""
    if not person_of(request).is_operator:
        raise web.HTTPForbidden(text="403: maintenance windows are the desk's")
    window = request.match_info["id"]
    if not window.isdigit() or len(window) > 12:
        raise web.HTTPNotFound(text="404: no such window")
    if await service_of(request).end_maintenance(int(window)) is None:
        raise web.HTTPNotFound(text="404: no current maintenance window " + window)
    raise web.HTTPSeeOther(DEVICES_PAGE)


def add_routes(app: web.Application) -> None:
    """The maintenance forms."""
    app.router.add_post("/desk/maintenance", add)
    app.router.add_post("/desk/maintenance/{id}/end", end)
