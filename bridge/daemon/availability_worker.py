"""The rolling windows computed in a process of their own, so their CPU never holds the
event loop.

Refreshing the windows of 10,000 devices is ~1.5 s of Python when many of them have
something happening (a fresh store, a mass outage). On a reader thread that held the GIL
against the event loop: every socket call the loop made handed the GIL over and waited up
to the switch interval to get it back, and the scheduler ran 0.4-0.9 s late every 30 s.
In a child process it costs the loop nothing. The child reads the store through an
engine of its own (each refresh one snapshot, as before) and keeps the windows between
refreshes (availability/sliding.py); plain data crosses: the config pickled once per
config, `now` in, the windows packed as floats out (availability/packed.py).

The child is a new interpreter (not a fork: the daemon has threads, and a forked copy of a
threaded process may inherit a lock some thread held), started as a plain subprocess with
one end of a socket pair: multiprocessing's "spawn" would also start its resource tracker,
a third process (12 MiB) for semaphores and shared memory this child never makes.
"""

from __future__ import annotations

import contextlib
import copyreg
import gc
import io
import logging
import os
import pickle
import select
import subprocess
import sys
import threading
from dataclasses import replace
from datetime import datetime
from multiprocessing.connection import Connection, Pipe
from types import MappingProxyType
from typing import Any

from bridge.availability.inputs import Inventory
from bridge.availability.packed import Packer, Unpacker
from bridge.availability.sliding import SlidingWindows
from bridge.availability.windows import WindowTallies
from bridge.config.model import Config
from bridge.daemon import heap
from bridge.store import Database

log = logging.getLogger(__name__)

_STOP_S = 5.0
CHILD_NICENESS = 10  # added to the daemon's nice value (lower priority)
_PIECEWISE = ("devices", "snmp")  # the config's mappings that grow with the fleet
_PIECE = 250
ANSWER_S = 600.0  # a refresh from scratch at 50,000 devices takes a while; a hung child longer
# The child's command after the interpreter: the pipe's descriptor, then the daemon's import
# path (the daemon may run from a checkout, a virtualenv or `python -m`).
_CHILD = ("import sys; sys.path[:] = sys.argv[2:]; "
          "from bridge.daemon.availability_worker import main; main(int(sys.argv[1]))")


def _mapping_proxy(items: dict[Any, Any]) -> MappingProxyType[Any, Any]:
    return MappingProxyType(items)


