"""SNMPv3 engine ID discovery (RFC 3414 section 4): one unauthenticated probe, one Report.

bridge localises each v3 user's keys to the agent's engine ID, so it needs the ID
before the first authenticated request.
The Report also carries the agent's engineBoots and engineTime (net-snmp fills them in),
which tell a restarted agent from one that ignores our credentials.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass

from bridge.core.probe_kinds.snmp import SnmpAccess, SnmpVersion
from bridge.probes.snmp.ber import GET, BerError, encode_pdu
from bridge.probes.snmp.types import PORT_UNREACHABLE
from bridge.probes.snmp.usm_message import (
    REPORTABLE,
    Security,
    encode_message,
    encode_scoped,
    read_message,
)


class DiscoveryError(OSError):
    """The agent did not reveal its engine ID."""


class PortUnreachableError(DiscoveryError):
    """The agent's host refused the probe (ICMP port unreachable): nothing listens there."""

    def __init__(self) -> None:
        super().__init__(PORT_UNREACHABLE)


@dataclass(frozen=True)
class EngineInfo:
    """What an agent's discovery Report says about its SNMP engine."""

    engine_id: bytes
    boots: int  # snmpEngineBoots: restarts, as the agent counts them (0 if it does not say)
    time_s: int  # snmpEngineTime: seconds since the last boot


def discovery_message(msg_id: int) -> bytes:
    """A noAuthNoPriv GET with an empty engine ID and user: the agent answers with a Report."""
    scoped = encode_scoped(b"", b"", encode_pdu(GET, msg_id, ()))
    return encode_message(msg_id, REPORTABLE, Security(b"", 0, 0, b""), 0, b"", scoped)[0]


def engine_of(reply: bytes, msg_id: int) -> EngineInfo | None:
    """The authoritative engine in a reply to `msg_id`; None for anything else."""
    try:
        message = read_message(reply)
    except BerError:
        return None
    if message.msg_id != msg_id or not message.security.engine_id:
        return None
    security = message.security
    return EngineInfo(security.engine_id, security.boots, security.time_s)


class _Probe(asyncio.DatagramProtocol):
    def __init__(self, msg_id: int, found: asyncio.Future[EngineInfo]) -> None:
        self.msg_id = msg_id
        self.found = found

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        info = engine_of(data, self.msg_id)
        if info is not None and not self.found.done():
            self.found.set_result(info)

    def error_received(self, exc: Exception) -> None:
        # the socket is connected: the kernel reports ICMP port unreachable as this
        if isinstance(exc, ConnectionRefusedError) and not self.found.done():
            self.found.set_exception(PortUnreachableError())


async def discover_engine(host: str, port: int, timeout_s: float, retries: int) -> EngineInfo:
    """The agent's engine ID, boots and time; raises DiscoveryError when it does not answer."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    msg_id = int.from_bytes(os.urandom(3), "big")
    found: asyncio.Future[EngineInfo] = loop.create_future()
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _Probe(msg_id, found), remote_addr=(host, port), family=family)
    try:
        for _ in range(retries + 1):
            transport.sendto(discovery_message(msg_id))
            try:
                async with asyncio.timeout(timeout_s):
                    return await asyncio.shield(found)
            except TimeoutError:
                continue
    finally:
        transport.close()
    tries = retries + 1
    raise DiscoveryError(f"no response to {tries} engine ID discovery request"
                         f"{'s' if tries > 1 else ''} of {timeout_s:g} s "
                         "(agent down or unreachable)")


def silence_reason(access: SnmpAccess, unanswered: OSError | None) -> str:
    """Why an agent did not answer a request, knowing why discovery failed, if it did.

    Agents drop requests with a wrong community, and net-snmp drops what it cannot
    decrypt, silently; an agent that still answers engine ID discovery is up.
    """
    if isinstance(unanswered, PortUnreachableError):
        return PORT_UNREACHABLE
    if unanswered is not None:
        return "no answer to engine ID discovery either: agent down, unreachable or overloaded"
    if access.version is not SnmpVersion.V3:
        return "the agent is up but ignores this community: wrong community?"
    if access.priv_key is not None:
        return ("the agent is up but ignores the encrypted request: decryption error "
                "(wrong priv_key or priv_protocol?)")
    return "the agent is up but ignores the request"
