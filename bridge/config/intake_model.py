"""The intake's compiled config: sources with their secrets resolved and their label
matchers compiled (built by bridge.config.intake from intake/*.toml)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from bridge.config.intake_mail import MailIntake
from bridge.config.intake_traps import TrapSource
from bridge.core.priority import Priority
from bridge.core.secret import Secret

# A priority, or one per device criticality (keyed by its name: "high", "medium", "low")
PriorityChoice = Priority | Mapping[str, Priority]
# A field of a generic alert in its key template: "{host}/{trigger.id}"
KEY_FIELD = re.compile(r"\{([^{}\s]+)\}")
RULE_PREFIX = "intake:"  # an intake ticket's rule: "intake:<source>[:<route index>]"
# a source's rate limit: requests (HTTP, per client address) or traps a second, and the burst
RATE_PER_S = 100.0
BURST = 1000


class SourceKind(StrEnum):
    """What posts to a source, and so the shape of its bodies."""

    ALERTMANAGER = "alertmanager"  # webhook payload version 4
    GRAFANA = "grafana"  # Grafana alerting's webhook: version 4 plus extras
    PAGERDUTY = "pagerduty"  # PagerDuty Events API v2 (routing_key, dedup_key, event_action)
    GENERIC = "generic"  # any JSON: where the alerts, keys and statuses are, from `fields`
    SNMP_TRAP = "snmp_trap"  # SNMP traps and INFORMs on a UDP port, from `traps`


class OnResolve(StrEnum):
    """What an alert's resolve does to its ticket."""

    RESOLVE = "resolve"  # the ticket is resolved (the customer is asked to confirm, as today)
    TIMELINE = "timeline"  # only an entry on the ticket's timeline
    NOTHING = "nothing"  # the alert is marked resolved, the ticket left as it is


@dataclass(frozen=True)
class Matcher:
    """One label's condition: an exact value, or a regular expression on the whole value."""

    label: str
    value: str
    pattern: re.Pattern[str] | None = None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether the alert's labels satisfy this condition (a missing label is "")."""
        found = labels.get(self.label, "")
        if self.pattern is not None:
            return self.pattern.fullmatch(found) is not None
        return found == self.value


@dataclass(frozen=True)
class Route:
    """Where matching alerts go, and at which priority."""

    matchers: tuple[Matcher, ...]
    customer: str | None
    device: str | None
    device_label: str | None
    priority: PriorityChoice
    severities: Mapping[str, PriorityChoice]
    escalation: str | None

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether every matcher matches."""
        return all(m.matches(labels) for m in self.matchers)


@dataclass(frozen=True)
class GenericFields:
    """Where a generic sender's JSON keeps each part of an alert (dotted paths)."""

    alerts: str  # the list of alerts; "": the body is one alert
    key: str  # a template such as "{host}/{trigger.id}": the alert's own key
    status: str | None  # None: every alert fires
    firing: frozenset[str]  # lower case
    resolved: frozenset[str]
    starts_at: str | None  # RFC 3339 or epoch seconds; None: its arrival
    summary: str | None


@dataclass(frozen=True)
class IntakeSource:
    """One sender, ready to authenticate and map what it posts."""

    name: str
    kind: SourceKind
    token: Secret | None
    hmac_secret: Secret | None
    routing_key: Secret | None
    on_resolve: OnResolve
    silence_s: float | None
    severity_label: str
    summary_annotation: str
    max_body_bytes: int
    max_raw_bytes: int
    routes: tuple[Route, ...]
    generic: GenericFields | None = None
    traps: TrapSource | None = None  # kind = "snmp_trap" only
    rate_per_s: float = RATE_PER_S
    burst: int = BURST
    max_resolves_per_min: int | None = None  # tickets its resolves resolve a minute

    @property
    def rule(self) -> str:
        """The rule name its tickets carry."""
        return f"{RULE_PREFIX}{self.name}"


@dataclass(frozen=True)
class Intake:
    """Every configured source."""

    sources: Mapping[str, IntakeSource] = field(default_factory=lambda: MappingProxyType({}))
    mail: MailIntake | None = None  # [mail] of one intake file; None: no mail receiver

    def by_routing_key(self, key: str) -> IntakeSource | None:
        """The PagerDuty source with this routing key (every one compared, in constant time)."""
        found = None
        for source in self.sources.values():
            if source.routing_key is not None and source.routing_key.matches(key):
                found = source
        return found

    def escalation_of(self, rule_name: str) -> str | None:
        """The chain an intake ticket's rule names ("intake:<source>:<route>"), if any."""
        if not rule_name.startswith(RULE_PREFIX):
            return None
        name, _, index = rule_name.removeprefix(RULE_PREFIX).partition(":")
        source = self.sources.get(name)
        if source is None or not index.isdigit() or int(index) >= len(source.routes):
            return None
        return source.routes[int(index)].escalation
