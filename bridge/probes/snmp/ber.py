"""SNMPv1/v2c messages in BER: GET, GETNEXT and GETBULK out, Response-PDUs in.

Why not pysnmp here: profiling a 3-OID poll through pysnmp put 84 % of its CPU in
pyasn1, which builds, clones and constraint-checks a Python object per ASN.1 value
(82,000 `clone` calls for 3,050 small GETs), and left bridge at 3-4x snmp_exporter's CPU
per poll. The community-based messages are small and fixed in shape (RFC 1157,
RFC 3416: a SEQUENCE of version, community and one PDU), so this module encodes the
requests bridge sends and decodes the responses straight from the bytes, into
bridge/probes/snmp/types.py's values.

It is strict: definite lengths only (RFC 3417 section 8), every length checked against
the one enclosing it, no trailing bytes, every value type's range and size checked. A
number out of its type's range (real agents send unsigned values as INTEGER) decodes as
an InvalidValue that names it, so one bad value does not cost the rest of the reply;
whatever else does not parse raises BerError, and the transport drops the datagram.
SNMPv3 messages wrap the same PDUs (usm_message.py). tests/probes/snmp/test_ber.py checks
this codec against pyasn1 in both directions.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bridge.core.probe_kinds.oids import Oid
from bridge.probes.snmp.types import (
    END_OF_MIB_VIEW,
    NO_SUCH_INSTANCE,
    NO_SUCH_OBJECT,
    NULL,
    Counter32,
    Counter64,
    Gauge32,
    Integer32,
    InvalidValue,
    IpAddress,
    ObjectIdentifier,
    OctetString,
    Opaque,
    SnmpValue,
    TimeTicks,
    VarBind,
)

GET, GET_NEXT, RESPONSE, GET_BULK = 0xA0, 0xA1, 0xA2, 0xA5  # PDU tags
_SEQUENCE, _INTEGER, _OCTETS, _NULL, _OID = 0x30, 0x02, 0x04, 0x05, 0x06
_MAX_SUBID = 0xFFFFFFFF  # RFC 2578 section 3.5: sub-identifiers are 32-bit
_MAX_SUBIDS = 128
_NUMBERS: dict[int, tuple[Callable[[int], SnmpValue], int, int]] = {  # type, least, greatest
    _INTEGER: (Integer32, -(2**31), 2**31 - 1),
    0x41: (Counter32, 0, 2**32 - 1),
    0x42: (Gauge32, 0, 2**32 - 1),
    0x43: (TimeTicks, 0, 2**32 - 1),
    0x46: (Counter64, 0, 2**64 - 1),
}
_NUMBER_NAMES = {_INTEGER: "INTEGER", 0x41: "Counter32", 0x42: "Gauge32", 0x43: "TimeTicks",
                 0x46: "Counter64"}
_EXCEPTIONS = {0x80: NO_SUCH_OBJECT, 0x81: NO_SUCH_INSTANCE, 0x82: END_OF_MIB_VIEW}


class BerError(ValueError):
    """Not a well-formed SNMP response; `request_id` when that much could be read."""

    def __init__(self, message: str, request_id: int | None = None) -> None:
        super().__init__(message)
        self.request_id = request_id


@dataclass(frozen=True, slots=True)
class Response:
    """A decoded Response-PDU and the message around it."""

    version: int  # 0 for SNMPv1, 1 for SNMPv2c
    community: bytes
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[VarBind]


# ---- encoding ----------------------------------------------------------------------------


def _length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes((0x80 | len(body),)) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes((tag,)) + _length(len(body)) + body


def _integer(value: int) -> bytes:
    size = (value.bit_length() + 8) // 8 if value >= 0 else ((~value).bit_length() + 8) // 8
    return _tlv(_INTEGER, value.to_bytes(size, "big", signed=True))


@functools.lru_cache(maxsize=65536)
def encode_oid(oid: Oid) -> bytes:
    """An OBJECT IDENTIFIER's TLV; ValueError for what SNMP cannot carry."""
    if not 2 <= len(oid) <= _MAX_SUBIDS or not 0 <= oid[0] <= 2 \
            or (oid[0] < 2 and oid[1] >= 40) or not all(0 <= a <= _MAX_SUBID for a in oid[1:]):
        raise ValueError(f"not an SNMP object identifier: {oid}")
    body = bytearray()
    for arc in (oid[0] * 40 + oid[1], *oid[2:]):
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body += bytes(reversed(chunk))
    return _tlv(_OID, bytes(body))


