"""Maintenance windows in config/*.toml: `[maintenance.NAME]`, compiled at load time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from pydantic import AfterValidator, Field, field_validator, model_validator

from bridge.config.base import Name, ZoneName
from bridge.core.maintenance import (
    MaintenanceRule,
    OneOff,
    Recurring,
    Schedule,
    Weekly,
    parse_weekly,
)
from bridge.core.strict import Array, Strict

# APScheduler 3 numbers weekdays from Monday = 0; crontab from Sunday = 0 (and 7).
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DOW_NUMBER = re.compile(r"(?<![/\d])([0-7])(?!\d)")
_ONE_MINUTE = timedelta(minutes=1)  # crontab's resolution


class CronStarts:
    """A crontab expression (5 fields, standard weekday numbers): its local start times."""

    def __init__(self, expression: str) -> None:
        fields = expression.split()
        if len(fields) != 5:
            raise ValueError(f"expected 5 crontab fields (min hour day month weekday), "
                             f"got {expression!r}")
        fields[4] = _DOW_NUMBER.sub(lambda m: _CRON_DAYS[int(m.group(1))], fields[4])
        # Matched against wall time as if it were UTC, where no time repeats: the trigger
        # then always moves forward (in a DST zone it returned a repeated 03:00 forever).
        # The core turns wall times into instants, skipped and repeated ones by its rule.
        self._trigger = CronTrigger.from_crontab(" ".join(fields), timezone=UTC)
        self._expression = expression

    def __repr__(self) -> str:
        return f"cron {self._expression!r}"

    def between(self, low: datetime, high: datetime) -> Iterator[datetime]:
        """Local start times in [low, high), fire time by fire time."""
        end = high.replace(tzinfo=UTC)
        fire = self._trigger.get_next_fire_time(None, low.replace(tzinfo=UTC))
        while fire is not None and fire < end:
            yield fire.replace(tzinfo=None)
            fire = self._trigger.get_next_fire_time(fire, fire + _ONE_MINUTE)


def _check_weekly(entry: str) -> str:
    parse_weekly(entry)
    return entry


class Maintenance(Strict):
    """A maintenance window: one-off (start, end), weekly, or cron, with what it covers."""

    devices: Array[Name] = ()
    tags: Array[Name] = ()
    customers: Array[Name] = ()
    timezone: ZoneName = "UTC"
    start: datetime | None = None
    end: datetime | None = None
    weekly: Array[Annotated[str, AfterValidator(_check_weekly)]] = ()  # "mon-fri 22:00"
    cron: str | None = None
    duration_min: Annotated[float, Field(gt=0, le=7 * 24 * 60)] | None = None
    reason: str = ""

    @field_validator("cron")
    @classmethod
    def _cron_expression(cls, value: str | None) -> str | None:
        problem = validate_cron(value) if value is not None else None
        if problem:
            raise ValueError(problem)
        return value

    @model_validator(mode="after")
    def _one_schedule(self) -> Maintenance:
        forms = [name for name, present in (("start/end", self.start or self.end),
                                             ("weekly", self.weekly), ("cron", self.cron))
                 if present]
        if len(forms) != 1:
            raise ValueError("give exactly one schedule: start and end, weekly = [...] with "
                             "duration_min, or cron = \"...\" with duration_min"
                             + (f" (got {' and '.join(forms)})" if forms else ""))
        if forms[0] == "start/end":
            if self.start is None or self.end is None:
                raise ValueError("a one-off window needs both start and end")
            if self.duration_min is not None:
                raise ValueError("duration_min is for weekly or cron windows; "
                                 "a one-off window has an end")
        elif self.duration_min is None:
            raise ValueError(f"a {forms[0]} window needs duration_min")
        if not (self.devices or self.tags or self.customers):
            raise ValueError("name what the window covers: devices, tags or customers")
        return self

    def compile(self, name: str) -> MaintenanceRule:
        """The window as the core uses it; cron is compiled here, once."""
        zone = ZoneInfo(self.timezone)
        schedule: Schedule
        if self.start is not None and self.end is not None:
            schedule = OneOff(_aware(self.start, zone).astimezone(UTC),
                              _aware(self.end, zone).astimezone(UTC))
            text = f"{self.start.isoformat()} to {self.end.isoformat()} ({self.timezone})"
        elif self.weekly:
            assert self.duration_min is not None
            starts = tuple(s for entry in self.weekly for s in parse_weekly(entry))
            schedule = Recurring(Weekly(starts), timedelta(minutes=self.duration_min), zone)
            text = (f"weekly {', '.join(self.weekly)} for {self.duration_min:g} min "
                    f"({self.timezone})")
        else:
            assert self.cron is not None
            assert self.duration_min is not None
            schedule = Recurring(CronStarts(self.cron), timedelta(minutes=self.duration_min),
                                 zone)
            text = f"cron '{self.cron}' for {self.duration_min:g} min ({self.timezone})"
        return MaintenanceRule(name, schedule, frozenset(self.devices), frozenset(self.tags),
                               frozenset(self.customers), self.reason, text)


def _aware(value: datetime, zone: ZoneInfo) -> datetime:
    """TOML local datetimes are read in the window's time zone."""
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def validate_cron(expression: str) -> str | None:
    """The reason a cron expression is invalid, or None."""
    try:
        CronStarts(expression)
    except ValueError as exc:
        return str(exc)
    return None

