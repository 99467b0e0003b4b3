"""Maintenance windows as time math: is a moment inside a window, and when does it end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Window:
    """One occurrence of a maintenance window, in absolute time."""

    name: str
    start: datetime
    end: datetime


class Schedule(Protocol):
    """When a maintenance window occurs."""

    def occurrence_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence containing `at` (start <= at < end), if any."""
        ...

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Every occurrence that overlaps [start, end), in time order."""
        ...


@dataclass(frozen=True)
class OneOff:
    """A single window between two moments."""

    start: datetime
    end: datetime

    def occurrence_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The window, if `at` is inside it."""
        return (self.start, self.end) if self.start <= at < self.end else None

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The window, if it overlaps [start, end)."""
        return [(self.start, self.end)] if self.start < end and start < self.end else []


@dataclass(frozen=True)
class Weekly:
    """Windows that start at local wall-clock times on given weekdays and last `duration`.

    Start times are local to `zone`, so a 22:00 window stays at 22:00 across DST; the
    duration is elapsed time. A start time that does not exist on a spring-forward day is
    taken as the same wall time read with the old offset (zoneinfo's fold=0), i.e. an hour
    later in real terms: the window still happens that day.
    """

    starts: tuple[tuple[int, time], ...]  # (weekday 0=Monday, local start)
    duration: timedelta
    zone: ZoneInfo

    def occurrence_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The occurrence containing `at`, looking back as far as the duration reaches."""
        local_day = at.astimezone(self.zone).date()
        days_back = self.duration.days + 1
        for offset in range(days_back, -1, -1):
            day = local_day - timedelta(days=offset)
            for weekday, start_time in self.starts:
                if day.weekday() == weekday:
                    start = _local(day, start_time, self.zone)
                    if start <= at < start + self.duration:
                        return start, start + self.duration
        return None

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Occurrences overlapping [start, end): local days from one duration before."""
        found = []
        day = (start - self.duration).astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            for weekday, start_time in self.starts:
                if day.weekday() == weekday:
                    begin = _local(day, start_time, self.zone)
                    if begin < end and start < begin + self.duration:
                        found.append((begin, begin + self.duration))
            day += timedelta(days=1)
        return sorted(found)


def _local(day: date, at: time, zone: ZoneInfo) -> datetime:
    # In UTC: aware datetimes in one ZoneInfo add timedeltas as wall-clock time, which
    # would make a window across a DST change an hour short or long.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def parse_weekly(entry: str) -> tuple[int, time]:
    """'tue 22:00' -> (1, 22:00); raises ValueError with what is expected."""
    parts = entry.split()
    if len(parts) != 2 or parts[0].lower()[:3] not in WEEKDAYS:
        raise ValueError(f"expected 'DAY HH:MM' such as 'tue 22:00', got {entry!r}")
    try:
        start = time.fromisoformat(parts[1])
    except ValueError:
        raise ValueError(f"expected 'DAY HH:MM' such as 'tue 22:00', got {entry!r}") from None
    return WEEKDAYS.index(parts[0].lower()[:3]), start


@dataclass(frozen=True)
class MaintenanceRule:
    """A named window and what it covers."""

    name: str
    schedule: Schedule
    devices: frozenset[str]
    tags: frozenset[str]
    customers: frozenset[str]
    reason: str = ""
    schedule_text: str = ""  # how the schedule was written, for people

    def covers(self, device: str, tags: tuple[str, ...], customer: str) -> bool:
        """Whether the window applies to this device."""
        return (device in self.devices or customer in self.customers
                or bool(self.tags.intersection(tags)))

    def window_at(self, at: datetime) -> Window | None:
        """The occurrence containing `at`, if any."""
        occurrence = self.schedule.occurrence_at(at)
        return Window(self.name, *occurrence) if occurrence else None

    def windows(self, start: datetime, end: datetime) -> list[Window]:
        """Every occurrence overlapping [start, end)."""
        return [Window(self.name, *o) for o in self.schedule.occurrences(start, end)]
