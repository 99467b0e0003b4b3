"""From the config and stored history to what the availability core measures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection

from bridge.config.model import Config
from bridge.core.availability import DeviceHistory, Measured, Scope, measure
from bridge.core.maintenance import MaintenanceRule
from bridge.core.spans import Spans, epoch, from_datetimes
from bridge.store.history import History, load_gaps, load_history, load_windows
from bridge.store.maintenance import as_rule

# Covered [start, end) intervals of a customer's contract between two instants.
CoverageFn = Callable[[datetime, datetime], list[tuple[datetime, datetime]]]
# How far back an outage's start is looked for when deciding where it counts.
LOOKBACK = timedelta(days=7)


def coverage_of(config: Config, customer: str) -> CoverageFn | None:
    """A customer's covered hours; None means 24/7."""
    del config, customer  # every contract is 24/7 until contracts name a calendar
    return None


def coverage_spans(config: Config, customers: Iterable[str], start: datetime,
                   end: datetime) -> dict[str, Spans]:
    """Covered spans per customer over [start, end); 24/7 customers are left out."""
    spans = {}
    for customer in customers:
        coverage = coverage_of(config, customer)
        if coverage is not None:
            spans[customer] = from_datetimes(coverage(start, end))
    return spans


@dataclass(frozen=True, slots=True)
class Place:
    """What availability needs to know about one device of the config."""

    customer: str
    probes: tuple[str, ...]
    reachability: tuple[str, ...]
    parents: tuple[str, ...]
    redundant_parents: bool
    parent_lead_s: float  # how much earlier than its parents a child may fail first
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    """The config as availability reads it, worked out once per job (10,000 devices)."""

    config: Config
    places: Mapping[str, Place]
    by_customer: Mapping[str, tuple[str, ...]]

    @classmethod
    def of(cls, config: Config) -> Inventory:
        """Read a config."""
        places = {}
        owned: dict[str, list[str]] = defaultdict(list)
        reach = {name: config.reachability(name) for name in config.devices}
        interval_s = {name: max(config.probes[p].interval_s for p in probes)
                      for name, probes in reach.items()}
        for name, device in config.devices.items():
            lead_s = max((interval_s[parent] for parent in device.parents), default=0.0)
            places[name] = Place(device.customer, device.probes, reach[name], device.parents,
                                 device.redundant_parents, lead_s, device.tags)
            owned[device.customer].append(name)
        return cls(config, places, {c: tuple(d) for c, d in owned.items()})

    def devices_of(self, customers: Iterable[str]) -> list[str]:
        """The customers' devices."""
        return [d for c in customers for d in self.by_customer.get(c, ())]

    def with_ancestors(self, devices: Iterable[str]) -> set[str]:
        """The devices and every device they are reached through."""
        found: set[str] = set()
        stack = [d for d in devices if d in self.places]
        while stack:
            name = stack.pop()
            if name not in found:
                found.add(name)
                stack.extend(p for p in self.places[name].parents if p in self.places)
        return found


def histories(inventory: Inventory, devices: Iterable[str], history: History,
              rules: Sequence[MaintenanceRule], start: datetime,
              end: datetime) -> list[DeviceHistory]:
    """Core inputs for devices, with the maintenance windows over [start, end) that cover
    each (every window is listed once, however many devices it covers)."""
    listed: dict[str, Spans] = {}
    result = []
    for name in devices:
        place = inventory.places[name]
        maintenance: Spans = []
        for rule in rules:
            if rule.covers(name, place.tags, place.customer):
                if rule.name not in listed:
                    listed[rule.name] = from_datetimes(
                        (w.start, w.end) for w in rule.windows(start, end))
                maintenance += listed[rule.name]
        kept = history.get(name, {})
        result.append(DeviceHistory(
            name, place.customer, {p: kept.get(p, []) for p in place.probes},
            place.reachability, place.parents, place.redundant_parents, place.parent_lead_s,
            sorted(maintenance)))
    return result


@dataclass(frozen=True)
class RawHistory:
    """Everything raw that decides availability over [first, end), read once."""

    first: datetime
    end: datetime
    history: History
    gaps: Spans
    windows: tuple[MaintenanceRule, ...]  # from the API; the config's are in the config


def load_raw(connection: Connection, inventory: Inventory, devices: Collection[str],
             first: datetime, end: datetime, now: datetime) -> RawHistory:
    """Read the history of these devices and the exclusions over [first, end)."""
    every = len(devices) >= len(inventory.places)
    return RawHistory(first, end, load_history(connection, first, end, None if every else devices),
                      load_gaps(connection, first, end, now),
                      tuple(as_rule(r) for r in load_windows(connection, first, end)))


def measure_loaded(inventory: Inventory, raw: RawHistory, customers: Collection[str],
                   start: datetime, end: datetime,
                   lookback: timedelta = timedelta(0)) -> dict[str, Measured]:
    """The customers' devices (and their parents) measured over [start, end), which lies in
    what `raw` holds, looking back `lookback` for where outages began."""
    first = max(start - lookback, raw.first)
    config = inventory.config
    rules = (*config.maintenance, *raw.windows)
    devices = sorted(inventory.with_ancestors(inventory.devices_of(customers)))
    scope = Scope(epoch(start), epoch(end), raw.gaps,
                  coverage_spans(config, customers, first, end), epoch(first))
    return measure(histories(inventory, devices, raw.history, rules, first, end), scope)


def measure_raw(connection: Connection, inventory: Inventory, customers: Collection[str],
                start: datetime, end: datetime, now: datetime,
                lookback: timedelta = timedelta(0)) -> dict[str, Measured]:
    """Read and measure the customers' devices over [start, end) from raw history."""
    devices = inventory.with_ancestors(inventory.devices_of(customers))
    raw = load_raw(connection, inventory, devices, start - lookback, end, now)
    return measure_loaded(inventory, raw, customers, start, end, lookback)
