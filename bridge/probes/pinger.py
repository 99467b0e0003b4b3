"""One ICMP socket per address family for every check, replies matched to requests.

icmplib opens a raw socket per ping; every raw ICMP socket receives a copy of every
ICMP packet on the host, so hundreds of concurrent pings drown each other (replies
dropped from full buffers, CPU spent parsing other checks' packets, event-loop delay
counted as round-trip time). Like fping, this engine sends everything through one
socket and matches each reply to its request by sequence number and a payload token
(the kernel rewrites the identifier on unprivileged datagram sockets, so the
identifier alone cannot be trusted). Receive times come from the kernel
(SO_TIMESTAMPNS), so a busy event loop does not inflate RTTs.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import itertools
import logging
import os
import socket
import struct
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

_ECHO_REQUEST: dict[int, int] = {socket.AF_INET: 8, socket.AF_INET6: 128}
_ECHO_REPLY: dict[int, int] = {socket.AF_INET: 0, socket.AF_INET6: 129}
_PROTO: dict[int, int] = {
    socket.AF_INET: socket.IPPROTO_ICMP,
    socket.AF_INET6: socket.IPPROTO_ICMPV6,
}
_SOL_RAW = 255
_ICMP_FILTER = 1
_ICMP6_FILTER = 1
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; missing in Python 3.11
_RCVBUF_BYTES = 4 * 1024 * 1024
_HEADER = struct.Struct("!BBHHH")
_PAYLOAD = struct.Struct("!QQ")  # token, send time (ns): 16 bytes
_TIMESPEC = struct.Struct("@qq")


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071)."""
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


@dataclass
class Echoes:
    """The outcome of one multi-packet ping; also the live record while it runs."""

    sent: int = 0
    rtts_s: list[float] = field(default_factory=list)
    error: str | None = None
    errno: int | None = None
    outstanding: int = 0
    all_sent: bool = False
    done: asyncio.Future[None] | None = None

    @property
    def received(self) -> int:
        """Replies that came back in time."""
        return len(self.rtts_s)

    def reply(self, rtt_s: float) -> None:
        """Record one reply; wake the check when nothing is outstanding."""
        self.rtts_s.append(rtt_s)
        self.outstanding -= 1
        if self.outstanding == 0 and self.all_sent and self.done and not self.done.done():
            self.done.set_result(None)


# One in-flight echo request: the check it belongs to, its payload token, its send time.
_Request = tuple[Echoes, int, int]


