"""The timeline file: results over time and the tickets they should produce (TOML)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

from pydantic import BeforeValidator, Field, model_validator

from bridge.config.base import Name
from bridge.core.priority import Priority
from bridge.core.strict import Array, Choice, Strict

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_offset(value: object) -> float:
    """'90s', '5m', '2h', '1d' or a number of seconds."""
    if isinstance(value, bool):
        raise ValueError(f"expected a duration such as '90s' or '5m', got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and (m := _DURATION.match(value)):
        return float(m.group(1)) * _UNITS[m.group(2)]
    raise ValueError(f"expected a duration such as '90s' or '5m', got {value!r}")


Offset = Annotated[float, BeforeValidator(parse_offset)]


class Results(Strict):
    """Check results: one at `at`, or one every `every` from `from` until `until`."""

    devices: Annotated[Array[Name], Field(min_length=1)]
    probe: Name | None = None  # default: every probe of the device
    ok: bool | None = None
    pattern: str | None = None  # '+' success, '-' failure, one per `every`
    local: bool = False  # the failure is on the monitoring host
    at: Offset | None = None
    from_: Annotated[Offset | None, Field(alias="from")] = None
    until: Offset | None = None
    every: Offset | None = None

    @model_validator(mode="after")
    def _shape(self) -> Results:
        if (self.ok is None) == (self.pattern is None):
            raise ValueError("give either ok = true/false or pattern = \"+-\"")
        if self.pattern is not None:
            if set(self.pattern) - {"+", "-"}:
                raise ValueError("pattern uses '+' (success) and '-' (failure) only")
            if self.every is None or self.from_ is None:
                raise ValueError("a pattern needs from and every")
        elif self.at is None and (self.from_ is None or self.until is None or self.every is None):
            raise ValueError("give at, or from, until and every")
        if self.every is not None and self.every <= 0:
            raise ValueError("every must be > 0")
        return self

    def expand(self) -> list[tuple[float, bool]]:
        """(offset, ok) for every result this entry stands for."""
        if self.pattern is not None:
            assert self.from_ is not None
            assert self.every is not None
            return [(self.from_ + i * self.every, ch == "+") for i, ch in enumerate(self.pattern)]
        assert self.ok is not None
        if self.at is not None:
            return [(self.at, self.ok)]
        assert self.from_ is not None
        assert self.until is not None
        assert self.every is not None
        count = int((self.until - self.from_) / self.every + 1e-9)
        return [(self.from_ + i * self.every, self.ok) for i in range(count)]


class ExpectedTicket(Strict):
    """A ticket that must exist; only the fields given are compared."""

    device: str  # a device id, or "monitoring-gap" for the operator's gap ticket
    probe: Name | None = None
    priority: Choice[Priority] | None = None
    started_at: Offset | None = None
    resolved: bool | None = None
    resolved_at: Offset | None = None
    reopened: bool | None = None
    flapping: bool | None = None
    attached: Array[Name] | None = None


class ExpectedSuppression(Strict):
    """A failure that opened no ticket; `reason` must start the engine's reason."""

    device: Name
    reason: str


class Expect(Strict):
    """What the replay must produce."""

    tickets: Array[ExpectedTicket] = ()
    suppressed: Array[ExpectedSuppression] = ()
    exhaustive: bool = True  # no tickets beyond the expected ones


class Timeline(Strict):
    """A whole timeline file."""

    description: str = ""
    config: str = "bridge.toml"  # the deployment to test, relative to this file
    start: datetime = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    end: Offset | None = None  # default: one minute after the last result
    tick: Offset = 1.0
    results: Array[Results] = ()
    expect: Expect = Expect()


@dataclass(frozen=True)
class Event:
    """One result at one moment."""

    at: datetime
    device: str
    probe: str | None
    ok: bool
    local: bool


def events(timeline: Timeline) -> list[Event]:
    """Every result in time order (ties keep file order)."""
    out = []
    start = timeline.start if timeline.start.tzinfo else timeline.start.replace(tzinfo=UTC)
    for entry in timeline.results:
        for offset, ok in entry.expand():
            for device in entry.devices:
                out.append(Event(start + timedelta(seconds=offset), device, entry.probe, ok,
                                 entry.local))
    return sorted(out, key=lambda e: e.at)
