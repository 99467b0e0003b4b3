"""Periods availability is reported over: rolling windows, and local days and months."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# Rolling windows of the metrics and the API, by label.
ROLLING_WINDOWS: dict[str, timedelta] = {
    "1h": timedelta(hours=1), "1d": timedelta(days=1), "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
# A month as YYYY-MM, from 1970-01 (nothing is monitored before the epoch) to 2999-12: every
# month in it, and the month after it, is a date and an instant in every time zone.
MONTH_PATTERN = r"^(19[7-9][0-9]|2[0-9]{3})-(0[1-9]|1[0-2])$"
_MONTH = re.compile(MONTH_PATTERN)


@dataclass(frozen=True)
class LocalDay:
    """One calendar day in a time zone, as the UTC instants it starts and ends at."""

    day: date
    start: datetime
    end: datetime


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant a local day begins, in UTC (00:00 exists in every zone bridge knows of)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def local_day(day: date, zone: ZoneInfo) -> LocalDay:
    """A local day: 23, 24 or 25 hours long around DST changes."""
    return LocalDay(day, local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone))


def local_days(zone: ZoneInfo, start: datetime, end: datetime) -> list[LocalDay]:
    """The local days that overlap [start, end)."""
    days: list[LocalDay] = []
    current = start.astimezone(zone).date()
    while True:
        one = local_day(current, zone)
        if one.start >= end:
            return days
        days.append(one)
        current += timedelta(days=1)


def parse_month(text: str) -> tuple[int, int]:
    """'2026-03' -> (2026, 3); ValueError says what is expected."""
    match = _MONTH.fullmatch(text)
    if match is None:
        raise ValueError("expected a month as YYYY-MM from 1970-01 to 2999-12, such as 2026-03, "
                         f"got {text!r}")
    return int(match.group(1)), int(match.group(2))


def month_bounds(year: int, month: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A calendar month in a time zone, as UTC instants [start, end)."""
    following = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return local_midnight(date(year, month, 1), zone), local_midnight(following, zone)
