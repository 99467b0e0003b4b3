"""SNMPv3 exchanges with one agent over one connected UDP socket, matched by msgID.

A reply is taken only if it answers a request in flight (its msgID) and passes that
request's check (the HMAC, the user, the engine): a datagram that fails is dropped like
any other that is not an answer, and remembered so the timeout can name it. The socket
is connected, so the kernel drops datagrams from anyone but the agent; an ICMP port
unreachable is left to the timeout, whose diagnosis (engine ID discovery) names it.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast

from bridge.probes.snmp_ber import BerError
from bridge.probes.usm_message import Incoming, read_message

T = TypeVar("T")


class NoReplyError(Exception):
    """Every try timed out; `undecodable` says why a reply that came was not used."""

    def __init__(self, undecodable: str | None) -> None:
        super().__init__(undecodable or "no response")
        self.undecodable = undecodable


class _Exchange(Generic[T]):
    __slots__ = ("check", "done", "packet", "timer", "tries_left", "undecodable")

    def __init__(self, packet: bytes, check: Callable[[bytes, Incoming], T], tries: int,
                 done: asyncio.Future[T]) -> None:
        self.packet = packet
        self.check = check
        self.tries_left = tries
        self.done = done
        self.timer: asyncio.TimerHandle | None = None
        self.undecodable: str | None = None


class AgentLink(asyncio.DatagramProtocol):
    """The socket to one agent and the requests in flight on it."""

    def __init__(self) -> None:
        self._transport: asyncio.DatagramTransport | None = None
        self._pending: dict[int, _Exchange[Any]] = {}

    @classmethod
    async def open(cls, host: str, port: int) -> AgentLink:
        """A link to host:port (an address, resolved already)."""
        loop = asyncio.get_running_loop()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        _transport, link = await loop.create_datagram_endpoint(
            cls, remote_addr=(host, port), family=family)
        return link

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.DatagramTransport, transport)  # not a subclass in 3.11

    def close(self) -> None:
        """Close the socket; requests in flight are cancelled."""
        for exchange in self._pending.values():
            if exchange.timer is not None:
                exchange.timer.cancel()
            exchange.done.cancel()
        self._pending.clear()
        if self._transport is not None:
            self._transport.close()

    async def exchange(self, msg_id: int, packet: bytes, check: Callable[[bytes, Incoming], T],
                       timeout_s: float, retries: int) -> T:
        """Send `packet` (again after each `timeout_s`, `retries` times); what `check` makes
        of the reply. NoReplyError when every try timed out."""
        done: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        exchange = _Exchange(packet, check, retries + 1, done)
        self._pending[msg_id] = exchange
        try:
            self._try(exchange, timeout_s)
            return await done
        finally:
            del self._pending[msg_id]
            if exchange.timer is not None:
                exchange.timer.cancel()

    def _try(self, exchange: _Exchange[T], timeout_s: float) -> None:
        if exchange.done.done():
            return
        if exchange.tries_left == 0:
            exchange.done.set_exception(NoReplyError(exchange.undecodable))
            return
        exchange.tries_left -= 1
        assert self._transport is not None
        self._transport.sendto(exchange.packet)
        exchange.timer = asyncio.get_running_loop().call_later(
            timeout_s, self._try, exchange, timeout_s)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            incoming = read_message(data)
        except BerError:
            return
        exchange = self._pending.get(incoming.msg_id)
        if exchange is None or exchange.done.done():
            return  # not an answer to anything in flight
        try:
            exchange.done.set_result(exchange.check(data, incoming))
        except BerError as exc:
            exchange.undecodable = str(exc)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors are left to the timeout: its diagnosis says what they meant."""
