"""Merge the drop-in files and check the references between them: customers, probes,
parents, rules, maintenance windows, calendars and escalation chains (and probe timing)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from bridge.config.contract import ALWAYS_CALENDAR
from bridge.config.errors import Errors, format_key
from bridge.config.escalations import BUILT_IN_CHAINS
from bridge.config.main_file import PathsSection
from bridge.config.model import Customer, DeviceTable, InventoryFile, ProbeFile, RuleFile
from bridge.config.salvage import Partial
from bridge.config.source import Source
from bridge.core.calendar import Coverage
from bridge.core.escalation import Chain
from bridge.core.maintenance import MaintenanceRule
from bridge.core.probe_kinds import Probe
from bridge.core.rules import TicketRule

T = TypeVar("T")


@dataclass
class Unloaded:
    """Names declared in files that were rejected, so that references to them are not
    reported as unknown on top of the errors that rejected the file."""

    names: dict[str, set[str]] = field(default_factory=dict)
    # Sections with a file that could not be parsed at all: any name may be defined there.
    sections: set[str] = field(default_factory=set)
    # Entries loaded without the keys that failed: checks reading those keys skip them.
    partial: Partial = field(default_factory=Partial)

    def may_define(self, section: str, name: str) -> bool:
        """Whether a rejected file may define `name` in `section`."""
        return section in self.sections or name in self.names.get(section, set())


@dataclass(frozen=True)
class Merged:
    """The union of all drop-in files."""

    customers: dict[str, Customer]
    devices: dict[str, DeviceTable]
    probes: dict[str, Probe]
    rules: tuple[tuple[str, TicketRule], ...]
    maintenance: tuple[MaintenanceRule, ...]
    device_origin: dict[str, Source] = field(default_factory=dict)
    customer_origin: dict[str, Source] = field(default_factory=dict)
    # compiled, with the built-in "24x7" calendar and the built-in chains not redefined
    calendars: dict[str, Coverage] = field(default_factory=dict)
    escalations: dict[str, Chain] = field(default_factory=dict)


def _merge(
    section: str,
    entries: list[tuple[dict[str, T], Source]],
    errors: Errors,
) -> tuple[dict[str, T], dict[str, Source]]:
    merged: dict[str, T] = {}
    origin: dict[str, Source] = {}
    for table, source in entries:
        for key, value in table.items():
            if key in origin:
                first = origin[key]
                line = first.error((section, key), "").line
                errors.add(source.error(
                    (section, key), f"already defined in {first.name}:{line}; names must be unique"
                ))
                continue
            merged[key] = value
            origin[key] = source
    return merged, origin


def unknown_name(what: str, section: str, name: str, folder: str) -> str:
    return f"unknown {what} {name!r}; define it as [{format_key((section, name))}] in {folder}/"


def default_note(source: Source, path: tuple[str, ...], value: float) -> str:
    """Say so when the value in a message is a default the operator never wrote."""
    return "" if source.has(path) else f"; {path[-1]} is not set and defaults to {value:g}"


def _check_probe_timing(
    probes: dict[str, Probe], origin: dict[str, Source], partial: Partial, errors: Errors
) -> None:
    for name, probe in probes.items():
        source = origin[name]
        if any(partial.lacks("probes", name, key) for key in probe.TIMING_KEYS):
            continue  # its timing is not what the operator wrote: checked once it loads
        path: tuple[str, ...]
        if probe.timeout_s >= probe.interval_s:
            path = ("probes", name, "timeout_s")
            errors.add(source.error(
                path,
                f"must be < interval_s (got {probe.timeout_s:g} >= {probe.interval_s:g})"
                + default_note(source, path, probe.timeout_s),
            ))
        for key, message, quoted in probe.problems():  # the kind's own
            path = ("probes", name, *key)
            errors.add(source.error(
                path, message + ("" if quoted is None else default_note(source, path, quoted))))
        for file_key in probe.FILE_KEYS:
            named = getattr(probe, file_key)
            if named is not None and Path(named).is_absolute() and not Path(named).is_file():
                errors.add(source.error(("probes", name, file_key), f"no such file: {named}"))
        if probe.retry_interval_s > probe.interval_s:
            path = ("probes", name, "retry_interval_s")
            errors.add(source.error(
                path,
                f"must be <= interval_s (got {probe.retry_interval_s:g} > {probe.interval_s:g})"
                + default_note(source, path, probe.retry_interval_s),
            ))


def _check_parent_cycles(
    devices: dict[str, DeviceTable], origin: dict[str, Source], errors: Errors
) -> None:
    """Report each cycle once, at the parent entry that closes it.

    Iterative rather than recursive: a chain of devices may be longer than Python's stack.
    """
    done: set[str] = set()
    for start in devices:
        if start in done:
            continue
        path = [start]
        stack: list[Iterator[tuple[int, str]]] = [enumerate(devices[start].parents)]
        while stack:
            step = next(stack[-1], None)
            if step is None:
                done.add(path.pop())
                stack.pop()
                continue
            index, parent = step
            if parent not in devices or parent in done:
                continue
            if parent in path:
                cycle = " -> ".join([*path[path.index(parent):], parent])
                errors.add(origin[path[-1]].error(
                    ("devices", path[-1], "parents", index),
                    f"parent cycle {cycle}; a device cannot be its own ancestor",
                ))
                continue
            path.append(parent)
            stack.append(enumerate(devices[parent].parents))


def check_references(
    inventory: list[tuple[InventoryFile, Source]],
    probe_files: list[tuple[ProbeFile, Source]],
    rule_files: list[tuple[RuleFile, Source]],
    unloaded: Unloaded,
    paths: PathsSection,
    errors: Errors,
) -> Merged:
    """Merge the folders; report duplicates and every dangling or cyclic reference."""
    customers, customer_origin = _merge("customers", [(f.customers, s) for f, s in inventory],
                                        errors)
    devices, dev_origin = _merge("devices", [(f.devices, s) for f, s in inventory], errors)
    probes, probe_origin = _merge("probes", [(f.probes, s) for f, s in probe_files], errors)
    rules, rule_origin = _merge("rules", [(f.rules, s) for f, s in rule_files], errors)
    windows, window_origin = _merge("maintenance", [(f.maintenance, s) for f, s in inventory],
                                    errors)
    calendars, calendar_origin = _merge("calendars", [(f.calendars, s) for f, s in inventory],
                                        errors)
    chains, _ = _merge("escalations", [(f.escalations, s) for f, s in rule_files], errors)
    if ALWAYS_CALENDAR in calendars:
        errors.add(calendar_origin[ALWAYS_CALENDAR].error(
            ("calendars", ALWAYS_CALENDAR),
            f'"{ALWAYS_CALENDAR}" is built in (every moment covered); give this calendar '
            "another name"))
    _check_probe_timing(probes, probe_origin, unloaded.partial, errors)

    def check(source: Source, at: tuple[str | int, ...], what: str, section: str,
              name: str, known: dict[str, T], folder: str) -> None:
        if name not in known and not unloaded.may_define(section, name):
            errors.add(source.error(at, unknown_name(what, section, name, folder)))

    for name, device in devices.items():
        source = dev_origin[name]
        at: tuple[str | int, ...] = ("devices", name)
        check(source, (*at, "customer"), "customer", "customers", device.customer, customers,
              paths.config)
        for i, probe in enumerate(device.probes):
            check(source, (*at, "probes", i), "probe", "probes", probe, probes, paths.probes)
        for i, parent in enumerate(device.parents):
            check(source, (*at, "parents", i), "parent device", "devices", parent, devices,
                  paths.config)
    _check_parent_cycles(devices, dev_origin, errors)

    for name, rule in rules.items():
        source = rule_origin[name]
        for i, probe in enumerate(rule.probes):
            check(source, ("rules", name, "probes", i), "probe", "probes", probe, probes,
                  paths.probes)
        for i, customer in enumerate(rule.customers):
            check(source, ("rules", name, "customers", i), "customer", "customers", customer,
                  customers, paths.config)
        if rule.escalation is not None and rule.escalation not in BUILT_IN_CHAINS:
            check(source, ("rules", name, "escalation"), "escalation chain", "escalations",
                  rule.escalation, chains, paths.rules)
    # A tag no device has is allowed (devices may get it later) but covers nothing: a typo
    # such as "wiif" must not pass unnoticed. Not said while a device that may have the tag
    # is left out, or lost its tags; a device with another key in error still says its own.
    tags = {tag for device in devices.values() for tag in device.tags}
    sure = not (unloaded.names.get("devices") or "devices" in unloaded.sections
                or any(unloaded.partial.lacks("devices", name, "tags") for name in devices))
    for name, window in windows.items():
        source = window_origin[name]
        for i, tag in enumerate(window.tags):
            if sure and tag not in tags:
                errors.warn(source.error(("maintenance", name, "tags", i), (
                    f"no device has tag {tag!r}: the window covers nothing through it")))
        for i, device_name in enumerate(window.devices):
            check(source, ("maintenance", name, "devices", i), "device", "devices", device_name,
                  devices, paths.config)
        for i, customer in enumerate(window.customers):
            check(source, ("maintenance", name, "customers", i), "customer", "customers",
                  customer, customers, paths.config)
    compiled = tuple(window.compile(name) for name, window in windows.items())
    coverages = {ALWAYS_CALENDAR: Coverage.always(),
                 **{name: c.coverage() for name, c in calendars.items() if name != ALWAYS_CALENDAR}}
    ticket_rules = tuple((name, rule.compile()) for name, rule in rules.items())
    return Merged(customers, devices, probes, ticket_rules, compiled, dev_origin,
                  customer_origin, coverages,
                  {**BUILT_IN_CHAINS, **{name: c.compile(name) for name, c in chains.items()}})

