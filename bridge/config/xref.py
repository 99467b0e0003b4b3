"""Merge drop-in files and check references between them: customers, probes, parents."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, TypeVar

from bridge.config.model import (
    Customer,
    Device,
    InventoryFile,
    Probe,
    ProbeFile,
    Rule,
    RuleFile,
    TokenSection,
)
from bridge.config.source import Source

if TYPE_CHECKING:
    from bridge.config.errors import ConfigError

T = TypeVar("T")


class _Errors(Protocol):
    def add(self, error: ConfigError) -> None: ...


@dataclass(frozen=True)
class Merged:
    """The union of all drop-in files."""

    customers: dict[str, Customer]
    devices: dict[str, Device]
    probes: dict[str, Probe]
    rules: tuple[tuple[str, Rule], ...]


def _merge(
    section: str,
    entries: list[tuple[dict[str, T], Source]],
    errors: _Errors,
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


def _check_parent_cycles(
    devices: dict[str, Device], origin: dict[str, Source], errors: _Errors
) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(name: str, path: list[str]) -> None:
        state[name] = 1
        for parent in devices[name].parents:
            if parent not in devices:
                continue
            if state.get(parent) == 1:
                cycle = [*path[path.index(parent):], parent] if parent in path else [name, parent]
                errors.add(origin[name].error(
                    ("devices", name, "parents"),
                    f"parent cycle {' -> '.join(cycle)}; a device cannot depend on itself",
                ))
            elif parent not in state:
                visit(parent, [*path, parent])
        state[name] = 2

    for name in devices:
        if name not in state:
            visit(name, [name])


def check_references(
    inventory: list[tuple[InventoryFile, Source]],
    probe_files: list[tuple[ProbeFile, Source]],
    rule_files: list[tuple[RuleFile, Source]],
    tokens: list[TokenSection],
    main_source: Source,
    errors: _Errors,
) -> Merged:
    """Merge the folders; report duplicates and every dangling or cyclic reference."""
    customers, _ = _merge("customers", [(f.customers, s) for f, s in inventory], errors)
    devices, dev_origin = _merge("devices", [(f.devices, s) for f, s in inventory], errors)
    probes, probe_origin = _merge("probes", [(f.probes, s) for f, s in probe_files], errors)
    rules, rule_origin = _merge("rules", [(f.rules, s) for f, s in rule_files], errors)

    for name, probe in probes.items():
        if probe.timeout_s >= probe.interval_s:
            errors.add(probe_origin[name].error(
                ("probes", name, "timeout_s"),
                f"must be < interval_s (got {probe.timeout_s:g} >= {probe.interval_s:g})",
            ))
        elif probe.duration_budget_s() >= probe.interval_s:
            errors.add(probe_origin[name].error(
                ("probes", name, "count"),
                f"{probe.count} packets {probe.packet_interval_s:g} s apart plus timeout_s take "
                f"{probe.duration_budget_s():g} s, which must be < interval_s "
                f"({probe.interval_s:g})",
            ))
        if probe.retry_interval_s > probe.interval_s:
            errors.add(probe_origin[name].error(
                ("probes", name, "retry_interval_s"),
                f"must be <= interval_s (got {probe.retry_interval_s:g} > {probe.interval_s:g})",
            ))

    for name, device in devices.items():
        source = dev_origin[name]
        if device.customer not in customers:
            errors.add(source.error(
                ("devices", name, "customer"),
                f"unknown customer {device.customer!r}; "
                f"define it under [customers.{device.customer}]",
            ))
        for i, probe_name in enumerate(device.probes):
            if probe_name not in probes:
                errors.add(source.error(
                    ("devices", name, "probes", i),
                    f"unknown probe {probe_name!r}; define it in probes/ as [probes.{probe_name}]",
                ))
        for i, parent in enumerate(device.parents):
            if parent not in devices:
                errors.add(source.error(
                    ("devices", name, "parents", i), f"unknown parent device {parent!r}"
                ))
    _check_parent_cycles(devices, dev_origin, errors)

    for name, rule in rules.items():
        source = rule_origin[name]
        for key, known in (("probes", probes), ("customers", customers)):
            for i, ref in enumerate(getattr(rule, key)):
                if ref not in known:
                    errors.add(source.error(("rules", name, key, i), f"unknown {key[:-1]} {ref!r}"))

    for i, token in enumerate(tokens):
        if token.customer is not None and token.customer not in customers:
            errors.add(main_source.error(
                ("api", "tokens", i, "customer"), f"unknown customer {token.customer!r}"
            ))
    return Merged(customers, devices, probes, tuple(rules.items()))
