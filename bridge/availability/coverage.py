"""The hours a customer's availability is counted in, as every report and the API state them,
and why a period counted nothing: without them an empty report gives no reason."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from bridge.config.model import Config
from bridge.core.availability import Tally


def coverage_statement(config: Config, name: str) -> dict[str, Any]:
    """A calendar as a report states it: its name, weekly hours and zone."""
    coverage = config.calendars[name]
    always = coverage.is_always()  # then no zone matters
    return {"calendar": name, "always": always, "hours": list(coverage.weekly_hours()),
            "timezone": None if always else coverage.zone.key}


def period_coverage(config: Config, customer: str, start: datetime,
                    until: datetime) -> dict[str, Any]:
    """The customer's availability calendar as a report of [start, until) states it: with
    the holidays in that period and its covered minutes."""
    name = config.customers[customer].contract.availability_calendar_name
    coverage = config.calendars[name]

    def overlaps(day: date) -> bool:  # the local day [00:00, next 00:00) and the period
        midnight = datetime.combine(day, time(), coverage.zone)
        return midnight < until and start < midnight + timedelta(days=1)

    return {**coverage_statement(config, name),
            "holidays": [d.isoformat() for d in sorted(coverage.holidays) if overlaps(d)],
            "covered_minutes": round(coverage.covered_seconds(start, until) / 60, 2)}


def not_counted_reason(tally: Tally, covered_minutes: float, complete: bool) -> str | None:
    """Why no time was counted (so there is no availability), or None when some was."""
    if tally.counted_s > 0:
        return None
    so_far = "" if complete else " so far"
    if covered_minutes <= 0:
        return f"no coverage hours in this period{so_far}"
    return (f"no check results in the coverage hours{so_far} (not monitored then, in "
            "maintenance, or the monitoring itself was blind)")
