"""A month on the portal's availability pages: `bridge report`'s figures, daily chart and
outages of a customer's month (its JSON shape, drawn by the report's own chart), for all its
devices or for one; the months offered are the customer's, in its time zone."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from bridge.availability.html import axis_floor, chart, chart_svg, target_line
from bridge.availability.monthly import ReportError, month_report
from bridge.availability.render import DEVICE_COLUMNS, device_cells, outage_cause
from bridge.availability.text import minutes, pct
from bridge.portal.service import service_of
from bridge.portal.words import PageWords

MONTHS_SHOWN = 13


def months(now: datetime) -> list[str]:
    """This month and the twelve before it, newest first (`now` in the customer's zone)."""
    year, month = now.year, now.month
    shown = []
    for _ in range(MONTHS_SHOWN):
        shown.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return shown


def customer_months(request: web.Request, customer: str) -> list[str]:
    """The months a customer's pages offer, as its calendar reads them now."""
    service = service_of(request)
    zone = ZoneInfo(service.current_config().customers[customer].timezone)
    return months(service.now().astimezone(zone))


async def read_month(request: web.Request, customer: str, month: str) -> dict[str, Any]:
    """The report of a customer's month; a month that cannot be reported is a 400 that
    says why (not a month, not begun yet in the customer's zone)."""
    service = service_of(request)
    config, now = service.current_config(), service.now()
    try:
        return await service.read(lambda e: month_report(e, config, customer, month, now))
    except ReportError as exc:
        raise web.HTTPBadRequest(text=f"400: {exc}") from None


def month_section(report: dict[str, Any], words: PageWords,
                  device: str | None = None) -> dict[str, Any]:
    """What the month part of a page shows: the customer's devices together, or `device`."""
    said, zone = words.report, report["timezone"]
    target, period = report["availability_target_pct"], report["period"]
    if device is None:
        figures, days, outages = report["summary"], report["days"], report["outages"]
        rows = [(d["device"], device_cells(d, said)) for d in report["devices"]]
        total: list[str] | None = device_cells(figures, said)
    else:
        figures = next(d for d in report["devices"] if d["device"] == device)
        days, outages = figures["days"], [o for o in report["outages"] if o["device"] == device]
        rows, total = [(device, device_cells(figures, said))], None
    drawn = chart(days, target, said)
    line = said("period", month=said.ltr(report["month"]), start=words.time(period["start"], zone),
                end=words.time(period["end"], zone), zone=zone)
    if not period["complete"]:
        line += f" ({said('so_far', until=words.time(period['until'], zone))})"
    return {
        "period_line": line, "availability": pct(figures["availability_pct"], said),
        "met": figures["target_met"],
        "target_line": target_line({**report, "summary": figures}, said),
        "chart": chart_svg(drawn, said),
        "chart_caption": said("chart_axis", floor=axis_floor(drawn, said)),
        "columns": [said(c) for c in DEVICE_COLUMNS], "figure_rows": rows, "total_row": total,
        "outages": [{
            "started": words.time(o["started_at"], zone),
            "ended": words.time(o["ended_at"], zone) if o["ended_at"] else said("still_down"),
            "device": o["device"], "cause": outage_cause(o, said),
            "counted_earlier": not o["counted_this_month"],
            "downtime": minutes(o["downtime_minutes"], said),
            "maintenance": minutes(o["maintenance_excluded_minutes"], said),
        } for o in outages],
        "definitions": report["definitions"],
    }
