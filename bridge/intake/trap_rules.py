"""A trap to an alert by its source's rules (pure): which rule matches, the alert's key on
its device, its labels for the routes, its summary and the raw trap for the timeline."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bridge.config.intake_traps import AGENT, TrapRule, TrapSource, VarbindMatch
from bridge.core.probe_kinds.oids import Oid, format_oid
from bridge.core.probe_kinds.trap_oids import notification_name, object_name
from bridge.probes.snmp.notifications import Notification
from bridge.probes.snmp.types import IpAddress, Null, ObjectIdentifier, OctetString, SnmpValue

VERSIONS = {0: "v1", 1: "v2c", 3: "v3"}


@dataclass(frozen=True)
class TrapAlert:
    """What a matching trap says."""

    fingerprint: str  # "<agent>/<key>": one alert per device and key (linkDown/linkUp pair)
    firing: bool
    labels: dict[str, str]
    summary: str
    raw: str


def value_text(value: SnmpValue) -> str:
    """A varbind's value as a rule compares it: numbers in decimal, text as text."""
    if isinstance(value, IpAddress):
        return ".".join(str(b) for b in value)
    if isinstance(value, OctetString):
        try:
            text = bytes(value).decode()
        except UnicodeDecodeError:
            return bytes(value).hex(":")
        return text if text.isprintable() else bytes(value).hex(":")
    if isinstance(value, ObjectIdentifier):
        return notification_name(tuple(value))
    if isinstance(value, Null):
        return ""
    return str(int(value))


def _find(varbinds: Sequence[tuple[Oid, SnmpValue]], oid: Oid) -> str | None:
    for name, value in varbinds:
        if name[:len(oid)] == oid:
            return value_text(value)
    return None


def _matches(match: VarbindMatch, varbinds: Sequence[tuple[Oid, SnmpValue]]) -> bool:
    found = _find(varbinds, match.oid)
    if found is None:
        return False
    if match.pattern is not None:
        return match.pattern.fullmatch(found) is not None
    return found == match.value


def matching_rule(source: TrapSource, trap: Notification) -> TrapRule | None:
    """The first rule for the trap's OID whose varbind conditions all hold."""
    for rule in source.by_trap.get(trap.trap_oid, ()):
        if all(_matches(m, trap.varbinds) for m in rule.varbinds):
            return rule
    return None


def _render(template: str, rule: TrapRule, trap: Notification, agent: str) -> str:
    out = template
    for field, oid in rule.fields:
        value = agent if oid is None else (_find(trap.varbinds, oid) or "")
        out = out.replace("{" + field + "}", value)
    return out


def trap_alert(rule: TrapRule, trap: Notification, agent: str) -> TrapAlert:
    """The alert a trap that matched `rule` fires or resolves; `agent` is its sender."""
    name = notification_name(trap.trap_oid)
    labels: dict[str, str] = {}
    for oid, value in trap.varbinds:
        labels.setdefault(object_name(oid), value_text(value))
    labels.update({AGENT: agent, "trap": name, "trap_oid": format_oid(trap.trap_oid),
                   "alertname": name, "snmp_version": VERSIONS.get(trap.version, "?")})
    if trap.agent_addr is not None:
        labels["agent_addr"] = trap.agent_addr
    if rule.severity is not None:
        labels["severity"] = rule.severity
    key = _render(rule.key, rule, trap, agent) if rule.key else name
    summary = _render(rule.summary, rule, trap, agent) if rule.summary \
        else f"{name} from {agent}" + (f" ({key})" if rule.key else "")
    raw = json.dumps({"agent": agent, "version": labels["snmp_version"], "trap": name,
                      "trap_oid": format_oid(trap.trap_oid),
                      "varbinds": [[format_oid(oid), value_text(value)]
                                   for oid, value in trap.varbinds]}, ensure_ascii=False)
    return TrapAlert(f"{agent}/{key}", rule.firing, labels, summary[:500], raw)


MEMO_MAX = 4096  # distinct traps remembered per listener; then forgotten all at once
_UNKNOWN: Any = object()  # not in the memo (None there: no rule matches)
_Found = tuple[TrapRule, TrapAlert] | None


class AlertMemo:
    """The rule and alert of each distinct trap, remembered: a trap repeated (an agent
    resending, a flapping port) is matched and rendered once, not each time. A trap is
    known by its sender, SNMP version and the encoded varbinds after sysUpTime.0, which is
    all its alert depends on; the memo is forgotten when the source's rules change."""

    def __init__(self) -> None:
        self._source: TrapSource | None = None
        self._known: dict[tuple[str, int, bytes], tuple[TrapRule, TrapAlert] | None] = {}

    def alert(self, source: TrapSource, trap: Notification, agent: str
              ) -> tuple[TrapRule, TrapAlert] | None:
        """The matching rule and the alert it makes; None if no rule matches."""
        if source is not self._source:
            self._source = source
            self._known.clear()
        key = (agent, trap.version, trap.tail)
        if trap.tail:
            known: _Found = self._known.get(key, _UNKNOWN)
            if known is not _UNKNOWN:
                return known
        rule = matching_rule(source, trap)
        found = None if rule is None else (rule, trap_alert(rule, trap, agent))
        if trap.tail:
            if len(self._known) >= MEMO_MAX:  # a sender varying its traps cannot grow this
                self._known.clear()
            self._known[key] = found
        return found
