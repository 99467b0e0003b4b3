"""The USM's work on one message: securing a request, checking its reply (RFC 3414 3.1, 3.2).

A request is encoded, encrypted (authPriv) and signed with an HMAC over the whole
message. A reply is checked before anything in it is believed: its HMAC, that it is for
our user and the engine we asked, its time window (step 7); then decrypted and decoded.
An agent that refuses a request sends a Report naming a usmStats counter instead, which
becomes a Refusal the operator reads.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bridge.core.probe_kinds.oids import Oid
from bridge.core.probe_kinds.snmp import PrivProtocol
from bridge.probes.snmp import types as t
from bridge.probes.snmp.ber import RESPONSE, BerError, encode_pdu
from bridge.probes.snmp.usm_keys import LocalKeys
from bridge.probes.snmp.usm_message import (
    AUTH,
    PRIV,
    REPORT,
    REPORTABLE,
    Incoming,
    ScopedPdu,
    Security,
    ciphertext,
    encode_message,
    encode_scoped,
    encrypted_data,
    read_scoped,
    without_mac,
)
from bridge.probes.snmp.usm_privacy import DecryptionError, Privacy
from bridge.probes.snmp.v3_memory import EngineClocks

_USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)  # SNMP-USER-BASED-SM-MIB::usmStats
NOT_IN_TIME_WINDOW = "usmStatsNotInTimeWindows"
UNKNOWN_ENGINE_ID = "usmStatsUnknownEngineIDs"
# What an operator reads for each Report the agent may send instead of an answer.
_REPORTS: dict[Oid, tuple[str, str]] = {
    (*_USM_STATS, 1, 0): ("usmStatsUnsupportedSecLevels", "security level not supported by "
                          "the agent for this user (usmStatsUnsupportedSecLevels)"),
    (*_USM_STATS, 2, 0): (NOT_IN_TIME_WINDOW, "not in time window (usmStatsNotInTimeWindows: "
                          "the agent's engineBoots or engineTime is not what it said a moment "
                          "before)"),
    (*_USM_STATS, 3, 0): ("usmStatsUnknownUserNames", "unknown user name "
                          "(usmStatsUnknownUserNames: the agent has no such v3 user)"),
    (*_USM_STATS, 4, 0): (UNKNOWN_ENGINE_ID, "unknown engine ID (usmStatsUnknownEngineIDs: "
                          "the agent's engine ID changed a moment ago)"),
    (*_USM_STATS, 5, 0): ("usmStatsWrongDigests", "authentication failure "
                          "(usmStatsWrongDigests: wrong auth_key or auth_protocol)"),
    (*_USM_STATS, 6, 0): ("usmStatsDecryptionErrors", "decryption error "
                          "(usmStatsDecryptionErrors: wrong priv_key or priv_protocol)"),
}

Answer = tuple[int, int, list[t.VarBind]]  # error-status, error-index, varbinds


@dataclass(frozen=True)
class Refusal:
    """What a Report said instead of an answer, by its counter's name."""

    name: str
    text: str
    moved_clock: bool = False  # it was authenticated and moved the engine's clock forward


@dataclass(frozen=True)
class Outgoing:
    """What one request is: to whom, as whom, with which keys, asking what."""

    msg_id: int
    engine_id: bytes
    user: bytes
    context: bytes
    keys: LocalKeys | None  # None: noAuthNoPriv
    priv_protocol: PrivProtocol


def secure(request: Outgoing, clocks: EngineClocks, privacy: Privacy, kind: int,
           oids: Sequence[Oid], max_repetitions: int) -> bytes:
    """The request as it goes on the wire (RFC 3414 3.1)."""
    keys = request.keys
    boots, time_s = clocks.now(request.engine_id) if keys else (0, 0)
    scoped = encode_scoped(request.engine_id, request.context,
                           encode_pdu(kind, request.msg_id, oids, 0, max_repetitions))
    if keys is None:
        security = Security(request.engine_id, 0, 0, request.user)
        return encode_message(request.msg_id, REPORTABLE, security, 0, b"", scoped)[0]
    flags, salt = REPORTABLE | AUTH, b""
    if keys.priv_key is not None:
        flags |= PRIV
        encrypted, salt = privacy.encrypt(request.priv_protocol, keys.priv_key, boots, time_s,
                                          scoped)
        scoped = encrypted_data(encrypted)
    size = keys.auth.mac_bytes
    message, mac_at = encode_message(request.msg_id, flags, Security(
        request.engine_id, boots, time_s, request.user), size, salt, scoped)
    mac = hmac.digest(keys.auth_key, message, keys.auth.name)[:size]
    return message[:mac_at] + mac + message[mac_at + size:]


def reader(request: Outgoing, clocks: EngineClocks, privacy: Privacy
           ) -> Callable[[bytes, Incoming], Answer | Refusal]:
    """What makes of a datagram with the request's msgID an answer or a Refusal; it raises
    BerError for one to drop (RFC 3414 3.2)."""
    keys = request.keys

    def read(data: bytes, incoming: Incoming) -> Answer | Refusal:
        security = incoming.security
        authentic = bool(incoming.flags & AUTH)
        if authentic:
            if keys is None or security.engine_id != request.engine_id \
                    or security.user != request.user:
                raise BerError("an authenticated reply for another engine or user")
            digest = hmac.digest(keys.auth_key, without_mac(data, incoming),
                                 keys.auth.name)[:keys.auth.mac_bytes]
            if not hmac.compare_digest(digest, incoming.mac):
                raise BerError("a reply with a wrong HMAC")
        scoped = _scoped(request, privacy, data, incoming)
        moved = authentic and clocks.learn(request.engine_id, security.boots, security.time_s)
        if scoped.pdu_type == REPORT:
            return _refusal(scoped, moved)
        if scoped.pdu_type != RESPONSE or scoped.request_id != request.msg_id:
            raise BerError(f"PDU 0x{scoped.pdu_type:02x} with request-id "
                           f"{scoped.request_id}, not a Response to {request.msg_id}")
        if keys is not None and not authentic:
            raise BerError("an unauthenticated Response to an authenticated request")
        if authentic and not clocks.in_window(request.engine_id, security.boots,
                                              security.time_s):
            return Refusal(*_REPORTS[(*_USM_STATS, 2, 0)])
        return scoped.error_status, scoped.error_index, scoped.varbinds

    return read


def _scoped(request: Outgoing, privacy: Privacy, data: bytes, incoming: Incoming
            ) -> ScopedPdu:
    if not incoming.flags & PRIV:
        return read_scoped(data, incoming.data_at, padded=False)
    keys = request.keys
    if keys is None or keys.priv_key is None or not incoming.flags & AUTH:
        raise BerError("an encrypted reply to a request that was not")
    security = incoming.security
    try:
        plaintext = privacy.decrypt(request.priv_protocol, keys.priv_key, security.boots,
                                    security.time_s, incoming.salt, ciphertext(data, incoming))
        return read_scoped(plaintext, 0, padded=True)
    except (DecryptionError, BerError) as exc:
        raise BerError(f"a reply that does not decrypt ({exc})") from None


def _refusal(scoped: ScopedPdu, moved_clock: bool) -> Refusal:
    """What a Report says went wrong, by the counter it carries."""
    oid: Oid = scoped.varbinds[0][0] if scoped.varbinds else ()
    number = ".".join(map(str, oid))
    name, text = _REPORTS.get(oid, (number, f"the agent refused the request: Report of {number}"))
    return Refusal(name, text, moved_clock and name == NOT_IN_TIME_WINDOW)
