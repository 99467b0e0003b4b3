"""Raw history read once for a stretch of time, and measured over periods inside it."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from bridge.availability.inputs import Inventory, histories
from bridge.core.availability import Measured, Scope, Tally, covered_time, measure, measure_parts
from bridge.core.maintenance import MaintenanceRule
from bridge.core.outages import StatusChange
from bridge.core.spans import Span, Spans, epoch
from bridge.store import Connection
from bridge.store.history import History, load_gaps, load_history, load_windows, up_since
from bridge.store.maintenance import as_rule

_MAX_NAMED = 500  # devices a history read names; more read everything


@dataclass(frozen=True)
class RawHistory:
    """Everything raw that decides availability over [first, end), read once.

    Devices in `steady` had every check up since before `first` (so says check_state):
    their history is not read, they were up throughout.
    """

    first: datetime
    end: datetime
    history: History  # of the checks not up since `first`
    gaps: Spans
    windows: tuple[MaintenanceRule, ...]  # from the API; the config's are in the config
    up: frozenset[tuple[str, str]] = frozenset()  # checks up since `first` or before
    steady: frozenset[str] = frozenset()  # devices whose every check is

    def of(self, device: str, probe: str) -> list[StatusChange] | None:
        """A check's changes; None for one up all along."""
        if (device, probe) in self.up:
            return None
        return self.history.get(device, {}).get(probe, [])


def load_raw(connection: Connection, inventory: Inventory, devices: Collection[str],
             first: datetime, end: datetime, now: datetime) -> RawHistory:
    """Read the history of these devices (the ones not steady) and the exclusions."""
    up = frozenset(up_since(connection, first))
    steady = frozenset(d for d in devices
                       if all((d, p) in up for p in inventory.places[d].probes))
    # Naming thousands of devices in the query costs more than reading the others too.
    names = devices if len(devices) <= _MAX_NAMED else None
    history = load_history(connection, first, end, names, changed_only=True)
    return RawHistory(first, end, history, load_gaps(connection, first, end, now),
                      tuple(as_rule(r) for r in load_windows(connection, first, end)), up,
                      steady)


def measure_loaded(inventory: Inventory, raw: RawHistory, customers: Collection[str],
                   start: datetime, end: datetime,
                   lookback: timedelta = timedelta(0)) -> dict[str, Measured]:
    """The customers' devices (and their parents) measured over [start, end), which lies in
    what `raw` holds, with their outages, looking back `lookback` for where outages began
    (and on past `end` as far as `raw` holds, up to a check interval: see outages.py)."""
    first = max(start - lookback, raw.first)
    ahead = min(end + timedelta(seconds=inventory.recheck_s), max(raw.end, end))
    scope = Scope(epoch(start), epoch(ahead), raw.gaps,
                  inventory.coverage_spans(customers, first, ahead), epoch(first))
    changed, steady, rules = _steady_apart(inventory, raw, customers)
    measured = measure(histories(inventory, changed, raw.of, rules, first, ahead), scope,
                       epoch(end))
    for name, found in _measure_steady(inventory, steady, scope,
                                       [(scope.start, epoch(end))]).items():
        measured[name] = found[0]
    return measured


def measure_loaded_from(inventory: Inventory, raw: RawHistory, customers: Collection[str],
                        starts: Sequence[datetime], end: datetime,
                        lookback: timedelta = timedelta(0)) -> dict[str, list[Measured]]:
    """The customers' devices (and their parents), tallies only, over [start, end) for each
    of `starts` (none before `raw.first`) in that order: each as `measure_loaded` gives it,
    from one timeline per device (periods that end together, such as rolling windows)."""
    first = min(starts)
    look = max(first - lookback, raw.first)
    scope = Scope(epoch(first), epoch(end), raw.gaps,
                  inventory.coverage_spans(customers, look, end), epoch(look))
    changed, steady, rules = _steady_apart(inventory, raw, customers)
    parts = [(epoch(start), scope.end) for start in starts]
    measured = measure_parts(histories(inventory, changed, raw.of, rules, look, end), scope,
                             parts)
    measured.update(_measure_steady(inventory, steady, scope, parts))
    return measured


def _steady_apart(inventory: Inventory, raw: RawHistory, customers: Collection[str]
                  ) -> tuple[list[str], list[str], tuple[MaintenanceRule, ...]]:
    """The devices measuring the customers takes, apart: those with history to measure, and
    the steady ones outside every maintenance window (up and counted throughout, measured
    as their customer's covered time without their history: most devices); and the
    maintenance windows."""
    rules = (*inventory.config.maintenance, *raw.windows)
    places = inventory.places
    changed, steady = [], []
    for name in inventory.measured_for(customers):
        if name in raw.steady and not (rules and any(
                r.covers(name, places[name].tags, places[name].customer) for r in rules)):
            steady.append(name)
        else:
            changed.append(name)
    return changed, steady, rules


def _measure_steady(inventory: Inventory, steady: Sequence[str], scope: Scope,
                    parts: Sequence[Span]) -> dict[str, list[Measured]]:
    """Steady devices over each part of the scope; those of one customer and probe list
    share their numbers."""
    shared: dict[tuple[str, tuple[str, ...]], list[tuple[Tally, Mapping[str, Tally]]]] = {}
    measured = {}
    for name in steady:
        place = inventory.places[name]
        key = (place.customer, place.probes)
        if key not in shared:
            tallies = [covered_time(replace(scope, start=start, end=stop), place.customer)
                       for start, stop in parts]
            shared[key] = [(t, dict.fromkeys(place.probes, t)) for t in tallies]
        measured[name] = [Measured(name, place.customer, tally, checks, ())
                          for tally, checks in shared[key]]
    return measured


def measure_raw(connection: Connection, inventory: Inventory, customers: Collection[str],
                start: datetime, end: datetime, now: datetime,
                lookback: timedelta = timedelta(0)) -> dict[str, Measured]:
    """Read and measure the customers' devices over [start, end) from raw history."""
    ahead = min(end + timedelta(seconds=inventory.recheck_s), max(now, end))
    raw = load_raw(connection, inventory, inventory.measured_for(customers), start - lookback,
                   ahead, now)
    return measure_loaded(inventory, raw, customers, start, end, lookback)
