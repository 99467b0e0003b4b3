"""From the config and stored history to what the availability core measures."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

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


def with_ancestors(config: Config, devices: Iterable[str]) -> set[str]:
    """The devices and every device they are reached through."""
    found: set[str] = set()
    stack = [d for d in devices if d in config.devices]
    while stack:
        name = stack.pop()
        if name not in found:
            found.add(name)
            stack.extend(p for p in config.devices[name].parents if p in config.devices)
    return found


def _lead_s(config: Config, device: str) -> float:
    """How much earlier than its parents' first failed check a child may fail first."""
    return max((config.probes[p].interval_s for parent in config.devices[device].parents
                for p in config.reachability(parent)), default=0.0)


def histories(config: Config, devices: Iterable[str], history: History,
              rules: Sequence[MaintenanceRule], start: datetime,
              end: datetime) -> list[DeviceHistory]:
    """Core inputs for devices, with the maintenance windows over [start, end) that cover
    each (every window is listed once, however many devices it covers)."""
    listed: dict[str, Spans] = {}
    result = []
    for name in devices:
        device = config.devices[name]
        maintenance: Spans = []
        for rule in rules:
            if rule.covers(name, device.tags, device.customer):
                if rule.name not in listed:
                    listed[rule.name] = from_datetimes(
                        (w.start, w.end) for w in rule.windows(start, end))
                maintenance += listed[rule.name]
        kept = history.get(name, {})
        result.append(DeviceHistory(
            name, device.customer, {p: kept.get(p, []) for p in device.probes},
            config.reachability(name), device.parents, device.redundant_parents,
            _lead_s(config, name), sorted(maintenance)))
    return result


def measure_raw(engine: Engine, config: Config, customers: Collection[str], start: datetime,
                end: datetime, now: datetime,
                lookback: timedelta = timedelta(0)) -> dict[str, Measured]:
    """The customers' devices (and their parents) measured over [start, end) from raw
    history, looking back `lookback` for where outages began."""
    first = start - lookback
    own = [d for d, device in config.devices.items() if device.customer in customers]
    wanted = with_ancestors(config, own)
    history = load_history(engine, first, end,
                           None if len(wanted) == len(config.devices) else wanted)
    rules = (*config.maintenance, *(as_rule(r) for r in load_windows(engine, first, end)))
    scope = Scope(epoch(start), epoch(end), load_gaps(engine, first, end, now),
                  coverage_spans(config, customers, first, end), epoch(first))
    return measure(histories(config, sorted(wanted), history, rules, first, end), scope)
