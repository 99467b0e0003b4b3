"""The ping engine's wire: checksums the kernel accepts, and replies counted exactly once."""

from __future__ import annotations

import errno
import logging
import select
import socket
import struct
import subprocess
import time

import pytest

from bridge.probes.icmp.echo_socket import DRAIN_MAX, EchoSocket, request_checksum
from bridge.probes.icmp.held_receive import Datagram


def rfc1071(data: bytes) -> int:
    """The Internet checksum the textbook way, word by word, as the reference."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total >> 16) + (total & 0xFFFF)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int, token: int, sent_ns: int, checksum: int = 0) -> bytes:
    return struct.pack("!BBHHHQQ", 8, 0, checksum, ident, seq, token, sent_ns)


@pytest.mark.parametrize(("ident", "seq", "token", "sent_ns"), [
    (0x1234, 1, 0x0123456789ABCDEF, 1_700_000_000_123_456_789),
    (0, 0, 0, 0),  # only the type word: the smallest sum
    (0xFFFF, 0xFFFF, 2**64 - 1, 2**64 - 1),  # every word at its largest
    (0xF7FF, 0, 0, 0),  # the words sum to exactly 0xFFFF: folds to 0xFFFF, checksum 0
    (0xF7FF, 0xFFFF, 0, 0),  # a sum of 2 x 0xFFFF, a carry to fold
    (0x0001, 0x00FE, 0xFFFF_0000_FFFF_0000, 0x0000_FFFF_0000_FFFF),
])
def test_the_arithmetic_checksum_is_the_rfc_1071_checksum(
    ident: int, seq: int, token: int, sent_ns: int
) -> None:
    checksum = request_checksum((8 << 8) + ident, seq, token, sent_ns)
    assert checksum == rfc1071(echo_request(ident, seq, token, sent_ns))
    # what the receiver checks: the whole packet, checksum included, sums to 0xFFFF
    assert rfc1071(echo_request(ident, seq, token, sent_ns, checksum)) == 0


def test_the_arithmetic_checksum_over_many_packets() -> None:
    for n in range(20_000):
        ident, seq = (n * 7919) & 0xFFFF, (n * 104_729) & 0xFFFF
        token, sent_ns = (n * 0x9E3779B97F4A7C15) % 2**64, 1_700_000_000_000_000_000 + n * 977
        assert request_checksum((8 << 8) + ident, seq, token, sent_ns) == rfc1071(
            echo_request(ident, seq, token, sent_ns))


def forge_reply(ident: int, seq: int, token: int) -> None:
    """Send an echo reply to 127.0.0.1 as if a device had answered."""
    reply = bytearray(struct.pack("!BBHHHQQ", 0, 0, 0, ident, seq, token, 0))
    struct.pack_into("!H", reply, 2, rfc1071(bytes(reply)))
    with socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP) as sender:
        sender.sendto(bytes(reply), ("127.0.0.1", 0))


def test_a_reply_counts_once_and_only_with_its_own_token() -> None:
    """A stale or foreign reply with a reused sequence number, and a duplicate, are not
    answers: counting them would hide packet loss."""
    answers: list[str] = []
    echo = EchoSocket(socket.AF_INET, True, lambda owner, _rtt_ns: answers.append(owner))
    try:
        ident = echo._ident
        for seq, (owner, token) in enumerate([("a", 0xA), ("b", 0xB), ("c", 0xC), ("last", 1)]):
            echo.pending[seq] = (owner, token, 0, 0)
        forge_reply(ident, 0, 0xBAD)  # a's sequence, another token
        forge_reply(ident ^ 0xFFFF, 1, 0xB)  # another process's identifier
        forge_reply(ident, 2, 0xC)
        forge_reply(ident, 2, 0xC)  # a duplicate
        forge_reply(ident, 3, 1)  # loopback keeps the order: this one comes last
        while "last" not in answers:
            assert select.select([echo.sock], [], [], 10)[0], "the forged replies never came"
            echo.drain()
    finally:
        echo.close()
    assert answers == ["c", "last"]


@pytest.mark.parametrize(("family", "target"), [(socket.AF_INET, "127.0.0.1"),
                                                (socket.AF_INET6, "::1")])
def test_another_programs_pings_never_reach_the_socket_and_ours_do(
        family: int, target: str) -> None:
    """A raw socket gets every echo reply on the host: fping's (another bridge instance's,
    a Smokeping's) must be dropped by the kernel, not read and discarded one by one."""
    answers: list[str] = []
    echo = EchoSocket(family, True, lambda owner, _rtt_ns: answers.append(owner))
    plain = socket.socket(family, socket.SOCK_RAW, echo.sock.proto)  # what it used to get
    plain.setblocking(False)
    try:
        subprocess.run(["fping", "-q", "-c", "5", "-p", "20", target], check=False,
                       capture_output=True, timeout=30)
        assert select.select([plain], [], [], 5)[0], "fping's replies never came"
        seen_by_plain = identifiers(plain, family)
        assert len([i for i in seen_by_plain if i != echo._ident]) >= 5  # fping's replies
        # Only this process's identifier ever reaches the socket (a late reply to an
        # earlier test's ping in this process may; fping's never do).
        assert set(identifiers(echo.sock, family)) <= {echo._ident}
        echo.send("ours", (target, 0))
        while not answers:
            assert select.select([echo.sock], [], [], 10)[0], "our own reply never came"
            echo.drain()
    finally:
        echo.close()
        plain.close()
    assert answers == ["ours"]