class Pinger:
    """Owns the ICMP sockets of one event loop."""

    def __init__(self, privileged: bool) -> None:
        self.privileged = privileged
        self._sockets: dict[int, socket.socket] = {}
        self._pending: dict[tuple[int, int], _Request] = {}
        self._seq = itertools.count(int.from_bytes(os.urandom(2), "big"))
        self._tokens = itertools.count(int.from_bytes(os.urandom(6), "big"))
        self._ident = os.getpid() & 0xFFFF
        self._loop: asyncio.AbstractEventLoop | None = None

    def _socket(self, family: int) -> socket.socket:
        sock = self._sockets.get(family)
        if sock is not None:
            return sock
        kind = socket.SOCK_RAW if self.privileged else socket.SOCK_DGRAM
        sock = socket.socket(family, kind, _PROTO[family])
        sock.setblocking(False)
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _RCVBUF_BYTES)
        except OSError:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF_BYTES)
        granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2  # kernel doubles it
        log.info("ICMP %s socket open (%s, receive buffer %d KiB%s)",
                 "IPv4" if family == socket.AF_INET else "IPv6",
                 "raw" if self.privileged else "datagram", granted // 1024,
                 "" if granted >= _RCVBUF_BYTES else
                 "; raise net.core.rmem_max for large fleets, see deploy/sysctl-bridge.conf")
        sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
        if self.privileged:
            _only_echo_replies(sock, family)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(sock.fileno(), self._on_readable, family, sock)
        self._sockets[family] = sock
        return sock

    def close(self) -> None:
        """Close the sockets and fail every outstanding request."""
        for sock in self._sockets.values():
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(sock.fileno())
            sock.close()
        self._sockets.clear()
        for echoes, _token, _sent in self._pending.values():
            if echoes.done is not None and not echoes.done.done():
                echoes.done.cancel()
        self._pending.clear()

    def _next_seq(self, family: int) -> int:
        for _ in range(0x10000):
            seq = next(self._seq) & 0xFFFF
            if (family, seq) not in self._pending:
                return seq
        raise RuntimeError("65536 echo requests in flight; lower max_concurrent_checks")

    def _send(self, sock: socket.socket, family: int, sockaddr: tuple[object, ...],
              echoes: Echoes) -> tuple[int, int]:
        seq = self._next_seq(family)
        token = next(self._tokens) & 0xFFFFFFFFFFFFFFFF
        sent_ns = time.time_ns()
        payload = _PAYLOAD.pack(token, sent_ns)
        header = _HEADER.pack(_ECHO_REQUEST[family], 0, 0, self._ident, seq)
        packet = header + payload
        if family == socket.AF_INET:  # the kernel fills in the ICMPv6 checksum itself
            packet = header[:2] + struct.pack("!H", checksum(packet)) + header[4:] + payload
        key = (family, seq)
        self._pending[key] = (echoes, token, sent_ns)
        try:
            sock.sendto(packet, sockaddr)
        except OSError:
            del self._pending[key]
            raise
        echoes.outstanding += 1
        return key

    def _on_readable(self, family: int, sock: socket.socket) -> None:
        while True:
            try:
                data, ancdata, _flags, _addr = sock.recvmsg(2048, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return  # e.g. an ICMP error queued on the socket; the request times out
            received_ns = _kernel_time_ns(ancdata)
            if family == socket.AF_INET and self.privileged and data and data[0] >> 4 == 4:
                data = data[(data[0] & 0x0F) * 4:]  # raw IPv4 sockets include the IP header
            if len(data) < _HEADER.size + _PAYLOAD.size:
                continue
            kind, _code, _sum, ident, seq = _HEADER.unpack_from(data)
            if kind != _ECHO_REPLY[family] or (self.privileged and ident != self._ident):
                continue
            token, _sent = _PAYLOAD.unpack_from(data, _HEADER.size)
            request = self._pending.get((family, seq))
            if request is None or request[1] != token:
                continue
            del self._pending[(family, seq)]  # a duplicate reply is not counted twice
            echoes, _token, sent_ns = request
            echoes.reply(max(0, received_ns - sent_ns) / 1e9)

    async def ping(self, address: str, count: int, interval_s: float,
                   timeout_s: float) -> Echoes:
        """Send `count` echo requests `interval_s` apart; wait `timeout_s` after the last."""
        family, sockaddr = await resolve(address)
        sock = self._socket(family)
        loop = asyncio.get_running_loop()
        echoes = Echoes(done=loop.create_future())
        keys: list[tuple[int, int]] = []
        deadline = None
        try:
            for i in range(count):
                if i:
                    await asyncio.sleep(interval_s)
                echoes.sent += 1
                try:
                    keys.append(self._send(sock, family, sockaddr, echoes))
                except OSError as exc:
                    echoes.error = exc.strerror or str(exc)
                    echoes.errno = exc.errno
            echoes.all_sent = True
            assert echoes.done is not None
            if echoes.outstanding > 0:
                deadline = loop.call_later(timeout_s, _expire, echoes.done)
                await echoes.done
        finally:
            if deadline is not None:
                deadline.cancel()
            for key in keys:
                request = self._pending.get(key)
                if request is not None and request[0] is echoes:
                    del self._pending[key]
        return echoes


def _kernel_time_ns(ancdata: list[tuple[int, int, bytes]]) -> int:
    for level, kind, value in ancdata:
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS and len(value) >= 16:
            seconds: int
            nanoseconds: int
            seconds, nanoseconds = _TIMESPEC.unpack_from(value)
            return seconds * 1_000_000_000 + nanoseconds
    return time.time_ns()


def _only_echo_replies(sock: socket.socket, family: int) -> None:
    """Let the kernel drop every ICMP type but echo reply before it reaches us."""
    if family == socket.AF_INET:
        blocked = ~(1 << _ECHO_REPLY[family]) & 0xFFFFFFFF
        sock.setsockopt(_SOL_RAW, _ICMP_FILTER, struct.pack("I", blocked))
    else:
        words = [0xFFFFFFFF] * 8
        reply = _ECHO_REPLY[family]
        words[reply >> 5] &= ~(1 << (reply & 31)) & 0xFFFFFFFF
        sock.setsockopt(socket.IPPROTO_ICMPV6, _ICMP6_FILTER, struct.pack("8I", *words))


@functools.lru_cache(maxsize=65536)
def _literal(address: str) -> tuple[int, tuple[object, ...]] | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 4:
        return socket.AF_INET, (str(ip), 0)
    return socket.AF_INET6, (str(ip), 0, 0, 0)


async def resolve(address: str) -> tuple[int, tuple[object, ...]]:
    """Address family and socket address; IP literals never touch the resolver."""
    literal = _literal(address)
    if literal is not None:
        return literal
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(address, None, type=socket.SOCK_DGRAM)
    family, _, _, _, sockaddr = infos[0]
    return int(family), tuple(sockaddr)


def _expire(done: asyncio.Future[None]) -> None:
    if not done.done():
        done.set_result(None)
