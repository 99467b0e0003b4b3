"""Readable names for the common MIB-2, IF-MIB, HOST-RESOURCES, UCD, ENTITY-SENSOR,
UPS-MIB and APC PowerNet objects, and the names of their enumerated values.

These are bridge's own names (APC PowerNet's among them); any other object of the MIBs
bridge ships compiled is found by name in mib_index.py (`IF-MIB::ifHCInOctets`,
`hrStorageType`). Config and output use names, the probe sends numeric OIDs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from enum import StrEnum

from bridge.core.probe_kinds.mib_index import MibKind, MibNameError, MibObject, mib_index

Oid = tuple[int, ...]


class ObjectKind(StrEnum):
    """How an object is read: a scalar's one instance (.0), or a table column's rows."""

    SCALAR = "scalar"
    COLUMN = "column"
    TABLE = "table"


def _scalars(base: str, names: dict[str, int]) -> dict[str, tuple[str, ObjectKind]]:
    return {name: (f"{base}.{arc}", ObjectKind.SCALAR) for name, arc in names.items()}


def _columns(entry: str, names: dict[str, int]) -> dict[str, tuple[str, ObjectKind]]:
    return {name: (f"{entry}.{arc}", ObjectKind.COLUMN) for name, arc in names.items()}


_MIB2 = "1.3.6.1.2.1"
_IF_ENTRY = f"{_MIB2}.2.2.1"
_IFX_ENTRY = f"{_MIB2}.31.1.1.1"
_UCD = "1.3.6.1.4.1.2021"
_UPS = f"{_MIB2}.33.1"
_APC_UPS = "1.3.6.1.4.1.318.1.1.1"

_TABLE: dict[str, tuple[str, ObjectKind]] = {
    **_scalars(f"{_MIB2}.1", {"sysDescr": 1, "sysObjectID": 2, "sysUpTime": 3, "sysContact": 4,
                              "sysName": 5, "sysLocation": 6, "sysServices": 7}),
    "ifNumber": (f"{_MIB2}.2.1", ObjectKind.SCALAR),
    "ifTable": (f"{_MIB2}.2.2", ObjectKind.TABLE),
    **_columns(_IF_ENTRY, {
        "ifIndex": 1, "ifDescr": 2, "ifType": 3, "ifMtu": 4, "ifSpeed": 5, "ifPhysAddress": 6,
        "ifAdminStatus": 7, "ifOperStatus": 8, "ifLastChange": 9, "ifInOctets": 10,
        "ifInUcastPkts": 11, "ifInNUcastPkts": 12, "ifInDiscards": 13, "ifInErrors": 14,
        "ifInUnknownProtos": 15, "ifOutOctets": 16, "ifOutUcastPkts": 17,
        "ifOutNUcastPkts": 18, "ifOutDiscards": 19, "ifOutErrors": 20, "ifOutQLen": 21}),
    "ifXTable": (f"{_MIB2}.31.1.1", ObjectKind.TABLE),
    **_columns(_IFX_ENTRY, {
        "ifName": 1, "ifInMulticastPkts": 2, "ifInBroadcastPkts": 3, "ifOutMulticastPkts": 4,
        "ifOutBroadcastPkts": 5, "ifHCInOctets": 6, "ifHCInUcastPkts": 7,
        "ifHCInMulticastPkts": 8, "ifHCInBroadcastPkts": 9, "ifHCOutOctets": 10,
        "ifHCOutUcastPkts": 11, "ifHCOutMulticastPkts": 12, "ifHCOutBroadcastPkts": 13,
        "ifHighSpeed": 15, "ifAlias": 18}),
    **_scalars(f"{_MIB2}.4", {"ipForwarding": 1, "ipInReceives": 3, "ipInDelivers": 9,
                              "ipOutRequests": 10}),
    **_scalars(f"{_MIB2}.6", {"tcpActiveOpens": 5, "tcpCurrEstab": 9, "tcpInSegs": 10,
                              "tcpOutSegs": 11}),
    **_scalars(f"{_MIB2}.7", {"udpInDatagrams": 1, "udpNoPorts": 2, "udpInErrors": 3,
                              "udpOutDatagrams": 4}),
    **_scalars(f"{_MIB2}.25.1", {"hrSystemUptime": 1, "hrSystemProcesses": 6}),
    **_columns(f"{_MIB2}.25.2.3.1", {"hrStorageDescr": 3, "hrStorageAllocationUnits": 4,
                                     "hrStorageSize": 5, "hrStorageUsed": 6}),
    **_columns(f"{_MIB2}.25.3.2.1", {"hrDeviceType": 2, "hrDeviceDescr": 3,
                                     "hrDeviceStatus": 5}),
    **_columns(f"{_MIB2}.25.3.3.1", {"hrProcessorLoad": 2}),
    **_columns(f"{_MIB2}.99.1.1.1", {"entSensorType": 1, "entSensorScale": 2,
                                     "entSensorValue": 4, "entSensorStatus": 5}),
    **_scalars(f"{_UPS}.2", {"upsBatteryStatus": 1, "upsSecondsOnBattery": 2,
                             "upsEstimatedMinutesRemaining": 3,
                             "upsEstimatedChargeRemaining": 4}),
    **_scalars(f"{_UPS}.4", {"upsOutputSource": 1}),
    **_scalars(f"{_APC_UPS}.2.1", {"upsBasicBatteryStatus": 1}),
    **_scalars(f"{_APC_UPS}.2.2", {"upsAdvBatteryCapacity": 1,
                                   "upsAdvBatteryRunTimeRemaining": 3,
                                   "upsAdvBatteryReplaceIndicator": 4}),
    **_scalars(f"{_APC_UPS}.4.1", {"upsBasicOutputStatus": 1}),
    **_columns(f"{_UCD}.10.1", {"laNames": 2, "laLoad": 3, "laLoadInt": 5}),
    **_scalars(f"{_UCD}.4", {"memTotalReal": 5, "memAvailReal": 6}),
    **_scalars(f"{_UCD}.11", {"ssCpuUser": 9, "ssCpuSystem": 10, "ssCpuIdle": 11}),
}


# Objects that hold text or an OID, never a number: a threshold or a counter on one can
# only fail (laLoad is a string too, but one that holds a number, and is read as one).
TEXT_OBJECTS = frozenset({"sysDescr", "sysObjectID", "sysContact", "sysName", "sysLocation",
                          "ifDescr", "ifPhysAddress", "ifName", "ifAlias", "hrStorageDescr",
                          "laNames", "hrDeviceDescr", "hrDeviceType"})


def _named(*names: str, first: int = 1) -> dict[str, int]:
    return {name: number for number, name in enumerate(names, start=first)}


_IF_STATUS = _named("up", "down", "testing", "unknown", "dormant", "notPresent",
                    "lowerLayerDown")
_BATTERY_STATUS = _named("unknown", "batteryNormal", "batteryLow", "batteryDepleted")

# The named values of enumerated INTEGER objects, as their MIBs define them: config
# compares with a name (`!= onLine`), output shows the name of the value read.
ENUMS: dict[str, dict[str, int]] = {
    "ifAdminStatus": _named("up", "down", "testing"),
    "ifOperStatus": _IF_STATUS,
    "ipForwarding": _named("forwarding", "notForwarding"),
    "hrDeviceStatus": _named("unknown", "running", "warning", "testing", "down"),
    "entSensorType": _named("other", "unknown", "voltsAC", "voltsDC", "amperes", "watts",
                            "hertz", "celsius", "percentRH", "rpm", "cmm", "truthvalue",
                            "specialEnum"),
    "entSensorStatus": _named("ok", "unavailable", "nonoperational"),
    "upsBatteryStatus": _BATTERY_STATUS,
    "upsOutputSource": _named("other", "none", "normal", "bypass", "battery", "booster",
                              "reducer"),
    "upsBasicBatteryStatus": _named("unknown", "batteryNormal", "batteryLow",
                                    "batteryInFaultCondition"),
    "upsAdvBatteryReplaceIndicator": _named("noBatteryNeedsReplacing",
                                            "batteryNeedsReplacing"),
    "upsBasicOutputStatus": _named(
        "unknown", "onLine", "onBattery", "onSmartBoost", "timedSleeping", "softwareBypass",
        "off", "rebooting", "switchedBypass", "hardwareFailureBypass",
        "sleepingUntilPowerReturn", "onSmartTrim", "ecoMode", "hotStandby", "onBatteryTest"),
}


def enum_label(name: str, number: int) -> str | None:
    """The MIB's name of an enumerated value (`onBattery`), None when it has none."""
    for label, value in ENUMS.get(name, {}).items():
        if value == number:
            return label
    return None


