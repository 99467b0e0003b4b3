"""SNMP values as the probe reads them: numbers, counters, readable text."""

from __future__ import annotations

from bridge.probes.snmp.types import (
    Counter32,
    Counter64,
    EndOfMibView,
    InvalidValue,
    IpAddress,
    NoSuchInstance,
    NoSuchObject,
    ObjectIdentifier,
    OctetString,
    SnmpValue,
    TimeTicks,
)

_EXCEPTIONS: dict[type[SnmpValue], str] = {
    NoSuchObject: "no such object",
    NoSuchInstance: "no such instance",
    EndOfMibView: "end of MIB view",
}

IF_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent",
             7: "lowerLayerDown"}


def missing(value: SnmpValue) -> str | None:
    """Why a varbind carries no usable value (noSuchObject, out of range, ...); None when
    it has one."""
    if isinstance(value, InvalidValue):
        return f"the agent sent {value.why}"
    return _EXCEPTIONS.get(type(value))


def counter_bits(value: SnmpValue) -> int | None:
    """32 or 64 for a Counter32 or Counter64; None for any other type."""
    if isinstance(value, Counter64):
        return 64
    if isinstance(value, Counter32):
        return 32
    return None


def type_name(value: SnmpValue) -> str:
    """The SMI type name, e.g. Gauge32 or OctetString."""
    return type(value).__name__


def number(value: SnmpValue | None) -> float | None:
    """The numeric value of an integer type, or of a string holding a number (laLoad)."""
    if isinstance(value, int):
        return float(value)
    if isinstance(value, OctetString):
        try:
            return float(value.decode("ascii").strip())
        except (UnicodeDecodeError, ValueError):
            return None
    return None


def format_ticks(ticks: int) -> str:
    """TimeTicks (1/100 s) as `27d 0:24:11`."""
    seconds = ticks // 100
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{days}d {hours}:{minutes:02d}:{seconds:02d}"


def text(value: SnmpValue) -> str:
    """A readable rendering of any value for output."""
    why = missing(value)
    if why is not None:
        return f"({why})"
    if isinstance(value, TimeTicks):
        return format_ticks(value)
    if isinstance(value, IpAddress):
        return ".".join(str(b) for b in value)
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, ObjectIdentifier):
        return ".".join(map(str, value))
    if isinstance(value, OctetString):
        raw = value.rstrip(b"\0")  # C strings from some agents (Windows) keep their NUL
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            decoded = ""
        if raw and decoded.isprintable():
            return decoded
        return "0x" + raw.hex() if raw else ""
    return ""  # NULL
