"""SNMP notifications in BER: v1 Trap-PDUs, v2c SNMPv2-Trap-PDUs and InformRequest-PDUs in,
the Response-PDU that acknowledges an INFORM out (RFC 1157 4.1.6, RFC 3416 4.2.6-4.2.7).

The same strict codec as ber.py (definite lengths, every length checked against the one
enclosing it). A v1 trap is converted to the v2 form per RFC 3584 3.1: its snmpTrapOID is
snmpTraps.<generic+1>, or <enterprise>.0.<specific> for an enterprise-specific trap, and its
agent-addr and enterprise follow the varbinds as snmpTrapAddress.0 and snmpTrapEnterprise.0.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

from bridge.core.probe_kinds.oids import Oid
from bridge.probes.snmp.ber import (
    _NUMBERS,
    _OCTETS,
    _OID,
    _SEQUENCE,
    RESPONSE,
    BerError,
    Unusual,
    _expect,
    _header,
    _int,
    _integer,
    _tlv,
    _value,
    decode_envelope,
    decode_oid,
    decode_pdu,
    encode_oid,
    quick_header,
)
from bridge.probes.snmp.types import IpAddress, ObjectIdentifier, VarBind

TRAP_V1, INFORM, TRAP_V2 = 0xA4, 0xA6, 0xA7  # PDU tags
NOTIFICATIONS = (TRAP_V1, INFORM, TRAP_V2)
SYS_UPTIME: Oid = (1, 3, 6, 1, 2, 1, 1, 3, 0)
SNMP_TRAP_OID: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0)
SNMP_TRAPS: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 5)  # coldStart.. egpNeighborLoss: .1 .. .6
SNMP_TRAP_ADDRESS: Oid = (1, 3, 6, 1, 6, 3, 18, 1, 3, 0)
SNMP_TRAP_ENTERPRISE: Oid = (1, 3, 6, 1, 6, 3, 1, 1, 4, 3, 0)
_ENTERPRISE_SPECIFIC = 6
_SYS_UPTIME_TLV = encode_oid(SYS_UPTIME)
TAIL_MEMO_ENTRIES = 4096
TAIL_MEMO_MAX_BYTES = 512  # a trap with more after sysUpTime.0 is decoded afresh


class Notification(NamedTuple):
    """A trap or an INFORM, in the v2 form whatever version it came in (a tuple: one is made
    for every datagram, and a frozen dataclass takes several times as long to make)."""

    version: int  # 0 for SNMPv1, 1 for SNMPv2c, 3 for SNMPv3
    community: bytes  # b"" for SNMPv3
    pdu_type: int  # TRAP_V1, TRAP_V2 or INFORM
    request_id: int  # 0 for a v1 trap
    trap_oid: Oid
    varbinds: list[VarBind]  # after sysUpTime.0 and snmpTrapOID.0
    agent_addr: str | None = None  # a v1 trap's agent-addr
    varbind_list: bytes = b""  # the variable-bindings as received: an INFORM's answer echoes it
    # The encoded varbinds after sysUpTime.0 (snmpTrapOID.0 and the rest): two traps with the
    # same tail decode to the same trap OID and varbinds. b"" for a v1 trap.
    tail: bytes = b""


def decode_notification(data: bytes) -> Notification:
    """One datagram as an SNMPv1/v2c notification; BerError if it is not one."""
    return _fast_v2c(data) or decode_strictly(data)


def decode_strictly(data: bytes) -> Notification:
    """decode_notification without the one-pass reader of the common shape."""
    version, community, pos, end = decode_envelope(data)
    tag, start, stop = _header(data, pos, end)
    if stop != end:
        raise BerError("trailing bytes after the PDU")
    if tag == TRAP_V1 and version == 0:
        return _v1_trap(data, start, stop, community)
    if tag in (TRAP_V2, INFORM) and version == 1:
        return read_v2(data, start, stop, version, tag, community)
    raise BerError(f"not a notification: PDU 0x{tag:02x} in SNMP version {version}")


def read_v2(data: bytes, start: int, stop: int, version: int, tag: int,
            community: bytes = b"") -> Notification:
    """An SNMPv2-Trap or InformRequest PDU's contents (also inside an SNMPv3 scopedPDU)."""
    request_id, _status, _index, varbinds = decode_pdu(data, start, stop, 1)
    if len(varbinds) < 2 or varbinds[0][0] != SYS_UPTIME or varbinds[1][0] != SNMP_TRAP_OID \
            or not isinstance(varbinds[1][1], ObjectIdentifier):
        raise BerError("a notification starts with sysUpTime.0 and snmpTrapOID.0", request_id)
    pos = _int(data, start, stop, "request-id")[1]
    pos = _int(data, pos, stop, "error-status")[1]
    pos = _int(data, pos, stop, "error-index")[1]
    at, end = _header(data, pos, stop)[1:]
    after_uptime = _header(data, at, end)[2]
    return Notification(version, community, tag, request_id, tuple(varbinds[1][1]),
                        varbinds[2:], varbind_list=data[pos:stop],
                        tail=data[after_uptime:end])


