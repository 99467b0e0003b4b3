"""SNMPv1/v2c exchanges over one UDP socket per address family, matched by request-id.

Like the ICMP engine, every request goes out through one shared socket and each reply
is matched to its request: by request-id, and only if it comes from the address the
request went to, with the same version and community. Anything else (garbage, a
truncated datagram, a late reply to a request given up on) is dropped; a datagram from
the agent's address that does not decode is remembered for its request (for every
request to that address when its request-id is lost with a truncated tail), so the
failure can say the agent answered, but unreadably.

An unconnected socket hears no ICMP errors unless it asks (IP_RECVERR); then each comes
with the address the refused datagram went to, so a request to a host whose agent is not
running fails at once instead of waiting for every try to time out.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import logging
import os
import socket
import sys
from collections.abc import Sequence
from dataclasses import dataclass

from bridge.config.oids import Oid
from bridge.probes.snmp_ber import BerError, Response, decode_response, encode_request

log = logging.getLogger(__name__)

_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; missing in Python 3.11
_RCVBUF_BYTES = 4 * 1024 * 1024  # replies to thousands of concurrent requests
_MAX_DATAGRAM = 65535
_REQUEST_IDS = 2**31  # request-ids are non-negative Integer32s
# Linux's <linux/in.h> and <linux/in6.h>; Python 3.11 names neither
_RECVERR: dict[int, tuple[int, int]] = {
    socket.AF_INET: (socket.IPPROTO_IP, getattr(socket, "IP_RECVERR", 11)),
    socket.AF_INET6: (socket.IPPROTO_IPV6, getattr(socket, "IPV6_RECVERR", 25))}
_ERROR_CMSG_BYTES = 512  # struct sock_extended_err and the offender's address
_SEND_TRIES = 3  # sends refused for an earlier ICMP error, then the timer takes over


@dataclass(frozen=True)
class Pdu:
    """What to ask: a GET, GETNEXT or GETBULK of some OIDs with a community."""

    version: int  # 0 for SNMPv1, 1 for SNMPv2c
    community: bytes
    kind: int  # snmp_ber.GET, GET_NEXT or GET_BULK
    oids: Sequence[Oid]
    max_repetitions: int = 0  # GETBULK only


class NoResponseError(Exception):
    """Every try timed out; `undecodable` says why a reply that came was not used."""

    def __init__(self, undecodable: str | None) -> None:
        super().__init__(undecodable or "no response")
        self.undecodable = undecodable


class _Exchange:
    __slots__ = ("community", "done", "packet", "peer", "sockaddr", "timer", "tries_left",
                 "undecodable", "version")

    def __init__(self, pdu: Pdu, packet: bytes, sockaddr: tuple[object, ...],
                 tries: int, done: asyncio.Future[Response]) -> None:
        self.version, self.community = pdu.version, pdu.community
        self.packet = packet
        self.sockaddr = sockaddr
        self.peer = sockaddr[:2]  # host and port, as recvfrom reports them
        self.tries_left = tries
        self.done = done
        self.timer: asyncio.TimerHandle | None = None
        self.undecodable: str | None = None


class CommunityTransport:
    """Owns the UDP sockets of one event loop and the requests in flight on them."""

    def __init__(self) -> None:
        self._sockets: dict[int, socket.socket] = {}
        self._pending: dict[int, _Exchange] = {}
        self._ids = itertools.count(int.from_bytes(os.urandom(4), "big") % _REQUEST_IDS)
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
            with contextlib.suppress(KeyError, OSError):  # else a stopped agent times out
                sock.setsockopt(*_RECVERR[family], 1)
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(sock.fileno(), self._on_readable, sock)
            self._sockets[family] = sock
        return sock

    def _request_id(self) -> int:
        for _ in range(len(self._pending) + 1):
            request_id = next(self._ids) % _REQUEST_IDS
            if request_id not in self._pending:
                return request_id
        raise AssertionError("unreachable: more request-ids in flight than in flight")

    async def exchange(self, family: int, sockaddr: tuple[object, ...], pdu: Pdu,
                       timeout_s: float, retries: int) -> Response:
        """Send `pdu` (again after each `timeout_s`, `retries` times); the matching reply.

        Raises NoResponseError when every try timed out, OSError when it cannot be sent.
        """
        sock = self._socket(family)
        assert self._loop is not None
        request_id = self._request_id()
        packet = encode_request(pdu.version, pdu.community, pdu.kind, request_id, pdu.oids,
                                0, pdu.max_repetitions)
        exchange = _Exchange(pdu, packet, sockaddr, retries + 1, self._loop.create_future())
        self._pending[request_id] = exchange
        try:
            self._try(sock, exchange, timeout_s)
            return await exchange.done
        finally:
            del self._pending[request_id]
            if exchange.timer is not None:
                exchange.timer.cancel()

    def _try(self, sock: socket.socket, exchange: _Exchange, timeout_s: float) -> None:
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
                self._read_errors(sock)  # a queued error keeps the socket "readable"
                return
            except OSError:
                self._read_errors(sock)  # the first of them, without its address
                return  # level-triggered: called again while datagrams wait
            try:
                response = decode_response(data)
            except BerError as exc:
                self._note_undecodable(exc, peer[:2])
                continue
            exchange = self._pending.get(response.request_id)
            if (exchange is None or exchange.done.done() or exchange.peer != peer[:2]
                    or response.community != exchange.community
                    or response.version != exchange.version):
                continue  # not an answer to anything we asked
            exchange.done.set_result(response)

    def _note_undecodable(self, exc: BerError, peer: tuple[object, ...]) -> None:
        """Remember why an agent's datagram was unusable, for the requests it may answer.

        A truncated reply loses its request-id with its tail: it is then put down to every
        request waiting on that address, so that an agent that answers in pieces is not
        reported as silent (and then as down).
        """
        if exc.request_id is not None:
            exchange = self._pending.get(exc.request_id)
            if exchange is not None and exchange.peer == peer:
                exchange.undecodable = str(exc)
            return
        for exchange in self._pending.values():
            if exchange.peer == peer and exchange.undecodable is None:
                exchange.undecodable = str(exc)

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
