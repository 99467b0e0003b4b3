"""An alert's labels to a customer, a device, a priority and a rule (pure: config in, values
out), and whether a maintenance window holds it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bridge.config.intake_model import IntakeSource, PriorityChoice, Route
from bridge.config.model import Config
from bridge.core.decisions import OPERATOR_CUSTOMER
from bridge.core.maintenance import MaintenanceRule
from bridge.core.priority import Priority, shifted
from bridge.core.state import CheckKey


@dataclass(frozen=True)
class Mapped:
    """Where an alert goes."""

    customer: str
    device: str | None
    # its parents' reachability checks, nearest first: a ticket for one of them (or one they
    # are attached to) takes the alert, as a failed parent's ticket takes what is behind it
    parent_checks: tuple[CheckKey, ...]
    priority: Priority
    rule: str
    summary: str


class DeviceIndex:
    """Devices by id and by address, for the label that names one."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._by_address: dict[str, str] = {}
        for name, device in sorted(config.devices.items()):
            self._by_address.setdefault(device.address.lower(), name)

    def find(self, value: str) -> str | None:
        """The device a label value names: its id or address, a ":port" suffix ignored."""
        for candidate in (value, _host(value)):
            if candidate in self.config.devices:
                return candidate
            if (name := self._by_address.get(candidate.lower())) is not None:
                return name
        return None


def _host(value: str) -> str:
    """"web-1:9100" -> "web-1", "[2001:db8::1]:9100" -> "2001:db8::1"."""
    if value.startswith("[") and "]" in value:
        return value[1:value.index("]")]
    host, sep, port = value.rpartition(":")
    return host if sep and port.isdigit() and ":" not in host else value


def _parent_checks(config: Config, device: str) -> tuple[CheckKey, ...]:
    """The reachability checks of the device's parents, breadth first. A parent has failed
    when these are down (as Icinga's host dependencies read it): any other problem of the
    parent (a full disk, one port's linkDown) says nothing of what is behind it."""
    order, todo = [device], [device]
    while todo:
        for parent in config.devices[todo.pop(0)].parents:
            if parent not in order and parent in config.devices:
                order.append(parent)
                todo.append(parent)
    return tuple(CheckKey(parent, probe) for parent in order[1:]
                 for probe in config.reachability(parent))


def _priority(choice: PriorityChoice, criticality: str) -> Priority:
    if isinstance(choice, Mapping):
        return choice.get(criticality, Priority.P3)
    return choice


def _summary(source: IntakeSource, labels: Mapping[str, str],
             annotations: Mapping[str, str]) -> str:
    name = labels.get("alertname", "")
    text = annotations.get(source.summary_annotation, "")
    return (f"{name}: {text}" if name and text else name or text or "alert")[:500]


def _device(route: Route, labels: Mapping[str, str], index: DeviceIndex) -> str | None:
    if route.device is not None:
        return route.device
    if route.device_label is not None and (value := labels.get(route.device_label)):
        return index.find(value)
    return None


def map_alert(source: IntakeSource, labels: Mapping[str, str], annotations: Mapping[str, str],
              index: DeviceIndex, summary: str | None = None) -> Mapped:
    """The first matching route's customer, device and priority; with no route (or a device
    of another customer than the route's), the desk's own ticket, never a dropped alert."""
    config = index.config
    text = summary or _summary(source, labels, annotations)
    for i, route in enumerate(source.routes):
        if not route.matches(labels):
            continue
        device = _device(route, labels, index)
        customer = route.customer or (config.devices[device].customer if device else None)
        if customer is None or customer not in config.customers or (
                device is not None and config.devices[device].customer != customer):
            break
        criticality = config.devices[device].criticality.value if device else "medium"
        choice = route.severities.get(labels.get(source.severity_label, ""), route.priority)
        shift = config.customers[customer].contract.priority_shift
        return Mapped(customer, device, _parent_checks(config, device) if device else (),
                      shifted(_priority(choice, criticality), shift),
                      f"{source.rule}:{i}", text)
    return Mapped(OPERATOR_CUSTOMER, None, (), Priority.P3, source.rule,
                  f"unrouted {source.name} alert: {text}"[:500])


def held(windows: Sequence[MaintenanceRule], config: Config, mapped: Mapped,
         at: datetime) -> bool:
    """Whether a maintenance window covers the alert's device (or customer) now."""
    return open_at(covering(windows, config, mapped), at)


def covering(windows: Sequence[MaintenanceRule], config: Config,
             mapped: Mapped) -> tuple[MaintenanceRule, ...]:
    """The windows that cover the alert's device (or customer), open or not: what `held`
    asks of each alert of a device, asked once for them all."""
    if mapped.customer == OPERATOR_CUSTOMER:
        return ()
    tags = config.devices[mapped.device].tags if mapped.device else ()
    return tuple(w for w in windows if w.covers(mapped.device or "", tags, mapped.customer))


def open_at(windows: Sequence[MaintenanceRule], at: datetime) -> bool:
    """Whether one of these windows is open at `at`."""
    return any(w.schedule.occurrence_at(at) is not None for w in windows)
