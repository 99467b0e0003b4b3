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

from sqlalchemy import Connection, Engine

from bridge.config.model import Config
from bridge.core.availability import Tally
from bridge.core.periods import ROLLING_WINDOWS
from bridge.core.spans import Span, Spans, epoch, moment, subtract, union
from bridge.reports.inputs import Inventory, load_raw, measure_loaded
from bridge.store.rollups import DEVICE, rolled_days, rolled_until, totals_at, totals_before


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
    inventory = inventory or Inventory.of(config)
    return {label: measure_window(engine, config, now - span, now, now, checks=checks,
                                  inventory=inventory)
            for label, span in ROLLING_WINDOWS.items() if label in labels}


def measure_window(engine: Engine, config: Config, start: datetime, end: datetime,
                   now: datetime, customers: Collection[str] | None = None,
                   checks: bool = False, inventory: Inventory | None = None) -> WindowTallies:
    """Every device of the customers (all, if None) over [start, end)."""
    wanted = set(config.customers) if customers is None else set(customers)
    inventory = inventory or Inventory.of(config)
    devices: dict[str, Tally] = defaultdict(Tally)
    per_check: dict[tuple[str, str], Tally] = defaultdict(Tally)
    with engine.connect() as connection:
        rolled = rolled_days(connection, start, end)
        _add_rolled(connection, inventory, wanted, rolled, checks, devices, per_check)
        # Customers whose rolled-up days leave the same raw pieces are measured together,
        # and raw history is read once for each stretch of overlapping pieces.
        groups: dict[Span, list[str]] = defaultdict(list)
        for customer in sorted(wanted):
            for piece in subtract([(epoch(start), epoch(end))], rolled.get(customer, [])):
                groups[piece].append(customer)
        for stretch_start, stretch_end in union(groups):
            pieces = {p: m for p, m in groups.items()
                      if stretch_start <= p[0] and p[1] <= stretch_end}
            members = {c for m in pieces.values() for c in m}
            raw = load_raw(connection, inventory, inventory.measured_for(members),
                           moment(stretch_start), moment(stretch_end), now)
            for (piece_start, piece_end), customers_of_piece in pieces.items():
                measured = measure_loaded(inventory, raw, customers_of_piece,
                                          moment(piece_start), moment(piece_end))
                for name, m in measured.items():
                    if m.customer not in customers_of_piece:
                        continue
                    devices[name] += m.tally
                    if checks:
                        for probe, tally in m.checks.items():
                            per_check[(name, probe)] += tally
    return WindowTallies(start, end, dict(devices), dict(per_check))


def _add_rolled(connection: Connection, inventory: Inventory, customers: Collection[str],
                rolled: Mapping[str, Spans], checks: bool, devices: dict[str, Tally],
                per_check: dict[tuple[str, str], Tally]) -> None:
    """Add each rolled-up stretch of days: totals at its end less totals before it."""
    stretches = [(c, moment(a), moment(b)) for c in customers for a, b in rolled.get(c, [])]
    before: dict[tuple[str, datetime], datetime] = {}
    for first in {a for _, a, _ in stretches}:
        members = [c for c, a, _ in stretches if a == first]
        for customer, ended in rolled_until(connection, first, members).items():
            before[(customer, first)] = ended
    found = totals_at(connection, {*before.values(), *(b for _, _, b in stretches)}, checks)
    wanted = []  # (device, probe, end of stretch, end before it)
    for customer, first, last in stretches:
        prior = before.get((customer, first))
        for name in inventory.by_customer.get(customer, ()):
            probes = (DEVICE, *inventory.places[name].probes) if checks else (DEVICE,)
            wanted += [(name, probe, last, prior) for probe in probes]
    missing = [(d, p, at) for d, p, last, prior in wanted for at in (last, prior)
               if at is not None and (d, p, at) not in found]
    found.update(totals_before(connection, missing))
    for name, probe, last, prior in wanted:
        tally = found.get((name, probe, last), Tally())
        if prior is not None:
            tally = tally - found.get((name, probe, prior), Tally())
        if probe == DEVICE:
            devices[name] += tally
        else:
            per_check[(name, probe)] += tally