def identifiers(sock: socket.socket, family: int) -> list[int]:
    """The echo identifiers of the replies queued on a non-blocking raw socket (read and
    thrown away; an IPv4 raw socket's datagrams start with the IP header)."""
    found = []
    while True:
        try:
            data = sock.recv(2048)
        except BlockingIOError:
            return found
        start = (data[0] & 0x0F) * 4 if family == socket.AF_INET else 0
        if len(data) >= start + 8 and data[start] in (0, 129):  # echo replies only
            found.append(struct.unpack_from("!H", data, start + 4)[0])


def _refused() -> list[Datagram]:
    raise OSError(errno.ENOSYS, "Function not implemented")


@pytest.mark.parametrize("reader", ["recvmmsg", "recvmsg", "recvmmsg refused"])
def test_a_queue_of_replies_is_read_a_drain_at_a_time_each_reply_once(
    reader: str, caplog: pytest.LogCaptureFixture
) -> None:
    """More replies queued than one wake-up reads (DRAIN_MAX): the rest wait for the next,
    none is lost or counted twice, whichever way the socket is read; where the kernel
    refuses recvmmsg (a seccomp filter) the socket is read with recvmsg from then on."""
    answers: dict[int, int] = {}
    echo = EchoSocket(socket.AF_INET, True,
                      lambda owner, rtt_ns: answers.__setitem__(owner, rtt_ns))
    if reader == "recvmsg":
        echo._receive = echo._recvmsg
    elif reader == "recvmmsg refused":
        echo._receive = _refused
    count = DRAIN_MAX + 88
    try:
        sent_ns = time.monotonic_ns()
        for owner in range(count):
            echo.send(owner, ("127.0.0.1", 0))
        assert select.select([echo.sock], [], [], 10)[0], "no reply came"
        time.sleep(0.2)  # loopback answers within the send: every reply is queued by now
        with caplog.at_level(logging.WARNING, logger="bridge.probes.icmp.echo_socket"):
            echo.drain()
            assert len(answers) == DRAIN_MAX  # one wake-up reads at most this many
            echo.drain()
        waited_ns = time.monotonic_ns() - sent_ns
    finally:
        echo.close()
    assert sorted(answers) == list(range(count))  # every reply once, in any order
    assert all(0 < rtt_ns <= waited_ns for rtt_ns in answers.values())
    refused = [r for r in caplog.records if "recvmmsg refused" in r.getMessage()]
    assert len(refused) == (1 if reader == "recvmmsg refused" else 0)
