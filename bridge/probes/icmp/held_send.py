"""sendto(2) on a non-blocking socket, called without letting go of the GIL.

`socket.sendto` lets go of the GIL for every datagram, since the call may block. The ping
engine sends thousands of echo requests a second from the event loop, and each time a
thread running Python meanwhile (the store's writer, a reader) takes the GIL and keeps it
until the loop asks for it back and the switch interval has passed: a wake-up of a few
dozen sends waited that long for each. On a non-blocking socket sendto never waits (a
full buffer answers EAGAIN at once), so nothing is gained by letting go: ctypes' `PyDLL`
calls the C library's sendto with the GIL held.

Only plain IPv4 and IPv6 addresses are packed here; anything else (a scoped IPv6 address,
a platform without the C library's sendto) goes through `socket.sendto` as before.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
from collections.abc import Callable

_MSG_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0x40)
_SOCKADDR_IN = struct.Struct("=HH4s8x")  # family (host order), port, address, zero
_SOCKADDR_IN6 = struct.Struct("=HH I 16s I")  # family, port, flow info, address, scope

SendTo = Callable[[bytes, tuple[object, ...]], int]


def _c_sendto() -> ctypes._NamedFuncPointer | None:
    try:
        function = ctypes.PyDLL(None, use_errno=True).sendto  # PyDLL: the GIL stays held
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int,
                         ctypes.c_char_p, ctypes.c_uint32]
    function.restype = ctypes.c_ssize_t
    return function


_SENDTO = _c_sendto()


def sockaddr_bytes(family: int, sockaddr: tuple[object, ...]) -> bytes | None:
    """The C `struct sockaddr` of a Python socket address; None where it is not a plain
    numeric IPv4 or IPv6 address."""
    try:
        host, port = str(sockaddr[0]), int(str(sockaddr[1]))
        if family == socket.AF_INET:
            return _SOCKADDR_IN.pack(socket.AF_INET, socket.htons(port),
                                     socket.inet_pton(socket.AF_INET, host))
        if family == socket.AF_INET6 and "%" not in host:
            flow = int(str(sockaddr[2])) if len(sockaddr) > 2 else 0
            scope = int(str(sockaddr[3])) if len(sockaddr) > 3 else 0
            return _SOCKADDR_IN6.pack(socket.AF_INET6, socket.htons(port), socket.htonl(flow),
                                      socket.inet_pton(socket.AF_INET6, host), scope)
    except (OSError, ValueError, IndexError):
        return None
    return None


def held_sendto(sock: socket.socket) -> SendTo:
    """`sock.sendto` for a non-blocking socket, without giving up the GIL where it can.
    Errors are raised as `socket.sendto` raises them (OSError and its subclasses)."""
    c_sendto, fallback, family = _SENDTO, sock.sendto, sock.family
    if c_sendto is None:
        return fallback
    fileno = sock.fileno  # -1 once closed: never a descriptor reused since
    addresses: dict[tuple[object, ...], bytes | None] = {}

    def sendto(data: bytes, sockaddr: tuple[object, ...]) -> int:
        packed = addresses.get(sockaddr, b"")
        if packed == b"":
            packed = addresses[sockaddr] = sockaddr_bytes(family, sockaddr)
            if len(addresses) > 65536:  # devices come and go with reloads
                addresses.clear()
        if packed is None:
            return fallback(data, sockaddr)
        while True:
            sent = c_sendto(fileno(), data, len(data), _MSG_DONTWAIT, packed, len(packed))
            if sent >= 0:
                return int(sent)
            code = ctypes.get_errno()
            if code != errno.EINTR:
                raise OSError(code, os.strerror(code))

    return sendto
