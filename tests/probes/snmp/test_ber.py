"""bridge's SNMPv1/v2c BER codec, checked against pyasn1 (through pysnmp) both ways.

Requests bridge encodes must be what pysnmp would encode and decode to the same
fields; responses pysnmp encodes must decode to the same values in bridge; anything
malformed must be a BerError, never another exception.
"""

from __future__ import annotations

import contextlib
import random
from typing import Any

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902

from bridge.probes.snmp import types as t
from bridge.probes.snmp.ber import (
    GET,
    GET_BULK,
    GET_NEXT,
    BerError,
    decode_response,
    encode_oid,
    encode_request,
)

SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
BIG_ARCS = (1, 3, 6, 1, 4, 1, 2**32 - 1, 128, 16383, 16384, 2**21, 0)


def pysnmp_message(version: int, community: bytes, pdu: Any) -> bytes:
    """A whole message as pysnmp encodes it."""
    proto = api.PROTOCOL_MODULES[version]
    message = proto.Message()
    proto.apiMessage.set_defaults(message)
    proto.apiMessage.set_version(message, version)
    proto.apiMessage.set_community(message, community)
    proto.apiMessage.set_pdu(message, pdu)
    return bytes(encoder.encode(message))


def pysnmp_request(version: int, community: bytes, kind: int, request_id: int,
                   oids: list[tuple[int, ...]], max_repetitions: int = 0) -> bytes:
    proto = api.PROTOCOL_MODULES[version]
    if kind == GET_BULK:
        pdu = proto.GetBulkRequestPDU()
        proto.apiBulkPDU.set_defaults(pdu)
        proto.apiBulkPDU.set_non_repeaters(pdu, 0)
        proto.apiBulkPDU.set_max_repetitions(pdu, max_repetitions)
    else:
        pdu = proto.GetRequestPDU() if kind == GET else proto.GetNextRequestPDU()
        proto.apiPDU.set_defaults(pdu)
    proto.apiPDU.set_request_id(pdu, request_id)
    proto.apiPDU.set_varbinds(pdu, [(oid, proto.Null("")) for oid in oids])
    return pysnmp_message(version, community, pdu)


def pysnmp_response(version: int, request_id: int, binds: list[tuple[tuple[int, ...], Any]],
                    community: bytes = b"public", status: int = 0, index: int = 0) -> bytes:
    proto = api.PROTOCOL_MODULES[version]
    pdu = proto.GetResponsePDU()
    proto.apiPDU.set_defaults(pdu)
    proto.apiPDU.set_request_id(pdu, request_id)
    proto.apiPDU.set_error_status(pdu, status)
    proto.apiPDU.set_error_index(pdu, index)
    proto.apiPDU.set_varbinds(pdu, binds)
    return pysnmp_message(version, community, pdu)


# ---- requests: ours, read back by pyasn1 -------------------------------------------------


@pytest.mark.parametrize(("version", "community", "kind", "request_id", "oids", "repetitions"), [
    (1, b"public", GET, 1, [SYS_UPTIME], 0),
    (0, b"private", GET_NEXT, 127, [SYS_UPTIME, (1, 3, 6, 1, 2, 1, 2, 2, 1, 8)], 0),
    (1, b"c" * 200, GET, 128, [SYS_UPTIME], 0),  # long-form lengths
    (1, b"public", GET_BULK, 2**31 - 1, [(1, 3, 6, 1, 2, 1, 2, 2, 1, 2)] * 3, 25),
    (1, b"public", GET_BULK, 255, [(1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 6)], 200),
    (1, b"public", GET, 256, [BIG_ARCS, (0, 0), (2, 999, 1), (1, 39)], 0),
    (1, b"public", GET, 0, [(1, 3, 6, 1, 2, 1, 2, 2, 1, 10, i) for i in range(1, 60)], 0),
])
def test_requests_are_byte_for_byte_what_pysnmp_encodes(
    version: int, community: bytes, kind: int, request_id: int,
    oids: list[tuple[int, ...]], repetitions: int,
) -> None:
    ours = encode_request(version, community, kind, request_id, oids, 0, repetitions)
    assert ours == pysnmp_request(version, community, kind, request_id, oids, repetitions)
    message, rest = decoder.decode(ours, asn1Spec=api.PROTOCOL_MODULES[version].Message())
    assert rest == b""
    pdu = message["data"].getComponent()
    assert (int(message["version"]), bytes(message["community"]), int(pdu["request-id"])) \
        == (version, community, request_id)
    assert [tuple(vb["name"]) for vb in pdu["variable-bindings"]] == oids
    if kind == GET_BULK:
        assert (int(pdu["non-repeaters"]), int(pdu["max-repetitions"])) == (0, repetitions)


