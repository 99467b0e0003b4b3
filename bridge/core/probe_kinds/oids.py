"""Readable names for the common MIB-2, IF-MIB, HOST-RESOURCES, UCD, ENTITY-MIB,
ENTITY-SENSOR, Printer-MIB, UPS-MIB and APC PowerNet objects (and the vendors' CPU and
memory objects), and the names of their enumerated values.

These are bridge's own names (APC PowerNet's and the vendors' among them); any other object
of the MIBs bridge ships compiled is found by name in mib_index.py (`IF-MIB::ifHCInOctets`,
`hrStorageType`). Config and output use names, the probe sends numeric OIDs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from bridge.core.probe_kinds.mib_index import MibKind, MibNameError, MibObject, mib_index
from bridge.core.probe_kinds.oid_kinds import ObjectKind, columns, scalars
from bridge.core.probe_kinds.vendor_oids import (
    VENDOR_MODULES,
    VENDOR_OBJECTS,
    VENDOR_TEXT_OBJECTS,
)

Oid = tuple[int, ...]

_MIB2 = "1.3.6.1.2.1"
_IF_ENTRY = f"{_MIB2}.2.2.1"
_IFX_ENTRY = f"{_MIB2}.31.1.1.1"
_UCD = "1.3.6.1.4.1.2021"
_UPS = f"{_MIB2}.33.1"
_APC_UPS = "1.3.6.1.4.1.318.1.1.1"

_TABLE: dict[str, tuple[str, ObjectKind]] = {
    **scalars(f"{_MIB2}.1", {"sysDescr": 1, "sysObjectID": 2, "sysUpTime": 3, "sysContact": 4,
                              "sysName": 5, "sysLocation": 6, "sysServices": 7}),
    "ifNumber": (f"{_MIB2}.2.1", ObjectKind.SCALAR),
    "ifTable": (f"{_MIB2}.2.2", ObjectKind.TABLE),
    **columns(_IF_ENTRY, {
        "ifIndex": 1, "ifDescr": 2, "ifType": 3, "ifMtu": 4, "ifSpeed": 5, "ifPhysAddress": 6,
        "ifAdminStatus": 7, "ifOperStatus": 8, "ifLastChange": 9, "ifInOctets": 10,
        "ifInUcastPkts": 11, "ifInNUcastPkts": 12, "ifInDiscards": 13, "ifInErrors": 14,
        "ifInUnknownProtos": 15, "ifOutOctets": 16, "ifOutUcastPkts": 17,
        "ifOutNUcastPkts": 18, "ifOutDiscards": 19, "ifOutErrors": 20, "ifOutQLen": 21}),
    "ifXTable": (f"{_MIB2}.31.1.1", ObjectKind.TABLE),
    **columns(_IFX_ENTRY, {
        "ifName": 1, "ifInMulticastPkts": 2, "ifInBroadcastPkts": 3, "ifOutMulticastPkts": 4,
        "ifOutBroadcastPkts": 5, "ifHCInOctets": 6, "ifHCInUcastPkts": 7,
        "ifHCInMulticastPkts": 8, "ifHCInBroadcastPkts": 9, "ifHCOutOctets": 10,
        "ifHCOutUcastPkts": 11, "ifHCOutMulticastPkts": 12, "ifHCOutBroadcastPkts": 13,
        "ifHighSpeed": 15, "ifAlias": 18}),
    **scalars(f"{_MIB2}.4", {"ipForwarding": 1, "ipInReceives": 3, "ipInDelivers": 9,
                              "ipOutRequests": 10}),
    **scalars(f"{_MIB2}.6", {"tcpActiveOpens": 5, "tcpCurrEstab": 9, "tcpInSegs": 10,
                              "tcpOutSegs": 11}),
    **scalars(f"{_MIB2}.7", {"udpInDatagrams": 1, "udpNoPorts": 2, "udpInErrors": 3,
                              "udpOutDatagrams": 4}),
    **scalars(f"{_MIB2}.25.1", {"hrSystemUptime": 1, "hrSystemProcesses": 6}),
    **columns(f"{_MIB2}.25.2.3.1", {"hrStorageType": 2, "hrStorageDescr": 3,
                                    "hrStorageAllocationUnits": 4, "hrStorageSize": 5,
                                    "hrStorageUsed": 6}),
    **columns(f"{_MIB2}.25.3.2.1", {"hrDeviceType": 2, "hrDeviceDescr": 3,
                                     "hrDeviceStatus": 5}),
    **columns(f"{_MIB2}.25.3.3.1", {"hrProcessorLoad": 2}),
    **columns(f"{_MIB2}.47.1.1.1.1", {"entPhysicalDescr": 2, "entPhysicalClass": 5,
                                      "entPhysicalName": 7}),
    **columns(f"{_MIB2}.99.1.1.1", {
        "entPhySensorType": 1, "entPhySensorScale": 2, "entPhySensorPrecision": 3,
        "entPhySensorValue": 4, "entPhySensorOperStatus": 5, "entPhySensorUnitsDisplay": 6}),
    **columns(f"{_MIB2}.43.11.1.1", {
        "prtMarkerSuppliesClass": 4, "prtMarkerSuppliesType": 5,
        "prtMarkerSuppliesDescription": 6, "prtMarkerSuppliesMaxCapacity": 8,
        "prtMarkerSuppliesLevel": 9}),
    **scalars(f"{_UPS}.2", {"upsBatteryStatus": 1, "upsSecondsOnBattery": 2,
                             "upsEstimatedMinutesRemaining": 3,
                             "upsEstimatedChargeRemaining": 4}),
    **scalars(f"{_UPS}.4", {"upsOutputSource": 1}),
    **scalars(f"{_APC_UPS}.2.1", {"upsBasicBatteryStatus": 1}),
    **scalars(f"{_APC_UPS}.2.2", {"upsAdvBatteryCapacity": 1,
                                   "upsAdvBatteryRunTimeRemaining": 3,
                                   "upsAdvBatteryReplaceIndicator": 4}),
    **scalars(f"{_APC_UPS}.4.1", {"upsBasicOutputStatus": 1}),
    **columns(f"{_UCD}.10.1", {"laNames": 2, "laLoad": 3, "laLoadInt": 5}),
    **scalars(f"{_UCD}.4", {"memTotalReal": 5, "memAvailReal": 6}),
    **scalars(f"{_UCD}.11", {"ssCpuUser": 9, "ssCpuSystem": 10, "ssCpuIdle": 11}),
    **VENDOR_OBJECTS,
}
# Names config written before the RFC 3433 names were used still accepts.
_ALIASES = {"entSensorType": "entPhySensorType", "entSensorScale": "entPhySensorScale",
            "entSensorValue": "entPhySensorValue", "entSensorStatus": "entPhySensorOperStatus"}


# Objects that hold text or an OID, never a number: a threshold or a counter on one can
# only fail (laLoad is a string too, but one that holds a number, and is read as one).
TEXT_OBJECTS = frozenset({"sysDescr", "sysObjectID", "sysContact", "sysName", "sysLocation",
                          "ifDescr", "ifPhysAddress", "ifName", "ifAlias", "hrStorageDescr",
                          "laNames", "hrDeviceDescr", "hrDeviceType", "hrStorageType",
                          "entPhysicalDescr", "entPhysicalName", "entPhySensorUnitsDisplay",
                          "prtMarkerSuppliesDescription", *VENDOR_TEXT_OBJECTS})


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
    "entPhysicalClass": _named("other", "unknown", "chassis", "backplane", "container",
                               "powerSupply", "fan", "sensor", "module", "port", "stack",
                               "cpu"),
    "entPhySensorType": _named("other", "unknown", "voltsAC", "voltsDC", "amperes", "watts",
                               "hertz", "celsius", "percentRH", "rpm", "cmm", "truthvalue",
                               "specialEnum"),
    # RFC 3433 numbers exa before peta; SENSOR_SCALE_EXPONENTS gives their powers of ten
    "entPhySensorScale": _named("yocto", "zepto", "atto", "femto", "pico", "nano", "micro",
                                "milli", "units", "kilo", "mega", "giga", "tera", "exa",
                                "peta", "zetta", "yotta"),
    "entPhySensorOperStatus": _named("ok", "unavailable", "nonoperational"),
    "prtMarkerSuppliesClass": {"other": 1, "supplyThatIsConsumed": 3,
                               "receptacleThatIsFilled": 4},
    # Printer-MIB's levels are numbers but for these: not a quantity, never judged as one
    "prtMarkerSuppliesLevel": {"other": -1, "unknown": -2, "someRemaining": -3},
    "prtMarkerSuppliesMaxCapacity": {"other": -1, "unknown": -2},
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


# Objects whose value is an OID with a name (HOST-RESOURCES-TYPES): config compares with
# the name (`hrStorageType == hrStorageFixedDisk`), the probe with the OID's text.
OID_VALUES: dict[str, dict[str, str]] = {
    "hrStorageType": {name: f"1.3.6.1.2.1.25.2.1.{n}" for name, n in _named(
        "hrStorageOther", "hrStorageRam", "hrStorageVirtualMemory", "hrStorageFixedDisk",
        "hrStorageRemovableDisk", "hrStorageFloppyDisk", "hrStorageCompactDisc",
        "hrStorageRamDisk", "hrStorageFlashMemory", "hrStorageNetworkDisk").items()},
}

# The power of ten of each ENTITY-SENSOR-MIB SensorDataScale value.
SENSOR_SCALE_EXPONENTS = {
    number: {"exa": 18, "peta": 15}.get(label, 3 * (number - 9))
    for label, number in ENUMS["entPhySensorScale"].items()}
# Numeric objects whose named values mark a special reading, not a quantity.
SPECIAL_NUMBERS = frozenset({"prtMarkerSuppliesLevel", "prtMarkerSuppliesMaxCapacity"})


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


# What a name resolves to: bridge's own name for the object (else the MIB's), its OID, how
# it is read, whether it holds text, its named values.
_Found = tuple[str, Oid, ObjectKind, bool, tuple[tuple[str, int], ...]]


def _own(name: str) -> _Found | None:
    known = OBJECTS.get(name)
    if known is None:
        return None
    holds_text = name in TEXT_OBJECTS
    values = tuple(ENUMS.get(name, {}).items())
    if not values and not holds_text:  # the MIB may name its values (ifType's IANAifType)
        values = next((o.values for o in mib_index().defined(name) if o.oid == known[0]), ())
    return (name, *known, holds_text, values)


# bridge's own names by OID: what they say (text, named values) holds for the MIB's name too
# (UCD's laLoad is a DisplayString that holds a number)
_OWN_BY_OID = {oid: name for name, (oid, _kind) in OBJECTS.items()}


def _from_mib(found: MibObject) -> _Found:
    if found.kind is MibKind.NOTIFICATION:
        raise UnknownObjectError(f"{found.qualified} is a notification (a trap's OID), not an "
                                 "object an agent answers for")
    own = _own(_OWN_BY_OID.get(found.oid, ""))
    if own is not None:
        return own
    return (found.name, found.oid, _KINDS.get(found.kind, ObjectKind.TABLE), found.holds_text,
            found.values)


# The modules of bridge's own names that it ships no MIB for
_OWN_MODULES = {"PowerNet-MIB": frozenset(
    name for name, (oid, _kind) in OBJECTS.items() if oid[:7] == (1, 3, 6, 1, 4, 1, 318)),
    **VENDOR_MODULES}


def _lookup(name: str) -> _Found:
    """`ifOperStatus`, `IF-MIB::ifOperStatus`: bridge's own names first (and the names they
    had before, `entSensorValue`), then the MIBs'."""
    module, qualified, bare = name.rpartition("::")
    if not qualified:
        own = _own(_ALIASES.get(bare, bare))
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
    written = f"{module}{qualified}{bare}"
    name, oid, kind, holds_text, values = _lookup(written)
    if not qualified and bare in _ALIASES:  # shown by the name bridge uses now
        text = f"{name}{text[len(bare):]}"
    if not index:
        if kind is ObjectKind.SCALAR:
            return ObjectRef((*oid, 0), False, text, name, True, holds_text, values)
        return ObjectRef(oid, True, text, name, False, holds_text, values)
    suffix = _parse_numeric(f"0.{index}")
    if suffix is None or kind is ObjectKind.TABLE:
        raise UnknownObjectError(
            f"expected {written} or {written}.INDEX with a numeric INDEX, got {text!r}")
    return ObjectRef((*oid, *suffix[1:]), False, text, name, False, holds_text, values)


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


@functools.lru_cache(maxsize=65536)
def format_oid(oid: Oid) -> str:
    """Dotted decimal (remembered: a trap's varbinds name the same objects again and again)."""
    return ".".join(map(str, oid))
