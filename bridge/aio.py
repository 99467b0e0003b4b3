"""Small asyncio helpers shared by the daemon's loops."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, Protocol, cast

log = logging.getLogger(__name__)


async def wait_or_timeout(event: asyncio.Event, timeout_s: float) -> bool:
    """Wait until `event` is set or `timeout_s` passes; True if the event was set.

    With `asyncio.timeout`, not `asyncio.wait_for`: in Python 3.11 wait_for wraps the wait
    in a task of its own and, at the timeout, cancels it and waits for it, three or four
    turns of the loop where this takes one. The daemon's periodic loops wait here tens of
    times a second, so that was most of an idle daemon's CPU."""
    if event.is_set():
        return True
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await event.wait()
    return event.is_set()


class Cancellable(Protocol):
    """A running job that can be ended early (an asyncio Task is one)."""

    def cancel(self) -> object:
        """End the job; it delivers nothing after this."""
        ...


class Slot:
    """One started job's place under the bound: the job frees it with `release()` once it is
    over, and tells it with `hold(job)` what `Admission.wait_running` cancels if it overruns."""

    __slots__ = ("_admission", "job")

    def __init__(self, admission: Admission) -> None:
        self._admission: Admission | None = admission
        self.job: Cancellable | None = None

    def hold(self, job: Cancellable) -> None:
        """The running job, to cancel should it overrun (ignored once released)."""
        if self._admission is not None:
            self.job = job

    def release(self) -> None:
        """The job is over: its slot goes to the next in line (a second call does nothing).

        The job is forgotten here: it usually holds its own callback, which holds this slot,
        and that cycle would otherwise keep every finished check alive until a garbage
        collection (at 10,000 ICMP checks: 16 young collections a round instead of 6)."""
        admission = self._admission
        if admission is not None:
            self._admission = None
            self.job = None
            admission._release(self)


Job = Callable[[], Coroutine[Any, Any, None]]
StartJob = Callable[[Slot], None]


class Admission:
    """Runs jobs, at most `limit` at once; the rest wait their turn in order.

    asyncio.Semaphore (Python 3.11 and 3.12) walks its whole queue of waiters on every
    acquire (`locked()`) and release (`_wake_up_next`), so a burst of N checks behind the
    bound costs O(N²): at 10,000 checks due together that was a sixth of the ICMP path's
    CPU. Here a job that cannot start yet is not even a task, only an entry in a deque,
    and each finishing job starts the next one.

    A job is a coroutine (`submit`: run as a task) or a start function (`submit_call`):
    called with its Slot, it starts work that ends in a callback and releases the slot
    there, with no task, no coroutine and no event-loop turn of its own (an ICMP check
    is a few packets on the shared socket and a result built when the last reply is read).
    """

    def __init__(self, limit: int, name: str = "job") -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1 (got {limit})")
        self.limit = limit
        self._name = name
        self._running: set[asyncio.Task[None]] = set()
        self._calls: set[Slot] = set()
        self._queue: deque[tuple[Job | StartJob, str, bool]] = deque()  # job, label, is_call
        self._starting = False  # a job's start or end is starting the next ones
        self._idle: asyncio.Future[None] | None = None  # for wait_running: no call left

    @property
    def running(self) -> int:
        """Jobs started and not finished."""
        return len(self._running) + len(self._calls)

    @property
    def queued(self) -> int:
        """Jobs waiting for a free slot."""
        return len(self._queue)

    def submit(self, job: Job, label: str = "") -> None:
        """Start `job()` as a task now if a slot is free, otherwise once one is (first come,
        first started). The coroutine is only created when the job starts."""
        self._queue.append((job, label, False))
        self._start_queued()

    def submit_call(self, start: StartJob, label: str = "") -> None:
        """Call `start(slot)` now if a slot is free, otherwise once one is, in the same
        order as `submit`; the job calls `slot.release()` when it is over. A start that
        raises is logged as a crash and its slot freed."""
        self._queue.append((start, label, True))
        self._start_queued()

    def drop_queued(self) -> int:
        """Forget the jobs that have not started; how many there were."""
        dropped = len(self._queue)
        self._queue.clear()
        return dropped

    async def wait_running(self, timeout_s: float) -> None:
        """Give the running jobs `timeout_s` to finish, then cancel those that have not."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        if self._calls:
            self._idle = loop.create_future()
            await asyncio.wait([self._idle], timeout=timeout_s)
            self._idle = None
            for slot in list(self._calls):
                job = slot.job
                slot.release()  # a cancelled job delivers nothing
                if job is not None:
                    job.cancel()
        if not self._running:
            return
        _, pending = await asyncio.wait(set(self._running),
                                        timeout=max(0.0, deadline - loop.time()))
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        self._running -= pending  # a task cancelled before it ran never reached its finally

    def _start_queued(self) -> None:
        """Start queued jobs while slots are free. Not re-entered: a job that ends inside
        its own start (a send refused at once) leaves the next start to the loop here,
        so a queue of such jobs is a loop, not a recursion as deep as the queue."""
        if self._starting:
            return
        self._starting = True
        try:
            queue = self._queue
            while queue and len(self._running) + len(self._calls) < self.limit:
                job, label, is_call = queue.popleft()
                if is_call:
                    self._call(cast(StartJob, job), label)
                else:
                    self._start(cast(Job, job), label)
        finally:
            self._starting = False

    def _call(self, start: StartJob, label: str) -> None:
        slot = Slot(self)
        self._calls.add(slot)
        try:
            start(slot)
        except Exception:
            log.error("%s crashed", f"{self._name} {label}".rstrip(), exc_info=True)
            slot.release()

    def _release(self, slot: Slot) -> None:
        calls = self._calls
        calls.discard(slot)
        if self._queue:
            self._start_queued()
        elif not calls and self._idle is not None and not self._idle.done():
            self._idle.set_result(None)

    def _start(self, job: Job, label: str) -> None:
        own: list[asyncio.Task[None]] = []  # the task, for the job's finally to hand back
        task = asyncio.create_task(self._run(job, own), name=f"{self._name} {label}".rstrip())
        own.append(task)
        self._running.add(task)

    async def _run(self, job: Job, own: list[asyncio.Task[None]]) -> None:
        """The job, then its slot to the next in line. Done here rather than in a done
        callback: that would be one more event-loop callback for every check."""
        try:
            await job()
        except Exception:
            log.error("%s crashed", own[0].get_name(), exc_info=True)
        finally:
            self._running.discard(own[0])
            if self._queue:
                self._start_queued()


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
