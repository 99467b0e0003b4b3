"""SNMPv3 exchanges over one UDP socket per address family, matched by msgID and address.

The socket and its tries are shared_udp.py's, as for v1/v2c (udp.py). A reply is
taken only if it comes from the address its msgID's request went to and passes that
request's check (the HMAC, the user, the engine); a datagram that fails is dropped like
any other that is not an answer, and remembered so the timeout can name it. ICMP errors
are left to the timeout, whose diagnosis (engine ID discovery) names them.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import TypeVar

from bridge.probes.snmp.ber import BerError
from bridge.probes.snmp.shared_udp import SharedUdpTransport
from bridge.probes.snmp.usm_message import Incoming, read_message

T = TypeVar("T")


class UsmTransport(SharedUdpTransport[Callable[[bytes, Incoming], T], T]):
    """Owns the v3 sockets of one event loop and the requests in flight on them."""

    async def exchange(self, host: str, port: int, msg_id: int, packet: bytes,
                       check: Callable[[bytes, Incoming], T], timeout_s: float,
                       retries: int) -> T:
        """Send `packet` to host:port (again after each `timeout_s`, `retries` times); what
        `check` makes of the reply. NoResponseError when every try timed out; msg_id must
        not be in flight already."""
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        return await self._exchange(family, msg_id, packet, (host, port), check, timeout_s,
                                    retries)

    def _take(self, data: bytes, peer: tuple[object, ...]) -> None:
        try:
            incoming = read_message(data)
        except BerError:
            return
        exchange = self._pending.get(incoming.msg_id)
        if exchange is None or exchange.done.done() or exchange.peer != peer:
            return  # not an answer to anything in flight
        try:
            exchange.done.set_result(exchange.expected(data, incoming))
        except BerError as exc:
            exchange.undecodable = str(exc)