def _parse_numeric(text: str) -> Oid | None:
    parts = text.removeprefix(".").split(".")
    if len(parts) < 2 or not all(p.isascii() and p.isdigit() for p in parts):
        return None
    oid = tuple(int(p) for p in parts)
    return oid if oid[0] <= 2 and all(arc < 2**32 for arc in oid) else None


OBJECTS: dict[str, tuple[Oid, ObjectKind]] = {
    name: (tuple(int(p) for p in dotted.split(".")), kind)
    for name, (dotted, kind) in _TABLE.items()
}
# The longest named prefix first, for naming numeric OIDs in output.
_BY_OID = sorted(((oid, name, kind) for name, (oid, kind) in OBJECTS.items()),
                 key=lambda item: -len(item[0]))


@dataclass(frozen=True)
class ObjectRef:
    """An object a probe reads, as written in config: a name or a numeric OID.

    `walk` is True for a column or table (every row is read with GETBULK); otherwise
    `oid` is one instance read with GET.
    """

    oid: Oid
    walk: bool
    text: str
    name: str = ""  # the object's name when it was written with one
    scalar: bool = False  # a scalar named without its instance (read as .0)
    holds_text: bool = False  # known to hold text, not a number
    values: tuple[tuple[str, int], ...] = ()  # the named values of an enumerated INTEGER

    def named_values(self) -> dict[str, int] | None:
        """The enumeration's numbers by name, None when the object has none."""
        return dict(self.values) if self.values else None

    def label(self, number: int) -> str | None:
        """The MIB's name of an enumerated value (`onBattery`), None when it has none."""
        return next((label for label, value in self.values if value == number), None)

    def row_name(self, oid: Oid) -> str:
        """How output names `oid` read for this object: as written (`IF-MIB::ifHCInOctets.3`
        for a row of `IF-MIB::ifHCInOctets`), else by bridge's own names or the number."""
        if self.name and oid == self.oid:
            return self.text
        if self.name and self.walk and oid[:len(self.oid)] == self.oid:
            return ".".join((self.text, *map(str, oid[len(self.oid):])))
        return name_oid(oid)

    def __str__(self) -> str:
        return self.text


