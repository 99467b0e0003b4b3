"""SNMP values, requests and errors as bridge passes them around, whatever the version.

The value types mirror SMIv2's (RFC 2578) and keep the SMI names, so output can say
"ifSpeed.1 is a Gauge32". They are plain int, bytes and tuple subclasses: decoding a
reply builds one small object per value (SNMPv1/v2c replies are decoded by
bridge/probes/snmp/ber.py, for every SNMP version).
"""

from __future__ import annotations

from dataclasses import dataclass

from bridge.core.probe_kinds.oids import Oid
from bridge.core.probe_kinds.snmp import SnmpAccess


class Integer32(int):
    """INTEGER / Integer32: a signed 32-bit number (status codes, enumerations)."""

    __slots__ = ()


class Counter32(int):
    """A 32-bit counter that wraps at 2**32."""

    __slots__ = ()


class Gauge32(int):
    """An unsigned 32-bit level (Unsigned32 shares its encoding)."""

    __slots__ = ()


class TimeTicks(int):
    """Hundredths of a second (sysUpTime)."""

    __slots__ = ()


class Counter64(int):
    """A 64-bit counter that wraps at 2**64."""

    __slots__ = ()


class OctetString(bytes):
    """An OCTET STRING: text or binary."""

    __slots__ = ()


class IpAddress(OctetString):
    """Four octets of an IPv4 address."""

    __slots__ = ()


class Opaque(OctetString):
    """An Opaque: BER-wrapped data the agent does not describe further."""

    __slots__ = ()


class ObjectIdentifier(tuple[int, ...]):
    """An OBJECT IDENTIFIER value (sysObjectID)."""

    __slots__ = ()


class Null:
    """NULL, and the base of SNMPv2's exception values."""

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self)

    def __hash__(self) -> int:
        return hash(type(self).__name__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class NoSuchObject(Null):
    """The agent does not implement the object."""

    __slots__ = ()


class NoSuchInstance(Null):
    """The object exists but not this instance."""

    __slots__ = ()


class EndOfMibView(Null):
    """Nothing follows in the agent's MIB (GETNEXT/GETBULK)."""

    __slots__ = ()


class InvalidValue(Null):
    """A value the agent encoded wrongly (an INTEGER out of its range): named, not used.

    One bad varbind must not cost the rest of the reply: the probe judges the others
    and names this one.
    """

    __slots__ = ("why",)

    def __init__(self, why: str) -> None:
        self.why = why

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InvalidValue) and other.why == self.why

    def __hash__(self) -> int:
        return hash(self.why)

    def __repr__(self) -> str:
        return f"InvalidValue({self.why!r})"


SnmpValue = (Integer32 | Counter32 | Gauge32 | TimeTicks | Counter64 | OctetString
             | ObjectIdentifier | Null)
VarBind = tuple[Oid, SnmpValue]  # a numeric OID and its value

NULL, NO_SUCH_OBJECT, NO_SUCH_INSTANCE, END_OF_MIB_VIEW = (
    Null(), NoSuchObject(), NoSuchInstance(), EndOfMibView())


PORT_UNREACHABLE = "port unreachable (agent not running?)"  # the host said so (ICMP)


class SnmpError(Exception):
    """A request that got no usable answer; the message is for the operator."""

    def __init__(self, message: str, status: int = 0, timed_out: bool = False,
                 silence: str | None = None, index: int = 0) -> None:
        super().__init__(message)
        self.status = status  # the PDU's error-status, when the agent answered with one
        self.index = index  # and its error-index: which varbind (from 1), 0 for none
        self.timed_out = timed_out
        self.silence = silence  # why the agent was silent, if the client found out already


@dataclass(frozen=True)
class Request:
    """Where and how to send: the device's agent and the probe's timing."""

    address: str
    access: SnmpAccess
    timeout_s: float
    retries: int
    diagnosis_timeout_s: float = 0.5

    def no_response(self, what: str = "no response") -> str:
        """What an operator reads when every try timed out."""
        tries = self.retries + 1
        return (f"{what} to {tries} request{'s' if tries > 1 else ''} of "
                f"{self.timeout_s:g} s")
