"""Availability in the portal: a customer's devices over the rolling windows, and its
monthly reports as the API and `bridge report` give them (HTML, CSV, JSON). A customer user
gets its own customer's only: another customer's report is a 404, as a missing one."""

from __future__ import annotations

import json
from datetime import datetime

import aiohttp_jinja2
from aiohttp import web

from bridge.availability.html import as_html
from bridge.availability.monthly import ReportError, month_report
from bridge.availability.render import as_csv
from bridge.config.main_file import Role
from bridge.core.availability import Tally
from bridge.core.periods import ROLLING_WINDOWS
from bridge.portal.guard import person_of
from bridge.portal.pages import not_found, words_of_customer, words_of_desk
from bridge.portal.service import service_of

MEDIA_TYPES = {"json": "application/json", "csv": "text/csv", "html": "text/html"}
MONTHS_SHOWN = 13
# The report page is the availability package's own, with its own inline stylesheet and
# its logo as data: never a script.
REPORT_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


def months(now: datetime) -> list[str]:
    """This month and the twelve before it, newest first."""
    year, month = now.year, now.month
    shown = []
    for _ in range(MONTHS_SHOWN):
        shown.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return shown


def visible(request: web.Request, customer: str) -> bool:
    """Whether the signed-in person may see `customer`'s figures."""
    person = person_of(request)
    known = customer in service_of(request).current_config().customers
    return known and (person.role is Role.OPERATOR or person.customer == customer)


async def report_list(request: web.Request) -> web.Response:
    """GET /portal/reports[?customer=]: the months of a customer's reports."""
    person = person_of(request)
    config = service_of(request).current_config()
    customer = person.customer if person.role is Role.CUSTOMER else \
        request.query.get("customer") or next(iter(sorted(config.customers)), "")
    if customer is None or not visible(request, customer):
        return not_found(request, person.customer)
    page = words_of_customer(request, customer) if person.role is Role.CUSTOMER \
        else words_of_desk(request)
    return aiohttp_jinja2.render_template("reports.html", request, {
        **page, "customer": customer, "months": months(service_of(request).now()),
        "customers": sorted(config.customers) if person.role is Role.OPERATOR else [],
        "formats": list(MEDIA_TYPES)})


async def report_file(request: web.Request) -> web.Response:
    """GET /portal/reports/{customer}/{month}.{format}"""
    customer, month, fmt = (request.match_info[k] for k in ("customer", "month", "format"))
    if not visible(request, customer) or fmt not in MEDIA_TYPES:
        return not_found(request, person_of(request).customer)
    service = service_of(request)
    config, now = service.current_config(), service.now()
    try:
        data = await service.read(lambda e: month_report(e, config, customer, month, now))
    except ReportError as exc:
        raise web.HTTPBadRequest(text=f"400: {exc}") from None
    body = json.dumps(data, indent=1) if fmt == "json" else as_csv(data) if fmt == "csv" \
        else as_html(data)
    disposition = "inline" if fmt == "html" else "attachment"
    return web.Response(text=body, content_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'{disposition}; filename="{customer}-{month}.{fmt}"',
        "Content-Security-Policy": REPORT_CSP})


def _pct(tally: Tally) -> float | None:
    return None if tally.ratio is None else 100 * tally.ratio


async def availability(request: web.Request) -> web.Response:
    """GET /portal/availability[?customer=]: the customer's devices over the rolling windows
    (the same tallies as the API and /metrics), against the contract's target."""
    person = person_of(request)
    service = service_of(request)
    config = service.current_config()
    customer = person.customer if person.role is Role.CUSTOMER else \
        request.query.get("customer") or next(iter(sorted(config.customers)), "")
    if customer is None or not visible(request, customer):
        return not_found(request, person.customer)
    latest = service.availability_latest()
    labels = [k for k in ROLLING_WINDOWS if k in latest.windows]
    devices = sorted(d for d, entry in config.devices.items() if entry.customer == customer)
    rows = [(d, [_pct(latest.windows[k].devices.get(d, Tally())) for k in labels])
            for d in devices]
    total = [_pct(latest.windows[k].customer(config, customer)) for k in labels]
    page = words_of_customer(request, customer) if person.role is Role.CUSTOMER \
        else words_of_desk(request)
    return aiohttp_jinja2.render_template("availability.html", request, {
        **page, "customer": customer, "labels": labels, "rows": rows, "total": total,
        "target": config.customers[customer].contract.availability_target_pct,
        "computed_at": latest.computed_at.isoformat() if latest.computed_at else None,
        "month": service.now().strftime("%Y-%m"),
        "customers": sorted(config.customers) if person.role is Role.OPERATOR else []})


def add_routes(app: web.Application) -> None:
    """The availability and report pages."""
    app.router.add_get("/availability", availability)
    app.router.add_get("/reports", report_list)
    app.router.add_get(r"/reports/{customer}/{month:\d{4}-\d{2}}.{format:[a-z]+}", report_file)
