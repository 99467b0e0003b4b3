"""SNMPv3 exchanges over one UDP socket per address family, matched by msgID and address.

As for v1/v2c (snmp_udp.py), every request goes out through one shared socket and each
readable wake-up drains every datagram waiting: with many checks in flight, one pass of
the event loop takes many replies (asyncio's datagram transport takes one per pass, which
cost a v3 poll ~40 % more CPU). A reply is taken only if it comes from the address its
msgID's request went to and passes that request's check (the HMAC, the user, the
engine); a datagram that fails is dropped like any other that is not an answer, and
remembered so the timeout can name it. ICMP errors are left to the timeout, whose
diagnosis (engine ID discovery) names them.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from bridge.probes.snmp_ber import BerError
from bridge.probes.usm_message import Incoming, read_message

T = TypeVar("T")
_RCVBUF_BYTES = 4 * 1024 * 1024  # replies to thousands of concurrent requests
_MAX_DATAGRAM = 65535


class NoReplyError(Exception):
    """Every try timed out; `undecodable` says why a reply that came was not used."""

    def __init__(self, undecodable: str | None) -> None:
        super().__init__(undecodable or "no response")
        self.undecodable = undecodable


class _Exchange(Generic[T]):
    __slots__ = ("check", "done", "packet", "peer", "sockaddr", "timer", "tries_left",
                 "undecodable")

    def __init__(self, packet: bytes, sockaddr: tuple[Any, ...],
                 check: Callable[[bytes, Incoming], T], tries: int,
                 done: asyncio.Future[T]) -> None:
        self.packet = packet
        self.sockaddr = sockaddr
        self.peer = sockaddr[:2]  # host and port, as recvfrom reports them
        self.check = check
        self.tries_left = tries
        self.done = done
        self.timer: asyncio.TimerHandle | None = None
        self.undecodable: str | None = None


class UsmTransport:
    """Owns the v3 sockets of one event loop and the requests in flight on them."""

    def __init__(self) -> None:
        self._sockets: dict[int, socket.socket] = {}
        self._pending: dict[int, _Exchange[Any]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def close(self) -> None:
        """Close the sockets; requests in flight are cancelled."""
        for exchange in self._pending.values():
            if exchange.timer is not None:
                exchange.timer.cancel()
            exchange.done.cancel()
        self._pending.clear()
        for sock in self._sockets.values():
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self._sockets.clear()

    def _socket(self, family: int) -> socket.socket:
        sock = self._sockets.get(family)
        if sock is None:
            sock = socket.socket(family, socket.SOCK_DGRAM)
            sock.setblocking(False)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF_BYTES)
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(sock.fileno(), self._on_readable, sock)
            self._sockets[family] = sock
        return sock

    async def exchange(self, host: str, port: int, msg_id: int, packet: bytes,
                       check: Callable[[bytes, Incoming], T], timeout_s: float,
                       retries: int) -> T:
        """Send `packet` to host:port (again after each `timeout_s`, `retries` times); what
        `check` makes of the reply. NoReplyError when every try timed out; msg_id must not
        be in flight already."""
        sock = self._socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
        assert self._loop is not None
        done: asyncio.Future[T] = self._loop.create_future()
        exchange = _Exchange(packet, (host, port), check, retries + 1, done)
        self._pending[msg_id] = exchange
        try:
            self._try(sock, exchange, timeout_s)
            return await done
        finally:
            del self._pending[msg_id]
            if exchange.timer is not None:
                exchange.timer.cancel()

    def _try(self, sock: socket.socket, exchange: _Exchange[T], timeout_s: float) -> None:
        if exchange.done.done():
            return
        if exchange.tries_left == 0:
            exchange.done.set_exception(NoReplyError(exchange.undecodable))
            return
        exchange.tries_left -= 1
        try:
            sock.sendto(exchange.packet, exchange.sockaddr)
        except ConnectionRefusedError:
            pass  # an earlier datagram's ICMP error: this one was not sent; the timer resends
        except OSError as exc:
            exchange.done.set_exception(exc)
            return
        assert self._loop is not None
        exchange.timer = self._loop.call_later(timeout_s, self._try, sock, exchange, timeout_s)

    def _on_readable(self, sock: socket.socket) -> None:
        while True:
            try:
                data, peer = sock.recvfrom(_MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # level-triggered: called again while datagrams wait
            try:
                incoming = read_message(data)
            except BerError:
                continue
            exchange = self._pending.get(incoming.msg_id)
            if exchange is None or exchange.done.done() or exchange.peer != peer[:2]:
                continue  # not an answer to anything in flight
            try:
                exchange.done.set_result(exchange.check(data, incoming))
            except BerError as exc:
                exchange.undecodable = str(exc)
