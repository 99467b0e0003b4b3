"""Agents that misbehave as real ones were seen to: a table cut short by an empty GETBULK
answer, tooBig, an INTEGER out of range, a truncated reply.

The agent is a small scripted one on loopback (a seam we own: snmpsim cannot be made to
misbehave like this); it serves an interface table with a fault and bridge polls it
through its real probe path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import cast

import pytest
from pyasn1.codec.ber import decoder
from pysnmp.proto import api

from bridge.core.probe_kinds.oids import OBJECTS, Oid
from bridge.core.probe_kinds.snmp import SnmpAccess, SnmpVersion
from bridge.core.secret import Secret
from bridge.probes.snmp.ber import encode_oid
from tests.probes.snmp.test_ber import tlv
from tests.probes.snmp.test_probe import poll, probe

SYS_UPTIME = (*OBJECTS["sysUpTime"][0], 0)
SYS_NAME = (*OBJECTS["sysName"][0], 0)
_NULL = b"\x05\x00"


def integer(value: int) -> bytes:
    """An INTEGER TLV of whatever value, in range or not (as broken agents send them)."""
    return tlv(0x02, value.to_bytes((value.bit_length() + 8) // 8 or 1, "big", signed=True))


def port_table(ports: int, down: set[int], values: dict[Oid, bytes]) -> list[tuple[Oid, bytes]]:
    """ifDescr, ifType, ifAdminStatus and ifOperStatus of `ports` ports; `values` replaces
    single cells."""
    rows: dict[Oid, bytes] = {SYS_UPTIME: tlv(0x43, b"\x01\x00")}
    for i in range(1, ports + 1):
        rows[(*OBJECTS["ifDescr"][0], i)] = tlv(0x04, f"port{i}".encode())
        rows[(*OBJECTS["ifType"][0], i)] = integer(6)
        rows[(*OBJECTS["ifAdminStatus"][0], i)] = integer(1)
        rows[(*OBJECTS["ifOperStatus"][0], i)] = integer(2 if i in down else 1)
    rows.update(values)
    rows[(1, 3, 6, 1, 2, 1, 4, 1, 0)] = integer(2)  # something after the tables
    return sorted(rows.items())


@dataclass
class FaultyAgent(asyncio.DatagramProtocol):
    """Serves `table` (in the version asked, any community) with one fault."""

    table: list[tuple[Oid, bytes]]
    empty_from_request: int | None = None  # GETBULKs from this one on come back empty
    too_big_over: int | None = None  # GETBULKs asking for more rows get tooBig
    truncate: bool = False  # every reply cut in half
    repeat: Oid | None = None  # the next OID after this one is itself (a looping agent)
    max_repetitions: list[int] = field(default_factory=list)  # as asked, in order

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            message, _ = decoder.decode(data, asn1Spec=api.PROTOCOL_MODULES[1].Message())
        except Exception:  # an SNMPv3 engine ID probe, say: not ours to answer
            return
        pdu = message["data"].getComponent()
        oids = [tuple(vb["name"]) for vb in pdu["variable-bindings"]]
        status, binds = self._answer(pdu.tagSet[0].tagId, pdu, oids)
        body = b"".join(tlv(0x30, encode_oid(oid) + value) for oid, value in binds)
        reply = tlv(0x30, integer(int(message["version"])) + tlv(
            0x04, bytes(message["community"])) + tlv(
            0xA2, integer(int(pdu["request-id"])) + integer(status) + integer(0)
            + tlv(0x30, body)))
        self.transport.sendto(reply[: len(reply) // 2] if self.truncate else reply, addr)

    def _answer(self, kind: int, pdu: object, oids: list[Oid]
                ) -> tuple[int, list[tuple[Oid, bytes]]]:
        if kind == 0:  # GET
            found = dict(self.table)
            return 0, [(oid, found.get(oid, b"\x81\x00")) for oid in oids]
        if kind == 1:  # GETNEXT
            return 0, [self._next(oid) for oid in oids]
        repetitions = int(pdu["max-repetitions"])  # type: ignore[index]
        self.max_repetitions.append(repetitions)
        if self.too_big_over is not None and repetitions > self.too_big_over:
            return 1, [(oid, _NULL) for oid in oids]
        if self.empty_from_request is not None \
                and len(self.max_repetitions) >= self.empty_from_request:
            return 0, []
        binds, cursors = [], list(oids)
        for _ in range(repetitions):
            row = [self._next(oid) for oid in cursors]
            binds += row
            cursors = [oid for oid, _ in row]
        return 0, binds

    def _next(self, oid: Oid) -> tuple[Oid, bytes]:
        if oid == self.repeat:
            return oid, dict(self.table)[oid]
        return next(((o, v) for o, v in self.table if o > oid), (oid, b"\x82\x00"))


@contextlib.asynccontextmanager
async def serving(agent: FaultyAgent, version: SnmpVersion = SnmpVersion.V2C
                  ) -> AsyncIterator[SnmpAccess]:
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(lambda: agent,
                                                       local_addr=("127.0.0.1", 0))
    try:
        yield SnmpAccess(version=version, port=transport.get_extra_info("sockname")[1],
                         community=Secret("public"))
    finally:
        transport.close()


async def test_an_empty_bulk_answer_mid_table_is_a_failure_not_a_short_table() -> None:
    """25 ports; the second GETBULK comes back with no values after 10 rows."""
    agent = FaultyAgent(port_table(25, set(), {}), empty_from_request=2)
    async with serving(agent) as access:
        result = await poll(access, probe(interfaces=True, max_repetitions=10))
    assert not result.ok
    assert result.output == (
        "walk ended early: the agent answered GETBULK after ifDescr.10, ifType.10, "
        "ifAdminStatus.10, ifOperStatus.10 with no values (a table cut short)")


@pytest.mark.parametrize("version", [SnmpVersion.V1, SnmpVersion.V2C])
async def test_a_walk_that_goes_back_fails_instead_of_looping(version: SnmpVersion) -> None:
    """After ifDescr.2 the agent answers ifDescr.2 again (GETNEXT for v1, GETBULK v2c)."""
    last = {(1, 3, 6, 1, 4, 1, 9, 0): integer(0)}  # past every walk: SNMPv1 has no endOfMibView
    agent = FaultyAgent(port_table(4, set(), last), repeat=(*OBJECTS["ifDescr"][0], 2))
    async with serving(agent, version) as access:
        result = await poll(access, probe(interfaces=True))
    assert (result.ok, result.output) == (
        False, "agent returned ifDescr.2 after ifDescr.2: OIDs not increasing")


async def test_too_big_asks_again_for_fewer_rows() -> None:
    agent = FaultyAgent(port_table(25, {3}, {}), too_big_over=8)
    async with serving(agent) as access:
        result = await poll(access, probe(interfaces=True, max_repetitions=25))
    assert result.output == ("1 interface down while admin up: port3 (ifIndex 3); "
                             "up 0d 0:00:02; 25 interfaces, 25 judged: 24 up, 1 down")
    assert agent.max_repetitions[:3] == [25, 12, 6]  # halved until it fits
    assert set(agent.max_repetitions[2:]) == {6}


async def test_one_integer_out_of_range_is_named_and_the_rest_judged() -> None:
    """Port 7's ifOperStatus comes as 4294967295 (an unsigned value in an INTEGER)."""
    bad = {(*OBJECTS["ifOperStatus"][0], 7): integer(2**32 - 1)}
    agent = FaultyAgent(port_table(12, {3}, bad))
    async with serving(agent) as access:
        result = await poll(access, probe(interfaces=True))
    assert not result.ok  # port 3 is down: judged despite port 7
    assert result.output == (
        "1 interface down while admin up: port3 (ifIndex 3); WARNING unreadable value: "
        "ifOperStatus.7 (port7): the agent sent INTEGER 4294967295 out of range "
        "(-2147483648..2147483647); up 0d 0:00:02; 12 interfaces, 12 judged: 10 up, 1 down, "
        "1 other")
    assert dict(result.values)["interface port7"] == "unreadable"


