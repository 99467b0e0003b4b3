"""SNMPv3 messages in BER (RFC 3412 6, RFC 3414 2.4), on the SNMPv1/v2c codec's pieces.

    SEQUENCE { msgVersion 3,
               msgGlobalData SEQUENCE { msgID, msgMaxSize, msgFlags (1 byte), model 3 },
               msgSecurityParameters OCTET STRING containing UsmSecurityParameters
                 SEQUENCE { engine ID, engineBoots, engineTime, user name,
                            authentication parameters, privacy parameters },
               msgData: the scopedPDU SEQUENCE { contextEngineID, contextName, PDU },
                        or it encrypted, as an OCTET STRING }

The HMAC covers the whole message with its own field zeroed, so the encoder says where
that field is and the decoder where it was. Decoding is as strict as ber.py's, except
that a decrypted scopedPDU may be followed by padding (DES pads to 8 bytes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from bridge.probes.snmp.ber import (
    _INTEGER,
    _OCTETS,
    _SEQUENCE,
    BerError,
    Unusual,
    _expect,
    _header,
    _int,
    _integer,
    _tlv,
    decode_pdu,
    quick_header,
)
from bridge.probes.snmp.types import VarBind

AUTH, PRIV, REPORTABLE = 0x01, 0x02, 0x04  # msgFlags bits
REPORT = 0xA8  # the Report-PDU's tag (RFC 3416)
_VERSION = _integer(3)
_USM = _integer(3)  # msgSecurityModel: the User-based Security Model
_SECURITY_TAGS = (_OCTETS, _INTEGER, _INTEGER, _OCTETS, _OCTETS, _OCTETS)
MAX_SIZE_BYTES = 65507  # the largest reply we take (UDP over IPv4)


class Security(NamedTuple):
    """UsmSecurityParameters: whose engine, its boots and time, which user."""

    engine_id: bytes
    boots: int
    time_s: int
    user: bytes


class Incoming(NamedTuple):
    """A v3 message read as far as it can be without keys (tuples, as Security: made for
    every datagram, and a frozen dataclass takes several times as long to make)."""

    msg_id: int
    flags: int
    security: Security
    mac: bytes  # msgAuthenticationParameters
    mac_at: int  # where they start in the datagram
    salt: bytes  # msgPrivacyParameters
    data_at: int  # where msgData starts


@dataclass(frozen=True, slots=True)
class ScopedPdu:
    """A decoded scopedPDU: a Response or a Report, with its context."""

    context_engine_id: bytes
    pdu_type: int
    request_id: int
    error_status: int
    error_index: int
    varbinds: list[VarBind]


def encode_message(msg_id: int, flags: int, security: Security, mac_bytes: int, salt: bytes,
                   msg_data: bytes) -> tuple[bytes, int]:
    """A message with `mac_bytes` zeros for its HMAC, and where they are."""
    header = _tlv(_SEQUENCE, _integer(msg_id) + _integer(MAX_SIZE_BYTES)
                  + bytes((_OCTETS, 1, flags)) + _USM)
    before_mac = (_tlv(_OCTETS, security.engine_id) + _integer(security.boots)
                  + _integer(security.time_s) + _tlv(_OCTETS, security.user))
    mac = _tlv(_OCTETS, bytes(mac_bytes))
    params_body = before_mac + mac + _tlv(_OCTETS, salt)
    params = _tlv(_SEQUENCE, params_body)
    wrapped = _tlv(_OCTETS, params)
    inner = _VERSION + header + wrapped + msg_data
    message = _tlv(_SEQUENCE, inner)
    mac_at = (len(message) - len(inner) + len(_VERSION) + len(header)
              + len(wrapped) - len(params) + len(params) - len(params_body)
              + len(before_mac) + len(mac) - mac_bytes)
    return message, mac_at


def encode_scoped(context_engine_id: bytes, context_name: bytes, pdu: bytes) -> bytes:
    """A plaintext scopedPDU."""
    return _tlv(_SEQUENCE, _tlv(_OCTETS, context_engine_id) + _tlv(_OCTETS, context_name) + pdu)


def encrypted_data(ciphertext: bytes) -> bytes:
    """msgData of an encrypted message."""
    return _tlv(_OCTETS, ciphertext)


def read_message(data: bytes) -> Incoming:
    """The header and security parameters of an SNMPv3 message; BerError if it is not one."""
    return _read_quickly(data) or read_strictly(data)


def _read_quickly(data: bytes) -> Incoming | None:
    """read_message in one pass for the common shape, None for anything else (the strict
    reader takes it). It accepts only what that one accepts and reads it alike
    (tests/probes/snmp/test_usm_message.py holds them side by side). Straight-line code:
    it runs for every datagram, and a loop over the fields cost a third more."""
    try:
        end = len(data)
        tag, pos, stop = quick_header(data, 0, end)
        if tag != _SEQUENCE or stop != end or data[pos:pos + 3] != b"\x02\x01\x03":
            raise Unusual
        tag, start, pos = quick_header(data, pos + 3, end)
        if tag != _SEQUENCE:
            raise Unusual
        # msgGlobalData: msgID, msgMaxSize, msgFlags, msgSecurityModel (3, in one byte);
        # the first three of 1..127 bytes
        size = data[start + 1]
        if data[start] != _INTEGER or not 0 < size < 0x80:
            raise Unusual
        at, start = start + 2, start + 2 + size
        msg_id = int.from_bytes(data[at:start], "big", signed=True)
        size = data[start + 1]
        if data[start] != _INTEGER or not 0 < size < 0x80:
            raise Unusual
        start += 2 + size
        size = data[start + 1]
        if data[start] != _OCTETS or not 0 < size < 0x80:
            raise Unusual
        flags, start = data[start + 2], start + 2 + size
        if data[start:start + 3] != _USM or start + 3 > pos:
            raise Unusual
        tag, start, pos = quick_header(data, pos, end)
        found, start, stop = quick_header(data, start, pos)
        if tag != _OCTETS or found != _SEQUENCE or stop != pos:
            raise Unusual
        # UsmSecurityParameters: engine ID, boots, time, user, HMAC, salt; each below 128
        # bytes, the numbers not empty
        size = data[start + 1]
        if data[start] != _OCTETS or size >= 0x80:
            raise Unusual
        at, start = start + 2, start + 2 + size
        engine_id = data[at:start]
        size = data[start + 1]
        if data[start] != _INTEGER or not 0 < size < 0x80:
            raise Unusual
        at, start = start + 2, start + 2 + size
        boots = int.from_bytes(data[at:start], "big", signed=True)
        size = data[start + 1]
        if data[start] != _INTEGER or not 0 < size < 0x80:
            raise Unusual
        at, start = start + 2, start + 2 + size
        time_s = int.from_bytes(data[at:start], "big", signed=True)
        if not 0 <= boots < 2**31 or not 0 <= time_s < 2**31:
            raise Unusual
        size = data[start + 1]
        if data[start] != _OCTETS or size >= 0x80:
            raise Unusual
        at, start = start + 2, start + 2 + size
        user = data[at:start]
        size = data[start + 1]
        if data[start] != _OCTETS or size >= 0x80:
            raise Unusual
        mac_at, start = start + 2, start + 2 + size
        mac = data[mac_at:start]
        size = data[start + 1]
        if data[start] != _OCTETS or size >= 0x80 or start + 2 + size != stop:
            raise Unusual
        salt = data[start + 2:stop]
    except (Unusual, IndexError):
        return None
    return Incoming(msg_id, flags, Security(engine_id, boots, time_s, user), mac, mac_at,
                    salt, pos)


def read_strictly(data: bytes) -> Incoming:
    """read_message without the one-pass reader."""
    start, end = _expect(data, 0, len(data), _SEQUENCE, "message")
    if end != len(data):
        raise BerError("trailing bytes after the message")
    version, pos = _int(data, start, end, "version")
    if version != 3:
        raise BerError(f"not SNMPv3 (version {version})")
    start, pos = _expect(data, pos, end, _SEQUENCE, "msgGlobalData")
    msg_id, at = _int(data, start, pos, "msgID")
    _max_size, at = _int(data, at, pos, "msgMaxSize")
    flags_at, at = _expect(data, at, pos, _OCTETS, "msgFlags")
    model, at = _int(data, at, pos, "msgSecurityModel")
    if at - flags_at < 1 or model != 3:
        raise BerError(f"msgFlags empty or not USM (security model {model})")
    flags = data[flags_at]
    start, pos = _expect(data, pos, end, _OCTETS, "msgSecurityParameters")
    start, stop = _expect(data, start, pos, _SEQUENCE, "UsmSecurityParameters")
    if stop != pos:
        raise BerError("trailing bytes after UsmSecurityParameters")
    fields: list[bytes] = []
    numbers: list[int] = []
    mac_at = 0
    for tag in (_OCTETS, _INTEGER, _INTEGER, _OCTETS, _OCTETS, _OCTETS):
        found, at, start = _header(data, start, stop)
        if found != tag:
            raise BerError(f"UsmSecurityParameters: tag 0x{found:02x}, not 0x{tag:02x}")
        if tag == _INTEGER:
            number = int.from_bytes(data[at:start], "big", signed=True)
            if not at < start or not 0 <= number < 2**31:
                raise BerError(f"engineBoots or engineTime empty or out of range: {number}")
            numbers.append(number)
        else:
            mac_at = mac_at or (at if len(fields) == 2 else 0)
            fields.append(data[at:start])
    if start != stop:
        raise BerError("trailing bytes in UsmSecurityParameters")
    engine_id, user, mac, salt = fields
    return Incoming(msg_id, flags, Security(engine_id, numbers[0], numbers[1], user), mac,
                    mac_at, salt, pos)


def without_mac(data: bytes, incoming: Incoming) -> bytes:
    """The datagram with its HMAC zeroed, as it was when the HMAC was made."""
    stop = incoming.mac_at + len(incoming.mac)
    return data[:incoming.mac_at] + bytes(len(incoming.mac)) + data[stop:]


def ciphertext(data: bytes, incoming: Incoming) -> bytes:
    """The encrypted scopedPDU of a message with the privacy flag."""
    start, stop = _expect(data, incoming.data_at, len(data), _OCTETS, "encryptedPDU")
    if stop != len(data):
        raise BerError("trailing bytes after the encryptedPDU")
    return data[start:stop]


def read_scoped(data: bytes, start: int, padded: bool) -> ScopedPdu:
    """The scopedPDU at `start`; `padded`: decrypted, so bytes may follow it."""
    start, end = _expect(data, start, len(data), _SEQUENCE, "scopedPDU")
    if end != len(data) and not padded:
        raise BerError("trailing bytes after the scopedPDU")
    at, pos = _expect(data, start, end, _OCTETS, "contextEngineID")
    context_engine_id = data[at:pos]
    _at, pos = _expect(data, pos, end, _OCTETS, "contextName")
    pdu_type, at, stop = _header(data, pos, end)
    if stop != end:
        raise BerError("trailing bytes after the PDU")
    return ScopedPdu(context_engine_id, pdu_type, *decode_pdu(data, at, stop, 1))