def _dumps(value: object) -> bytes:
    """Pickled; read-only mappings travel as dicts and come back read-only."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = {**copyreg.dispatch_table,
                              MappingProxyType: lambda proxy: (_mapping_proxy, (dict(proxy),))}
    pickler.dump(value)
    return buffer.getvalue()


def _pickled(config: Config) -> list[bytes]:
    """A Config in pieces: the whole of it in one pickling is one C call holding the GIL
    (0.1-0.3 s at 10,000 devices), so its devices and SNMP access go _PIECE entries at a
    time (~5 ms each), the GIL given up between pieces."""
    parts = [_dumps(replace(config, devices={}, snmp={}))]
    for field_name in _PIECEWISE:
        items = list(getattr(config, field_name).items())
        for start in range(0, len(items), _PIECE):
            # The GIL is released here: a thread waiting for it (the event loop) gets it.
            # (Not time.sleep(0): it fails under libfaketime, which the clock tests use.)
            os.sched_yield()
            parts.append(_dumps((field_name, dict(items[start:start + _PIECE]))))
    return parts


def _unpickled(parts: list[bytes]) -> Config:
    """The Config `_pickled` took apart."""
    config: Config = pickle.loads(parts[0])
    entries: dict[str, dict[str, Any]] = {name: {} for name in _PIECEWISE}
    for part in parts[1:]:
        field_name, piece = pickle.loads(part)
        entries[field_name].update(piece)
    return replace(config, devices=entries["devices"], snmp=entries["snmp"])


def main(descriptor: int) -> None:
    """The child process: serve the daemon on the socket it handed down."""
    serve(Connection(descriptor))


class WorkerError(RuntimeError):
    """The availability process failed a request (its message says why)."""


class _NoAnswer(WorkerError):
    """The availability process did not answer in time."""


def serve(connection: Connection) -> None:
    """The child's loop: ("config", pickled config) builds the windows of that config,
    ("refresh", now) answers ("windows", packed, computed from scratch so far); None or a
    closed pipe ends it. A failure answers ("error", message) and keeps serving."""
    heap.limit_malloc()
    # Background work: when both want a CPU, the daemon's event loop (its checks' timing,
    # the API) goes first; the windows wait a little (a refresh is seconds of CPU). Only a
    # preference: where setpriority is refused (a unit filtering all of @resources; the
    # shipped one allows it back), the child serves at the daemon's priority.
    try:
        os.nice(CHILD_NICENESS)
    except OSError as exc:
        log.warning("availability process: priority not lowered (%s)", exc)
    windows: SlidingWindows | None = None
    database: Database | None = None
    packer = Packer()
    while True:
        try:
            message = connection.recv()
        except EOFError:  # the daemon is gone
            break
        if message is None:
            break
        try:
            if message[0] == "config":
                windows = None  # the old windows go before the new ones are built
                windows, database = _windows_of(message[1], database)
                packer = Packer()
                gc.collect()
                gc.freeze()  # the inventory stays: keep it out of collections
                connection.send(("ok",))
            else:
                assert windows is not None, "a config comes first"
                assert database is not None
                # the windows are sent and let go before the next refresh computes new ones
                connection.send(("windows", packer.pack(
                    windows.refresh(database.reader, message[1])),
                    windows.computed_from_scratch))
        except Exception as exc:  # the store may be down: the daemon logs it and retries
            connection.send(("error", f"{type(exc).__name__}: {exc}"))
        del message  # a config's pieces
    if database is not None:
        database.dispose()


def _windows_of(parts: list[bytes], database: Database | None
                ) -> tuple[SlidingWindows, Database]:
    """The windows of a pickled config, and the store to read (the one given, if the
    config's store is the same). They keep the config less its devices (inputs.py)."""
    config = _unpickled(parts)
    if database is None or database.url != config.storage_url:
        if database is not None:
            database.dispose()
        database = Database(config.storage_url)
    return SlidingWindows(Inventory.of(config).without_devices()), database


def _exits_within(process: subprocess.Popen[bytes], timeout_s: float) -> bool:
    """Whether `process` has ended within `timeout_s` (not reaped: `wait` does that).

    Waits in poll(2) on a pidfd, not in subprocess's own loop of sleeps: under libfaketime
    every sleep fails with EINVAL once the wall clock stepped forward, and a daemon should
    stop the same whatever its wall clock did."""
    if process.returncode is not None:
        return True
    try:
        pidfd = os.pidfd_open(process.pid)
    except (OSError, AttributeError):  # no pidfd (old kernel or Python, a seccomp filter)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return False
        return True
    try:
        waiting = select.poll()
        waiting.register(pidfd, select.POLLIN)
        return bool(waiting.poll(timeout_s * 1000))
    finally:
        os.close(pidfd)


class WindowsProcess:
    """The daemon's side: starts the child when needed (again if it died) and asks it for
    the windows. `refresh` blocks: call it on a thread. One request at a time."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._connection: Connection | None = None
        self._config: Config | None = None  # the config the child holds
        self._unpacker = Unpacker()
        self._lock = threading.Lock()  # one request at a time
        self._handle = threading.Lock()  # the child's handle, against close() from another
        self._closed = False
        self.computed_from_scratch = 0
        self.starts = 0

    @property
    def pid(self) -> int | None:
        """The child's process id, while it runs."""
        process = self._process
        return process.pid if process is not None and process.poll() is None else None

    def refresh(self, config: Config, now: datetime) -> dict[str, WindowTallies]:
        """Every rolling window of `config` up to `now`."""
        with self._lock:
            try:
                return self._refresh(config, now)
            except (EOFError, OSError):  # the child died: a new one starts over
                self._stop()
                return self._refresh(config, now)
            except _NoAnswer:  # hung: killed, and the next refresh starts a new one
                self._stop()
                raise

    def _refresh(self, config: Config, now: datetime) -> dict[str, WindowTallies]:
        connection = self._connection
        if connection is None or self._process is None or self._process.poll() is not None:
            self._stop()
            connection = self._start()
        if config is not self._config:
            self._config = None
            connection.send(("config", _pickled(config)))
            self._answer(connection)
            self._config, self._unpacker = config, Unpacker()
        connection.send(("refresh", now))
        _, packed, self.computed_from_scratch = self._answer(connection)
        return self._unpacker.unpack(packed)

    def _answer(self, connection: Connection) -> tuple[Any, ...]:
        if not connection.poll(ANSWER_S):
            raise _NoAnswer(f"the availability process did not answer in {ANSWER_S:g} s")
        answer: tuple[Any, ...] = connection.recv()
        if answer[0] == "error":
            raise WorkerError(answer[1])
        return answer

    def _start(self) -> Connection:
        with self._handle:
            if self._closed:
                raise WorkerError("the availability process is stopped: the daemon is stopping")
            ours, theirs = Pipe()
            try:
                process = subprocess.Popen(
                    [sys.executable, "-c", _CHILD, str(theirs.fileno()), *sys.path],
                    pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL)
            except OSError:
                ours.close()
                raise
            finally:
                theirs.close()
            self._process, self._connection = process, ours
            self.starts += 1
            log.info("availability process started (pid %s)", process.pid)
        return ours

    def _stop(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = self._config = None
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.send(None)
            connection.close()
        if process is not None:
            if not _exits_within(process, _STOP_S):
                process.kill()
            process.wait()

    def stop(self) -> None:
        """Stop the child until the next refresh (which starts a new one); waits for a
        refresh under way."""
        with self._lock:
            self._stop()

    def close(self) -> None:
        """Stop the child for good (it exits on its own when the daemon dies). A refresh
        under way is not waited for: the child is killed, and the refresh fails."""
        with self._handle:
            self._closed = True
            process = self._process
        if self._lock.acquire(blocking=False):
            try:
                self._stop()
            finally:
                self._lock.release()
        elif process is not None:
            process.kill()
