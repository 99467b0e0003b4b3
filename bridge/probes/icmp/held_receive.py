"""recvmmsg(2) on a non-blocking socket, called without letting go of the GIL.

`socket.recvmsg` lets go of the GIL for every datagram, since the call may block. The
ping engine reads hundreds of echo replies a second on the event loop, and each time a
thread running Python meanwhile (the store's writer, a reader) takes the GIL and keeps it
until the loop asks for it back and the switch interval has passed: a wake-up that read a
few dozen replies waited that long for each, as the sends did before `held_send`. A
non-blocking socket never waits (an empty queue answers EAGAIN at once), so nothing is
gained by letting go: ctypes' `PyDLL` calls the C library's recvmmsg with the GIL held, and
one call reads up to `BATCH` datagrams into buffers kept for the socket's life.

Each datagram comes with the kernel's receive time (SO_TIMESTAMPNS) when the socket asks
for it. Where the C library has no recvmmsg (or the system is not 64-bit Linux, whose
structures these are), `held_receiver` answers None, and where the kernel refuses the call
it raises one of `REFUSED`: the caller reads with `socket.recvmsg` as before.
"""

from __future__ import annotations

import ctypes
import errno
import os
import socket
import struct
import sys
import time
from collections.abc import Callable

BATCH = 64  # datagrams read per call
_SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
_MSG_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0x40)
_TIMESPEC = struct.Struct("@qq")


class _IoVec(ctypes.Structure):
    _fields_ = [("iov_base", ctypes.c_void_p), ("iov_len", ctypes.c_size_t)]


class _MsgHdr(ctypes.Structure):
    _fields_ = [("msg_name", ctypes.c_void_p), ("msg_namelen", ctypes.c_uint32),
                ("msg_iov", ctypes.POINTER(_IoVec)), ("msg_iovlen", ctypes.c_size_t),
                ("msg_control", ctypes.c_void_p), ("msg_controllen", ctypes.c_size_t),
                ("msg_flags", ctypes.c_int)]


class _MMsgHdr(ctypes.Structure):
    _fields_ = [("msg_hdr", _MsgHdr), ("msg_len", ctypes.c_uint)]


_CMSG_ALIGN = ctypes.sizeof(ctypes.c_size_t)
_CMSG_HEADER = struct.Struct("@Nii")  # cmsg_len, cmsg_level, cmsg_type
_CMSG_DATA_AT = -(-_CMSG_HEADER.size // _CMSG_ALIGN) * _CMSG_ALIGN  # CMSG_DATA's offset
_CONTROL_BYTES = 64  # room for the timestamp and a little more
_SIZE_T, _UINT = struct.Struct("@N"), struct.Struct("@I")
_CONTROL_LENGTH_AT = _MsgHdr.msg_controllen.offset  # within an mmsghdr: msg_hdr comes first
_LENGTH_AT = _MMsgHdr.msg_len.offset


def _c_recvmmsg() -> ctypes._NamedFuncPointer | None:
    # The structures below are Linux's; 64-bit only, where the timestamp is two 64-bit
    # fields (a 32-bit system reads with socket.recvmsg, as before)
    if not sys.platform.startswith("linux") or struct.calcsize("P") != 8:
        return None
    try:
        function = ctypes.PyDLL(None, use_errno=True).recvmmsg  # PyDLL: the GIL stays held
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_uint, ctypes.c_int,
                         ctypes.c_void_p]
    function.restype = ctypes.c_int
    return function


_RECVMMSG = _c_recvmmsg()

# One datagram: its bytes (cut to the buffer's size) and the kernel's receive time in
# wall-clock ns, or where it came without one, the time the call that read it returned.
Datagram = tuple[memoryview, int]
# What a refused recvmmsg answers (a seccomp filter, a kernel without it): read otherwise
REFUSED = frozenset({errno.ENOSYS, errno.EPERM, errno.EOPNOTSUPP, errno.EACCES})
Receive = Callable[[], list[Datagram]]