async def test_a_bad_value_alone_warns_and_never_calls_the_agent_down() -> None:
    bad = {(*OBJECTS["ifOperStatus"][0], 2): integer(-(2**40))}
    agent = FaultyAgent(port_table(4, set(), bad))
    async with serving(agent) as access:
        result = await poll(access, probe(interfaces=True))
    assert (result.ok, result.warning) == (True, True)
    assert "agent down" not in result.output
    assert "ifOperStatus.2 (port2): the agent sent INTEGER -1099511627776 out of range" \
        in result.output


@pytest.mark.parametrize("max_repetitions", [1, 25])
async def test_a_truncated_reply_says_it_could_not_be_decoded(max_repetitions: int) -> None:
    agent = FaultyAgent(port_table(4, set(), {}), truncate=True)
    async with serving(agent) as access:
        result = await poll(access, probe(interfaces=True, timeout_s=0.2, retries=1,
                                          max_repetitions=max_repetitions))
    assert (result.ok, result.output) == (
        False, "the agent's reply could not be decoded (truncated): no usable answer to 2 "
               "requests of 0.2 s")


async def test_a_bad_value_read_with_get_or_a_threshold_is_named_not_judged() -> None:
    bad = {SYS_NAME: integer(2**31), (*OBJECTS["ifMtu"][0], 1): integer(-(2**32))}
    agent = FaultyAgent(port_table(1, set(), bad))
    async with serving(agent) as access:
        result = await poll(access, probe(get=["sysName"], thresholds=[
            {"oid": "ifMtu.1", "critical": "< 1500"}]))
    assert (result.ok, result.warning) == (True, True)
    assert result.output == (
        "WARNING sysName: the agent sent INTEGER 2147483648 out of range "
        "(-2147483648..2147483647); WARNING ifMtu.1: the agent sent INTEGER -4294967296 out "
        "of range (-2147483648..2147483647); not judged; up 0d 0:00:02")
