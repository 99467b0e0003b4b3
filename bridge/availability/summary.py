"""Summing a month up: availability against the target, downtime, outages, MTTR and MTBF.

Outages count in the month their counted down time begins (one that runs over a month end
counts in the first month, and its minutes in both). MTTR is the mean counted down time of
a device's own outages, MTBF its counted up time per own outage: a parent's outage is the
parent's failure, and is counted there (core/outages.py says whose an outage is).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from bridge.availability.coverage import coverage_statement, not_counted_reason, period_coverage
from bridge.availability.month_data import MonthData, OutageView
from bridge.availability.words import words_for
from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.outages import Cause


def _pct(tally: Tally) -> float | None:
    return None if tally.ratio is None else round(100 * tally.ratio, 4)


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 2)


def figures(tally: Tally, outages: Iterable[OutageView], target_pct: float | None
            ) -> dict[str, Any]:
    """The numbers of one device, or of a customer's devices together."""
    seen = list(outages)
    own = [o for o in seen if o.cause == Cause.OWN and o.counted_here]
    parent = [o for o in seen if o.cause == Cause.PARENT and o.counted_here]
    in_maintenance = [o for o in seen if o.maintenance_here]
    ratio = tally.ratio
    own_down_s = sum(o.down_s for o in own)
    return {
        "availability_pct": _pct(tally),
        "target_met": None if target_pct is None or ratio is None
        else 100 * ratio >= target_pct,
        "counted_minutes": _minutes(tally.counted_s),
        "downtime_minutes": _minutes(tally.down_s),
        "own_downtime_minutes": _minutes(tally.down_s - tally.parent_s),
        "parent_downtime_minutes": _minutes(tally.parent_s),
        "maintenance_excluded_minutes": _minutes(tally.maintenance_s),
        "outages": {"own": len(own), "parent": len(parent), "maintenance": len(in_maintenance)},
        "mttr_minutes": _minutes(own_down_s / len(own)) if own else None,
        "mtbf_hours": round((tally.counted_s - tally.down_s) / len(own) / 3600, 2)
        if own else None,
    }


def daily(days: Mapping[str, Tally]) -> list[dict[str, Any]]:
    """The chart's days (a device's, or the customer's devices together) in date order."""
    return [{"date": day, "availability_pct": _pct(tally),
             "downtime_minutes": _minutes(tally.down_s)}
            for day, tally in sorted(days.items())]


def iso_utc(at: datetime | None) -> str | None:
    """An instant as the report's JSON gives every time: ISO 8601 in UTC, to the second."""
    return at.astimezone(UTC).replace(microsecond=0).isoformat() if at is not None else None


def summarize(config: Config, customer: str, month: str,
              period: tuple[datetime, datetime, datetime], data: MonthData,
              tickets: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """The report's JSON shape."""
    start, end, until = period
    entry = config.customers[customer]
    coverage = period_coverage(config, customer, start, until)

    def why(tally: Tally) -> dict[str, str | None]:
        return {"not_counted_reason": not_counted_reason(tally, coverage["covered_minutes"],
                                                         until >= end)}

    target = entry.contract.availability_target_pct
    by_device: dict[str, list[OutageView]] = {}
    for view in data.outages.values():
        by_device.setdefault(view.device, []).append(view)
    names = sorted(d for d, device in config.devices.items() if device.customer == customer)
    devices = []
    for name in names:
        checks = [{"probe": probe, "availability_pct": _pct(data.checks[(name, probe)]),
                   "downtime_minutes": _minutes(data.checks[(name, probe)].down_s)}
                  for probe in config.devices[name].probes]
        devices.append({"device": name, "description": config.devices[name].description,
                        **figures(data.devices[name], by_device.get(name, []), target),
                        **why(data.devices[name]),
                        "checks": checks,
                        "days": daily(data.device_days.get(name, {}))})
    total = sum((data.devices[name] for name in names), Tally())
    outages = [{
        "device": o.device, "cause": o.cause.value, "root": o.root,
        "started_at": iso_utc(o.started), "ended_at": iso_utc(o.ended),
        "downtime_minutes": _minutes(o.down_s),
        "maintenance_excluded_minutes": _minutes(o.maintenance_s),
        "counted_this_month": o.counted_here,
    } for o in sorted(data.outages.values(), key=lambda o: (o.started, o.device))
        if o.device in config.devices]
    words = words_for(entry.contract.language)
    provider = config.provider
    return {
        "customer": customer,
        "customer_name": entry.name,
        "language": words.language,  # of the text in it and of every format rendered from it
        "provider": {"name": provider.name, "logo": provider.logo, "email": provider.email,
                     "phone": provider.phone, "url": provider.url},
        "month": month,
        "timezone": entry.timezone,
        "period": {"start": iso_utc(start), "end": iso_utc(end), "until": iso_utc(until),
                   "complete": until >= end},
        "generated_at": iso_utc(now),
        "availability_target_pct": target,
        "coverage": coverage,  # of availability
        "sla_coverage": coverage_statement(config, entry.contract.calendar),  # of ticket clocks
        "summary": {**figures(total, [o for o in data.outages.values()
                                      if o.device in config.devices], target), **why(total)},
        "devices": devices,
        "outages": outages,
        "days": daily(data.days),
        "tickets": tickets,
        "definitions": words.definitions,
    }
