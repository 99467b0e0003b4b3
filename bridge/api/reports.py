"""Availability over the API: the rolling windows, and monthly reports in every format."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from aiohttp import web

from bridge.api.auth import Caller, caller_of, error
from bridge.api.query import Query, accepts, choice, inventory_id, optional_choice
from bridge.api.service import service_of
from bridge.availability.coverage import coverage_statement
from bridge.availability.html import as_html
from bridge.availability.monthly import ReportError, month_report
from bridge.availability.render import as_csv
from bridge.availability.windows import WindowTallies
from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.periods import ROLLING_WINDOWS

CUSTOMER = inventory_id("customer", "Only this customer's devices (its id in the inventory).")
DEVICE = inventory_id("device", "Only this device (its id in the inventory). The customers list "
                                "still gives its customer's figure over all of the customer's "
                                "devices.")
WINDOW = optional_choice("window", "Only this rolling window (default: all of them).",
                         list(ROLLING_WINDOWS))
# The report's formats and the media type each is served as.
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "html": "text/html"}
FORMAT = choice("format", "The report as JSON, as CSV (an attachment, CUSTOMER-YYYY-MM.csv) "
                          "or as an HTML page (inline, CUSTOMER-YYYY-MM.html).",
                list(MEDIA_TYPES), "json")


def tally_dict(tally: Tally) -> dict[str, Any]:
    """A window's numbers as the API shows them."""
    ratio = tally.ratio
    return {"availability_pct": None if ratio is None else round(100 * ratio, 4),
            "counted_minutes": round(tally.counted_s / 60, 2),
            "downtime_minutes": round(tally.down_s / 60, 2),
            "parent_downtime_minutes": round(tally.parent_s / 60, 2),
            "maintenance_excluded_minutes": round(tally.maintenance_s / 60, 2)}


def _scope_error(config: Config, caller: Caller, customer: str | None,
                 device: str | None) -> web.Response | None:
    """The 404 for a customer or device the caller may not see (said as for an absent one),
    or for a device that is not the named customer's."""
    if customer is not None and (customer not in config.customers or not caller.sees(customer)):
        return error(404, f"no customer {customer!r}")
    if device is None:
        return None
    entry = config.devices.get(device)
    if entry is None or not caller.sees(entry.customer) or customer not in (None, entry.customer):
        return error(404, f"no device {device!r}"
                     + (f" for customer {customer!r}" if customer is not None else ""))
    return None


def _customer_tallies(config: Config, windows: Mapping[str, WindowTallies],
                      wanted: Collection[str]) -> dict[str, dict[str, Tally]]:
    """Each wanted customer's devices together, per window: the whole customer, whatever
    device the request narrowed the device list to."""
    totals: dict[str, dict[str, Tally]] = {}
    for name, entry in config.devices.items():
        if entry.customer not in wanted:
            continue
        per_window = totals.setdefault(entry.customer, {})
        for label, tallies in windows.items():
            per_window[label] = per_window.get(label, Tally()) + tallies.devices.get(name, Tally())
    return totals


@accepts(CUSTOMER, DEVICE, WINDOW)
async def availability(request: web.Request, query: Query) -> web.Response:
    """GET /api/v1/availability?customer=&device=&window=: the rolling windows."""
    caller, service = caller_of(request), service_of(request)
    config = service.current_config()
    customer, device, window = query[CUSTOMER], query[DEVICE], query[WINDOW]
    refused = _scope_error(config, caller, customer, device)
    if refused is not None:
        return refused
    latest = service.availability_latest()
    if latest.computed_at is None:
        return error(503, "availability is being computed; try again in a few seconds",
                     **{"Retry-After": "5"})
    windows = {k: v for k, v in latest.windows.items() if window in (None, k)}
    shown = [(name, entry) for name, entry in config.devices.items()
             if caller.sees(entry.customer) and customer in (None, entry.customer)
             and device in (None, name)]
    devices = [{
        "device": name, "customer": entry.customer,
        "windows": {k: tally_dict(w.devices.get(name, Tally())) for k, w in windows.items()},
        "checks": {probe: {k: tally_dict(w.checks.get((name, probe), Tally()))
                           for k, w in windows.items()} for probe in entry.probes},
    } for name, entry in shown]
    totals = _customer_tallies(config, windows, {entry.customer for _, entry in shown})
    return web.json_response({
        "computed_at": latest.computed_at.isoformat(),
        "customers": [{"customer": c,
                       "target_pct": config.customers[c].contract.availability_target_pct,
                       "coverage": coverage_statement(
                           config, config.customers[c].contract.availability_calendar_name),
                       "windows": {k: tally_dict(t) for k, t in per_window.items()}}
                      for c, per_window in sorted(totals.items())],
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
    now = service_of(request).now()
    try:
        data = await service.read(lambda e: month_report(e, config, customer, month, now))
    except ReportError as exc:
        return error(400, str(exc))
    if fmt == "json":
        return web.json_response(data)
    # CSV is for a spreadsheet (a download); the page opens in the browser, and either is
    # saved under a name that says whose month it is.
    disposition = "attachment" if fmt == "csv" else "inline"
    text = as_csv(data) if fmt == "csv" else as_html(data)
    return web.Response(text=text, content_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'{disposition}; filename="{customer}-{month}.{fmt}"'})


def add_routes(app: web.Application) -> None:
    """Register the availability and report routes."""
    app.router.add_get("/api/v1/availability", availability)
    app.router.add_get("/api/v1/reports/{customer}/{month}", report)
