"""Availability in the portal: a customer's devices over the rolling windows, and its
monthly reports as the API and `bridge report` give them (HTML, CSV, JSON). A customer user
gets its own customer's only: another customer's report is a 404, as a missing one."""

from __future__ import annotations

import json
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bridge.availability.html import as_html
from bridge.availability.render import as_csv
from bridge.config.main_file import Role
from bridge.core.availability import Tally
from bridge.core.periods import ROLLING_WINDOWS
from bridge.portal.guard import person_of
from bridge.portal.month_view import customer_months, month_section, read_month
from bridge.portal.pages import not_found, words_of_customer, words_of_desk
from bridge.portal.service import service_of

MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "html": "text/html"}
# The report page is the availability package's own, with its own inline stylesheet and
# its logo as data: never a script.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def visible(request: web.Request, customer: str) -> bool:
    """Whether the signed-in person may see `customer`'s figures."""
    person = person_of(request)
    known = customer in service_of(request).current_config().customers
    return known and (person.role is Role.OPERATOR or person.customer == customer)


def _customer_asked(request: web.Request) -> str | None:
    """A customer user's own customer; an operator's ?customer= (or the first one)."""
    person = person_of(request)
    if person.role is Role.CUSTOMER:
        return person.customer
    config = service_of(request).current_config()
    return request.query.get("customer") or next(iter(sorted(config.customers)), "")


async def report_list(request: web.Request) -> web.Response:
    """GET /portal/reports[?customer=]: the months of a customer's reports."""
    person = person_of(request)
    config = service_of(request).current_config()
    customer = _customer_asked(request)
    if customer is None or not visible(request, customer):
        return not_found(request, person.customer)
    page = words_of_customer(request, customer) if person.role is Role.CUSTOMER \
        else words_of_desk(request)
    return aiohttp_jinja2.render_template("reports.html", request, {
        **page, "customer": customer, "months": customer_months(request, customer),
        "customers": sorted(config.customers) if person.role is Role.OPERATOR else [],
        "formats": list(MEDIA_TYPES)})


async def report_file(request: web.Request) -> web.Response:
    """GET /portal/reports/{customer}/{month}.{format}"""
    customer, month, fmt = (request.match_info[k] for k in ("customer", "month", "format"))
    if not visible(request, customer) or fmt not in MEDIA_TYPES:
        return not_found(request, person_of(request).customer)
    data = await read_month(request, customer, month)
    body = json.dumps(data, indent=1) if fmt == "json" else as_csv(data) if fmt == "csv" \
        else as_html(data)
    disposition = "inline" if fmt == "html" else "attachment"
    return web.Response(text=body, content_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'{disposition}; filename="{customer}-{month}.{fmt}"',
        "Content-Security-Policy": REPORT_CSP})


def _pct(tally: Tally) -> float | None:
    return None if tally.ratio is None else 100 * tally.ratio


def _rolling(request: web.Request, customer: str, devices: list[str]) -> dict[str, Any]:
    """The devices over the rolling windows (the same tallies as the API and /metrics)."""
    service = service_of(request)
    config = service.current_config()
    latest = service.availability_latest()
    labels = [k for k in ROLLING_WINDOWS if k in latest.windows]
    return {
        "labels": labels,
        "rows": [(d, [_pct(latest.windows[k].devices.get(d, Tally())) for k in labels])
                 for d in devices],
        "total": [_pct(latest.windows[k].customer(config, customer)) for k in labels],
        "target": config.customers[customer].contract.availability_target_pct,
        "computed_at": latest.computed_at.isoformat() if latest.computed_at else None}


async def _month_page(request: web.Request, customer: str, device: str | None
                      ) -> dict[str, Any]:
    """The month chosen by ?month= (this month in the customer's zone by default)."""
    shown = customer_months(request, customer)
    month = request.query.get("month") or shown[0]
    report = await read_month(request, customer, month)
    page = words_of_customer(request, customer) if person_of(request).role is Role.CUSTOMER \
        else words_of_desk(request)
    return {**page, "customer": customer, "month": month, "months": shown,
            "m": month_section(report, page["w"], device)}


async def availability(request: web.Request) -> web.Response:
    """GET /portal/availability[?customer=][&month=]: the customer's devices over the
    rolling windows, against the contract's target, and a month as `bridge report` gives
    it: the figures per device, the daily chart and the outages."""
    person = person_of(request)
    config = service_of(request).current_config()
    customer = _customer_asked(request)
    if customer is None or not visible(request, customer):
        return not_found(request, person.customer)
    devices = sorted(d for d, entry in config.devices.items() if entry.customer == customer)
    return aiohttp_jinja2.render_template("availability.html", request, {
        **await _month_page(request, customer, None), **_rolling(request, customer, devices),
        "customers": sorted(config.customers) if person.role is Role.OPERATOR else []})


async def device_availability(request: web.Request) -> web.Response:
    """GET /portal/availability/devices/{device}[?month=]: one device's rolling windows,
    month figures, daily chart and outages; another customer's device is a 404."""
    person = person_of(request)
    config = service_of(request).current_config()
    device = request.match_info["device"]
    entry = config.devices.get(device)
    if entry is None or not visible(request, entry.customer):
        return not_found(request, person.customer)
    return aiohttp_jinja2.render_template("availability_device.html", request, {
        **await _month_page(request, entry.customer, device),
        **_rolling(request, entry.customer, [device]), "device": device,
        "customers": []})


def add_routes(app: web.Application) -> None:
    """The availability and report pages."""
    app.router.add_get("/availability", availability)
    app.router.add_get("/availability/devices/{device}", device_availability)
    app.router.add_get("/reports", report_list)
    app.router.add_get(r"/reports/{customer}/{month:\d{4}-\d{2}}.{format:[a-z]+}", report_file)
