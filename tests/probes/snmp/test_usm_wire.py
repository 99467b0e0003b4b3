"""SNMPv3 messages against pyasn1 (through pysnmp) both ways, and the USM time window
(RFC 3414 3.2 step 7) as a table on a clock the test moves."""

from __future__ import annotations

import hashlib
import hmac
import random

import pytest
from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api, rfc1902
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from bridge.probes.snmp.ber import GET_BULK, BerError, encode_pdu
from bridge.probes.snmp.discovery import EngineInfo
from bridge.probes.snmp.types import OctetString
from bridge.probes.snmp.usm_message import (
    AUTH,
    PRIV,
    REPORTABLE,
    Security,
    _read_quickly,
    encode_message,
    encode_scoped,
    encrypted_data,
    read_message,
    read_scoped,
    read_strictly,
    without_mac,
)
from bridge.probes.snmp.v3_memory import EngineClocks
from tests.kits.fuzz import mangled

ENGINE = bytes.fromhex("80001f8880e9630000d61ff449")
OIDS = [(1, 3, 6, 1, 2, 1, 2, 2, 1, 2), (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 1)]


def test_a_request_is_what_pyasn1_reads_and_its_hmac_covers_it() -> None:
    scoped = encode_scoped(ENGINE, b"ctx", encode_pdu(GET_BULK, 4242, OIDS, 0, 25))
    key = b"k" * 32
    message, mac_at = encode_message(4242, AUTH | REPORTABLE, Security(ENGINE, 7, 123456,
                                                                       b"monitor"),
                                     24, b"", scoped)
    mac = hmac.digest(key, message, "sha256")[:24]
    signed = message[:mac_at] + mac + message[mac_at + 24:]
    decoded, rest = decoder.decode(signed, asn1Spec=SNMPv3Message())
    assert rest == b""
    header = decoded["msgGlobalData"]
    assert (int(header["msgID"]), bytes(header["msgFlags"]), int(header["msgSecurityModel"])) \
        == (4242, b"\x05", 3)
    params, _ = decoder.decode(bytes(decoded["msgSecurityParameters"]),
                               asn1Spec=UsmSecurityParameters())
    assert (bytes(params["msgAuthoritativeEngineId"]), int(params["msgAuthoritativeEngineBoots"]),
            int(params["msgAuthoritativeEngineTime"]), bytes(params["msgUserName"]),
            bytes(params["msgAuthenticationParameters"])) \
        == (ENGINE, 7, 123456, b"monitor", mac)
    pdu = decoded["msgData"]["plaintext"]["data"]["get-bulk-request"]
    assert (int(pdu["request-id"]), int(pdu["max-repetitions"]),
            [tuple(vb["name"]) for vb in pdu["variable-bindings"]]) == (4242, 25, OIDS)
    # a receiver zeroes the field and gets the same HMAC
    incoming = read_message(signed)
    assert hmac.digest(key, without_mac(signed, incoming), "sha256")[:24] == incoming.mac == mac


def pysnmp_reply(flags: bytes, data: object, mac: bytes = b"", salt: bytes = b"") -> bytes:
    """A v3 message as pysnmp encodes it (msgData: a scopedPDU or ciphertext)."""
    message = SNMPv3Message()
    message["msgVersion"] = 3
    header = message["msgGlobalData"]
    header["msgID"], header["msgMaxSize"], header["msgFlags"] = 99, 65507, flags
    header["msgSecurityModel"] = 3
    params = UsmSecurityParameters()
    params["msgAuthoritativeEngineId"], params["msgUserName"] = ENGINE, b"monitor"
    params["msgAuthoritativeEngineBoots"], params["msgAuthoritativeEngineTime"] = 3, 77
    params["msgAuthenticationParameters"], params["msgPrivacyParameters"] = mac, salt
    message["msgSecurityParameters"] = encoder.encode(params)
    if isinstance(data, bytes):
        message["msgData"]["encryptedPDU"] = data
    else:
        message["msgData"]["plaintext"] = data
    return bytes(encoder.encode(message))


