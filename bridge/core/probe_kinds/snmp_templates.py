"""Ready-made SNMP checks an operator names in one line (`use = ["ups-mib"]`).

Each template is data: the thresholds it adds, written as config writes them. A probe's
own threshold on the same `oid` (and the same `where`, if any) replaces the template's
(that is how a threshold is overridden); the template's come after the probe's own.
"""

from __future__ import annotations

from typing import Any

from bridge.core.probe_kinds.oids import UnknownObjectError, parse_object

_PERCENT = {"warning": "> 80", "critical": "> 95"}  # CPU % busy
_MEMORY = {"warning": "> 85", "critical": "> 95"}  # memory % used
_CISCO_NAMES = {"named_by": "entPhysicalName", "named_via": "cpmCPUTotalPhysicalIndex"}
_HR_RAM = "hrStorageType == hrStorageRam"
_HR_DISK = "hrStorageType == hrStorageFixedDisk"

TEMPLATES: dict[str, tuple[dict[str, str | bool | list[str]], ...]] = {
    # HOST-RESOURCES-MIB: the processors' load averaged, each mounted file system's % used
    # (hrStorageFixedDisk rows), named by hrStorageDescr. Not memory: net-snmp counts the
    # page cache as used RAM (its "Cached memory" row is always full), so a healthy Linux
    # host would warn forever; ucd-snmp judges Linux memory.
    "host-resources": (
        {"oid": "hrProcessorLoad", "average": True, **_PERCENT},
        {"oid": "hrStorageUsed", "percent_of": "hrStorageSize", "where": _HR_DISK,
         "named_by": "hrStorageDescr", "warning": "> 85", "critical": "> 95"},
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
    # APC PowerNet-MIB: output status, runtime left (TimeTicks, judged in minutes), battery
    # replace.
    "apc-powernet": (
        {"oid": "upsBasicOutputStatus", "warning": "!= onLine"},
        {"oid": "upsAdvBatteryRunTimeRemaining", "ticks_as": "minutes", "warning": "< 15",
         "critical": "< 5"},
        {"oid": "upsAdvBatteryReplaceIndicator", "warning": "== batteryNeedsReplacing"},
    ),
    # ENTITY-SENSOR-MIB (RFC 3433) with ENTITY-MIB's names: every sensor's own status;
    # temperatures, fans and power supplies' input voltage at their scale and precision.
    "entity-sensor": (
        {"oid": "entPhySensorOperStatus", "named_by": "entPhysicalName", "critical": "!= ok"},
        {"oid": "entPhySensorValue", "where": "entPhySensorType == celsius",
         "named_by": "entPhysicalName", "scale_by": "entPhySensorScale",
         "precision_by": "entPhySensorPrecision", "warning": "> 65", "critical": "> 80"},
        {"oid": "entPhySensorValue", "where": "entPhySensorType == rpm",
         "named_by": "entPhysicalName", "scale_by": "entPhySensorScale",
         "precision_by": "entPhySensorPrecision", "warning": "< 1"},
        {"oid": "entPhySensorValue", "where": "entPhySensorType == voltsAC",
         "named_by": "entPhysicalName", "scale_by": "entPhySensorScale",
         "precision_by": "entPhySensorPrecision", "warning": "< 90"},
    ),
    # Printer-MIB (RFC 3805): each marker supply's level as % of its capacity, named by its
    # description; "some remaining" (-3) and "unknown" (-2) are shown, never judged.
    "printer-supplies": (
        {"oid": "prtMarkerSuppliesLevel", "percent_of": "prtMarkerSuppliesMaxCapacity",
         "named_by": "prtMarkerSuppliesDescription", "warning": "< 15", "critical": "< 5"},
    ),
    # CISCO-PROCESS-MIB: each CPU's 5-minute busy %, its memory used of used + free; named
    # by the entity each CPU row points at (a stack member), else by index.
    "cisco-cpu-memory": (
        {"oid": "cpmCPUTotal5minRev", **_CISCO_NAMES, **_PERCENT},
        {"oid": "cpmCPUMemoryUsed", "percent_of": ["cpmCPUMemoryUsed", "cpmCPUMemoryFree"],
         **_CISCO_NAMES, **_MEMORY},
    ),
    # JUNIPER-MIB jnxOperatingTable: the routing engines' CPU and memory (buffer) %.
    "juniper-cpu-memory": (
        {"oid": "jnxOperatingCPU", "where": 'jnxOperatingDescr ~ "Routing Engine"',
         "named_by": "jnxOperatingDescr", **_PERCENT},
        {"oid": "jnxOperatingBuffer", "where": 'jnxOperatingDescr ~ "Routing Engine"',
         "named_by": "jnxOperatingDescr", **_MEMORY},
    ),
    # FORTINET-FORTIGATE-MIB: the system's CPU and memory %.
    "fortinet-cpu-memory": (
        {"oid": "fgSysCpuUsage", **_PERCENT},
        {"oid": "fgSysMemUsage", **_MEMORY},
    ),
    # RouterOS reports through HOST-RESOURCES-MIB: the CPUs' load averaged, RAM % used.
    "mikrotik-cpu-memory": (
        {"oid": "hrProcessorLoad", "average": True, **_PERCENT},
        {"oid": "hrStorageUsed", "percent_of": "hrStorageSize", "where": _HR_RAM,
         "named_by": "hrStorageDescr", **_MEMORY},
    ),
    # HUAWEI-ENTITY-EXTENT-MIB: each board's CPU and memory %, named by entPhysicalName.
    "huawei-cpu-memory": (
        {"oid": "hwEntityCpuUsage", "named_by": "entPhysicalName", **_PERCENT},
        {"oid": "hwEntityMemUsage", "named_by": "entPhysicalName", **_MEMORY},
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
    judged = {(_object(t.get("oid")), t.get("where")) for t in own if isinstance(t, dict)}
    added = [dict(t) for name in use if isinstance(name, str) for t in TEMPLATES.get(name, ())
             if (_object(t["oid"]), t.get("where")) not in judged]
    return {**data, "thresholds": [*own, *added]}


def known_template(name: str) -> str:
    """A template's name, checked."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown template {name!r}; the templates are "
                         + ", ".join(sorted(TEMPLATES)))
    return name
