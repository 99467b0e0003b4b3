"""The config schema: pydantic models for each file, and the assembled Config.

Defaults are declared here once. Every model rejects unknown keys and is frozen,
so a Config, once built, never changes; reload builds a new one.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, ClassVar, Literal, TypeVar, cast

from pydantic import AfterValidator, BeforeValidator, Field

from bridge.config.base import Name, ZoneName
from bridge.config.channels import Channels
from bridge.config.contract import Calendar, Contract
from bridge.config.errors import ConfigError
from bridge.config.escalations import Escalation
from bridge.config.intake_model import Intake
from bridge.config.main_file import MainFile, Role
from bridge.config.maintenance import Maintenance
from bridge.config.provider import Provider
from bridge.config.snmp_models import SnmpSettings
from bridge.config.toml_lines import KeyPath
from bridge.core.calendar import Coverage
from bridge.core.escalation import Chain
from bridge.core.maintenance import MaintenanceRule
from bridge.core.priority import Priority, shifted
from bridge.core.probe_kinds import Probe
from bridge.core.probe_kinds.snmp import SnmpAccess
from bridge.core.rules import Condition, Criticality, TicketRule
from bridge.core.secret import Secret
from bridge.core.sla import SlaTargets
from bridge.core.strict import Array, Choice, Strict

# ---- config/*.toml -------------------------------------------------------------------------


class Customer(Strict):
    """A customer served under a contract."""

    name: str
    timezone: ZoneName = "UTC"
    contract: Contract = Contract()


_HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _check_address(value: str) -> str:
    """An IP address or a host name that DNS could hold; catches typos such as 10.0.0.256."""
    try:
        ipaddress.ip_address(value.split("%", 1)[0])  # fe80::1%eth0 carries a scope
        return value
    except ValueError:
        pass
    labels = value.rstrip(".").split(".")
    if (len(value) > 253 or not all(_HOST_LABEL.match(label) for label in labels)
            or labels[-1].isdigit()):
        raise ValueError(f"expected an IP address or a host name, got {value!r}")
    return value


class DeviceTable(Strict):
    """A monitored device of one customer: its [devices.X] table as written (a loaded
    Config holds each as a `Device`)."""

    # No check across files reads the address: a device whose address is invalid still has
    # its probes, parents and tags checked in the same run (see config/salvage.py).
    CHECKED_WITHOUT: ClassVar[frozenset[str]] = frozenset({"address"})
    customer: Name
    address: Annotated[str, AfterValidator(_check_address)]
    probes: Annotated[Array[Name], Field(min_length=1)]
    parents: Array[Name] = ()
    # false: unreachable when any parent is down; true: only when all are (redundant uplinks)
    redundant_parents: bool = False
    tags: Array[Name] = ()
    criticality: Choice[Criticality] = Criticality.MEDIUM
    description: str = ""
    snmp: SnmpSettings | None = None


class InventoryFile(Strict):
    """One file in config/: customers, devices, maintenance windows and calendars."""

    customers: dict[Name, Customer] = Field(default_factory=dict)
    devices: dict[Name, DeviceTable] = Field(default_factory=dict)
    maintenance: dict[Name, Maintenance] = Field(default_factory=dict)
    calendars: dict[Name, Calendar] = Field(default_factory=dict)


# ---- probes/*.toml -------------------------------------------------------------------------


class ProbeFile(Strict):
    """One file in probes/."""

    probes: dict[Name, Probe] = Field(default_factory=dict)


# ---- rules/*.toml --------------------------------------------------------------------------


def _parse_priority(value: Any) -> Priority | dict[Criticality, Priority]:
    """A priority, or a table of them by criticality, with one clear message if neither."""
    names = ", ".join(repr(p.value) for p in Priority)
    if isinstance(value, str) and value in Priority.__members__:
        return Priority(value)
    if isinstance(value, dict):
        table = {}
        for key, item in value.items():
            if key not in {c.value for c in Criticality}:
                raise ValueError(f"table keys are criticalities (low, medium, high), got {key!r}")
            if not isinstance(item, str) or item not in Priority.__members__:
                raise ValueError(f"{key}: expected one of {names}, got {item!r}")
            table[Criticality(key)] = Priority(item)
        return table
    raise ValueError(f"expected one of {names}, or a table by criticality such as "
                     f"{{ high = \"P1\", medium = \"P2\" }}, got {value!r}")


class Rule(Strict):
    """When a hard failure becomes a ticket, and at which priority. First match wins."""

    probes: Array[Name] = ()
    customers: Array[Name] = ()
    tags: Array[Name] = ()
    criticality: Array[Choice[Criticality]] = ()
    conditions: Array[Choice[Condition]] = ()  # empty: any condition
    # One priority, or one per device criticality: { high = "P1", medium = "P2", low = "P3" }
    priority: Annotated[Priority | dict[Criticality, Priority],
                        BeforeValidator(_parse_priority)] = Priority.P3
    open_ticket: bool = True
    max_attempts: Annotated[int, Field(ge=1, le=100)] | None = None  # overrides the probe's
    recover_after: Annotated[int, Field(ge=1, le=100)] | None = None  # overrides the probe's
    escalation: Name | None = None  # overrides the contract's chain for tickets it opens

    def compile(self) -> TicketRule:
        """The rule the engine evaluates."""
        priority = (MappingProxyType(dict(self.priority)) if isinstance(self.priority, dict)
                    else self.priority)
        return TicketRule(
            probes=self.probes, customers=self.customers, tags=self.tags,
            criticality=self.criticality, conditions=self.conditions, priority=priority,
            open_ticket=self.open_ticket, max_attempts=self.max_attempts,
            recover_after=self.recover_after, escalation=self.escalation)


class RuleFile(Strict):
    """One file in rules/: rules and escalation chains."""

    rules: dict[Name, Rule] = Field(default_factory=dict)
    escalations: dict[Name, Escalation] = Field(default_factory=dict)


# ---- the assembled config ------------------------------------------------------------------

T = TypeVar("T")


class Shared:
    """One object for each distinct value given: 50,000 devices name 20 customers and a
    few probe lists, each parsed anew from the TOML."""

    def __init__(self) -> None:
        self._values: dict[object, object] = {}

    def __call__(self, value: T) -> T:
        """The first value equal to `value`."""
        return cast(T, self._values.setdefault(value, value))


@dataclass(frozen=True, slots=True)
class Device:
    """A monitored device of one customer, as a loaded Config holds it: its validated
    table's values, equal ones shared between devices. A validated table (a pydantic model:
    a dict of its fields and a set of those given) held ~0.7 KB a device; this ~0.2 KB."""

    customer: str
    address: str
    probes: tuple[str, ...]
    parents: tuple[str, ...] = ()
    redundant_parents: bool = False  # see DeviceTable
    tags: tuple[str, ...] = ()
    criticality: Criticality = Criticality.MEDIUM
    description: str = ""
    snmp: SnmpSettings | None = None  # the [snmp] table as written; Config.snmp resolved

    @classmethod
    def of(cls, table: DeviceTable, shared: Shared) -> Device:
        """A validated table's device."""
        return cls(shared(table.customer), table.address, shared(table.probes),
                   shared(table.parents), table.redundant_parents, shared(table.tags),
                   table.criticality, shared(table.description), shared(table.snmp))