class UnknownObjectError(ValueError):
    """An OID written in config that is neither numeric nor a name bridge knows."""


# A subtree's root reads like a column: alone it is walked, with a suffix
# (`SNMPv2-SMI::enterprises.9.9.109.1.1.1.1.8.1`) it is one instance below it.
_KINDS = {MibKind.SCALAR: ObjectKind.SCALAR, MibKind.COLUMN: ObjectKind.COLUMN,
          MibKind.NODE: ObjectKind.COLUMN}


def _own(name: str) -> tuple[Oid, ObjectKind, bool, tuple[tuple[str, int], ...]] | None:
    known = OBJECTS.get(name)
    if known is None:
        return None
    holds_text = name in TEXT_OBJECTS
    values = tuple(ENUMS.get(name, {}).items())
    if not values and not holds_text:  # the MIB may name its values (ifType's IANAifType)
        values = next((o.values for o in mib_index().defined(name) if o.oid == known[0]), ())
    return (*known, holds_text, values)


# bridge's own names by OID: what they say (text, named values) holds for the MIB's name too
# (UCD's laLoad is a DisplayString that holds a number)
_OWN_BY_OID = {oid: name for name, (oid, _kind) in OBJECTS.items()}


def _from_mib(found: MibObject) -> tuple[Oid, ObjectKind, bool, tuple[tuple[str, int], ...]]:
    if found.kind is MibKind.NOTIFICATION:
        raise UnknownObjectError(f"{found.qualified} is a notification (a trap's OID), not an "
                                 "object an agent answers for")
    own = _own(_OWN_BY_OID.get(found.oid, ""))
    if own is not None:
        return own
    return found.oid, _KINDS.get(found.kind, ObjectKind.TABLE), found.holds_text, found.values


