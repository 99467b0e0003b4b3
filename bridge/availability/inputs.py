"""From the config and stored history to what the availability core measures."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import cached_property

from bridge.config.model import Config
from bridge.core.availability import DeviceHistory
from bridge.core.maintenance import MaintenanceRule
from bridge.core.outages import StatusChange, parents_first
from bridge.core.spans import Spans, epoch, from_datetimes
from bridge.core.state import Status

# Covered [start, end) intervals of a customer's contract between two instants.
CoverageFn = Callable[[datetime, datetime], list[tuple[datetime, datetime]]]
# How far back an outage's start is looked for when deciding where it counts.
LOOKBACK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Place:
    """What availability needs to know about one device of the config."""

    customer: str
    probes: tuple[str, ...]
    reachability: tuple[str, ...]
    parents: tuple[str, ...]
    redundant_parents: bool
    parent_lead_s: float  # how much earlier than its parents a child may fail first
    recheck_s: float  # how much later than its parents it may recover: its longest interval
    tags: tuple[str, ...]


@dataclass(frozen=True)
class Inventory:
    """The config as availability reads it, worked out once per job (10,000 devices).

    `order` lists every device after the devices it is reached through; `foreign` holds,
    per customer, the other customers' devices its devices are reached through.
    """

    config: Config
    places: Mapping[str, Place]
    by_customer: Mapping[str, tuple[str, ...]]
    order: Mapping[str, int]
    foreign: Mapping[str, frozenset[str]]
    coverage: Mapping[str, CoverageFn | None]  # per customer, its contract's calendar; None: 24/7
    # The longest check interval: how far back from an instant a parent's recovery still
    # decides whose a child's down time is (see outages.py), so every timeline looks back it.
    recheck_s: float = 0.0
    _measured_for: dict[frozenset[str], tuple[str, ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    @classmethod
    def of(cls, config: Config) -> Inventory:
        """Read a config."""
        places = {}
        owned: dict[str, list[str]] = defaultdict(list)
        # Devices share probe lists: work each list out once (10,000 devices, few lists).
        by_probes: dict[tuple[str, ...], tuple[tuple[str, ...], float, float]] = {}
        for name, device in config.devices.items():
            if device.probes not in by_probes:
                probes = config.reachability(name)
                by_probes[device.probes] = (
                    probes, max(config.probes[p].interval_s for p in probes),
                    max(config.probes[p].interval_s for p in device.probes))
        reach = {name: by_probes[d.probes][0] for name, d in config.devices.items()}
        interval_s = {name: by_probes[d.probes][1] for name, d in config.devices.items()}
        for name, device in config.devices.items():
            lead_s = max((interval_s[parent] for parent in device.parents), default=0.0)
            places[name] = Place(device.customer, device.probes, reach[name], device.parents,
                                 device.redundant_parents, lead_s, by_probes[device.probes][2],
                                 device.tags)
            owned[device.customer].append(name)
        order = {name: index for index, name in enumerate(
            parents_first({n: p.parents for n, p in places.items()}))}
        ancestors: dict[str, frozenset[str]] = {}
        for name in sorted(places, key=order.__getitem__):  # parents' sets exist already
            ancestors[name] = frozenset(p for parent in places[name].parents if parent in places
                                        for p in (parent, *ancestors[parent]))
        foreign = {customer: frozenset(a for d in devices for a in ancestors[d]
                                       if places[a].customer != customer)
                   for customer, devices in owned.items()}
        coverage = {customer: None if calendar.is_always() else calendar.intervals
                    for customer in config.customers
                    for calendar in [config.availability_coverage_for(customer)]}
        return cls(config, places, {c: tuple(d) for c, d in owned.items()}, order, foreign,
                   coverage, max((p.recheck_s for p in places.values()), default=0.0))

    @cached_property
    def checks(self) -> Mapping[tuple[str, str], tuple[str, str]]:
        """Every check (device, probe), in the places' order, each mapped to itself: held
        as these keys, the availability process keeps one tuple per check however many
        windows and edges hold it."""
        return {check: check for check in ((name, probe) for name, place in self.places.items()
                                           for probe in place.probes)}

    def without_devices(self) -> Inventory:
        """This inventory, its config without the devices and their SNMP access (what
        availability reads of a device is in `places`): what the availability process
        keeps between refreshes (a device of the config is ~1 KB, 50 MB at 50,000)."""
        return replace(self, config=replace(self.config, devices={}, snmp={}))

    def coverage_spans(self, customers: Iterable[str], start: datetime,
                       end: datetime) -> dict[str, Spans]:
        """Covered spans per customer over [start, end); 24/7 customers are left out."""
        spans = {}
        for customer in customers:
            coverage = self.coverage.get(customer)
            if coverage is not None:
                spans[customer] = from_datetimes(coverage(start, end))
        return spans

    def devices_of(self, customers: Iterable[str]) -> list[str]:
        """The customers' devices."""
        return [d for c in customers for d in self.by_customer.get(c, ())]

    def measured_for(self, customers: Iterable[str]) -> list[str]:
        """What measuring these customers takes: their devices and every device they are
        reached through, each after its parents."""
        wanted = frozenset(customers)
        if wanted not in self._measured_for:  # asked for the same customers again and again
            found = {*self.devices_of(wanted),
                     *(a for c in wanted for a in self.foreign.get(c, ()))}
            self._measured_for[wanted] = tuple(sorted(found, key=self.order.__getitem__))
        return list(self._measured_for[wanted])


def histories(inventory: Inventory, devices: Iterable[str],
              history: Callable[[str, str], list[StatusChange] | None],
              rules: Sequence[MaintenanceRule], start: datetime,
              end: datetime) -> list[DeviceHistory]:
    """Core inputs for devices, with the maintenance windows over [start, end) that cover
    each (every window is listed once, however many devices it covers). `history` gives a
    check's changes, or None if it was up all along."""
    up_all_along = [(epoch(start), Status.UP)]
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
        checks = {}
        for probe in place.probes:
            changes = history(name, probe)
            checks[probe] = up_all_along if changes is None else changes
        result.append(DeviceHistory(
            name, place.customer, checks, place.reachability, place.parents,
            place.redundant_parents, place.parent_lead_s, place.recheck_s,
            sorted(maintenance) if maintenance else maintenance))
    return result
