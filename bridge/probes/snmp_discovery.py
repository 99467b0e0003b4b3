"""SNMPv3 engine ID discovery (RFC 3414 section 4): one unauthenticated probe, one Report.

bridge keys each v3 user by the agent's engine ID, so it needs the ID before the
first authenticated request; pysnmp's own discovery happens inside a request, too late.
"""

from __future__ import annotations

import asyncio
import os
import socket

from pyasn1.codec.ber import decoder, encoder
from pyasn1.error import PyAsn1Error
from pysnmp.proto import rfc1905
from pysnmp.proto.mpmod.rfc3412 import SNMPv3Message
from pysnmp.proto.secmod.rfc3414.service import UsmSecurityParameters

_REPORTABLE = b"\x04"
_USM = 3


class DiscoveryError(OSError):
    """The agent did not reveal its engine ID."""


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


def engine_id_of(reply: bytes, msg_id: int) -> bytes | None:
    """The authoritative engine ID in a reply to `msg_id`; None for anything else."""
    try:
        message, _ = decoder.decode(reply, asn1Spec=SNMPv3Message())
        if int(message["msgGlobalData"]["msgID"]) != msg_id:
            return None
        params, _ = decoder.decode(bytes(message["msgSecurityParameters"]),
                                   asn1Spec=UsmSecurityParameters())
        engine_id = bytes(params["msgAuthoritativeEngineId"])
    except (PyAsn1Error, ValueError, TypeError, KeyError):
        return None
    return engine_id or None


class _Probe(asyncio.DatagramProtocol):
    def __init__(self, msg_id: int, found: asyncio.Future[bytes]) -> None:
        self.msg_id = msg_id
        self.found = found

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        engine_id = engine_id_of(data, self.msg_id)
        if engine_id is not None and not self.found.done():
            self.found.set_result(engine_id)


async def discover_engine_id(host: str, port: int, timeout_s: float, retries: int) -> bytes:
    """The agent's snmpEngineID; raises DiscoveryError when it does not answer."""
    loop = asyncio.get_running_loop()
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    msg_id = int.from_bytes(os.urandom(3), "big")
    found: asyncio.Future[bytes] = loop.create_future()
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
