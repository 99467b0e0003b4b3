"""What a customer's month is made of before it is summed up: tallies per device, check and
local day, and each outage as the whole month saw it (monthly.py fills it, summary.py sums it)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from bridge.core.availability import Tally
from bridge.core.outages import Cause
from bridge.core.periods import LocalDay
from bridge.store.rollups import DEVICE


@dataclass
class OutageView:
    """One outage of a device as the whole month saw it (summed over its days)."""

    device: str
    cause: Cause
    root: str | None
    started: datetime
    ended: datetime | None = None
    down_s: float = 0.0
    maintenance_s: float = 0.0
    counted_here: bool = False  # its counted down time began this month
    maintenance_here: bool = False


@dataclass
class MonthData:
    """What a month of one customer is made of, before it is summed up."""

    devices: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    checks: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    days: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))  # local date
    device_days: dict[str, dict[str, Tally]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Tally)))  # device, local date
    outages: dict[tuple[str, datetime], OutageView] = field(default_factory=dict)

    def add(self, day: LocalDay, device: str, probe: str, tally: Tally) -> None:
        """One device's (or check's) tally of one day."""
        if probe == DEVICE:
            self.devices[device] += tally
            self.days[day.day.isoformat()] += tally
            self.device_days[device][day.day.isoformat()] += tally
        else:
            self.checks[(device, probe)] += tally

    def see(self, device: str, cause: Cause, root: str | None, started: datetime,
            ended: datetime | None, down_s: float, maintenance_s: float, counted: bool,
            maintenance: bool) -> None:
        """One outage as one day saw it, in any order: days before its last see it go on,
        and the day that saw it end knows its cause (a parent's outage may turn out to be
        the device's own the next day, when it was still down at its next check)."""
        view = self.outages.setdefault((device, started),
                                       OutageView(device, cause, root, started))
        if ended is not None:
            view.ended, view.cause, view.root = ended, cause, root
        view.down_s += down_s
        view.maintenance_s += maintenance_s
        view.counted_here |= counted
        view.maintenance_here |= maintenance
