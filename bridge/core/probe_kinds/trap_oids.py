"""Readable names for common notifications (trap OIDs) and the varbinds traps carry, on top
of oids.py's objects: a trap rule writes `linkDown` or a numeric OID."""

from __future__ import annotations

from bridge.core.probe_kinds.oids import OBJECTS, Oid, _parse_numeric, format_oid

_SNMP_TRAPS = "1.3.6.1.6.3.1.1.5"  # RFC 3418: the generic traps, v1's generic-trap + 1
_UPS_TRAPS = "1.3.6.1.2.1.33.2"  # UPS-MIB (RFC 1628)
_APC_TRAPS = "1.3.6.1.4.1.318.0"  # APC PowerNet-MIB, enterprise-specific v1 traps

_TABLE: dict[str, str] = {
    "coldStart": f"{_SNMP_TRAPS}.1", "warmStart": f"{_SNMP_TRAPS}.2",
    "linkDown": f"{_SNMP_TRAPS}.3", "linkUp": f"{_SNMP_TRAPS}.4",
    "authenticationFailure": f"{_SNMP_TRAPS}.5", "egpNeighborLoss": f"{_SNMP_TRAPS}.6",
    "upsTrapOnBattery": f"{_UPS_TRAPS}.1", "upsTrapTestCompleted": f"{_UPS_TRAPS}.2",
    "upsTrapAlarmEntryAdded": f"{_UPS_TRAPS}.3", "upsTrapAlarmEntryRemoved": f"{_UPS_TRAPS}.4",
    "upsOnBattery": f"{_APC_TRAPS}.5", "powerRestored": f"{_APC_TRAPS}.9",
    # varbinds of notifications (SNMPv2-MIB, SNMP-COMMUNITY-MIB, UPS-MIB)
    "snmpTrapOID": "1.3.6.1.6.3.1.1.4.1", "snmpTrapEnterprise": "1.3.6.1.6.3.1.1.4.3",
    "snmpTrapAddress": "1.3.6.1.6.3.18.1.3", "snmpTrapCommunity": "1.3.6.1.6.3.18.1.4",
    "upsAlarmDescr": "1.3.6.1.2.1.33.1.6.2.1.2", "upsSecondsOnBattery": "1.3.6.1.2.1.33.1.2.2",
}
NOTIFICATION_OIDS: dict[str, Oid] = {
    name: tuple(int(p) for p in dotted.split(".")) for name, dotted in _TABLE.items()}
_NAMES = {**{name: oid for name, (oid, _kind) in OBJECTS.items()}, **NOTIFICATION_OIDS}
# per trap and varbind: a dict lookup per known prefix length, the longest first
_BY_OID: dict[Oid, str] = {}
for _name, _oid in sorted(_NAMES.items(), key=lambda item: -len(item[1])):
    _BY_OID.setdefault(_oid, _name)
_LENGTHS = sorted({len(oid) for oid in _BY_OID}, reverse=True)
_NOTIFICATIONS: dict[Oid, str] = {}
for _name, _oid in NOTIFICATION_OIDS.items():
    _NOTIFICATIONS.setdefault(_oid, _name)


def trap_oid(text: str) -> Oid | None:
    """A notification or object written by name (`linkDown`, `ifIndex`) or number; None if
    it is neither."""
    numeric = _parse_numeric(text)
    return numeric if numeric is not None else _NAMES.get(text)


def object_name(oid: Oid) -> str:
    """The name of the longest known prefix (`ifIndex` for ifIndex.3), or the dotted number."""
    for length in _LENGTHS:
        if length <= len(oid) and (name := _BY_OID.get(oid[:length])) is not None:
            return name
    return format_oid(oid)


def notification_name(oid: Oid) -> str:
    """`linkDown`, or the dotted number of a notification bridge has no name for."""
    return _NOTIFICATIONS.get(oid) or format_oid(oid)
