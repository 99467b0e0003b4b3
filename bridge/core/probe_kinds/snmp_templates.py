"""Ready-made SNMP checks an operator names in one line (`use = ["ups-mib"]`).

Each template is data: the thresholds it adds, written as config writes them. A probe's
own threshold on the same `oid` replaces the template's (that is how a threshold is
overridden); the template's come after the probe's own.
"""

from __future__ import annotations

from typing import Any

from bridge.core.probe_kinds.oids import UnknownObjectError, parse_object

TEMPLATES: dict[str, tuple[dict[str, str | bool], ...]] = {
    # HOST-RESOURCES-MIB: the processors' load averaged, storage % used row by row (every
    # hrStorageTable row: mounts, and memory as the agent lists it).
    "host-resources": (
        {"oid": "hrProcessorLoad", "average": True, "warning": "> 80", "critical": "> 95"},
        {"oid": "hrStorageUsed", "percent_of": "hrStorageSize", "warning": "> 85",
         "critical": "> 95"},
    ),
    # UCD-SNMP-MIB (net-snmp): the 5-minute load average, real memory available.
    "ucd-snmp": (
        {"oid": "laLoad.2", "warning": "> 4", "critical": "> 8"},
        {"oid": "memAvailReal", "percent_of": "memTotalReal", "warning": "< 10",
         "critical": "< 5"},
    ),
    # RFC 1628 UPS-MIB: on battery, runtime left, battery status.
    "ups-mib": (
        {"oid": "upsOutputSource", "warning": "!= normal"},
        {"oid": "upsEstimatedMinutesRemaining", "warning": "< 15", "critical": "< 5"},
        {"oid": "upsBatteryStatus", "warning": "!= batteryNormal",
         "critical": "== batteryDepleted"},
    ),
    # APC PowerNet-MIB: output status, runtime left (TimeTicks, 1/100 s), battery replace.
    "apc-powernet": (
        {"oid": "upsBasicOutputStatus", "warning": "!= onLine"},
        {"oid": "upsAdvBatteryRunTimeRemaining", "warning": "< 90000", "critical": "< 30000"},
        {"oid": "upsAdvBatteryReplaceIndicator", "warning": "== batteryNeedsReplacing"},
    ),
}


def _object(written: object) -> object:
    """What an `oid` reads, however written (`UPS-MIB::upsEstimatedMinutesRemaining` is
    the template's `upsEstimatedMinutesRemaining`); as written when it is not a name."""
    try:
        return parse_object(written).oid if isinstance(written, str) else written
    except UnknownObjectError:  # reported by the threshold's own validation
        return written


def with_templates(data: dict[str, Any]) -> dict[str, Any]:
    """A probe's raw config with the thresholds of the templates it uses added after its
    own, except those on an object its own thresholds already judge. Unknown names are
    left for the `use` key's validation to report."""
    use = data.get("use")
    if not isinstance(use, list | tuple) or not use:
        return data
    own = data.get("thresholds", [])
    if not isinstance(own, list | tuple):
        return data
    judged = {_object(t.get("oid")) for t in own if isinstance(t, dict)}
    added = [dict(t) for name in use if isinstance(name, str)
             for t in TEMPLATES.get(name, ()) if _object(t["oid"]) not in judged]
    return {**data, "thresholds": [*own, *added]}


def known_template(name: str) -> str:
    """A template's name, checked."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown template {name!r}; the templates are "
                         + ", ".join(sorted(TEMPLATES)))
    return name
