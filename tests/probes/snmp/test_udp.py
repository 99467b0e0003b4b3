"""SNMPv1/v2c over bridge's shared UDP socket, against scripted agents on loopback.

The agents decode requests and encode replies with pysnmp, so both ends of every
exchange here are pysnmp's idea of SNMP except bridge's own side.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any, cast

import pytest
from pyasn1.codec.ber import decoder
from pysnmp.proto import api, rfc1902

from bridge.core.probe_kinds.snmp import SnmpAccess, SnmpVersion
from bridge.core.secret import Secret
from bridge.probes.snmp.client import SnmpClient
from bridge.probes.snmp.types import OctetString, Request, SnmpError
from tests.probes.snmp.test_ber import pysnmp_response, tlv

SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
Reply = tuple[bytes, bool]  # a datagram, and whether it comes from another port
Script = Callable[[int, list[tuple[int, ...]], int], list[Reply]]  # request-id, OIDs, try


class _Agent(asyncio.DatagramProtocol):
    """Answers each request with whatever the script says."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.tries: dict[int, int] = {}

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        message, _ = decoder.decode(data, asn1Spec=api.PROTOCOL_MODULES[1].Message())
        pdu = message["data"].getComponent()
        request_id = int(pdu["request-id"])
        oids = [tuple(vb["name"]) for vb in pdu["variable-bindings"]]
        self.tries[request_id] = self.tries.get(request_id, 0) + 1
        for reply, from_elsewhere in self.script(request_id, oids, self.tries[request_id]):
            if from_elsewhere:
                self.other.sendto(reply, addr)
            else:
                self.transport.sendto(reply, addr)


@pytest.fixture
async def agent_factory() -> AsyncIterator[Callable[[Script], Any]]:
    opened: list[asyncio.BaseTransport] = []

    async def start(script: Script, host: str = "127.0.0.1") -> tuple[_Agent, int]:
        loop = asyncio.get_running_loop()
        transport, agent = await loop.create_datagram_endpoint(
            lambda: _Agent(script), local_addr=(host, 0))
        other, _ = await loop.create_datagram_endpoint(
            asyncio.DatagramProtocol, local_addr=(host, 0))
        agent.other = cast(asyncio.DatagramTransport, other)
        opened.extend([transport, other])
        return agent, transport.get_extra_info("sockname")[1]

    yield start
    for transport in opened:
        transport.close()


def request(port: int, retries: int = 0, timeout_s: float = 0.3,
            address: str = "127.0.0.1") -> Request:
    access = SnmpAccess(version=SnmpVersion.V2C, port=port, community=Secret("public"))
    return Request(address, access, timeout_s=timeout_s, retries=retries)


def text(request_id: int, oids: list[tuple[int, ...]], value: bytes,
         community: bytes = b"public") -> bytes:
    return pysnmp_response(1, request_id, [(oid, rfc1902.OctetString(value)) for oid in oids],
                           community=community)


async def test_only_the_reply_to_this_request_from_its_agent_counts(agent_factory: Any) -> None:
    def script(request_id: int, oids: list[tuple[int, ...]], _try: int) -> list[Reply]:
        return [(text(request_id + 1, oids, b"another request's"), False),
                (text(request_id, oids, b"another community's", b"other"), False),
                (text(request_id, oids, b"another port's"), True),
                (b"\x30\x03\x02\x01", False),  # garbage
                (text(request_id, oids, b"sw-1"), False)]

    _agent, port = await agent_factory(script)
    client = SnmpClient()
    try:
        assert await client.get(request(port), [SYS_NAME]) == [(SYS_NAME, OctetString(b"sw-1"))]
    finally:
        client.close()


@pytest.mark.parametrize("address", ["::1", "0:0::1"])  # any spelling of the address
async def test_an_agent_on_ipv6_loopback(agent_factory: Any, address: str) -> None:
    def script(request_id: int, oids: list[tuple[int, ...]], _try: int) -> list[Reply]:
        return [(text(request_id, oids, b"another port's"), True),
                (text(request_id, oids, b"v6"), False)]

    _agent, port = await agent_factory(script, "::1")
    client = SnmpClient()
    try:
        assert await client.get(request(port, address=address), [SYS_NAME]) == [
            (SYS_NAME, OctetString(b"v6"))]
    finally:
        client.close()