def _fast_v2c(data: bytes) -> Notification | None:
    """A v2c trap or INFORM read in one pass with no more checks than it needs (the shape
    nearly every trap has: a one-byte version, INTEGERs, varbinds); None for anything else,
    which the strict reader then takes. It accepts only what the strict reader accepts and
    reads it the same (tests/probes/snmp/test_notifications.py holds them side by side)."""
    try:
        end = len(data)
        tag, pos, stop = quick_header(data, 0, end)
        if tag != _SEQUENCE or stop != end or data[pos:pos + 3] != b"\x02\x01\x01":
            raise Unusual
        tag, start, pos = quick_header(data, pos + 3, end)
        community = data[start:pos]
        pdu, start, stop = quick_header(data, pos, end)
        if tag != _OCTETS or stop != end:
            raise Unusual
    except (Unusual, IndexError):
        return None
    return read_v2_quickly(data, pdu, start, stop, 1, community)


def read_v2_quickly(data: bytes, pdu: int, start: int, stop: int, version: int,
                    community: bytes = b"") -> Notification | None:
    """read_v2 in one pass for the common shape (also inside an SNMPv3 scopedPDU): short
    INTEGERs, sysUpTime.0 first as the usual TLV; None for anything else, which read_v2
    then takes."""
    if pdu not in (TRAP_V2, INFORM):
        return None
    try:
        # request-id, error-status, error-index: INTEGERs of 1..127 bytes (the last two
        # are read by read_v2 and not kept either)
        size = data[start + 1]
        if data[start] != 0x02 or not 0 < size < 0x80:
            return None
        pos = start + 2 + size
        request_id = int.from_bytes(data[start + 2:pos], "big", signed=True)
        for _ in range(2):
            size = data[pos + 1]
            if data[pos] != 0x02 or not 0 < size < 0x80:
                return None
            pos += 2 + size
        if pos > stop:
            return None
        varbind_list = data[pos:stop]
        tag, pos, end = quick_header(data, pos, stop)
        if tag != _SEQUENCE or end != stop:
            return None
        # sysUpTime.0 (new in every trap): its OID as the usual TLV, then its value
        tag, at, first_end = quick_header(data, pos, end)
        if tag != _SEQUENCE or not data.startswith(_SYS_UPTIME_TLV, at):
            return None
        tag, at, value_stop = quick_header(data, at + len(_SYS_UPTIME_TLV), first_end)
        if value_stop != first_end:
            return None
        if tag not in _NUMBERS:  # a number is never refused (out of range: InvalidValue)
            _value(tag, data[at:value_stop], 1)  # BerError as _read_varbinds
        tail = data[first_end:end]
        found = _tail_trap(tail) if len(tail) <= TAIL_MEMO_MAX_BYTES else _trap(tail)
    except (Unusual, IndexError, BerError):
        return None
    if found is None:
        return None
    return Notification(version, community, pdu, request_id, found[0], list(found[1]),
                        varbind_list=varbind_list, tail=tail)


