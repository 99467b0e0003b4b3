"""One ICMP socket per address family for every check, replies matched to requests.

icmplib opens a raw socket per ping; every raw ICMP socket receives a copy of every
ICMP packet on the host, so hundreds of concurrent pings drown each other (replies
dropped from full buffers, CPU spent parsing other checks' packets, event-loop delay
counted as round-trip time). Like fping, this engine sends everything through one
socket (bridge/probes/icmp/echo_socket.py) and matches each reply to its request by
sequence number and payload token. Receive times come from the kernel
(SO_TIMESTAMPNS), so a busy event loop does not inflate RTTs.

A check sends its first packet and is then only a record: the later packets and the
final timeout are entries on the engine's own timeline, which one event-loop timer works
off in batches (due times within `_BATCH_S` share a wake-up), so a packet costs no task
switch and no timer of its own. The timeline is one FIFO
queue per delay (a packet interval or a timeout): entries of one delay are appended
in the order they fall due, so no heap is needed, and there are only as many queues
as distinct delays in the probe config. When the last reply is read (or the timeout
passes) the engine calls the check's `on_done` there and then: no future, no task and no
event-loop turn per check.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from bridge.probes.icmp.echo_socket import EchoSocket

log = logging.getLogger(__name__)

# Due times this close together are worked off in one wake-up. Packets go out at most
# this much later than their spacing asks (never earlier), and a check may wait this
# much longer than its timeout.
_BATCH_S = 0.001


@dataclass(eq=False, slots=True)
class Echoes:
    """The outcome of one multi-packet ping; also the live record while it runs."""

    count: int
    interval_s: float
    timeout_s: float
    sockaddr: tuple[object, ...]
    echo_socket: EchoSocket[Echoes]
    on_done: Callable[[Echoes], object]  # called once, when the check is over
    on_close: Callable[[], object] | None = None  # instead, if the engine closes first
    finished: bool = False
    sent: int = 0
    rtts_s: list[float] = field(default_factory=list)
    error: str | None = None
    errno: int | None = None
    seqs: list[int] = field(default_factory=list)  # the requests that went out

    @property
    def received(self) -> int:
        """Replies that came back in time."""
        return len(self.rtts_s)

    def cancel(self) -> None:
        """End the check now, without calling `on_done`: its unanswered requests are no
        longer waited for (timed out, or the caller gave up)."""
        self.finished = True
        if len(self.rtts_s) < len(self.seqs):
            pending = self.echo_socket.pending
            for seq in self.seqs:
                request = pending.get(seq)
                if request is not None and request[0] is self:
                    del pending[seq]


class Pinger:
    """Owns the ICMP sockets of one event loop and the timeline of packets to send."""

    def __init__(self, privileged: bool) -> None:
        self.privileged = privileged
        self._sockets: dict[int, EchoSocket[Echoes]] = {}
        self._timeline: dict[float, deque[tuple[float, Echoes]]] = {}  # delay: (due, check)
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    def _socket(self, family: int) -> EchoSocket[Echoes]:
        echo_socket = self._sockets.get(family)
        if echo_socket is None:
            echo_socket = EchoSocket(family, self.privileged, _on_reply)
            self._loop = asyncio.get_running_loop()
            self._loop.add_reader(echo_socket.fileno(), echo_socket.drain)
            self._sockets[family] = echo_socket
        return echo_socket

    def close(self) -> None:
        """Close the sockets and end every outstanding check: with its `on_close` where it
        has one (an awaiting caller is cancelled), silently otherwise."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for queue in self._timeline.values():
            for _due, check in queue:
                _close(check)
        self._timeline.clear()
        for echo_socket in self._sockets.values():
            for check, _token, _sent, _sent_monotonic in list(echo_socket.pending.values()):
                _close(check)
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(echo_socket.fileno())
            echo_socket.close()
        self._sockets.clear()

    def start(self, family: int, sockaddr: tuple[object, ...], count: int, interval_s: float,
              timeout_s: float, on_done: Callable[[Echoes], object],
              on_close: Callable[[], object] | None = None) -> Echoes:
        """Send the first of `count` echo requests `interval_s` apart, wait `timeout_s` after
        the last, then call `on_done(check)` (at once if the check ends inside this call)."""
        echo_socket = self._socket(family)
        loop = self._loop
        assert loop is not None  # set with the first socket
        check = Echoes(count, interval_s, timeout_s, sockaddr, echo_socket, on_done, on_close,
                       False, 0, [], None, None, [])
        self._step(check, loop.time())
        return check

    def _step(self, check: Echoes, now: float, last: list[Echoes] | None = None) -> None:
        """Send the check's next packet, or end it: every packet sent and waited for.

        With `last`, a check whose final packet went out is put there instead of waiting:
        the caller reads the replies already queued before it starts the timeout."""
        if check.finished:
            return  # answered in full, or cancelled
        sent, count = check.sent, check.count
        if sent == count:
            _finish(check)  # the timeout after the last packet
            return
        check.sent = sent = sent + 1
        seqs = check.seqs
        try:
            seqs.append(check.echo_socket.send(check, check.sockaddr))
        except OSError as exc:
            check.error = exc.strerror or str(exc)
            check.errno = exc.errno
        if sent < count:
            self._wait(check, check.interval_s, now)
        elif len(check.rtts_s) == len(seqs):
            _finish(check)  # every request that went out is answered
        elif last is not None:
            last.append(check)
        else:
            self._wait(check, check.timeout_s, now)

    def _wait(self, check: Echoes, delay: float, now: float) -> None:
        """Step `check` again `delay` from `now`."""
        queue = self._timeline.get(delay)
        if queue is None:
            queue = self._timeline[delay] = deque()
        queue.append((now + delay, check))
        if self._timer is None or now + delay + _BATCH_S < self._timer_due:
            self._arm(now + delay + _BATCH_S)

    def _arm(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        assert self._loop is not None
        self._timer = self._loop.call_at(when, self._on_timer)
        self._timer_due = when

    def _on_timer(self) -> None:
        self._timer = None
        assert self._loop is not None
        now = self._loop.time()
        step = self._step
        # Checks whose last packet this batch sent. A near peer (loopback, a LAN) has
        # answered most of them by the end of the batch: reading the socket then ends
        # those checks without a timeout entry each (which would keep the check alive
        # for timeout_s and cost a step when it falls due).
        last: list[Echoes] = []
        try:
            for queue in list(self._timeline.values()):
                while queue and queue[0][0] <= now:
                    step(queue.popleft()[1], now, last)
            if last:
                for echo_socket in self._sockets.values():
                    echo_socket.drain()
        finally:
            for check in last:
                if not check.finished:
                    self._wait(check, check.timeout_s, now)
            heads = [queue[0][0] for queue in self._timeline.values() if queue]
            if heads and (self._timer is None or min(heads) + _BATCH_S < self._timer_due):
                self._arm(min(heads) + _BATCH_S)


def _on_reply(check: Echoes, rtt_ns: int) -> None:
    """Record one reply; end the check when every packet is sent and answered."""
    rtts = check.rtts_s
    rtts.append(rtt_ns / 1e9)
    if check.sent == check.count and len(rtts) == len(check.seqs) and not check.finished:
        _finish(check)


def _finish(check: Echoes) -> None:
    """The check is over: forget what it still waits for, then tell its owner. This runs
    inside the engine's socket reads and timer: an owner's error is logged, never let out
    into them."""
    check.cancel()
    try:
        check.on_done(check)
    except Exception:
        log.exception("ICMP check of %s: its result could not be handed over", check.sockaddr[0])


def _close(check: Echoes) -> None:
    if not check.finished:
        check.finished = True
        if check.on_close is not None:
            check.on_close()
