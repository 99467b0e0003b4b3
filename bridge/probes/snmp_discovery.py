"""SNMPv3 engine ID discovery (RFC 3414 section 4): one unauthenticated probe, one Report.

bridge keys each v3 user by the agent's engine ID, so it needs the ID before the
first authenticated request; pysnmp's own discovery happens inside a request, too late.
The Report also carries the agent's engineBoots and engineTime (net-snmp fills them in),
which tell a restarted agent from one that ignores our credentials.
"""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import dataclass

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto import rfc1905
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

from bridge.config.snmp_models import SnmpAccess, SnmpVersion
from bridge.probes.snmp_types import PORT_UNREACHABLE

_REPORTABLE = b"\x04"
_USM = 3


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
    message = SNMPv3Message()
    message["msgVersion"] = 3
    header = message["msgGlobalData"]
    header["msgID"] = msg_id
    header["msgMaxSize"] = 65507
    header["msgFlags"] = _REPORTABLE
    header["msgSecurityModel"] = _USM
    params = UsmSecurityParameters()
    for name in ("msgAuthoritativeEngineId", "msgUserName", "msgAuthenticationParameters",
                 "msgPrivacyParameters"):
        params[name] = b""
    params["msgAuthoritativeEngineBoots"] = 0
    params["msgAuthoritativeEngineTime"] = 0
    message["msgSecurityParameters"] = encoder.encode(params)
    scoped = message["msgData"]["plaintext"]
    scoped["contextEngineId"] = b""
    scoped["contextName"] = b""
    pdu = rfc1905.GetRequestPDU()
    pdu["request-id"] = msg_id
    pdu["error-status"] = 0
    pdu["error-index"] = 0
    pdu["variable-bindings"].clear()
    scoped["data"]["get-request"] = pdu
    return bytes(encoder.encode(message))


def engine_of(reply: bytes, msg_id: int) -> EngineInfo | None:
    """The authoritative engine in a reply to `msg_id`; None for anything else."""
    try:
        message, _ = decoder.decode(reply, asn1Spec=SNMPv3Message())
        if int(message["msgGlobalData"]["msgID"]) != msg_id:
            return None
        params, _ = decoder.decode(bytes(message["msgSecurityParameters"]),
                                   asn1Spec=UsmSecurityParameters())
        info = EngineInfo(bytes(params["msgAuthoritativeEngineId"]),
                          int(params["msgAuthoritativeEngineBoots"]),
                          int(params["msgAuthoritativeEngineTime"]))
    except (PyAsn1Error, ValueError, TypeError, KeyError):
        return None
    return info if info.engine_id else None


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
