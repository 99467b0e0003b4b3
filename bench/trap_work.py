"""The `traps` benchmark's workload: a realistic mix of linkDown/linkUp traps from many
devices, as SNMPv2c or SNMPv3 authPriv datagrams, made once so both sides get the same bytes.

Most traps repeat a problem that is already open (a flapping port, an agent that resends
every minute), some start a new one, a few clear one with linkUp.
"""

from __future__ import annotations

import hmac
import random
from dataclasses import dataclass

from bridge.core.probe_kinds.snmp import AuthProtocol, PrivProtocol
from bridge.probes.snmp.ber import _integer, _tlv, encode_oid
from bridge.probes.snmp.notifications import INFORM, TRAP_V2
from bridge.probes.snmp.usm_keys import UsmKeys
from bridge.probes.snmp.usm_message import (
    AUTH,
    PRIV,
    Security,
    encode_message,
    encode_scoped,
    encrypted_data,
)
from bridge.probes.snmp.usm_privacy import Privacy

DEVICES = 50
COMMUNITY = b"bench-community"
V3_USER, V3_AUTH, V3_PRIV = b"bench-user", b"bench-auth-pass", b"bench-priv-pass"
SENDER_ENGINE_ID = bytes.fromhex("80001f888062656e6368")  # enterprise 8072, text "bench"
LINK_DOWN = (1, 3, 6, 1, 6, 3, 1, 1, 5, 3)
LINK_UP = (1, 3, 6, 1, 6, 3, 1, 1, 5, 4)
IF_INDEX = (1, 3, 6, 1, 2, 1, 2, 2, 1, 1)
NEW_SHARE, CLEAR_SHARE = 0.10, 0.05  # the rest repeats an open problem


@dataclass(frozen=True)
class Trap:
    """One trap of the mix: which device sends it, about which interface, down or up."""

    device: int
    if_index: int
    down: bool


@dataclass(frozen=True)
class MixShares:
    """What the mix holds, counted."""

    repeats: int
    new: int
    clears: int


def mix(count: int, seed: int = 7) -> tuple[list[Trap], MixShares]:
    """`count` traps: each device's first interface goes down first, then the shares."""
    rng = random.Random(seed)
    next_if = [1] * DEVICES
    open_ones: list[tuple[int, int]] = []
    traps: list[Trap] = []
    repeats = new = clears = 0
    for n in range(count):
        draw = rng.random()
        if n < DEVICES or not open_ones or draw < NEW_SHARE:
            device = n % DEVICES if n < DEVICES else rng.randrange(DEVICES)
            open_ones.append((device, next_if[device]))
            traps.append(Trap(device, next_if[device], True))
            next_if[device] += 1
            new += 1
        elif draw < NEW_SHARE + CLEAR_SHARE:
            device, if_index = open_ones.pop(rng.randrange(len(open_ones)))
            traps.append(Trap(device, if_index, False))
            clears += 1
        else:
            device, if_index = open_ones[rng.randrange(len(open_ones))]
            traps.append(Trap(device, if_index, True))
            repeats += 1
    return traps, MixShares(repeats, new, clears)


def _pdu(tag: int, request_id: int, trap: Trap) -> bytes:
    def varbind(oid: tuple[int, ...], value: bytes) -> bytes:
        return _tlv(0x30, encode_oid(oid) + value)
    varbinds = (varbind((1, 3, 6, 1, 2, 1, 1, 3, 0), _tlv(0x43, b"\x01"))
                + varbind((1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0),
                          encode_oid(LINK_DOWN if trap.down else LINK_UP))
                + varbind((*IF_INDEX, trap.if_index), _integer(trap.if_index)))
    return _tlv(tag, _integer(request_id) + _integer(0) + _integer(0) + _tlv(0x30, varbinds))


def v2c(request_id: int, trap: Trap, tag: int = TRAP_V2) -> bytes:
    """An SNMPv2c trap (or INFORM)."""
    return _tlv(0x30, _integer(1) + _tlv(0x04, COMMUNITY) + _pdu(tag, request_id, trap))


class V3Sender:
    """An SNMPv3 authPriv (SHA, AES-128) trap sender with its own engine ID."""

    def __init__(self) -> None:
        self.keys = UsmKeys().local(AuthProtocol.SHA, V3_AUTH, PrivProtocol.AES128, V3_PRIV,
                                    SENDER_ENGINE_ID)
        self.privacy = Privacy()

    def trap(self, request_id: int, trap: Trap) -> bytes:
        """One authPriv SNMPv2-Trap from this engine (boots 1, a fixed time: one burst)."""
        assert self.keys.priv_key is not None
        boots, time_s = 1, 100
        scoped = encode_scoped(SENDER_ENGINE_ID, b"", _pdu(TRAP_V2, request_id, trap))
        encrypted, salt = self.privacy.encrypt(PrivProtocol.AES128, self.keys.priv_key, boots,
                                               time_s, scoped)
        size = self.keys.auth.mac_bytes
        message, mac_at = encode_message(request_id, AUTH | PRIV, Security(
            SENDER_ENGINE_ID, boots, time_s, V3_USER), size, salt, encrypted_data(encrypted))
        mac = hmac.digest(self.keys.auth_key, message, self.keys.auth.name)[:size]
        return message[:mac_at] + mac + message[mac_at + size:]


def datagrams(traps: list[Trap], version: str) -> list[tuple[int, bytes]]:
    """Each trap as (sending device, datagram) in SNMPv2c or SNMPv3."""
    sender = V3Sender() if version == "v3" else None
    return [(t.device, sender.trap(n + 1, t) if sender else v2c(n + 1, t))
            for n, t in enumerate(traps)]


def marker(request_id: int) -> bytes:
    """The v2c INFORM sent last: its answer means every trap before it was taken."""
    return v2c(request_id, Trap(0, 1, True), INFORM)
