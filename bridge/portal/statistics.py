"""A customer's month in figures: its tickets, their reaction and resolution times (median,
90th percentile, share within target) against the contract, and availability against its
target. The figures come from the month's report, so they are the report's own numbers."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
from aiohttp import web

from bridge.availability.text import hours_text
from bridge.config.main_file import Role
from bridge.portal.availability import visible
from bridge.portal.guard import person_of
from bridge.portal.month_view import customer_months, read_month
from bridge.portal.pages import not_found, words_of_customer, words_of_desk
from bridge.portal.service import service_of


@dataclass(frozen=True)
class ClockFigures:
    """One clock over a month's tickets (seconds; None where no ticket stopped it)."""

    stopped: int  # tickets whose clock stopped (assigned, resolved)
    median_s: float | None
    p90_s: float | None
    within_target: float | None  # share of the stopped ones, 0..1


def nearest_rank(values: list[float], pct: float) -> float:
    """The nearest-rank percentile (a value that occurred, as SLA reports state them)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(pct / 100 * len(ordered)) - 1)]


def clock_figures(tickets: list[dict[str, Any]], clock: str) -> ClockFigures:
    """`clock` ("reaction", "resolution") over the report's tickets."""
    pairs = [(t[f"{clock}_s"], t[f"{clock}_target_s"]) for t in tickets
             if t.get(f"{clock}_s") is not None]
    if not pairs:
        return ClockFigures(0, None, None, None)
    times = [float(s) for s, _ in pairs]
    met = sum(1 for s, target in pairs if target is not None and s <= target)
    return ClockFigures(len(pairs), statistics.median(times), nearest_rank(times, 90),
                        met / len(pairs))


async def month_figures(request: web.Request) -> web.Response:
    """GET /portal/statistics[?customer=&month=]"""
    person = person_of(request)
    config = service_of(request).current_config()
    customer = person.customer if person.role is Role.CUSTOMER else \
        request.query.get("customer") or next(iter(sorted(config.customers)), "")
    if customer is None or not visible(request, customer):
        return not_found(request, person.customer)
    shown = customer_months(request, customer)
    month = request.query.get("month") or shown[0]
    report = await read_month(request, customer, month)
    tickets = report["tickets"]
    page = words_of_customer(request, customer) if person.role is Role.CUSTOMER \
        else words_of_desk(request)
    return aiohttp_jinja2.render_template("statistics.html", request, {
        **page, "customer": customer, "month": month, "months": shown,
        "tickets": len(tickets), "breached": sum(1 for t in tickets if t.get("breached")),
        "clocks": [(c, clock_figures(tickets, c)) for c in ("reaction", "resolution")],
        "summary": report["summary"], "target": report["availability_target_pct"],
        "note": page["w"]("tickets_note", hours=hours_text(report["sla_coverage"],
                                                            page["w"].report)),
        "customers": sorted(config.customers) if person.role is Role.OPERATOR else []})


def add_routes(app: web.Application) -> None:
    """The statistics page."""
    app.router.add_get("/statistics", month_figures)
