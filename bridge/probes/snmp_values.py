"""SNMP values as the probe reads them: numbers, counters, readable text."""

from __future__ import annotations

from typing import Any

from pyasn1.type import univ
from pysnmp.proto import rfc1902, rfc1905

_EXCEPTIONS = {
    rfc1905.NoSuchObject: "no such object",
    rfc1905.NoSuchInstance: "no such instance",
    rfc1905.EndOfMibView: "end of MIB view",
}

IF_STATUS = {1: "up", 2: "down", 3: "testing", 4: "unknown", 5: "dormant", 6: "notPresent",
             7: "lowerLayerDown"}


def missing(value: Any) -> str | None:
    """Why an SNMPv2 varbind carries no value (noSuchObject, ...); None when it has one."""
    for kind, text in _EXCEPTIONS.items():
        if isinstance(value, kind):
            return text
    return None


def counter_bits(value: Any) -> int | None:
    """32 or 64 for a Counter32 or Counter64; None for any other type."""
    if isinstance(value, rfc1902.Counter64):
        return 64
    if isinstance(value, rfc1902.Counter32):
        return 32
    return None


def type_name(value: Any) -> str:
    """The SMI type name, e.g. Gauge32 or OctetString."""
    return type(value).__name__


def number(value: Any) -> float | None:
    """The numeric value of an integer type, or of a string holding a number (laLoad)."""
    if missing(value) is not None:
        return None
    if isinstance(value, univ.Integer):
        return float(int(value))
    if isinstance(value, univ.OctetString):
        try:
            return float(bytes(value).decode("ascii").strip())
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


def text(value: Any) -> str:
    """A readable rendering of any value for output."""
    why = missing(value)
    if why is not None:
        return f"({why})"
    if isinstance(value, rfc1902.TimeTicks):
        return format_ticks(int(value))
    if isinstance(value, rfc1902.IpAddress):
        return ".".join(str(b) for b in bytes(value))
    if isinstance(value, univ.Integer):
        return str(int(value))
    if isinstance(value, univ.ObjectIdentifier):
        return ".".join(map(str, tuple(value)))
    if isinstance(value, univ.OctetString):
        raw = bytes(value).rstrip(b"\0")  # C strings from some agents (Windows) keep their NUL
        try:
            decoded = raw.decode("utf-8")
        except UnicodeDecodeError:
            decoded = ""
        if raw and decoded.isprintable():
            return decoded
        return "0x" + raw.hex() if raw else ""
    return str(value)
