"""An SNMP probe's `interfaces` table: which ports a check judges, and how.

Patterns and thresholds are compiled when the config loads; the probe only matches.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from bridge.core.probe_kinds.limits import Threshold
from bridge.core.probe_kinds.mib_index import did_you_mean
from bridge.core.probe_kinds.oids import parse_object
from bridge.core.strict import Array, Choice, Strict

# IANAifType names a NOC writes most (the MIB has ~280; any number is accepted too)
IF_TYPES = {"other": 1, "ethernetCsmacd": 6, "iso88023Csmacd": 7, "ppp": 23,
            "softwareLoopback": 24, "propVirtual": 53, "fibreChannel": 56, "l2vlan": 135,
            "l3ipvlan": 136, "gigabitEthernet": 117, "tunnel": 131, "ieee8023adLag": 161,
            "mpls": 166, "bridge": 209, "ieee80211": 71}


@dataclass(frozen=True)
class NamePattern:
    """A glob (`Gi1/0/*`) or, written `re:…`, a regular expression, matched whole."""

    text: str
    regex: re.Pattern[str]

    def matches(self, *names: str) -> bool:
        """Whether any of `names` matches."""
        return any(self.regex.fullmatch(name) for name in names if name)

    def __str__(self) -> str:
        return self.text


def _pattern(value: Any) -> Any:
    if isinstance(value, NamePattern):
        return value
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a glob such as \"Gi1/0/*\" or a regular expression such "
                         f"as \"re:^Te\", got {value!r}")
    if value.startswith("re:"):
        try:
            return NamePattern(value, re.compile(value[3:]))
        except re.error as exc:
            raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
    return NamePattern(value, re.compile(fnmatch.translate(value)))


def _if_type(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 2**31 - 1:
        return value
    if isinstance(value, str) and value in IF_TYPES:
        return IF_TYPES[value]
    named = _iana_if_types()
    if isinstance(value, str) and value in named:
        return named[value]
    raise ValueError(f"expected an ifType number or an IANAifType name (such as "
                     f"ethernetCsmacd, softwareLoopback or l2vlan), got {value!r}"
                     + (did_you_mean(value, named) if isinstance(value, str) else ""))


def _iana_if_types() -> dict[str, int]:
    """Every IANAifType name, as the MIBs bridge ships define ifType's values."""
    return parse_object("IF-MIB::ifType").named_values() or {}


Pattern = Annotated[NamePattern, BeforeValidator(_pattern)]
IfType = Annotated[int, BeforeValidator(_if_type)]


class DownIs(StrEnum):
    """What a judged port that is down does to the check."""

    CRITICAL = "critical"  # fails it
    WARNING = "warning"  # warns
    IGNORE = "ignore"  # shown, never judged


class Limits(Strict):
    """A warning and a critical threshold, e.g. { warning = "> 80", critical = "> 95" }."""

    warning: Threshold | None = None
    critical: Threshold | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> Limits:
        if self.warning is None and self.critical is None:
            raise ValueError("give warning, critical or both, e.g. { warning = \"> 80\" }")
        return self


class PortLimits(Strict):
    """Thresholds on a port's traffic, each judged in and out."""

    utilisation_pct: Limits | None = None  # of ifHighSpeed (ifSpeed without ifXTable)
    errors_per_s: Limits | None = None
    errors_pct: Limits | None = None  # of the packets in that direction
    discards_per_s: Limits | None = None
    discards_pct: Limits | None = None

    def any_set(self) -> bool:
        """Whether any threshold is set."""
        return any(getattr(self, key) is not None for key in PortLimits.model_fields)


class InterfaceRule(PortLimits):
    """Rules for the ports whose name matches: down severity and thresholds of their own."""

    match: Pattern
    down: Choice[DownIs] | None = None


class InterfaceSelection(PortLimits):
    """Which ports a check judges and what fails it. `interfaces = true` is all defaults."""

    include: Array[Pattern] = ()  # ifName, ifAlias or ifDescr; none: every port
    exclude: Array[Pattern] = ()
    types: Array[IfType] = ()  # none: every ifType
    exclude_types: Array[IfType] = ()
    admin_up_only: bool = True
    learn: bool = False  # only ports that were up when first seen (stored; re-learn on request)
    down: Choice[DownIs] = DownIs.CRITICAL
    rates: bool = False  # read traffic counters (implied by any traffic threshold)
    rules: Array[InterfaceRule] = ()
    max_listed: Annotated[int, Field(ge=1, le=1000)] = 5

    def reads_rates(self) -> bool:
        """Whether a check reads the traffic counters."""
        return self.rates or self.any_set() or any(r.any_set() for r in self.rules)

    def rule_for(self, *names: str) -> InterfaceRule | None:
        """The first rule whose pattern matches one of the port's names."""
        return next((rule for rule in self.rules if rule.match.matches(*names)), None)


def interfaces_setting(value: Any) -> Any:
    """`interfaces = true` is a selection with every default; false is none."""
    if value is True:
        return {}
    if value is False:
        return None
    return value
