"""Requests in flight over one shared UDP socket per address family, drained per wake-up.

SNMP's two transports are this with their own way of matching a datagram to its request
(`_take`): udp.py by request-id, version and community (v1/v2c), usm_transport.py by
msgID and the USM checks (v3). Like the ICMP engine, every request goes out through one
shared socket and each readable wake-up drains every datagram waiting: with many checks
in flight, one pass of the event loop takes many replies (asyncio's datagram transport
takes one per pass, which cost a v3 poll ~40 % more CPU). A request remembers why a
datagram that may have been its answer was unusable (`undecodable`), so that its timeout
can say the agent answered, but unreadably.

An unconnected socket hears no ICMP errors unless it asks (IP_RECVERR); a transport that
does (`HEARS_ICMP`) gets each with the address the refused datagram went to, so a request
to a host whose agent is not running fails at once instead of waiting for every try to
time out.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import errno
import socket
import sys
from typing import ClassVar, Generic, TypeVar

_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; missing in Python 3.11
_RCVBUF_BYTES = 4 * 1024 * 1024  # replies to thousands of concurrent requests
_MAX_DATAGRAM = 65535
# Linux's <linux/in.h> and <linux/in6.h>; Python 3.11 names neither
_RECVERR: dict[int, tuple[int, int]] = {
    socket.AF_INET: (socket.IPPROTO_IP, getattr(socket, "IP_RECVERR", 11)),
    socket.AF_INET6: (socket.IPPROTO_IPV6, getattr(socket, "IPV6_RECVERR", 25))}
_ERROR_CMSG_BYTES = 512  # struct sock_extended_err and the offender's address
_SEND_TRIES = 3  # sends refused for an earlier ICMP error, then the timer takes over

M = TypeVar("M")  # what a reply must agree with, as the transport's `_take` reads it
R = TypeVar("R")  # what a request's reply is made into


class NoResponseError(Exception):
    """Every try timed out; `undecodable` says why a reply that came was not used."""

    def __init__(self, undecodable: str | None) -> None:
        super().__init__(undecodable or "no response")
        self.undecodable = undecodable


class Exchange(Generic[M, R]):
    """One request in flight: its datagram, where it went, its tries and its outcome."""

    __slots__ = ("done", "expected", "packet", "peer", "sockaddr", "timer", "tries_left",
                 "undecodable")

    def __init__(self, packet: bytes, sockaddr: tuple[object, ...], expected: M,
                 tries: int, done: asyncio.Future[R]) -> None:
        self.packet = packet
        self.sockaddr = sockaddr
        self.peer = sockaddr[:2]  # host and port, as recvfrom reports them
        self.expected = expected
        self.tries_left = tries
        self.done = done
        self.timer: asyncio.TimerHandle | None = None
        self.undecodable: str | None = None


class SharedUdpTransport(abc.ABC, Generic[M, R]):
    """Owns the UDP sockets of one event loop and the requests in flight on them."""

    HEARS_ICMP: ClassVar[bool] = False  # fail a request at once on port unreachable

    def __init__(self) -> None:
        self._sockets: dict[int, socket.socket] = {}
        self._pending: dict[int, Exchange[M, R]] = {}
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
            try:
                sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _RCVBUF_BYTES)
            except OSError:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF_BYTES)
            if self.HEARS_ICMP:
                with contextlib.suppress(KeyError, OSError):  # else a stopped agent times out
                    sock.setsockopt(*_RECVERR[family], 1)
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(sock.fileno(), self._on_readable, sock)
            self._sockets[family] = sock
        return sock

    async def _exchange(self, family: int, key: int, packet: bytes,
                        sockaddr: tuple[object, ...], expected: M, timeout_s: float,
                        retries: int) -> R:
        """Send `packet` (again after each `timeout_s`, `retries` times); what `_take` makes
        of the reply. `key` is what `_take` finds the request by; it must not be in flight.

        Raises NoResponseError when every try timed out, OSError when it cannot be sent.
        """
        sock = self._socket(family)
        assert self._loop is not None
        done: asyncio.Future[R] = self._loop.create_future()
        exchange = Exchange(packet, sockaddr, expected, retries + 1, done)
        self._pending[key] = exchange
        try:
            self._try(sock, exchange, timeout_s)
            return await done
        finally:
            self._pending.pop(key, None)  # close() may have cleared it already
            if exchange.timer is not None:
                exchange.timer.cancel()

    def _try(self, sock: socket.socket, exchange: Exchange[M, R], timeout_s: float) -> None:
        """Send once more, or give up: every try used."""
        if exchange.done.done():
            return
        if exchange.tries_left == 0:
            exchange.done.set_exception(NoResponseError(exchange.undecodable))
            return
        exchange.tries_left -= 1
        for _ in range(_SEND_TRIES):
            try:
                sock.sendto(exchange.packet, exchange.sockaddr)
                break
            except ConnectionRefusedError:
                # an ICMP error for any request fails the socket's next call once (and
                # waits in the error queue for _read_errors): this datagram was not sent
                continue
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
                if self.HEARS_ICMP:
                    self._read_errors(sock)  # a queued error keeps the socket "readable"
                return
            except OSError:
                if self.HEARS_ICMP:
                    self._read_errors(sock)  # the first of them, without its address
                return  # level-triggered: called again while datagrams wait
            self._take(data, peer[:2])

    @abc.abstractmethod
    def _take(self, data: bytes, peer: tuple[object, ...]) -> None:
        """Settle the request in flight that `data` from `peer` answers, if any; else drop
        it (and note on the requests it may answer why it was unusable)."""

    def _read_errors(self, sock: socket.socket) -> None:
        """Fail the requests to each address that answered with ICMP port unreachable."""
        while True:
            try:
                _data, ancillary, _flags, address = sock.recvmsg(
                    0, _ERROR_CMSG_BYTES, socket.MSG_ERRQUEUE)
            except OSError:  # BlockingIOError: none left
                return
            for _level, _kind, error in ancillary:
                # struct sock_extended_err starts with the errno, in the host's byte order
                if address is None or int.from_bytes(error[:4], sys.byteorder) \
                        != errno.ECONNREFUSED:
                    continue  # e.g. host unreachable: the tries go on, as without ICMP
                for exchange in self._pending.values():
                    if exchange.peer == tuple(address)[:2] and not exchange.done.done():
                        exchange.done.set_exception(ConnectionRefusedError(
                            errno.ECONNREFUSED, "port unreachable"))