def _read_varbinds(data: bytes, count: int | None = None
                   ) -> tuple[int, tuple[VarBind, ...]] | None:
    """The first `count` varbinds encoded in `data` (all if None, or if fewer) and where
    they end; None if not the common shape."""
    varbinds: list[VarBind] = []
    pos, end = 0, len(data)
    try:
        while pos < end and (count is None or len(varbinds) < count):
            tag, at, pos = quick_header(data, pos, end)
            oid_tag, oid_at, oid_stop = quick_header(data, at, pos)
            tag_value, value_at, value_stop = quick_header(data, oid_stop, pos)
            if tag != _SEQUENCE or oid_tag != _OID or value_stop != pos:
                raise Unusual
            varbinds.append((decode_oid(data[oid_at:oid_stop]),
                             _value(tag_value, data[value_at:value_stop], 1)))
    except (Unusual, IndexError, BerError):
        return None
    return pos, tuple(varbinds)


def _trap(tail: bytes) -> tuple[Oid, tuple[VarBind, ...]] | None:
    """The trap OID and the varbinds after it, read from the encoded varbinds after
    sysUpTime.0; None if not the common shape or snmpTrapOID.0 is not first."""
    found = _read_varbinds(tail)
    rest = None if found is None else found[1]
    if not rest or rest[0][0] != SNMP_TRAP_OID or not isinstance(rest[0][1], ObjectIdentifier):
        return None
    return tuple(rest[0][1]), rest[1:]


@functools.lru_cache(maxsize=TAIL_MEMO_ENTRIES)
def _tail_trap(tail: bytes) -> tuple[Oid, tuple[VarBind, ...]] | None:
    """`_trap` of a small trap, remembered by its bytes: a storm's traps repeat a few
    kinds from a few agents and differ in request-id and sysUpTime.0 alone (the values are
    immutable, so the tuples are shared). The memo is filled before a trap is
    authenticated: each entry's size is bounded (TAIL_MEMO_MAX_BYTES), so datagrams from
    anyone cannot pin more than a few MiB."""
    return _trap(tail)


def _v1_trap(data: bytes, start: int, stop: int, community: bytes) -> Notification:
    at, pos = _expect(data, start, stop, _OID, "enterprise")
    enterprise = decode_oid(data[at:pos])
    at, pos = _expect(data, pos, stop, 0x40, "agent-addr")
    if pos - at != 4:
        raise BerError("agent-addr: not 4 bytes")
    agent_addr = data[at:pos]
    generic, pos = _int(data, pos, stop, "generic-trap")
    specific, pos = _int(data, pos, stop, "specific-trap")
    pos = _expect(data, pos, stop, 0x43, "time-stamp")[1]
    if not 0 <= generic <= _ENTERPRISE_SPECIFIC or not 0 <= specific < 2**32:
        raise BerError(f"generic-trap {generic}, specific-trap {specific}: out of range")
    # the rest has a Response-PDU's shape once three INTEGERs stand before it
    filler = _integer(0) * 3
    tail = data[pos:stop]
    _rid, _s, _i, varbinds = decode_pdu(filler + tail, 0, len(filler) + len(tail), 0)
    trap_oid = (*SNMP_TRAPS, generic + 1) if generic != _ENTERPRISE_SPECIFIC \
        else (*enterprise, 0, specific)
    extra: list[VarBind] = [(SNMP_TRAP_ADDRESS, IpAddress(agent_addr)),
                            (SNMP_TRAP_ENTERPRISE, ObjectIdentifier(enterprise))]
    return Notification(0, community, TRAP_V1, 0, trap_oid, [*varbinds, *extra],
                        agent_addr=".".join(str(b) for b in agent_addr))


def encode_response_pdu(request_id: int, varbind_list: bytes) -> bytes:
    """The Response-PDU acknowledging an INFORM: its request-id, no error, its varbinds."""
    return _tlv(RESPONSE, _integer(request_id) + _integer(0) + _integer(0) + varbind_list)


def encode_response(version: int, community: bytes, request_id: int,
                    varbind_list: bytes) -> bytes:
    """An SNMPv2c message answering an INFORM."""
    return _tlv(_SEQUENCE, _integer(version) + _tlv(_OCTETS, community)
                + encode_response_pdu(request_id, varbind_list))