@functools.lru_cache(maxsize=65536)
def _null_varbind(oid: Oid) -> bytes:
    return _tlv(_SEQUENCE, encode_oid(oid) + b"\x05\x00")


def encode_request(version: int, community: bytes, pdu_type: int, request_id: int,
                   oids: Sequence[Oid], non_repeaters: int = 0, max_repetitions: int = 0
                   ) -> bytes:
    """A GET, GETNEXT or GETBULK message; the last two fields are GETBULK's (RFC 3416)."""
    pdu = encode_pdu(pdu_type, request_id, oids, non_repeaters, max_repetitions)
    return _tlv(_SEQUENCE, _integer(version) + _tlv(_OCTETS, community) + pdu)


def encode_pdu(pdu_type: int, request_id: int, oids: Sequence[Oid], non_repeaters: int = 0,
               max_repetitions: int = 0) -> bytes:
    """The PDU of a GET, GETNEXT or GETBULK, with a NULL value for each OID."""
    varbinds = _tlv(_SEQUENCE, b"".join([_null_varbind(oid) for oid in oids]))
    return _tlv(pdu_type, _integer(request_id) + _integer(non_repeaters)
                + _integer(max_repetitions) + varbinds)


# ---- decoding ----------------------------------------------------------------------------


def _header(data: bytes, pos: int, end: int, request_id: int | None = None
            ) -> tuple[int, int, int]:
    """The tag at `pos` and where its contents start and stop, all within `end`."""
    if pos + 2 > end:
        raise BerError("truncated", request_id)
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length & 0x80:
        size = length & 0x7F
        if size == 0:
            raise BerError("indefinite length (SNMP allows definite lengths only)", request_id)
        if size > 4:
            raise BerError(f"a length of {size} bytes", request_id)
        if pos + size > end:
            raise BerError("truncated length", request_id)
        length = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    if pos + length > end:
        raise BerError("truncated", request_id)
    return tag, pos, pos + length


class Unusual(Exception):
    """Not the common shape: a one-pass reader leaves it to the strict one (which says
    what is wrong, if anything)."""


