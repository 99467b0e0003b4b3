"""Hard deadlines for running probes: one heap and one event-loop timer for all of them.

`asyncio.timeout()` around every check put a TimerHandle per check into the event
loop's own heap (kept in order by Python-level comparisons) and cost ~9 % of an ICMP
check's CPU. The deadline is a safety net that hardly ever fires (every probe has its
own timeouts), so one sweeper that wakes at the earliest deadline does the same job:
it cancels an overdue check's task, and `Deadline.expired()` tells the wrapper that the
CancelledError was the deadline's, with asyncio.timeout's rules (a cancellation from
anywhere else still propagates).
"""

from __future__ import annotations

import asyncio
import heapq
import itertools

# Deadlines this close together share one wake-up: a check may overrun by this much.
_SLACK_S = 0.05


class Deadline:
    """One running check's deadline; `stop()` it when the check is over."""

    __slots__ = ("_cancelling", "_settled", "_task", "fired")

    def __init__(self, task: asyncio.Task[object]) -> None:
        self._task: asyncio.Task[object] | None = task
        self._cancelling = task.cancelling()  # cancellations already asked for
        self._settled = False
        self.fired = False

    def fire(self) -> None:
        """The deadline passed: cancel the check if it is still running."""
        if self._task is not None and not self.fired:
            self.fired = True
            self._task.cancel()

    def expired(self) -> bool:
        """Call on CancelledError: True if it was this deadline's doing, and only its."""
        if not self.fired or self._task is None or self._settled:
            return False
        self._settled = True
        return self._task.uncancel() <= self._cancelling

    def stop(self) -> None:
        """The check is over; a deadline that fired no longer counts as a cancellation."""
        if self.fired and not self._settled and self._task is not None:
            self._settled = True
            self._task.uncancel()  # the check swallowed the CancelledError
        self._task = None


class Deadlines:
    """The deadlines of every running check of one event loop."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Deadline]] = []  # (when, order, deadline)
        self._order = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_due = 0.0
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self, seconds: float) -> Deadline:
        """Cancel the current task if it is still running `seconds` from now."""
        loop = asyncio.get_running_loop()
        task = asyncio.current_task(loop)
        assert task is not None, "deadlines are for tasks"
        if loop is not self._loop:
            self.close()  # what is left belongs to a loop that ran before this one
        deadline = Deadline(task)
        when = loop.time() + seconds
        heapq.heappush(self._heap, (when, next(self._order), deadline))
        if self._timer is None or when + _SLACK_S < self._timer_due:
            self._arm(loop, when + _SLACK_S)
        return deadline

    def close(self) -> None:
        """Forget every deadline and stop the sweeper."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._heap.clear()

    def _arm(self, loop: asyncio.AbstractEventLoop, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._loop = loop
        self._timer = loop.call_at(when, self._sweep)
        self._timer_due = when

    def _sweep(self) -> None:
        self._timer = None
        assert self._loop is not None
        now = self._loop.time()
        heap = self._heap
        while heap and heap[0][0] <= now:
            heapq.heappop(heap)[2].fire()
        if heap:
            self._arm(self._loop, heap[0][0] + _SLACK_S)
