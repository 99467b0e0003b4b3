"""One `bridge run` per SQLite file.

Two daemons writing one SQLite file would each believe they own every device: two probes,
two rule engines, tickets decided twice. SQLite cannot coordinate instances (PostgreSQL
can), so the daemon holds an OS lock on a file beside the database for as long as it
runs. flock(2) belongs to the open file, so the kernel drops it when the process ends in
any way, kill -9 included: a crashed daemon never leaves a stale lock. The lock file is
never deleted (unlinking it while another process opens it would let two daemons lock
two different files); it names the holder so the refused one can say who runs.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy.engine import make_url


class AlreadyRunning(RuntimeError):
    """Another bridge holds the store's instance lock."""


def lock_path(url: str) -> Path | None:
    """The lock file of a SQLite store; None for a server database or an in-memory one."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    path = Path(database)
    return path.with_name(path.name + ".lock")


@contextlib.contextmanager
def single_instance(url: str) -> Iterator[None]:
    """Hold the instance lock of a SQLite store while the block runs (no-op for
    PostgreSQL); raise AlreadyRunning at once if another process holds it."""
    path = lock_path(url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_CLOEXEC: fping and other children must not inherit the lock and keep it after
    # the daemon died.
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 256, 0).decode(errors="replace").strip()
            raise AlreadyRunning(
                f"another bridge is already running on the SQLite store {path.with_suffix('')}"
                f" ({holder or 'its pid is not known yet'}; lock file {path}). SQLite serves "
                "one instance: stop that one first, or use PostgreSQL to run several."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} on host {socket.gethostname()}\n".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)  # a clean exit leaves no holder's name behind
    finally:
        os.close(fd)
