"""Availability over any period: the rolled-up days inside it plus raw history for the rest.

Days are rolled up per customer, in its time zone, so a calendar month is whole days; a
rolling window takes the whole days it holds from the rollups and measures its partial
first day and the days not rolled up yet (today, and yesterday until the rollup delay
has passed) from the raw history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Engine

from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.spans import Span, epoch, moment, subtract
from bridge.reports.inputs import measure_raw
from bridge.store.rollups import DEVICE, rolled_days, sum_days


@dataclass(frozen=True)
class WindowTallies:
    """Seconds per device (and per check, if asked) over one period."""

    start: datetime
    end: datetime
    devices: Mapping[str, Tally]
    checks: Mapping[tuple[str, str], Tally] = field(default_factory=dict)

    def customer(self, config: Config, customer: str) -> Tally:
        """The customer's devices together, each weighed by its counted time."""
        return sum((t for d, t in self.devices.items()
                    if d in config.devices and config.devices[d].customer == customer),
                   Tally())


def measure_window(engine: Engine, config: Config, start: datetime, end: datetime,
                   now: datetime, customers: Collection[str] | None = None,
                   checks: bool = False) -> WindowTallies:
    """Every device of the customers (all, if None) over [start, end)."""
    wanted = set(config.customers) if customers is None else set(customers)
    rolled = rolled_days(engine, start, end)
    devices: dict[str, Tally] = defaultdict(Tally)
    per_check: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for (device, probe), tally in sum_days(engine, start, end, checks).items():
        if device not in config.devices or config.devices[device].customer not in wanted:
            continue
        if probe == DEVICE:
            devices[device] += tally
        elif probe in config.devices[device].probes:
            per_check[(device, probe)] += tally
    # Customers whose rolled-up days leave the same raw pieces are measured together.
    groups: dict[tuple[Span, ...], list[str]] = defaultdict(list)
    for customer in sorted(wanted):
        raw = subtract([(epoch(start), epoch(end))], rolled.get(customer, []))
        groups[tuple(raw)].append(customer)
    for pieces, members in groups.items():
        for piece_start, piece_end in pieces:
            measured = measure_raw(engine, config, members, moment(piece_start),
                                   moment(piece_end), now)
            for name, m in measured.items():
                if m.customer not in members:
                    continue
                devices[name] += m.tally
                if checks:
                    for probe, tally in m.checks.items():
                        per_check[(name, probe)] += tally
    return WindowTallies(start, end, dict(devices), dict(per_check))
