"""SNMPv3 traps and INFORMs received (RFC 3414 3.2) for a source's configured users,
authPriv only, with bridge's USM pieces (bridge.probes.snmp.usm_*).

For an INFORM bridge is the authoritative engine: its own engine ID, boots and time. A
sender discovers them from a Report (usmStatsUnknownEngineIDs) and is told them again by an
authenticated usmStatsNotInTimeWindows Report when its idea of them is stale (bridge's boots
grow with each start). A trap is the sender's: its keys are localised to the sender's engine
ID, and its boots and time only move forward. The INFORM's answer is a Response encrypted
for the same user.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable
from typing import Any

from bridge.config.intake_traps import TrapSource, TrapUser
from bridge.core.probe_kinds.oids import Oid
from bridge.core.probe_kinds.snmp import PrivProtocol
from bridge.probes.snmp.ber import (
    _OCTETS,
    _SEQUENCE,
    BerError,
    Unusual,
    _expect,
    _header,
    _int,
    _integer,
    _tlv,
    encode_oid,
    quick_header,
)
from bridge.probes.snmp.notifications import (
    INFORM,
    TRAP_V2,
    Notification,
    encode_response_pdu,
    read_v2,
    read_v2_quickly,
)
from bridge.probes.snmp.usm_hmac import KeyedHmac
from bridge.probes.snmp.usm_keys import LocalKeys, UsmKeys
from bridge.probes.snmp.usm_message import (
    AUTH,
    PRIV,
    REPORT,
    REPORTABLE,
    Incoming,
    Security,
    ciphertext,
    encode_message,
    encode_scoped,
    encrypted_data,
    read_message,
    without_mac,
)
from bridge.probes.snmp.usm_privacy import DecryptionError, Privacy
from bridge.probes.snmp.v3_memory import TIME_WINDOW_S, EngineClocks

_USM_STATS = (1, 3, 6, 1, 6, 3, 15, 1, 1)
NOT_IN_TIME_WINDOWS: Oid = (*_USM_STATS, 2, 0)
UNKNOWN_ENGINE_IDS: Oid = (*_USM_STATS, 4, 0)
# bridge's engineBoots: seconds since 2025 at start, so each start counts higher (RFC 3414 2.2)
_EPOCH_S = 1_735_689_600
# (user, engine ID) pairs whose keys are found by one lookup; then forgotten all at once
# (looked up before the datagram is authenticated: a sender choosing engine IDs at will
# must not grow it)
KEYED_MAX = 16_384
ENGINE_ID_MIN, ENGINE_ID_MAX = 5, 32  # SnmpEngineID's size (RFC 3411 5)

Taken = tuple[Notification, bytes | None]  # the notification and an INFORM's answer
Send = Callable[[bytes, Any], None]


def _counter_varbind(oid: Oid, count: int) -> bytes:
    value = count.to_bytes((count.bit_length() + 8) // 8, "big")
    return _tlv(_SEQUENCE, encode_oid(oid) + _tlv(0x41, value))


class TrapUsm:
    """One listener's SNMPv3 state: its engine's boots and time, keys and senders' clocks."""

    def __init__(self) -> None:
        self.boots = max(1, int(time.time()) - _EPOCH_S)
        self._started = time.monotonic()
        self._keys = UsmKeys(local_max=KEYED_MAX)
        self._privacy = Privacy()
        self._senders = EngineClocks()
        self._reports = 0
        # Per source (a reload's new one starts afresh): its users by name, and each user's
        # keys localised to an engine, found by one lookup per datagram
        self._source: TrapSource | None = None
        self._users: dict[bytes, TrapUser] = {}
        self._keyed: dict[tuple[bytes, bytes], tuple[LocalKeys, KeyedHmac]] = {}

    def time_s(self) -> int:
        """engineTime: seconds since this listener started."""
        return int(time.monotonic() - self._started)

    def _local(self, user: TrapUser, engine_id: bytes) -> tuple[LocalKeys, KeyedHmac]:
        """The user's keys for the engine, and its HMAC under the authentication key."""
        found = self._keyed.get((user.name, engine_id))
        if found is None:
            if len(self._keyed) >= KEYED_MAX:
                self._keyed.clear()
            keys = self._keys.local(user.auth_protocol, user.auth_key.reveal().encode(),
                                    user.priv_protocol, user.priv_key.reveal().encode(),
                                    engine_id)
            found = self._keyed[(user.name, engine_id)] = (
                keys, KeyedHmac(keys.auth.name, keys.auth_key))
        return found

    def _user(self, traps: TrapSource, name: bytes) -> TrapUser | None:
        if traps is not self._source:
            self._source, self._keyed = traps, {}
            self._users = {}
            for user in traps.users:  # the first of a name, as the config lists them
                self._users.setdefault(user.name, user)
        return self._users.get(name)

    def receive(self, data: bytes, traps: TrapSource, send: Send, addr: Any) -> Taken | str | None:
        """The notification with its answer; None when a Report was all there was to send; or
        "reason:why" for a datagram to drop (reason: malformed or unauthorized)."""
        try:
            incoming = read_message(data)
        except BerError as exc:
            return f"malformed:{exc}"
        security = incoming.security
        ours = traps.engine_id
        reportable = bool(incoming.flags & REPORTABLE)
        if reportable and security.engine_id != ours:  # a discovery, or an INFORM to another
            self._report(send, addr, incoming, ours, UNKNOWN_ENGINE_IDS,
                         _request_id(data, incoming), None)
            return None
        user = self._user(traps, security.user)
        if user is None:
            return f"unauthorized:unknown SNMPv3 user {security.user[:32]!r}"
        if incoming.flags & (AUTH | PRIV) != AUTH | PRIV:
            return f"unauthorized:user {user.name.decode()!r} not at authPriv"
        engine_id = ours if reportable else security.engine_id
        if not engine_id:
            return "unauthorized:a trap without its sender's engine ID"
        if not ENGINE_ID_MIN <= len(engine_id) <= ENGINE_ID_MAX:  # kept below, unauthenticated
            return (f"malformed:an engine ID of {len(engine_id)} bytes (SnmpEngineID is "
                    f"{ENGINE_ID_MIN} to {ENGINE_ID_MAX})")
        keys, mac = self._local(user, engine_id)
        digest = mac.digest(without_mac(data, incoming))[:keys.auth.mac_bytes]
        if len(incoming.mac) != keys.auth.mac_bytes or not hmac.compare_digest(digest,
                                                                               incoming.mac):
            return f"unauthorized:a wrong authentication key for {user.name.decode()!r}"
        if not reportable:
            self._senders.learn(engine_id, security.boots, security.time_s)
            if not self._senders.in_window(engine_id, security.boots, security.time_s):
                return "unauthorized:a trap outside its sender's time window (a replay?)"
        try:
            trap, context = self._scoped(data, incoming, user, keys)
        except (BerError, DecryptionError) as exc:
            return f"malformed:{exc}"
        if (trap.pdu_type == INFORM) != reportable:
            return "malformed:an INFORM not reportable, or a trap that is"
        if reportable and (security.boots != self.boots
                           or abs(security.time_s - self.time_s()) > TIME_WINDOW_S):
            self._report(send, addr, incoming, ours, NOT_IN_TIME_WINDOWS, trap.request_id,
                         keys)
            return None
        reply = None
        if trap.pdu_type == INFORM:
            reply = self._secure(incoming.msg_id, ours, user.name, keys, encode_scoped(
                *context, encode_response_pdu(trap.request_id, trap.varbind_list)),
                user.priv_protocol)
        return trap, reply

    def _scoped(self, data: bytes, incoming: Incoming, user: TrapUser, keys: LocalKeys
                ) -> tuple[Notification, tuple[bytes, bytes]]:
        """The notification and its context (engine ID and name: the answer's)."""
        assert keys.priv_key is not None
        security = incoming.security
        plain = self._privacy.decrypt(user.priv_protocol, keys.priv_key, security.boots,
                                      security.time_s, incoming.salt, ciphertext(data, incoming))
        try:  # the common shape in one pass; anything else (and what is wrong) below
            tag, start, end = quick_header(plain, 0, len(plain))
            engine_tag, at, pos = quick_header(plain, start, end)
            name_tag, name_at, name_end = quick_header(plain, pos, end)
            pdu, pdu_at, stop = quick_header(plain, name_end, end)
            if tag == _SEQUENCE and engine_tag == _OCTETS and name_tag == _OCTETS \
                    and stop == end and pdu in (INFORM, TRAP_V2):
                trap = read_v2_quickly(plain, pdu, pdu_at, stop, 3)
                if trap is not None:
                    return trap, (plain[at:pos], plain[name_at:name_end])
        except (Unusual, IndexError):
            pass
        start, end = _expect(plain, 0, len(plain), _SEQUENCE, "scopedPDU")
        at, pos = _expect(plain, start, end, _OCTETS, "contextEngineID")
        context_engine_id = plain[at:pos]
        at, pos = _expect(plain, pos, end, _OCTETS, "contextName")
        context = (context_engine_id, plain[at:pos])
        tag, at, stop = _header(plain, pos, end)
        if stop != end or tag not in (INFORM, TRAP_V2):
            raise BerError(f"not a notification: PDU 0x{tag:02x}")
        return read_v2_quickly(plain, tag, at, stop, 3) or read_v2(plain, at, stop, 3, tag), \
            context

    def _secure(self, msg_id: int, ours: bytes, user: bytes, keys: LocalKeys, scoped: bytes,
                priv: PrivProtocol | None) -> bytes:
        """A message from bridge's engine: authenticated, encrypted unless `priv` is None."""
        boots, time_s = self.boots, self.time_s()
        salt, flags = b"", AUTH
        if priv is not None and keys.priv_key is not None:
            encrypted, salt = self._privacy.encrypt(priv, keys.priv_key, boots, time_s, scoped)
            scoped, flags = encrypted_data(encrypted), flags | PRIV
        size = keys.auth.mac_bytes
        message, mac_at = encode_message(msg_id, flags, Security(ours, boots, time_s, user),
                                         size, salt, scoped)
        mac = hmac.digest(keys.auth_key, message, keys.auth.name)[:size]
        return message[:mac_at] + mac + message[mac_at + size:]

    def _report(self, send: Send, addr: Any, incoming: Incoming, ours: bytes, oid: Oid,
                request_id: int, keys: LocalKeys | None) -> None:
        """A Report-PDU with the counter `oid`: plain, or authenticated (authNoPriv) for a
        known user (RFC 3414 3.2 step 7b)."""
        self._reports = (self._reports + 1) % 2**32
        pdu = _tlv(REPORT, _integer(request_id) + _integer(0) + _integer(0)
                   + _tlv(_SEQUENCE, _counter_varbind(oid, self._reports)))
        scoped = encode_scoped(ours, b"", pdu)
        security = incoming.security
        if keys is None:
            message = encode_message(incoming.msg_id, 0, Security(
                ours, self.boots, self.time_s(), security.user), 0, b"", scoped)[0]
        else:
            message = self._secure(incoming.msg_id, ours, security.user, keys, scoped, None)
        send(message, addr)


def _request_id(data: bytes, incoming: Incoming) -> int:
    """A plaintext scopedPDU's request-id (a discovery's), else the msgID."""
    if incoming.flags & PRIV:
        return incoming.msg_id
    try:
        start, end = _expect(data, incoming.data_at, len(data), _SEQUENCE, "scopedPDU")
        pos = _expect(data, start, end, _OCTETS, "contextEngineID")[1]
        pos = _expect(data, pos, end, _OCTETS, "contextName")[1]
        _tag, at, stop = _header(data, pos, end)
        return _int(data, at, stop, "request-id")[0]
    except BerError:
        return incoming.msg_id
