"""One ICMP socket of the shared ping engine: echo requests out, matched replies in.

Everything here runs once per packet, so it is written for CPU: one struct call builds
a request (the IPv4 checksum is computed arithmetically, not by summing the packet's
words), one struct call reads a reply, and the socket is drained until it would block
each time the event loop reports it readable. Replies are matched to requests by
sequence number and a payload token, never by identifier alone: the kernel rewrites the
identifier on unprivileged datagram sockets.

A raw socket is handed every echo reply the host receives, other programs' too (other
bridge instances on the host, a Smokeping or Zabbix next to it): a socket filter (classic
BPF, as tcpdump's) lets the kernel drop those whose identifier is not ours before they
cost a system call and a Python loop turn each.
"""

from __future__ import annotations

import errno
import itertools
import logging
import os
import socket
import struct
import time
from collections.abc import Callable
from ctypes import addressof, create_string_buffer
from typing import Generic, TypeVar

from bridge.probes.icmp.held_receive import BATCH as RECEIVE_BATCH
from bridge.probes.icmp.held_receive import REFUSED, Datagram, Receive, held_receiver
from bridge.probes.icmp.held_send import held_sendto

log = logging.getLogger(__name__)

Owner = TypeVar("Owner")

_ECHO_REQUEST: dict[int, int] = {socket.AF_INET: 8, socket.AF_INET6: 128}
_ECHO_REPLY: dict[int, int] = {socket.AF_INET: 0, socket.AF_INET6: 129}
_PROTO: dict[int, int] = {socket.AF_INET: socket.IPPROTO_ICMP,
                          socket.AF_INET6: socket.IPPROTO_ICMPV6}
_SOL_RAW = 255
_SOL_SOCKET = socket.SOL_SOCKET
_ICMP_FILTER = 1
_ICMP6_FILTER = 1
_SO_ATTACH_FILTER = 26  # Linux
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_SO_RCVBUFFORCE = getattr(socket, "SO_RCVBUFFORCE", 33)  # Linux; missing in Python 3.11
_RCVBUF_BYTES = 4 * 1024 * 1024
# type, code, checksum, identifier, sequence; payload: token, send time (ns)
_REQUEST = struct.Struct("!BBHHHQQ")
_REPLY = struct.Struct("!B3xHHQ")  # a reply up to its token: type, identifier, seq, token
_TIMESPEC = struct.Struct("@qq")
_MASK64 = (1 << 64) - 1
# What a reply is read for: an IPv4 header of up to 60 bytes and the ICMP header up to
# the token. Longer datagrams (other programs' pings) are cut; only their start matters.
_READ_BYTES = 128
DRAIN_MAX = 512  # datagrams read per wake-up (a few ms), then the loop runs its other work
_time_ns, _monotonic_ns = time.time_ns, time.monotonic_ns


def request_checksum(first_words: int, seq: int, token: int, sent_ns: int) -> int:
    """The RFC 1071 checksum of an echo request, from its fields instead of its bytes.

    A 16-bit one's complement sum is the plain sum of the words modulo 0xFFFF (2**16 is
    1 modulo 0xFFFF), so the 64-bit payload fields are added whole, not word by word;
    a non-zero multiple of 0xFFFF folds to 0xFFFF, not 0. `first_words` is the sum of
    the type/code word and the identifier.
    """
    return 0xFFFF - ((first_words + seq + token + sent_ns) % 0xFFFF or 0xFFFF)