@pytest.mark.parametrize("oid", [(3, 1), (1, 40), (1,), (1, 3, 2**32), (1, 3, -1),
                                 tuple([1, 3] + [1] * 127)])
def test_what_snmp_cannot_carry_is_refused_before_sending(oid: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="not an SNMP object identifier"):
        encode_oid(oid)


# ---- responses: pyasn1's, read by ours ---------------------------------------------------

VALUES: list[tuple[Any, t.SnmpValue]] = [
    (rfc1902.Integer32(-1), t.Integer32(-1)),
    (rfc1902.Integer32(-(2**31)), t.Integer32(-(2**31))),
    (rfc1902.Integer32(2**31 - 1), t.Integer32(2**31 - 1)),
    (rfc1902.OctetString(b""), t.OctetString(b"")),
    (rfc1902.OctetString(b"x" * 300), t.OctetString(b"x" * 300)),
    (api.v2c.Null(""), t.NULL),
    (rfc1902.ObjectIdentifier(BIG_ARCS), t.ObjectIdentifier(BIG_ARCS)),
    (rfc1902.IpAddress("192.0.2.7"), t.IpAddress(b"\xc0\x00\x02\x07")),
    (rfc1902.Counter32(2**32 - 1), t.Counter32(2**32 - 1)),  # 5 bytes: a leading zero
    (rfc1902.Gauge32(1_000_000_000), t.Gauge32(1_000_000_000)),
    (rfc1902.TimeTicks(8_640_000), t.TimeTicks(8_640_000)),
    (rfc1902.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00"), t.Opaque(b"\x9f\x78\x04\x3f\x80\x00\x00")),
    (rfc1902.Counter64(2**64 - 1), t.Counter64(2**64 - 1)),  # 9 bytes
    (rfc1902.Counter64(0), t.Counter64(0)),
    (api.v2c.NoSuchObject(""), t.NO_SUCH_OBJECT),
    (api.v2c.NoSuchInstance(""), t.NO_SUCH_INSTANCE),
    (api.v2c.EndOfMibView(""), t.END_OF_MIB_VIEW),
]


def test_every_value_type_pysnmp_encodes_decodes_to_the_same_value_and_type() -> None:
    binds = [((1, 3, 6, 1, 4, 1, 99, i), value) for i, (value, _) in enumerate(VALUES)]
    response = decode_response(pysnmp_response(1, 4242, binds, community=b"c" * 150))
    assert (response.version, response.community, response.request_id) == (1, b"c" * 150, 4242)
    assert [oid for oid, _ in response.varbinds] == [oid for oid, _ in binds]
    decoded = [(type(value).__name__, value) for _, value in response.varbinds]
    assert decoded == [(type(value).__name__, value) for _, value in VALUES]


def test_snmpv1_error_status_and_index() -> None:
    data = pysnmp_response(0, 7, [(SYS_UPTIME, api.v1.Null(""))], status=2, index=1)
    response = decode_response(data)
    assert (response.version, response.error_status, response.error_index) == (0, 2, 1)


VALID = pysnmp_response(1, 99, [(SYS_UPTIME, rfc1902.TimeTicks(12345)),
                                ((1, 3, 6, 1, 2, 1, 1, 5, 0), rfc1902.OctetString(b"sw-1"))])


def test_every_truncation_of_a_valid_response_is_a_ber_error() -> None:
    for size in range(len(VALID)):
        with pytest.raises(BerError):
            decode_response(VALID[:size])


def test_garbage_and_flipped_bytes_never_raise_anything_but_ber_error() -> None:
    rng = random.Random(3)
    for _ in range(3000):
        mangled = bytearray(VALID)
        for _flip in range(rng.randint(1, 4)):
            mangled[rng.randrange(len(mangled))] = rng.randrange(256)
        with contextlib.suppress(BerError):  # a flip may leave a valid message
            decode_response(bytes(mangled))
        with pytest.raises(BerError):
            decode_response(rng.randbytes(rng.randint(0, 80)) + b"\x00\x00")


def tlv(tag: int, body: bytes) -> bytes:
    """A TLV written out by hand (short or two-byte long form lengths)."""
    size = bytes([len(body)]) if len(body) < 128 else b"\x82" + len(body).to_bytes(2, "big")
    return bytes([tag]) + size + body


def response(value_tlv: bytes, version: int = 1, oid: bytes = b"\x06\x03\x2b\x06\x01") -> bytes:
    """A response with request-id 5 and one varbind, its value given as raw TLV bytes."""
    binds = tlv(0x30, tlv(0x30, oid + value_tlv))
    pdu = tlv(0xA2, b"\x02\x01\x05\x02\x01\x00\x02\x01\x00" + binds)
    return tlv(0x30, b"\x02\x01" + bytes([version]) + b"\x04\x06public" + pdu)


@pytest.mark.parametrize(("data", "expected"), [
    (response(b"\x02\x01\xff"), t.Integer32(-1)),
    (response(b"\x02\x04\x80\x00\x00\x00"), t.Integer32(-(2**31))),
    (response(b"\x41\x05\x00\xff\xff\xff\xff"), t.Counter32(2**32 - 1)),
    (response(b"\x41\x04\x00\x00\x00\x05"), t.Counter32(5)),  # padded, as some agents do
    (response(b"\x46\x09\x00\xff\xff\xff\xff\xff\xff\xff\xff"), t.Counter64(2**64 - 1)),
    (response(b"\x04\x81\x03abc"), t.OctetString(b"abc")),  # long form for a short length
    (response(b"\x04\x84\x00\x00\x00\x03abc"), t.OctetString(b"abc")),
    (response(b"\x06\x06\x2b\x06\x01\x8f\xff\x7f"), t.ObjectIdentifier((1, 3, 6, 1, 262143))),
    (response(b"\x06\x07\x2b\x8f\xff\xff\xff\x7f\x00"),
     t.ObjectIdentifier((1, 3, 2**32 - 1, 0))),
    (response(b"\x06\x81\x7f\x2b" + b"\x01" * 126),
     t.ObjectIdentifier((1, 3, *[1] * 126))),  # 128 sub-identifiers: the most SNMP allows
])
def test_edge_values_decode(data: bytes, expected: t.SnmpValue) -> None:
    [(oid, value)] = decode_response(data).varbinds
    assert (oid, type(value), value) == ((1, 3, 6, 1), type(expected), expected)


@pytest.mark.parametrize(("data", "why"), [
    (response(b"\x41\x01\xff"), "Counter32 -1 out of range (0..4294967295)"),
    (response(b"\x41\x05\x01\x00\x00\x00\x00"),
     "Counter32 4294967296 out of range (0..4294967295)"),
    (response(b"\x46\x09\x01\x00\x00\x00\x00\x00\x00\x00\x00"),
     "Counter64 18446744073709551616 out of range (0..18446744073709551615)"),
    (response(b"\x02\x05\x00\x80\x00\x00\x00"),  # 2**31 as an INTEGER
     "INTEGER 2147483648 out of range (-2147483648..2147483647)"),
    (response(b"\x02\x00"), "an empty INTEGER"),
    (response(b"\x43\x00"), "an empty TimeTicks"),
])
def test_a_number_out_of_its_range_is_a_named_invalid_value(data: bytes, why: str) -> None:
    """Only that value is lost: the message decodes, and the probe names the value."""
    [(oid, value)] = decode_response(data).varbinds
    assert (oid, value) == ((1, 3, 6, 1), t.InvalidValue(why))


@pytest.mark.parametrize(("data", "why"), [
    (response(b"\x04\x80abc\x00\x00"), "indefinite length"),
    (response(b"\x04\x85\x00\x00\x00\x00\x03abc"), "a length of 5 bytes"),
    (response(b"\x04\x05abc"), "truncated"),
    (response(b"\x06\x07\x2b\x90\x80\x80\x80\x00\x00"), "out of SNMP's range"),  # 2**32
    (response(b"\x06\x03\x2b\x80\x01"), "padded sub-identifier"),
    (response(b"\x06\x81\x80\x2b" + b"\x01" * 127), "out of SNMP's range"),  # 129 arcs
    (response(b"\x06\x02\x2b\x86"), "truncated object identifier"),
    (response(b"\x06\x00"), "truncated object identifier"),
    (response(b"\x40\x05\x01\x02\x03\x04\x05"), "unexpected value"),  # IpAddress of 5 bytes
    (response(b"\x05\x01\x00"), "unexpected value"),  # NULL with contents
    (response(b"\x80\x00", version=0), "unexpected value"),  # SNMPv1 has no noSuchObject
    (response(b"\x47\x01\x01"), "unexpected value"),  # no such SMI type
    (response(b"\x04\x00", version=3), "not SNMPv1/v2c"),
    (response(b"\x04\x00") + b"\x00", "trailing bytes"),
    (response(b"\x04\x00").replace(b"\xa2", b"\xa0", 1), "expected tag 0xa2"),  # a request
])
def test_malformed_responses_are_refused_with_a_reason(data: bytes, why: str) -> None:
    with pytest.raises(BerError, match=why):
        decode_response(data)


def test_a_malformed_value_still_names_its_request() -> None:
    """The transport can tell which request got an undecodable answer."""
    with pytest.raises(BerError) as caught:
        decode_response(response(b"\x47\x01\x01"))
    assert caught.value.request_id == 5