def quick_header(data: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """_header for one-pass readers: IndexError or Unusual where _header says why."""
    tag, length = data[pos], data[pos + 1]
    pos += 2
    if length > 0x7F:
        size = length - 0x80
        if not 0 < size <= 4:
            raise Unusual
        length = int.from_bytes(data[pos:pos + size], "big")
        pos += size
    if pos + length > end:
        raise Unusual
    return tag, pos, pos + length


def _expect(data: bytes, pos: int, end: int, tag: int, what: str,
            request_id: int | None = None) -> tuple[int, int]:
    found, start, stop = _header(data, pos, end, request_id)
    if found != tag:
        raise BerError(f"{what}: expected tag 0x{tag:02x}, got 0x{found:02x}", request_id)
    return start, stop


def _int(data: bytes, pos: int, end: int, what: str, request_id: int | None = None
         ) -> tuple[int, int]:
    start, stop = _expect(data, pos, end, _INTEGER, what, request_id)
    if start == stop:
        raise BerError(f"{what}: empty INTEGER", request_id)
    return int.from_bytes(data[start:stop], "big", signed=True), stop


@functools.lru_cache(maxsize=65536)
def decode_oid(body: bytes) -> Oid:
    """An OBJECT IDENTIFIER's contents as a tuple; BerError if malformed."""
    if not body or body[-1] & 0x80:
        raise BerError("truncated object identifier")
    if body.isascii():  # every sub-identifier below 128: one byte each
        arcs = list(body)
    else:
        arcs, arc = [], 0
        for byte in body:
            if arc == 0 and byte == 0x80:
                raise BerError("object identifier with a padded sub-identifier")
            arc = (arc << 7) | (byte & 0x7F)
            if not byte & 0x80:
                arcs.append(arc)
                arc = 0
    first = arcs[0]
    if first > _MAX_SUBID + 80 or max(arcs[1:], default=0) > _MAX_SUBID \
            or len(arcs) >= _MAX_SUBIDS:
        raise BerError("object identifier out of SNMP's range")
    return (min(first // 40, 2), first - 40 * min(first // 40, 2), *arcs[1:])


def _value(tag: int, body: bytes, version: int) -> SnmpValue:
    if tag in _NUMBERS:
        kind, least, greatest = _NUMBERS[tag]
        number = int.from_bytes(body, "big", signed=True)
        if not body:
            return InvalidValue(f"an empty {_NUMBER_NAMES[tag]}")
        if not least <= number <= greatest:
            # seen on real agents (an unsigned value sent as INTEGER): the message is
            # well formed, only this value is wrong, so the rest of the reply still counts
            return InvalidValue(f"{_NUMBER_NAMES[tag]} {number} out of range "
                                f"({least}..{greatest})")
        return kind(number)
    if tag == _OCTETS:
        return OctetString(body)
    if tag == _OID:
        return ObjectIdentifier(decode_oid(body))
    if tag == 0x40 and len(body) == 4:
        return IpAddress(body)
    if tag == 0x44:
        return Opaque(body)
    if not body and tag == _NULL:
        return NULL
    if not body and tag in _EXCEPTIONS and version == 1:
        return _EXCEPTIONS[tag]
    raise BerError(f"unexpected value: tag 0x{tag:02x}, {len(body)} bytes")


def decode_envelope(data: bytes) -> tuple[int, bytes, int, int]:
    """An SNMPv1/v2c message's version and community, and where its PDU lies (from, to);
    BerError if the datagram is not one such message."""
    start, end = _expect(data, 0, len(data), _SEQUENCE, "message")
    if end != len(data):
        raise BerError("trailing bytes after the message")
    version, pos = _int(data, start, end, "version")
    if version not in (0, 1):
        raise BerError(f"not SNMPv1/v2c (version {version})")
    start, pos = _expect(data, pos, end, _OCTETS, "community")
    return version, data[start:pos], pos, end


def decode_response(data: bytes) -> Response:
    """Decode one datagram as an SNMPv1/v2c Response; BerError if it is not one."""
    version, community, pos, end = decode_envelope(data)
    start, stop = _expect(data, pos, end, RESPONSE, "PDU")
    if stop != end:
        raise BerError("trailing bytes after the PDU")
    return Response(version, community, *decode_pdu(data, start, stop, version))


def decode_pdu(data: bytes, start: int, stop: int, version: int
               ) -> tuple[int, int, int, list[VarBind]]:
    """A PDU's request-id, error-status, error-index and varbinds, from its contents."""
    request_id, pos = _int(data, start, stop, "request-id")
    error_status, pos = _int(data, pos, stop, "error-status", request_id)
    error_index, pos = _int(data, pos, stop, "error-index", request_id)
    start, end = _expect(data, pos, stop, _SEQUENCE, "variable-bindings", request_id)
    if end != stop:
        raise BerError("trailing bytes after the variable-bindings", request_id)
    varbinds: list[VarBind] = []
    pos = start
    try:
        while pos < stop:
            start, pos = _expect(data, pos, stop, _SEQUENCE, "varbind", request_id)
            oid_start, oid_stop = _expect(data, start, pos, _OID, "varbind name", request_id)
            tag, value_start, value_stop = _header(data, oid_stop, pos, request_id)
            if value_stop != pos:
                raise BerError("trailing bytes in a varbind", request_id)
            varbinds.append((decode_oid(data[oid_start:oid_stop]),
                             _value(tag, data[value_start:value_stop], version)))
    except BerError as exc:
        raise BerError(str(exc), request_id) from None
    return request_id, error_status, error_index, varbinds
