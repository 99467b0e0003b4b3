"""Readable names for the vendors' CPU and memory objects the ready-made templates read:
Cisco, Juniper, Fortinet and Huawei, as their public MIB definitions number them.

MikroTik needs none of its own: RouterOS reports its CPUs and RAM in HOST-RESOURCES-MIB.
"""

from __future__ import annotations

from bridge.core.probe_kinds.oid_kinds import ObjectKind, columns, scalars

_CISCO_CPU_ENTRY = "1.3.6.1.4.1.9.9.109.1.1.1.1"  # CISCO-PROCESS-MIB cpmCPUTotalEntry
_JUNIPER_OPERATING_ENTRY = "1.3.6.1.4.1.2636.3.1.13.1"  # JUNIPER-MIB jnxOperatingEntry
_FORTIGATE_SYSTEM = "1.3.6.1.4.1.12356.101.4.1"  # FORTINET-FORTIGATE-MIB fgSystemInfo
_HUAWEI_ENTITY_STATE = "1.3.6.1.4.1.2011.5.25.31.1.1.1.1"  # HUAWEI-ENTITY-EXTENT-MIB

# Each vendor MIB's objects (bridge ships none of these MIBs: the names are its own, and
# `CISCO-PROCESS-MIB::cpmCPUTotal5minRev` finds them by module too).
_BY_MODULE: dict[str, dict[str, tuple[str, ObjectKind]]] = {
    "CISCO-PROCESS-MIB": columns(_CISCO_CPU_ENTRY, {
        "cpmCPUTotalPhysicalIndex": 2, "cpmCPUTotal5sec": 3, "cpmCPUTotal1min": 4,
        "cpmCPUTotal5min": 5, "cpmCPUTotal5secRev": 6, "cpmCPUTotal1minRev": 7,
        "cpmCPUTotal5minRev": 8, "cpmCPUMemoryUsed": 12, "cpmCPUMemoryFree": 13}),
    "JUNIPER-MIB": columns(_JUNIPER_OPERATING_ENTRY, {
        "jnxOperatingDescr": 5, "jnxOperatingState": 6, "jnxOperatingTemp": 7,
        "jnxOperatingCPU": 8, "jnxOperatingDRAMSize": 10, "jnxOperatingBuffer": 11}),
    "FORTINET-FORTIGATE-MIB": scalars(_FORTIGATE_SYSTEM, {
        "fgSysVersion": 1, "fgSysCpuUsage": 3, "fgSysMemUsage": 4, "fgSysMemCapacity": 5,
        "fgSysDiskUsage": 6, "fgSysDiskCapacity": 7, "fgSysSesCount": 8}),
    "HUAWEI-ENTITY-EXTENT-MIB": columns(_HUAWEI_ENTITY_STATE, {
        "hwEntityCpuUsage": 5, "hwEntityCpuUsageThreshold": 6, "hwEntityMemUsage": 7,
        "hwEntityMemUsageThreshold": 8, "hwEntityMemSize": 9, "hwEntityTemperature": 11}),
}

VENDOR_OBJECTS: dict[str, tuple[str, ObjectKind]] = {
    name: found for objects in _BY_MODULE.values() for name, found in objects.items()}
VENDOR_MODULES = {module: frozenset(objects) for module, objects in _BY_MODULE.items()}

VENDOR_TEXT_OBJECTS = frozenset({"jnxOperatingDescr", "fgSysVersion"})
