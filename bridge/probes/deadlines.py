"""Hard deadlines for running probes: one queue per limit and one event-loop timer for all.

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
from collections import deque

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
    """The deadlines of every running check of one event loop.

    One FIFO queue per limit, as the ICMP engine's timeline: deadlines of one limit are
    started in time order, so they fall due in the order they were appended, and taking
    one out is a popleft, not a heap's O(log n) of tuple comparisons. There are only as
    many queues as distinct probe budgets in the config.
    """

    def __init__(self) -> None:
        self._queues: dict[float, deque[tuple[float, Deadline]]] = {}  # limit: (when, deadline)
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
        queue = self._queues.get(seconds)
        if queue is None:
            queue = self._queues[seconds] = deque()
        queue.append((when, deadline))
        if self._timer is None or when + _SLACK_S < self._timer_due:
            self._arm(loop, when + _SLACK_S)
        return deadline

    def close(self) -> None:
        """Forget every deadline and stop the sweeper."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._queues.clear()

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
        heads = []
        for queue in self._queues.values():
            while queue and queue[0][0] <= now:
                queue.popleft()[1].fire()
            if queue:
                heads.append(queue[0][0])
        if heads:
            self._arm(self._loop, min(heads) + _SLACK_S)
