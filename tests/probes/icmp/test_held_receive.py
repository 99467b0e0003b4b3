"""Echo replies read on the event loop keep the GIL: a thread running Python meanwhile
does not get it at each read and hold the loop up for a switch interval."""

from __future__ import annotations

import errno
import socket
import struct
import time
from collections.abc import Callable

import pytest

from bridge.probes.icmp.echo_socket import _recvmsg_receiver
from bridge.probes.icmp.held_receive import BATCH, Receive, control_stamp_ns, held_receiver
from bridge.probes.icmp.held_send import held_sendto
from tests.kits.gil import a_thread_running_python

_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)


def _held(sock: socket.socket, datagram_bytes: int = 128) -> Receive:
    receive = held_receiver(sock, datagram_bytes)
    assert receive is not None, "the C library has recvmmsg on Linux"
    return receive


def _all(receive: Receive, count: int) -> list[tuple[bytes, int]]:
    """Every datagram until `count` came (loopback delivers at once; 2 s at most)."""
    got: list[tuple[bytes, int]] = []
    deadline = time.monotonic() + 2.0
    while len(got) < count and time.monotonic() < deadline:
        got += [(bytes(data), stamp) for data, stamp in receive()]
    return got


@pytest.mark.parametrize("reader", [_held, _recvmsg_receiver], ids=["recvmmsg", "recvmsg"])
def test_datagrams_are_read_in_batches_as_sent_with_the_kernels_receive_time(
    receiver: socket.socket, sender: socket.socket, reader: Callable[..., Receive]
) -> None:
    receiver.setsockopt(socket.SOL_SOCKET, _SO_TIMESTAMPNS, 1)
    receive = reader(receiver)
    assert receive() == []  # nothing queued: an empty batch, not an error
    payloads = [bytes([n]) * (n % 100 + 1) for n in range(BATCH * 2 + 5)]
    before_ns = time.time_ns()
    for payload in payloads:
        sender.sendto(payload, receiver.getsockname())
    first = receive()
    assert len(first) == BATCH  # one call reads a batch, not the whole queue
    got = [(bytes(data), stamp) for data, stamp in first] + _all(receive, len(payloads) - BATCH)
    assert [data for data, _ in got] == payloads
    stamps = [stamp for _, stamp in got]
    assert all(before_ns <= stamp <= time.time_ns() for stamp in stamps)
    assert stamps == sorted(stamps)  # stamped as they arrived


def test_without_timestamps_asked_a_datagram_comes_with_the_time_it_was_read(
    receiver: socket.socket, sender: socket.socket
) -> None:
    receive = _held(receiver)
    sender.sendto(b"plain", receiver.getsockname())
    before_ns = time.time_ns()
    [(data, read_ns)] = _all(receive, 1)
    assert data == b"plain"
    assert before_ns <= read_ns <= time.time_ns()


def test_a_datagram_longer_than_the_buffer_is_cut_to_it(
    receiver: socket.socket, sender: socket.socket
) -> None:
    receive = _held(receiver, datagram_bytes=16)
    sender.sendto(bytes(range(100)), receiver.getsockname())
    sender.sendto(b"short", receiver.getsockname())
    assert [data for data, _ in _all(receive, 2)] == [bytes(range(16)), b"short"]


def test_a_closed_socket_raises_ebadf_never_reads_a_descriptor_reused_since(
    receiver: socket.socket,
) -> None:
    receive = _held(receiver)
    receiver.close()
    with pytest.raises(OSError, match="descriptor") as closed:
        receive()
    assert closed.value.errno == errno.EBADF


def test_the_timestamp_is_found_among_other_control_messages() -> None:
    header, align = struct.Struct("@Nii"), struct.calcsize("@N")
    data_at = -(-header.size // align) * align

    def message(level: int, kind: int, value: bytes) -> bytes:
        raw = header.pack(data_at + len(value), level, kind).ljust(data_at, b"\0") + value
        return raw.ljust(-(-len(raw) // align) * align, b"\0")

    stamp = struct.pack("@qq", 1_700_000_000, 123)
    other = message(socket.IPPROTO_IP, 8, b"\x01\x00\x00\x00")  # e.g. IP_TTL
    assert control_stamp_ns(memoryview(other + message(
        socket.SOL_SOCKET, _SO_TIMESTAMPNS, stamp))) == 1_700_000_000_000_000_123
    assert control_stamp_ns(memoryview(other)) is None
    assert control_stamp_ns(memoryview(b"")) is None
    # a length running past what the kernel filled in ends the walk, never reads past it
    broken = header.pack(4096, socket.SOL_SOCKET, _SO_TIMESTAMPNS).ljust(data_at, b"\0")
    assert control_stamp_ns(memoryview(broken + stamp)) is None


def _reads_before_a_thread_spins(receive: Receive, sender: socket.socket,
                                 address: tuple[object, ...], rounds: int) -> tuple[int, bool]:
    """Send and read back 32 datagrams a round for up to `rounds` rounds while another thread
    runs Python; stop at once when that thread got the GIL. How many rounds were read, and
    whether it got the GIL. The sends keep the GIL (held_sendto)."""
    sendto, done = held_sendto(sender), 0
    with a_thread_running_python() as got_in:
        while done < rounds and not got_in():
            for _ in range(32):
                sendto(b"pong", address)
            read = 0
            while read < 32 and not got_in():
                read += len(receive())
            done += 1
        return done, got_in()


def test_a_thread_running_python_does_not_get_the_gil_at_each_read(
    receiver: socket.socket, sender: socket.socket
) -> None:
    address = receiver.getsockname()
    # socket.recvmsg lets go of the GIL: the spinning thread takes it at some read
    _, got_in = _reads_before_a_thread_spins(_recvmsg_receiver(receiver), sender, address, 200)
    assert got_in
    while _recvmsg_receiver(receiver)():
        pass
    # held: 200 rounds of 32 datagrams are read before the spinning thread gets the GIL
    rounds, got_in = _reads_before_a_thread_spins(_held(receiver), sender, address, 200)
    assert not got_in
    assert rounds == 200