def devices_of(tables: Mapping[str, DeviceTable]) -> dict[str, Device]:
    """The validated tables' devices, in their order."""
    shared = Shared()
    return {name: Device.of(table, shared) for name, table in tables.items()}


@dataclass(frozen=True)
class ApiToken:
    """A resolved API token."""

    name: str
    role: Role
    secret: Secret
    customer: str | None


@dataclass(frozen=True)
class Listen:
    """A host and port to listen on."""

    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


@dataclass(frozen=True)
class Config:
    """Everything the daemon needs, validated and cross-checked. Never mutated."""

    path: Path
    storage_url: str
    listen: Listen
    main: MainFile
    customers: Mapping[str, Customer] = field(default_factory=lambda: MappingProxyType({}))
    devices: Mapping[str, Device] = field(default_factory=lambda: MappingProxyType({}))
    probes: Mapping[str, Probe] = field(default_factory=lambda: MappingProxyType({}))
    rules: tuple[tuple[str, TicketRule], ...] = ()  # compiled, in order
    tokens: tuple[ApiToken, ...] = ()
    files: tuple[str, ...] = ()
    maintenance: tuple[MaintenanceRule, ...] = ()
    snmp: Mapping[str, SnmpAccess] = field(default_factory=lambda: MappingProxyType({}))
    channels: Channels = field(default_factory=Channels)  # [notifications], secrets resolved
    provider: Provider = field(default_factory=Provider)  # [provider], its logo read
    # compiled, with the built-in "24x7" calendar and "standard" chain
    calendars: Mapping[str, Coverage] = field(default_factory=lambda: MappingProxyType({}))
    escalations: Mapping[str, Chain] = field(default_factory=lambda: MappingProxyType({}))
    # Loaded with deferred secrets only: why an entry (("devices", NAME), ("api", "tokens", I),
    # ("notifications", "smtp"), …) is without its secrets. Empty in a config that runs.
    unresolved_secrets: Mapping[KeyPath, tuple[ConfigError, ...]] = field(
        default_factory=lambda: MappingProxyType({}))
    # Accepted, but likely not what was meant (a maintenance tag no device has).
    warnings: tuple[ConfigError, ...] = ()
    intake: Intake = field(default_factory=Intake)  # intake/: other monitors' alerts

    def __post_init__(self) -> None:
        # Read-only views over private copies: nothing can change a loaded config in place.
        for name in ("customers", "devices", "probes", "snmp", "calendars", "escalations",
                     "unresolved_secrets"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))

    def match_rule(self, device_id: str, probe_id: str,
                   condition: Condition = Condition.DOWN) -> tuple[str, TicketRule] | None:
        """The first rule that matches a failing check, or None."""
        device = self.devices[device_id]
        return next(((name, rule) for name, rule in self.rules
                     if rule.matches(probe_id, device.customer, device.tags,
                                     device.criticality, condition)), None)

    def summary(self) -> str:
        """How much is configured, for logs and `bridge check`."""
        def count(n: int, noun: str) -> str:
            return f"{n} {noun}" + ("" if n == 1 else "s")

        checks = sum(len(d.probes) for d in self.devices.values())
        return ", ".join((count(len(self.customers), "customer"),
                          count(len(self.devices), "device"), count(len(self.probes), "probe"),
                          count(checks, "check"), count(len(self.rules), "rule")))

    def attempts_policy(self, device_id: str, probe_id: str) -> tuple[int, int]:
        """(max_attempts, recover_after) for a check: the matching rule's, else the probe's."""
        probe = self.probes[probe_id]
        match = self.match_rule(device_id, probe_id)
        rule = match[1] if match else None
        max_attempts = rule.max_attempts if rule and rule.max_attempts else probe.max_attempts
        recover = rule.recover_after if rule and rule.recover_after else probe.recover_after
        return max_attempts, recover

    def reachability(self, device_id: str) -> tuple[str, ...]:
        """The probes that say whether a device can be reached: those of a kind that tells
        (REACHABILITY: ICMP), or all of them if it has none. Its children are unreachable
        while these are down."""
        probes = self.devices[device_id].probes
        telling = tuple(p for p in probes if self.probes[p].REACHABILITY)
        return telling or probes

    def ticket_priority(self, device_id: str, rule: TicketRule) -> Priority:
        """Rule priority for the device's criticality, shifted by the customer's contract."""
        device = self.devices[device_id]
        shift = self.customers[device.customer].contract.priority_shift
        return shifted(rule.priority_for(device.criticality), shift)

    def reported_priority(self, customer_id: str) -> Priority:
        """The priority of a ticket the customer reports, as its contract decides."""
        contract = self.customers[customer_id].contract
        return shifted(contract.reported_priority, contract.priority_shift)


    def coverage_for(self, customer_id: str) -> Coverage:
        """When the customer's SLA clocks run."""
        return self.calendars[self.customers[customer_id].contract.calendar]

    def availability_coverage_for(self, customer_id: str) -> Coverage:
        """When the customer's availability is counted."""
        return self.calendars[self.customers[customer_id].contract.availability_calendar_name]

    def sla_for(self, customer_id: str, priority: Priority) -> SlaTargets:
        """The customer's targets for tickets of this priority."""
        return self.customers[customer_id].contract.sla_targets(priority)

    def chain_for(self, customer_id: str, priority: Priority, rule_name: str | None) -> Chain:
        """The escalation chain of a ticket: its rule's, else the contract's for the
        priority, else the contract's default. A rule gone since (reload) counts as none."""
        rule = dict(self.rules).get(rule_name) if rule_name is not None else None
        if rule is not None and rule.escalation is not None:
            return self.escalations[rule.escalation]
        chain = self.intake.escalation_of(rule_name) if rule_name else None
        if chain is not None and chain in self.escalations:
            return self.escalations[chain]
        return self.escalations[self.customers[customer_id].contract.chain_name(priority)]


SchemaRoot = type[MainFile] | type[InventoryFile] | type[ProbeFile] | type[RuleFile]
FileKind = Literal["main", "config", "probes", "rules"]