# The modules of bridge's own names that it ships no MIB for
_OWN_MODULES = {"PowerNet-MIB": frozenset(
    name for name, (oid, _kind) in OBJECTS.items() if oid[:7] == (1, 3, 6, 1, 4, 1, 318))}


def _lookup(name: str) -> tuple[Oid, ObjectKind, bool, tuple[tuple[str, int], ...]]:
    """`ifOperStatus`, `IF-MIB::ifOperStatus`: bridge's own names first, then the MIBs'."""
    module, qualified, bare = name.rpartition("::")
    if not qualified:
        own = _own(bare)
        if own is not None:
            return own
    elif module in _OWN_MODULES:
        own = _own(bare) if bare in _OWN_MODULES[module] else None
        if own is None:
            raise UnknownObjectError(f"{module} has no object {bare!r} bridge knows; its "
                                     f"objects are {', '.join(sorted(_OWN_MODULES[module]))}, "
                                     "or write a numeric OID")
        return own
    try:
        return _from_mib(mib_index().find(bare, module if qualified else None, OBJECTS))
    except MibNameError as exc:
        raise UnknownObjectError(str(exc)) from None


def parse_object(text: str) -> ObjectRef:
    """`sysName` -> sysName.0, `ifOperStatus` -> the column, `ifOperStatus.3` -> one row,
    `IF-MIB::ifHCInOctets` -> that column, `1.3.6.1.2.1.1.5.0` -> that instance."""
    numeric = _parse_numeric(text)
    if numeric is not None:
        return ObjectRef(numeric, False, text)
    module, qualified, rest = text.rpartition("::")
    bare, _, index = rest.partition(".")
    name = f"{module}{qualified}{bare}"
    oid, kind, holds_text, values = _lookup(name)
    if not index:
        if kind is ObjectKind.SCALAR:
            return ObjectRef((*oid, 0), False, text, bare, True, holds_text, values)
        return ObjectRef(oid, True, text, bare, False, holds_text, values)
    suffix = _parse_numeric(f"0.{index}")
    if suffix is None or kind is ObjectKind.TABLE:
        raise UnknownObjectError(
            f"expected {name} or {name}.INDEX with a numeric INDEX, got {text!r}")
    return ObjectRef((*oid, *suffix[1:]), False, text, bare, False, holds_text, values)


@functools.lru_cache(maxsize=65536)
def name_oid(oid: Oid) -> str:
    """A readable name: `sysName`, `ifOperStatus.3`, or the dotted number."""
    for prefix, name, kind in _BY_OID:
        if oid[: len(prefix)] == prefix:
            rest = oid[len(prefix):]
            if kind is ObjectKind.SCALAR and rest == (0,):
                return name
            return ".".join((name, *map(str, rest))) if rest else name
    return format_oid(oid)


def format_oid(oid: Oid) -> str:
    """Dotted decimal."""
    return ".".join(map(str, oid))
