"""Availability over any period: the rolled-up days inside it plus raw history for the rest.

Days are rolled up per customer, in its time zone, so a calendar month is whole days; a
rolling window takes the whole days it holds from the rollups and measures its partial
first day and the days not rolled up yet (today, and yesterday until the rollup delay
has passed) from the raw history.

Several periods are measured together (the four rolling windows): raw history is read once
for each stretch of time any of them needs, pieces that end together are measured from one
timeline per device (the 1h and 1d windows and the days not rolled up yet at the end of the
7d and 30d windows all end now), and the rolled-up days of the customers of one time zone
are one query.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bridge.availability.inputs import Inventory
from bridge.availability.raw import load_raw, measure_loaded_from
from bridge.config.model import Config
from bridge.core.availability import Measured, Tally
from bridge.core.periods import ROLLING_WINDOWS
from bridge.core.spans import Span, Spans, epoch, moment, subtract, union
from bridge.store import Connection, Engine
from bridge.store.rollups import DEVICE, rolled_between, rolled_days, rolled_until, totals_before

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


@dataclass(frozen=True)
class Latest:
    """The last computed rolling windows, by label."""

    windows: dict[str, WindowTallies] = field(default_factory=dict)
    computed_at: datetime | None = None
    duration_s: float = 0.0


def rolling_windows(engine: Engine, config: Config, now: datetime, checks: bool = False,
                    inventory: Inventory | None = None) -> dict[str, WindowTallies]:
    """Every device over each rolling window (1h, 1d, 7d, 30d) up to `now`."""
    with engine.connect() as connection:
        return measure_periods(connection, config, rolling_periods(now), now,
                               checks=checks, inventory=inventory)


def rolling_periods(now: datetime) -> dict[str, Period]:
    """The rolling windows that end at `now`, by label."""
    return {label: (now - span, now) for label, span in ROLLING_WINDOWS.items()}


def days_rolled_for(connection: Connection, periods: Mapping[str, Period]
                    ) -> dict[str, Spans]:
    """The rolled-up days the periods may use, the day before each included."""
    return rolled_days(connection, min(s for s, _ in periods.values()) - _DAY_BEFORE,
                       max(e for _, e in periods.values()))


def measure_window(engine: Engine, config: Config, start: datetime, end: datetime,
                   now: datetime, customers: Collection[str] | None = None,
                   checks: bool = False, inventory: Inventory | None = None) -> WindowTallies:
    """Every device of the customers (all, if None) over [start, end)."""
    with engine.connect() as connection:
        return measure_periods(connection, config, {"": (start, end)}, now, customers,
                               checks, inventory)[""]


def measure_periods(connection: Connection, config: Config, periods: Mapping[str, Period],
                    now: datetime, customers: Collection[str] | None = None,
                    checks: bool = False, inventory: Inventory | None = None,
                    days: Mapping[str, Spans] | None = None) -> dict[str, WindowTallies]:
    """Every device of the customers (all, if None) over each period, by label; `days`:
    the rolled-up days (days_rolled_for), if the caller has read them already."""
    if not periods:
        return {}
    wanted = sorted(set(config.customers) if customers is None else set(customers))
    inventory = inventory or Inventory.of(config)
    sums = {label: _Sums() for label in periods}
    bounds = {label: (epoch(start), epoch(end)) for label, (start, end) in periods.items()}
    days = days_rolled_for(connection, periods) if days is None else days
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
    # Customers of one time zone share the instants: one query for all of them.
    together: dict[tuple[float | None, float], list[tuple[str, list[str]]]] = defaultdict(list)
    for (customer, first, last), labels in rolled.items():
        together[(before.get((customer, first)), last)].append((customer, labels))
    for (prior, last), members in together.items():
        found = rolled_between(connection, [c for c, _ in members],
                               None if prior is None else moment(prior), moment(last), checks)
        for customer, labels in members:
            parts = [sums[label] for label in labels]
            for name in inventory.by_customer.get(customer, ()):
                for probe in (DEVICE, *inventory.places[name].probes) if checks else (DEVICE,):
                    tally = found.get((name, probe))
                    if tally is None:  # no row at one end: its last row before counts
                        tally = _totals_by(connection, name, probe, last)
                        if prior is not None:
                            tally = tally - _totals_by(connection, name, probe, prior)
                    for part in parts:
                        part.add(name, probe, tally)


def _totals_by(connection: Connection, device: str, probe: str, at: float) -> Tally:
    """A device's or check's running totals at its last rolled-up day that ended by `at`."""
    found = totals_before(connection, [(device, probe, moment(at))])
    return next(iter(found.values()), Tally())


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
    """Measure each piece from raw history, read once for each stretch of overlapping pieces.
    Customers whose pieces end together and start at the same instants are measured in one
    pass (the windows of a time zone that all end now)."""
    for stretch_start, stretch_end in union(pieces):
        inside = {p: c for p, c in pieces.items()
                  if stretch_start <= p[0] and p[1] <= stretch_end}
        members = {c for by_customer in inside.values() for c in by_customer}
        back = timedelta(seconds=inventory.recheck_s)
        raw = load_raw(connection, inventory, inventory.measured_for(members),
                       moment(stretch_start) - back, moment(stretch_end), now)
        starts: dict[tuple[float, str], list[float]] = defaultdict(list)
        for (start, end), by_customer in inside.items():
            for customer in by_customer:
                starts[(end, customer)].append(start)
        passes: dict[tuple[float, tuple[float, ...]], list[str]] = defaultdict(list)
        for (end, customer), found in starts.items():
            passes[(end, tuple(sorted(found)))].append(customer)
        for (end, begins), customers in passes.items():
            measured = measure_loaded_from(inventory, raw, customers,
                                           [moment(start) for start in begins], moment(end),
                                           back)
            for customer in customers:
                _add_measured(inventory, customer, measured, [
                    [sums[label] for label in inside[(start, end)][customer]]
                    for start in begins], checks)


def _add_measured(inventory: Inventory, customer: str, measured: Mapping[str, list[Measured]],
                  parts: list[list[_Sums]], checks: bool) -> None:
    """Add a customer's devices measured from several starts to the periods of each."""
    for name in inventory.by_customer.get(customer, ()):
        for m, sums in zip(measured[name], parts, strict=True):
            for part in sums:
                part.add(name, DEVICE, m.tally)
                if checks:
                    for probe, tally in m.checks.items():
                        part.add(name, probe, tally)