def test_pysnmps_reply_reads_back() -> None:
    scoped = SNMPv3Message()["msgData"]["plaintext"].clone()
    scoped["contextEngineId"], scoped["contextName"] = ENGINE, b""
    proto = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]
    pdu = proto.GetResponsePDU()
    proto.apiPDU.set_defaults(pdu)
    proto.apiPDU.set_request_id(pdu, 99)
    proto.apiPDU.set_varbinds(pdu, [((1, 3, 6, 1, 2, 1, 1, 5, 0),
                                     rfc1902.OctetString(b"core-1"))])
    scoped["data"]["response"] = pdu
    reply = pysnmp_reply(b"\x01", scoped, mac=bytes(12))
    incoming = read_message(reply)
    assert (incoming.msg_id, incoming.flags, incoming.security, incoming.mac) \
        == (99, AUTH, Security(ENGINE, 3, 77, b"monitor"), bytes(12))
    got = read_scoped(reply, incoming.data_at, padded=False)
    assert (got.pdu_type, got.request_id, got.varbinds) \
        == (0xA2, 99, [((1, 3, 6, 1, 2, 1, 1, 5, 0), OctetString(b"core-1"))])
    encrypted = pysnmp_reply(b"\x03", b"\x01\x02\x03", mac=bytes(12), salt=bytes(8))
    assert read_message(encrypted).flags == AUTH | PRIV
    assert encrypted.endswith(encrypted_data(b"\x01\x02\x03"))


@pytest.mark.parametrize("garbage", [
    b"", b"\x30\x03\x02\x01\x01",  # nothing; a v2c-looking header
    pysnmp_reply(b"\x00", b"x")[:-3],  # truncated
    pysnmp_reply(b"\x00", b"x") + b"\x00",  # trailing bytes
])
def test_what_is_not_a_v3_message_is_refused(garbage: bytes) -> None:
    with pytest.raises(BerError):
        read_message(garbage)


def test_the_one_pass_reader_takes_only_what_the_strict_reader_takes_and_reads_it_alike(
) -> None:
    rng = random.Random(15)
    valid = [pysnmp_reply(b"\x03", rng.randbytes(40), mac=bytes(12), salt=bytes(8)),
             pysnmp_reply(b"\x04", b"x"), encode_message(
                 2**31 - 1, AUTH | PRIV | REPORTABLE, Security(ENGINE, 2**31 - 1, 0, b"u" * 200),
                 48, rng.randbytes(8), encrypted_data(rng.randbytes(300)))[0]]
    taken = 0
    for candidate in mangled(rng, valid):
        try:
            strict = read_strictly(candidate)
        except BerError:
            strict = None
        quick = _read_quickly(candidate)
        if quick is not None:
            assert quick == strict
            taken += 1
    assert taken > 1000


class Clock:
    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


# RFC 3414 3.2 step 7b, a non-authoritative engine: remembered boots 5, time 1000, 30 s ago
@pytest.mark.parametrize(("boots", "time_s", "moves", "in_window"), [
    (5, 1030, True, True),  # what the agent says now: moves the clock forward
    (5, 1010, True, True),  # later than the latest received: moves forward
    (5, 1000, False, True),  # the same as last time: not forward, still in the window
    (5, 879, False, False),  # 151 s behind the estimate (1030): out
    (5, 880, False, True),  # 150 s behind: in
    (6, 2, True, True),  # the agent rebooted: boots up, time from 0
    (4, 99999, False, False),  # boots went back: out, whatever the time
])
def test_the_time_window(boots: int, time_s: int, moves: bool, in_window: bool) -> None:
    clock = Clock()
    clocks = EngineClocks(clock)
    clocks.set(EngineInfo(ENGINE, 5, 1000))
    clock.now_s += 30
    assert clocks.now(ENGINE) == (5, 1030)
    assert clocks.learn(ENGINE, boots, time_s) is moves
    assert clocks.in_window(ENGINE, boots, time_s) is in_window


def test_a_discovery_report_agrees_with_the_clock_or_not() -> None:
    clock = Clock()
    clocks = EngineClocks(clock)
    clocks.set(EngineInfo(ENGINE, 5, 1000))
    clock.now_s += 600
    assert clocks.agrees(EngineInfo(ENGINE, 5, 1590))  # 10 s of drift
    assert not clocks.agrees(EngineInfo(ENGINE, 6, 3))  # rebooted
    assert not clocks.agrees(EngineInfo(ENGINE, 5, 20))  # same boots, time went back
    assert clocks.agrees(EngineInfo(hashlib.md5(b"other").digest(), 1, 1))  # unknown engine