def control_stamp_ns(control: memoryview) -> int | None:
    """The SO_TIMESTAMPNS time among the control messages of one datagram (the bytes the
    kernel filled in: `msg_controllen` of them), or None."""
    at, end = 0, len(control)
    while at + _CMSG_HEADER.size <= end:
        length, level, kind = _CMSG_HEADER.unpack_from(control, at)
        if length < _CMSG_HEADER.size or at + length > end:
            return None
        if level == socket.SOL_SOCKET and kind == _SO_TIMESTAMPNS \
                and length >= _CMSG_DATA_AT + _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(control, at + _CMSG_DATA_AT)
            return int(seconds) * 1_000_000_000 + int(nanoseconds)
        at += -(-length // _CMSG_ALIGN) * _CMSG_ALIGN
    return None


def held_receiver(sock: socket.socket, datagram_bytes: int,
                  batch: int = BATCH) -> Receive | None:
    """A reader of `sock`'s queued datagrams (at most `batch` a call, each cut to
    `datagram_bytes`) that keeps the GIL; None where the C library has no recvmmsg. An
    empty list: nothing queued. The datagrams are views of buffers the next call reuses:
    read them before calling again. Errors other than EAGAIN are raised as OSError, as
    `socket.recvmsg` raises them (a closed socket: EBADF, never a descriptor reused; a
    refused call: one of `REFUSED`, for the caller to read otherwise)."""
    c_recvmmsg = _RECVMMSG
    if c_recvmmsg is None:
        return None
    data = ctypes.create_string_buffer(datagram_bytes * batch)
    control = ctypes.create_string_buffer(_CONTROL_BYTES * batch)
    vectors = (_IoVec * batch)()
    headers = (_MMsgHdr * batch)()
    base_data, base_control = ctypes.addressof(data), ctypes.addressof(control)
    for i in range(batch):
        vectors[i].iov_base, vectors[i].iov_len = base_data + i * datagram_bytes, \
            datagram_bytes
        header = headers[i].msg_hdr
        header.msg_iov, header.msg_iovlen = ctypes.pointer(vectors[i]), 1
        header.msg_control = base_control + i * _CONTROL_BYTES
        header.msg_controllen = _CONTROL_BYTES
    headers_at = ctypes.addressof(headers)
    data_view, control_view = memoryview(data).cast("B"), memoryview(control).cast("B")
    header_view = memoryview(headers).cast("B")  # lengths read by struct, not by ctypes
    # The kernel rewrites each header's control length and flags: put them back from a
    # copy after every call, in one copy (into the view: ctypes.memmove lets go of the GIL)
    pristine, header_bytes = bytes(header_view), ctypes.sizeof(_MMsgHdr)
    fileno, get_errno, time_ns = sock.fileno, ctypes.get_errno, time.time_ns
    stamp_of, size_at, uint_at = control_stamp_ns, _SIZE_T.unpack_from, _UINT.unpack_from

    def receive() -> list[Datagram]:
        while True:
            count = c_recvmmsg(fileno(), headers_at, batch, _MSG_DONTWAIT, None)
            if count >= 0:
                break
            code = get_errno()
            if code in (errno.EAGAIN, errno.EWOULDBLOCK):
                return []
            if code != errno.EINTR:
                raise OSError(code, os.strerror(code))
        read_ns = time_ns()
        received: list[Datagram] = []
        try:
            for i in range(count):
                at = i * header_bytes
                length = min(uint_at(header_view, at + _LENGTH_AT)[0], datagram_bytes)
                control_length = min(size_at(header_view, at + _CONTROL_LENGTH_AT)[0],
                                     _CONTROL_BYTES)
                data_at, control_at = i * datagram_bytes, i * _CONTROL_BYTES
                stamp = stamp_of(control_view[control_at:control_at + control_length])
                received.append((data_view[data_at:data_at + length],
                                 read_ns if stamp is None else stamp))
        finally:
            header_view[:] = pristine  # whatever happened, the next call gets whole buffers
        return received

    return receive