async def test_a_retry_is_answered(agent_factory: Any) -> None:
    def script(request_id: int, oids: list[tuple[int, ...]], attempt: int) -> list[Reply]:
        return [] if attempt == 1 else [(text(request_id, oids, b"sw-1"), False)]

    agent, port = await agent_factory(script)
    client = SnmpClient()
    try:
        [(_oid, value)] = await client.get(request(port, retries=1), [SYS_NAME])
    finally:
        client.close()
    assert value == b"sw-1"
    assert list(agent.tries.values()) == [2]  # the same request-id, sent twice


async def test_an_undecodable_answer_is_named_when_the_request_times_out(
    agent_factory: Any,
) -> None:
    def script(request_id: int, oids: list[tuple[int, ...]], _try: int) -> list[Reply]:
        varbind = tlv(0x30, b"\x06\x03\x2b\x06\x01" + b"\x47\x01\xff")  # no such SMI type
        header = tlv(0x02, request_id.to_bytes(4, "big", signed=True)) + b"\x02\x01\x00" * 2
        pdu = tlv(0xA2, header + tlv(0x30, varbind))
        return [(tlv(0x30, b"\x02\x01\x01" + tlv(0x04, b"public") + pdu), False)]

    _agent, port = await agent_factory(script)
    client = SnmpClient()
    try:
        with pytest.raises(SnmpError) as caught:
            await client.get(request(port), [SYS_NAME])
    finally:
        client.close()
    assert str(caught.value) == ("the agent's reply could not be decoded (unexpected value: "
                                 "tag 0x47, 1 bytes): no usable answer to 1 request of 0.3 s")
    assert not caught.value.timed_out  # it answered: no need to ask whether it is down


async def test_a_hundred_requests_in_flight_get_their_own_answers(agent_factory: Any) -> None:
    """The agent holds every request and answers them all at once, last first."""
    held: list[tuple[int, list[tuple[int, ...]]]] = []
    count = 100  # the agent's default receive buffer holds this many at once

    def script(request_id: int, oids: list[tuple[int, ...]], _try: int) -> list[Reply]:
        held.append((request_id, oids))
        if len(held) < count:
            return []
        return [(text(rid, o, str(o[0][-1]).encode()), False) for rid, o in reversed(held)]

    _agent, port = await agent_factory(script)
    client = SnmpClient()
    polled = request(port, timeout_s=10)  # a bound, not a timing: all arrive at once
    try:
        answers = await asyncio.gather(*(client.get(polled, [(1, 3, 6, 1, 4, 1, 9, i)])
                                         for i in range(count)))
    finally:
        client.close()
    assert [value for [(_oid, value)] in answers] == [str(i).encode() for i in range(count)]


@pytest.mark.parametrize("address", ["127.0.0.1", "::1"])
async def test_a_port_nothing_listens_on_fails_at_once(agent_factory: Any, address: str) -> None:
    """The host refuses the datagram (ICMP port unreachable): that request fails now, not
    after its timeout; a request to a live agent at the same time is answered."""
    def script(request_id: int, oids: list[tuple[int, ...]], _try: int) -> list[Reply]:
        return [(text(request_id, oids, b"sw-1"), False)]

    _agent, live = await agent_factory(script, address)
    with socket.socket(socket.AF_INET6 if ":" in address else socket.AF_INET,
                       socket.SOCK_DGRAM) as unused:
        unused.bind((address, 0))
        closed = unused.getsockname()[1]
    client = SnmpClient()
    try:
        refused, answered = await asyncio.gather(
            client.get(request(closed, timeout_s=10, address=address), [SYS_NAME]),
            client.get(request(live, timeout_s=10, address=address), [SYS_NAME]),
            return_exceptions=True)
    finally:
        client.close()
    assert repr(refused) == repr(SnmpError("port unreachable (agent not running?)"))
    assert answered == [(SYS_NAME, OctetString(b"sw-1"))]