class EchoSocket(Generic[Owner]):
    """One non-blocking ICMP socket with its in-flight requests, keyed by sequence."""

    def __init__(self, family: int, privileged: bool,
                 on_reply: Callable[[Owner, int], None]) -> None:
        self.family = family
        self.sock = _open(family, privileged)
        # seq -> owner, token, sent_ns (wall, as the kernel stamps replies), sent monotonic ns
        self.pending: dict[int, tuple[Owner, int, int, int]] = {}
        self._on_reply = on_reply  # called with the owner and the RTT in ns
        self._ident = os.getpid() & 0xFFFF
        self._kind = _ECHO_REQUEST[family]
        self._first_words = (self._kind << 8) + self._ident  # type and code, identifier
        self._reply_kind = _ECHO_REPLY[family]
        self._with_checksum = family == socket.AF_INET  # the kernel fills in ICMPv6's
        self._ip_header = privileged and family == socket.AF_INET  # raw IPv4 sees it
        self._ident_is_ours = privileged  # datagram sockets get the kernel's identifier
        self._seq = itertools.count(int.from_bytes(os.urandom(2), "big"))
        self._tokens = itertools.count(int.from_bytes(os.urandom(6), "big"))
        self._pack = _REQUEST.pack
        self._sendto = held_sendto(self.sock)  # the loop keeps the GIL through each send
        # and through each read
        self._recvmsg = _recvmsg_receiver(self.sock)
        self._receive = held_receiver(self.sock, _READ_BYTES) or self._recvmsg

    def fileno(self) -> int:
        """The socket's file descriptor, for the event loop."""
        return self.sock.fileno()

    def close(self) -> None:
        """Close the socket; the in-flight requests are dropped."""
        self.sock.close()
        self.pending.clear()

    def send(self, owner: Owner, sockaddr: tuple[object, ...]) -> int:
        """Send one echo request for `owner`; returns its sequence number."""
        pending = self.pending
        seq = next(self._seq) & 0xFFFF
        if seq in pending:
            seq = self._free_seq()
        token = next(self._tokens) & _MASK64
        sent_ns = _time_ns()
        pending[seq] = (owner, token, sent_ns, _monotonic_ns())
        try:
            # request_checksum, written out: a call per packet costs more than the sum
            self._sendto(self._pack(
                self._kind, 0,
                0xFFFF - ((self._first_words + seq + token + sent_ns) % 0xFFFF or 0xFFFF)
                if self._with_checksum else 0,
                self._ident, seq, token, sent_ns), sockaddr)
        except OSError:
            del pending[seq]
            raise
        return seq

    def _free_seq(self) -> int:
        for _ in range(0x10000):
            seq = next(self._seq) & 0xFFFF
            if seq not in self.pending:
                return seq
        raise OSError(errno.ENOBUFS, "65536 echo requests in flight; "
                                     "lower max_concurrent_checks")

    def drain(self) -> None:
        """Read the queued datagrams, at most `DRAIN_MAX` (the rest at the loop's next turn:
        a reply may end a check whose slot starts the next, so on a near network one
        read could otherwise run a whole queue of checks without yielding); hand each
        matching reply to its owner once."""
        receive, pending, on_reply, unpack = self._receive, self.pending, self._on_reply, \
            _REPLY.unpack_from
        reply_kind, ident, ident_is_ours = self._reply_kind, self._ident, self._ident_is_ours
        ip_header, least, monotonic_ns = self._ip_header, _REPLY.size, _monotonic_ns
        read = 0
        while read < DRAIN_MAX:
            try:
                datagrams = receive()
            except OSError as exc:
                if exc.errno in REFUSED and receive is not self._recvmsg:
                    self._receive = receive = self._recvmsg  # for good: it will not change
                    log.warning("ICMP replies read one system call each: recvmmsg refused "
                                "(%s)", exc)
                    continue
                return  # e.g. an ICMP error queued on the socket; the request times out
            for data, received_ns in datagrams:
                start = (data[0] & 0x0F) * 4 if ip_header and data else 0
                if len(data) < start + least:
                    continue
                kind, reply_ident, seq, token = unpack(data, start)
                if kind != reply_kind or (ident_is_ours and reply_ident != ident):
                    continue
                # Taken out at once, so a duplicate reply is not counted twice; put back if
                # the token is not its own (a stale or foreign reply that reused the seq)
                request = pending.pop(seq, None)
                if request is None:
                    continue
                if request[1] != token:
                    pending[seq] = request
                    continue
                # The kernel's receive time (SO_TIMESTAMPNS), so event-loop delay is not
                # RTT. It stamps on the wall clock: across a step of it (or under a faked
                # one) that difference is wrong, so the monotonic time since the send,
                # which is never shorter than the true round trip, bounds it.
                rtt_ns = received_ns - request[2]
                bound_ns = monotonic_ns() - request[3]
                on_reply(request[0], rtt_ns if 0 < rtt_ns <= bound_ns else max(bound_ns, 0))
            if len(datagrams) < RECEIVE_BATCH:
                return
            read += len(datagrams)


