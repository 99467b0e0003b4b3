"""One ICMP socket per address family for every check, replies matched to requests.

icmplib opens a raw socket per ping; every raw ICMP socket receives a copy of every
ICMP packet on the host, so hundreds of concurrent pings drown each other (replies
dropped from full buffers, CPU spent parsing other checks' packets, event-loop delay
counted as round-trip time). Like fping, this engine sends everything through one
socket (bridge/probes/icmp/echo_socket.py) and matches each reply to its request by
sequence number and payload token. Receive times come from the kernel
(SO_TIMESTAMPNS), so a busy event loop does not inflate RTTs.

A check's coroutine sends its first packet and then sleeps on one future: the later
packets and the final timeout are entries on the engine's own timeline, which one
event-loop timer works off in batches (due times within `_BATCH_S` share a wake-up),
so a packet costs no task switch and no timer of its own. The timeline is one FIFO
queue per delay (a packet interval or a timeout): entries of one delay are appended
in the order they fall due, so no heap is needed, and there are only as many queues
as distinct delays in the probe config.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

from bridge.probes.addresses import ip_literal, resolve
from bridge.probes.icmp.echo_socket import EchoSocket

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
    done: asyncio.Future[None]
    sent: int = 0
    rtts_s: list[float] = field(default_factory=list)
    error: str | None = None
    errno: int | None = None
    seqs: list[int] = field(default_factory=list)  # the requests that went out

    @property
    def received(self) -> int:
        """Replies that came back in time."""
        return len(self.rtts_s)


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
        """Close the sockets and fail every outstanding check."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for queue in self._timeline.values():
            for _due, check in queue:
                if not check.done.done():
                    check.done.cancel()
        self._timeline.clear()
        for echo_socket in self._sockets.values():
            for check, _token, _sent, _sent_monotonic in echo_socket.pending.values():
                if not check.done.done():
                    check.done.cancel()
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(echo_socket.fileno())
            echo_socket.close()
        self._sockets.clear()

    async def ping(self, address: str, count: int, interval_s: float,
                   timeout_s: float) -> Echoes:
        """Send `count` echo requests `interval_s` apart; wait `timeout_s` after the last."""
        family, sockaddr = ip_literal(address) or await resolve(address)
        check = self.start(family, sockaddr, count, interval_s, timeout_s)
        try:
            await check.done
        finally:
            self.forget(check)
        return check

    def start(self, family: int, sockaddr: tuple[object, ...], count: int, interval_s: float,
              timeout_s: float) -> Echoes:
        """`ping` for a resolved address, without a coroutine of its own: send the first
        request; the caller awaits `done`, then calls `forget`."""
        echo_socket = self._socket(family)
        loop = self._loop
        assert loop is not None  # set with the first socket
        check = Echoes(count, interval_s, timeout_s, sockaddr, echo_socket,
                       loop.create_future(), 0, [], None, None, [])
        self._step(check, loop.time())
        return check

    @staticmethod
    def forget(check: Echoes) -> None:
        """The check is over: its unanswered requests (timed out, or cancelled) are no
        longer waited for."""
        if len(check.rtts_s) < len(check.seqs):
            pending = check.echo_socket.pending
            for seq in check.seqs:
                request = pending.get(seq)
                if request is not None and request[0] is check:
                    del pending[seq]

    def _step(self, check: Echoes, now: float, last: list[Echoes] | None = None) -> None:
        """Send the check's next packet, or end it: every packet sent and waited for.

        With `last`, a check whose final packet went out is put there instead of waiting:
        the caller reads the replies already queued before it starts the timeout."""
        done = check.done
        if done.done():
            return  # answered in full, or cancelled
        sent, count = check.sent, check.count
        if sent == count:
            done.set_result(None)  # the timeout after the last packet
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
            done.set_result(None)  # every request that went out is answered
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
                if not check.done.done():
                    self._wait(check, check.timeout_s, now)
            heads = [queue[0][0] for queue in self._timeline.values() if queue]
            if heads and (self._timer is None or min(heads) + _BATCH_S < self._timer_due):
                self._arm(min(heads) + _BATCH_S)


def _on_reply(check: Echoes, rtt_ns: int) -> None:
    """Record one reply; wake the check when every packet is sent and answered."""
    rtts = check.rtts_s
    rtts.append(rtt_ns / 1e9)
    if check.sent == check.count and len(rtts) == len(check.seqs) and not check.done.done():
        check.done.set_result(None)
