"""Maintenance windows as time math: is a moment inside a window, and when does it end."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bridge.core.wall_clock import instant_of, walls_around

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"^\s*(\S+)\s+(\d{1,2}):(\d\d)\s*$")
_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)
_INSTANT = timedelta(microseconds=1)


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


class WallStarts(Protocol):
    """When a recurring window starts, in local wall time."""

    def between(self, low: datetime, high: datetime) -> Iterator[datetime]:
        """Naive local start times in [low, high), strictly increasing."""
        ...


@dataclass(frozen=True)
class Recurring:
    """Windows that start at local wall-clock times (weekly or cron) and last `duration`.

    Start times are local to `zone`, so a 22:00 window stays at 22:00 across DST; the
    duration is elapsed time. A start the clocks skip is taken at the jump, a repeated one
    at its first occurrence (core/wall_clock.py); several skipped starts are one window.
    """

    starts: WallStarts
    duration: timedelta
    zone: ZoneInfo

    def occurrence_at(self, at: datetime) -> tuple[datetime, datetime] | None:
        """The earliest occurrence containing `at`, if any."""
        # The first one overlapping [at, at + 1 µs) starts by `at`; the rest are not looked
        # at (this runs on the event loop for every result of a covered device).
        return next(self._overlapping(at, at + _INSTANT), None)

    def occurrences(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """Occurrences overlapping [start, end)."""
        return list(self._overlapping(start, end))

    def _overlapping(self, start: datetime,
                     end: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Occurrences overlapping [start, end) in time order: starts from one duration
        before; wall times map to instants in order, so the first found is the earliest."""
        low, high = walls_around(start - self.duration, end, self.zone)
        # Starts are whole minutes: a schedule that yields more, or goes backwards, is a
        # bug that must fail here rather than spin (a loop here once hung the daemon).
        budget = int((high - low) / _MINUTE) + 1
        previous: datetime | None = None
        last_begin: datetime | None = None
        for wall in self.starts.between(low, high):
            budget -= 1
            if budget < 0 or wall >= high or (previous is not None and wall <= previous):
                raise RuntimeError(f"maintenance schedule {self.starts!r} does not advance "
                                   f"between {low} and {high} (at {wall})")
            previous = wall
            begin = instant_of(wall, self.zone)
            if begin >= end:
                return
            if start < begin + self.duration and begin != last_begin:
                last_begin = begin
                yield begin, begin + self.duration


@dataclass(frozen=True)
class Weekly:
    """Start times on given weekdays: ((weekday 0=Monday, local time), ...)."""

    starts: tuple[tuple[int, time], ...]

    def between(self, low: datetime, high: datetime) -> Iterator[datetime]:
        """Local start times in [low, high), day by day."""
        times = sorted(set(self.starts), key=lambda s: s[1])
        day = low.date()
        while day <= high.date():
            for weekday, at in times:
                wall = datetime.combine(day, at)
                if day.weekday() == weekday and low <= wall < high:
                    yield wall
            day += _DAY


def parse_days(text: str) -> list[int]:
    """'mon-fri' or 'sat,sun' (or 'sat-mon', wrapping) -> weekdays, 0 = Monday; ValueError
    if any part is not a day or a range of days."""
    days: list[int] = []
    for part in text.lower().split(","):
        first, _, last = part.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise ValueError(f"not a day or range of days: {part!r}")
        start, end = WEEKDAYS.index(first), WEEKDAYS.index(last or first)
        days.extend((start + i) % 7 for i in range((end - start) % 7 + 1))  # "sat-mon" wraps
    return days


def parse_weekly(entry: str) -> tuple[tuple[int, time], ...]:
    """'mon-fri 22:00' -> one (weekday, start) per day; ValueError saying what is expected."""
    match = _WEEKLY.match(entry)
    problem = ValueError(f"expected 'DAYS HH:MM' such as 'sun 03:00', 'mon-fri 22:00' or "
                         f"'sat,sun 06:00', got {entry!r}")
    if match is None or int(match.group(2)) > 23 or int(match.group(3)) > 59:
        raise problem
    try:
        days = parse_days(match.group(1))
    except ValueError:
        raise problem from None
    start = time(int(match.group(2)), int(match.group(3)))
    return tuple((day, start) for day in days)


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


def window_covering(rules: Iterable[MaintenanceRule], device: str, tags: tuple[str, ...],
                    customer: str, now: datetime) -> Window | None:
    """The first of these windows that covers the device and is open now."""
    for rule in rules:
        if rule.covers(device, tags, customer):
            window = rule.window_at(now)
            if window is not None:
                return window
    return None