def _recvmsg_receiver(sock: socket.socket) -> Receive:
    """Where the C library has no recvmmsg: `socket.recvmsg` (which lets go of the GIL
    for each datagram), up to `RECEIVE_BATCH` datagrams a call, in the same shape."""
    recvmsg, timespec = sock.recvmsg, _TIMESPEC.unpack

    def receive() -> list[Datagram]:
        received: list[Datagram] = []
        for _ in range(RECEIVE_BATCH):
            try:
                data, ancdata, _flags, _addr = recvmsg(_READ_BYTES, 64)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                if received:
                    break  # what was read first is handed over; the error comes next call
                raise
            # the one control message asked for, read here without a call per reply
            if len(ancdata) == 1 and (stamp := ancdata[0])[1] == _SO_TIMESTAMPNS \
                    and stamp[0] == _SOL_SOCKET and len(stamp[2]) == _TIMESPEC.size:
                seconds, nanoseconds = timespec(stamp[2])
                received.append((memoryview(data), seconds * 1_000_000_000 + nanoseconds))
            else:
                received.append((memoryview(data), _received_ns(ancdata)))
        return received

    return receive


def _received_ns(ancdata: list[tuple[int, int, bytes]]) -> int:
    """The kernel's receive time (SO_TIMESTAMPNS) among other control messages."""
    for level, kind, value in ancdata:
        if kind == _SO_TIMESTAMPNS and level == socket.SOL_SOCKET and len(value) >= 16:
            seconds, nanoseconds = _TIMESPEC.unpack_from(value)
            return int(seconds) * 1_000_000_000 + int(nanoseconds)
    return time.time_ns()


def _open(family: int, privileged: bool) -> socket.socket:
    kind = socket.SOCK_RAW if privileged else socket.SOCK_DGRAM
    sock = socket.socket(family, kind, _PROTO[family])
    sock.setblocking(False)
    try:
        sock.setsockopt(socket.SOL_SOCKET, _SO_RCVBUFFORCE, _RCVBUF_BYTES)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, _RCVBUF_BYTES)
    granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) // 2  # kernel doubles it
    log.info("ICMP %s socket open (%s, receive buffer %d KiB%s)",
             "IPv4" if family == socket.AF_INET else "IPv6",
             "raw" if privileged else "datagram", granted // 1024,
             "" if granted >= _RCVBUF_BYTES else
             "; raise net.core.rmem_max for large fleets, see deploy/sysctl-bridge.conf")
    sock.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    if privileged:
        _only_echo_replies(sock, family)
        _only_our_identifier(sock, family, os.getpid() & 0xFFFF)
    return sock


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


# Classic BPF (linux/filter.h): opcodes and one instruction's layout.
_BPF_INSTRUCTION = struct.Struct("=HBBI")
_LDX_B_MSH = 0xB1  # X = 4 * (packet[k] & 0x0F): the IPv4 header's length
_LD_H_IND = 0x48  # A = the 16-bit word at X + k
_LD_H_ABS = 0x28  # A = the 16-bit word at k
_JEQ_K = 0x15  # if A == k: skip jt, else skip jf
_RET_K = 0x06  # keep k bytes (0: drop)


def _only_our_identifier(sock: socket.socket, family: int, ident: int) -> None:
    """Let the kernel drop echo replies to other processes' identifiers. A raw IPv4 socket's
    filter sees the IP header first (its length in its first byte), ICMPv6 the ICMP header."""
    load_ident = ([(_LDX_B_MSH, 0, 0, 0), (_LD_H_IND, 0, 0, 4)] if family == socket.AF_INET
                  else [(_LD_H_ABS, 0, 0, 4)])
    program = [*load_ident, (_JEQ_K, 0, 1, ident), (_RET_K, 0, 0, 0xFFFFFFFF), (_RET_K, 0, 0, 0)]
    code = create_string_buffer(b"".join(_BPF_INSTRUCTION.pack(*op) for op in program))
    # struct sock_fprog: the instruction count, then a pointer (native alignment pads it)
    sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER,
                    struct.pack("@HP", len(program), addressof(code)))
