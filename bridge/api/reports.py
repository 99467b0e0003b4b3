"""Availability over the API: the rolling windows, and monthly reports in every format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from bridge.api.auth import caller_of, error
from bridge.api.query import Query, accepts, choice, optional_choice, text
from bridge.api.service import service_of
from bridge.core.availability import Tally
from bridge.core.periods import ROLLING_WINDOWS
from bridge.reports.html import as_html
from bridge.reports.monthly import ReportError, month_report
from bridge.reports.render import as_csv

CUSTOMER = text("customer", "Only this customer's devices (its id in the inventory).")
DEVICE = text("device", "Only this device (its id in the inventory).")
WINDOW = optional_choice("window", "Only this rolling window (default: all of them).",
                         list(ROLLING_WINDOWS))
# The report's formats and the media type each is served as.
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "html": "text/html"}
FORMAT = choice("format", "The report as JSON, as CSV (an attachment) or as an HTML page.",
                list(MEDIA_TYPES), "json")


def tally_dict(tally: Tally) -> dict[str, Any]:
    """A window's numbers as the API shows them."""
    ratio = tally.ratio
    return {"availability_pct": None if ratio is None else round(100 * ratio, 4),
            "counted_minutes": round(tally.counted_s / 60, 2),
            "downtime_minutes": round(tally.down_s / 60, 2),
            "parent_downtime_minutes": round(tally.parent_s / 60, 2),
            "maintenance_excluded_minutes": round(tally.maintenance_s / 60, 2)}


@accepts(CUSTOMER, DEVICE, WINDOW)
async def availability(request: web.Request, query: Query) -> web.Response:
    """GET /api/v1/availability?customer=&device=&window=: the rolling windows."""
    caller, service = caller_of(request), service_of(request)
    config = service.current_config()
    customer, device, window = query[CUSTOMER], query[DEVICE], query[WINDOW]
    if customer is not None and (customer not in config.customers or not caller.sees(customer)):
        return error(404, f"no customer {customer!r}")
    if device is not None and (device not in config.devices
                               or not caller.sees(config.devices[device].customer)):
        return error(404, f"no device {device!r}")
    latest = service.availability_latest()
    if latest.computed_at is None:
        return error(503, "availability is being computed; try again in a few seconds",
                     **{"Retry-After": "5"})
    windows = {k: v for k, v in latest.windows.items() if window in (None, k)}
    devices = []
    customers: dict[str, dict[str, Tally]] = {}
    for name, entry in config.devices.items():
        if not caller.sees(entry.customer) or customer not in (None, entry.customer) \
                or device not in (None, name):
            continue
        per_window = {k: w.devices.get(name, Tally()) for k, w in windows.items()}
        for k, tally in per_window.items():
            totals = customers.setdefault(entry.customer, {})
            totals[k] = totals.get(k, Tally()) + tally
        devices.append({
            "device": name, "customer": entry.customer,
            "windows": {k: tally_dict(t) for k, t in per_window.items()},
            "checks": {probe: {k: tally_dict(w.checks.get((name, probe), Tally()))
                               for k, w in windows.items()} for probe in entry.probes},
        })
    return web.json_response({
        "computed_at": latest.computed_at.isoformat(),
        "customers": [{"customer": c,
                       "target_pct": config.customers[c].contract.availability_target_pct,
                       "windows": {k: tally_dict(t) for k, t in totals.items()}}
                      for c, totals in sorted(customers.items())],
        "devices": devices,
    })


@accepts(FORMAT, media_types=tuple(MEDIA_TYPES.values()))
async def report(request: web.Request, query: Query) -> web.Response:
    """GET /api/v1/reports/{customer}/{month}?format=json|csv|html"""
    caller, service = caller_of(request), service_of(request)
    customer, month = request.match_info["customer"], request.match_info["month"]
    config = service.current_config()
    if customer not in config.customers or not caller.sees(customer):
        return error(404, f"no customer {customer!r}")  # one answer for absent and forbidden
    fmt = query[FORMAT]
    now = datetime.now(UTC)
    try:
        data = await service.read(lambda e: month_report(e, config, customer, month, now))
    except ReportError as exc:
        return error(400, str(exc))
    if fmt == "csv":
        return web.Response(text=as_csv(data), content_type=MEDIA_TYPES[fmt], headers={
            "Content-Disposition": f'attachment; filename="{customer}-{month}.csv"'})
    if fmt == "html":
        return web.Response(text=as_html(data), content_type=MEDIA_TYPES[fmt])
    return web.json_response(data)


def add_routes(app: web.Application) -> None:
    """Register the availability and report routes."""
    app.router.add_get("/api/v1/availability", availability)
    app.router.add_get("/api/v1/reports/{customer}/{month}", report)
