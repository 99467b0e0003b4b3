"""Availability over any period: the rolled-up days inside it plus raw history for the rest.

Days are rolled up per customer, in its time zone, so a calendar month is whole days; a
rolling window takes the whole days it holds from the rollups and measures its partial
first day and the days not rolled up yet (today, and yesterday until the rollup delay
has passed) from the raw history.

Several periods are measured together (the daemon's four rolling windows): raw history is
read once for each stretch of time any of them needs, a piece of time two of them share
(the days not rolled up yet end both the 7-day and the 30-day window) is measured once,
and the running totals at each rolled-up day's end are read once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine

from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.periods import ROLLING_WINDOWS
from bridge.core.spans import Span, Spans, epoch, moment, subtract, union
from bridge.reports.inputs import Inventory, load_raw, measure_loaded
from bridge.store.rollups import DEVICE, rolled_days, rolled_until, totals_at, totals_before

Period = tuple[datetime, datetime]  # [start, end)
# A day is at most 25 hours: the rolled-up day just before a period is read along with it.
_DAY_BEFORE = timedelta(days=2)


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


def rolling_windows(engine: Engine, config: Config, now: datetime, checks: bool = False,
                    inventory: Inventory | None = None,
                    labels: Collection[str] = ROLLING_WINDOWS) -> dict[str, WindowTallies]:
    """Every device over each rolling window (1h, 1d, 7d, 30d, or those named) up to `now`."""
    periods = {label: (now - span, now) for label, span in ROLLING_WINDOWS.items()
               if label in labels}
    return measure_periods(engine, config, periods, now, checks=checks, inventory=inventory)


def measure_window(engine: Engine, config: Config, start: datetime, end: datetime,
                   now: datetime, customers: Collection[str] | None = None,
                   checks: bool = False, inventory: Inventory | None = None) -> WindowTallies:
    """Every device of the customers (all, if None) over [start, end)."""
    return measure_periods(engine, config, {"": (start, end)}, now, customers, checks,
                           inventory)[""]


def measure_periods(engine: Engine, config: Config, periods: Mapping[str, Period],
                    now: datetime, customers: Collection[str] | None = None,
                    checks: bool = False, inventory: Inventory | None = None
                    ) -> dict[str, WindowTallies]:
    """Every device of the customers (all, if None) over each period, by label."""
    if not periods:
        return {}
    wanted = sorted(set(config.customers) if customers is None else set(customers))
    inventory = inventory or Inventory.of(config)
    sums = {label: _Sums() for label in periods}
    bounds = {label: (epoch(start), epoch(end)) for label, (start, end) in periods.items()}
    with engine.connect() as connection:
        days = rolled_days(connection, min(s for s, _ in periods.values()) - _DAY_BEFORE,
                           max(e for _, e in periods.values()))
        rolled, pieces = _split(bounds, wanted, days)
        _add_rolled(connection, inventory, days, rolled, checks, sums)
        _add_raw(connection, inventory, pieces, now, checks, sums)
    return {label: WindowTallies(start, end, sums[label].devices, sums[label].checks)
            for label, (start, end) in periods.items()}


@dataclass
class _Sums:
    """One period's tallies as its parts are added up."""

    devices: dict[str, Tally] = field(default_factory=dict)
    checks: dict[tuple[str, str], Tally] = field(default_factory=dict)

    def add(self, device: str, probe: str, tally: Tally) -> None:
        if probe == DEVICE:
            held = self.devices.get(device)
            self.devices[device] = tally if held is None else held + tally
        else:
            key = (device, probe)
            found = self.checks.get(key)
            self.checks[key] = tally if found is None else found + tally


# (customer, start, end) of a stretch of rolled-up days -> the periods it is part of
Rolled = dict[tuple[str, float, float], list[str]]
# a piece of time measured from raw history -> customer -> the periods it is part of
Pieces = dict[Span, dict[str, list[str]]]


def _split(bounds: Mapping[str, Span], customers: Collection[str],
           days: Mapping[str, Spans]) -> tuple[Rolled, Pieces]:
    """Each period of each customer: its whole rolled-up days, and the rest."""
    rolled: Rolled = defaultdict(list)
    pieces: Pieces = defaultdict(lambda: defaultdict(list))
    for label, (start, end) in bounds.items():
        for customer in customers:
            inside = union(d for d in days.get(customer, ()) if start <= d[0] and d[1] <= end)
            for stretch_start, stretch_end in inside:
                rolled[(customer, stretch_start, stretch_end)].append(label)
            for piece in subtract([(start, end)], inside):
                pieces[piece][customer].append(label)
    return rolled, pieces


def _add_rolled(connection: Connection, inventory: Inventory, days: Mapping[str, Spans],
                rolled: Rolled, checks: bool, sums: Mapping[str, _Sums]) -> None:
    """Add each stretch of rolled-up days: totals at its end less totals before it."""
    before = _rolled_before(connection, days, {(c, a) for c, a, _ in rolled})
    found = {at: totals_at(connection, moment(at), checks)
             for at in {*before.values(), *(b for _, _, b in rolled)}}

    def totals(device: str, probe: str, at: float) -> Tally:
        # A device without a row at that instant has the totals of its last row before.
        tally = found[at].get((device, probe))
        if tally is None:
            earlier = totals_before(connection, [(device, probe, moment(at))])
            tally = found[at][(device, probe)] = next(iter(earlier.values()), Tally())
        return tally

    for (customer, first, last), labels in rolled.items():
        prior = before.get((customer, first))
        parts = [sums[label] for label in labels]
        for name in inventory.by_customer.get(customer, ()):
            for probe in (DEVICE, *inventory.places[name].probes) if checks else (DEVICE,):
                tally = totals(name, probe, last)
                if prior is not None:
                    tally = tally - totals(name, probe, prior)
                for part in parts:
                    part.add(name, probe, tally)


def _rolled_before(connection: Connection, days: Mapping[str, Spans],
                   wanted: Collection[tuple[str, float]]) -> dict[tuple[str, float], float]:
    """For each (customer, instant), the end of its last rolled-up day that ended by then;
    left out if there is none. Usually the day read along just before."""
    before: dict[tuple[str, float], float] = {}
    unknown: dict[float, list[str]] = defaultdict(list)
    for customer, at in wanted:
        if any(end == at for _, end in days.get(customer, ())):
            before[(customer, at)] = at
        else:
            unknown[at].append(customer)
    for at, members in unknown.items():
        for customer, ended in rolled_until(connection, moment(at), members).items():
            before[(customer, at)] = epoch(ended)
    return before


def _add_raw(connection: Connection, inventory: Inventory, pieces: Pieces, now: datetime,
             checks: bool, sums: Mapping[str, _Sums]) -> None:
    """Measure each piece from raw history, read once for each stretch of overlapping pieces."""
    for stretch_start, stretch_end in union(pieces):
        inside = {p: c for p, c in pieces.items()
                  if stretch_start <= p[0] and p[1] <= stretch_end}
        members = {c for by_customer in inside.values() for c in by_customer}
        raw = load_raw(connection, inventory, inventory.measured_for(members),
                       moment(stretch_start), moment(stretch_end), now)
        for (piece_start, piece_end), by_customer in inside.items():
            measured = measure_loaded(inventory, raw, by_customer, moment(piece_start),
                                      moment(piece_end), outages=False)
            for customer, labels in by_customer.items():
                for name in inventory.by_customer.get(customer, ()):
                    m = measured[name]
                    for label in labels:
                        part = sums[label]
                        part.add(name, DEVICE, m.tally)
                        if checks:
                            for probe, tally in m.checks.items():
                                part.add(name, probe, tally)
