"""Small asyncio helpers shared by the daemon's loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

log = logging.getLogger(__name__)


async def wait_or_timeout(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until `event` is set or `timeout_s` passes; True if the event was set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(event.wait(), timeout=timeout_s)
    return event.is_set()


class Admission:
    """Runs jobs as tasks, at most `limit` at once; the rest wait their turn in order.

    asyncio.Semaphore (Python 3.11 and 3.12) walks its whole queue of waiters on every
    acquire (`locked()`) and release (`_wake_up_next`), so a burst of N checks behind the
    bound costs O(N²): at 10,000 checks due together that was a sixth of the ICMP path's
    CPU. Here a job that cannot start yet is not even a task, only an entry in a deque,
    and each finishing job starts the next one.
    """

    def __init__(self, limit: int, name: str = "job") -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1 (got {limit})")
        self.limit = limit
        self._name = name
        self._running: set[asyncio.Task[None]] = set()
        self._queue: deque[tuple[Callable[[], Coroutine[Any, Any, None]], str]] = deque()

    @property
    def running(self) -> int:
        """Jobs started and not finished."""
        return len(self._running)

    @property
    def queued(self) -> int:
        """Jobs waiting for a free slot."""
        return len(self._queue)

    def submit(self, job: Callable[[], Coroutine[Any, Any, None]], label: str = "") -> None:
        """Start `job()` now if a slot is free, otherwise once one is (first come, first
        started). The coroutine is only created when the job starts."""
        if len(self._running) < self.limit:
            self._start(job, label)
        else:
            self._queue.append((job, label))

    def drop_queued(self) -> int:
        """Forget the jobs that have not started; how many there were."""
        dropped = len(self._queue)
        self._queue.clear()
        return dropped

    async def wait_running(self, timeout_s: float) -> None:
        """Give the running jobs `timeout_s` to finish, then cancel those that have not."""
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running), timeout=timeout_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._running -= pending  # a task cancelled before it ran never reached its finally

    def _start(self, job: Callable[[], Coroutine[Any, Any, None]], label: str) -> None:
        own: list[asyncio.Task[None]] = []  # the task, for the job's finally to hand back
        task = asyncio.create_task(self._run(job, own), name=f"{self._name} {label}".rstrip())
        own.append(task)
        self._running.add(task)

    async def _run(self, job: Callable[[], Coroutine[Any, Any, None]],
                   own: list[asyncio.Task[None]]) -> None:
        """The job, then its slot to the next in line. Done here rather than in a done
        callback: that would be one more event-loop callback for every check."""
        try:
            await job()
        except Exception:
            log.error("%s crashed", own[0].get_name(), exc_info=True)
        finally:
            self._running.discard(own[0])
            if self._queue and len(self._running) < self.limit:
                self._start(*self._queue.popleft())


class Coalesced:
    """Runs one job when asked, one run at a time: asks that come during a run make one
    more run after it, not one each (a burst of ticket writes costs a count or two)."""

    def __init__(self, job: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._job = job
        self._wanted = False
        self._task: asyncio.Task[None] | None = None

    def ask(self) -> None:
        """Run the job soon (on the running loop), or once more after the run under way."""
        self._wanted = True
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            while self._wanted:
                self._wanted = False
                await self._job()
        finally:
            self._task = None
