"""Echo requests sent from the event loop keep the GIL: a thread running Python meanwhile
does not get it at each send and hold the loop up for a switch interval."""

from __future__ import annotations

import errno
import select
import socket

import pytest

from bridge.probes.icmp.held_send import SendTo, held_sendto, sockaddr_bytes
from tests.kits.gil import a_thread_running_python


def _received(sock: socket.socket, count: int) -> list[bytes]:
    got = []
    while len(got) < count and select.select([sock], [], [], 2.0)[0]:
        got.append(sock.recv(2048))
    return got


def test_datagrams_sent_with_the_gil_held_arrive_as_sent(
    receiver: socket.socket, sender: socket.socket
) -> None:
    sendto = held_sendto(sender)
    address = receiver.getsockname()
    payloads = [bytes([n]) * (n + 1) for n in range(20)]
    for payload in payloads:
        assert sendto(payload, address) == len(payload)
    assert _received(receiver, len(payloads)) == payloads


def test_a_failed_send_raises_as_socket_sendto_does(sender: socket.socket) -> None:
    sendto = held_sendto(sender)
    with pytest.raises(OSError, match="too long") as raised:  # for a UDP datagram
        sendto(b"x" * 70_000, ("127.0.0.1", 9))
    assert raised.value.errno == errno.EMSGSIZE
    sender.close()
    with pytest.raises(OSError, match="descriptor") as closed:  # never one reused since
        sendto(b"x", ("127.0.0.1", 9))
    assert closed.value.errno == errno.EBADF


def test_a_scoped_or_unknown_address_goes_through_socket_sendto() -> None:
    assert sockaddr_bytes(socket.AF_INET6, ("fe80::1%lo", 0, 0, 1)) is None
    assert sockaddr_bytes(socket.AF_INET, ("not-an-address", 0)) is None
    assert sockaddr_bytes(socket.AF_INET6, ("::1", 0, 0, 0)) is not None
    v6 = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    listener = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    try:
        listener.bind(("::1", 0))
        v6.setblocking(False)
        held_sendto(v6)(b"six", listener.getsockname())
        assert _received(listener, 1) == [b"six"]
    finally:
        v6.close()
        listener.close()


def _sends_before_a_thread_spins(sendto: SendTo, address: tuple[object, ...],
                                 sends: int) -> tuple[int, bool]:
    """Send up to `sends` datagrams while another thread runs Python; stop at once when that
    thread got the GIL. How many went out, and whether it got the GIL."""
    sent = 0
    with a_thread_running_python() as got_in:
        while sent < sends and not got_in():
            sendto(b"ping", address)
            sent += 1
        return sent, got_in()


def test_a_thread_running_python_does_not_get_the_gil_at_each_send(
    receiver: socket.socket, sender: socket.socket
) -> None:
    address = receiver.getsockname()
    # socket.sendto lets go of the GIL: the spinning thread takes it at some send (and
    # keeps it until asked, a whole switch interval)
    _, got_in = _sends_before_a_thread_spins(sender.sendto, address, 5_000)
    assert got_in
    # held: every one of 5,000 sends goes out before the spinning thread gets the GIL
    held, got_in = _sends_before_a_thread_spins(held_sendto(sender), address, 5_000)
    assert not got_in
    assert held == 5_000
