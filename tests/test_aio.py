"""The bound on running checks: never more than the limit at once, the rest started in the
order they came, and nothing left behind when the daemon stops."""

from __future__ import annotations

import asyncio
import functools
import logging

import pytest

from bridge.aio import Admission, Coalesced, Slot, wait_or_timeout


async def test_no_more_than_the_limit_run_and_the_rest_start_in_order() -> None:
    admission = Admission(2)
    started: list[int] = []
    gates = {n: asyncio.Event() for n in range(5)}
    running_at_start: list[int] = []

    async def job(n: int) -> None:
        started.append(n)
        running_at_start.append(admission.running)
        await gates[n].wait()

    for n in range(5):
        admission.submit(functools.partial(job, n), f"#{n}")
    await asyncio.sleep(0)
    assert started == [0, 1]
    assert (admission.running, admission.queued) == (2, 3)
    gates[1].set()
    await asyncio.sleep(0.01)
    assert started == [0, 1, 2]  # a finished job hands its slot to the next in line
    for gate in gates.values():
        gate.set()
    await asyncio.sleep(0.01)
    assert started == [0, 1, 2, 3, 4]
    assert max(running_at_start) <= 2
    assert (admission.running, admission.queued) == (0, 0)


async def test_stopping_drops_the_queue_and_cancels_what_overruns_the_grace() -> None:
    admission = Admission(1)
    cancelled = asyncio.Event()

    async def stuck() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    ran_late: list[str] = []

    async def late() -> None:
        ran_late.append("late")

    admission.submit(stuck)
    admission.submit(late)
    await asyncio.sleep(0)
    assert admission.drop_queued() == 1
    await admission.wait_running(0.05)
    assert cancelled.is_set()
    await asyncio.sleep(0.01)
    assert ran_late == []  # a dropped job never starts
    assert admission.running == 0


async def test_a_crashing_job_is_logged_and_frees_its_slot(
    caplog: pytest.LogCaptureFixture,
) -> None:
    admission = Admission(1, "check")
    done = asyncio.Event()

    async def crash() -> None:
        raise RuntimeError("probe bug")

    async def after() -> None:
        done.set()

    admission.submit(crash, "sw-1/ping")
    admission.submit(after)
    await asyncio.wait_for(done.wait(), 1)
    assert any(r.levelno == logging.ERROR and "check sw-1/ping crashed" in r.getMessage()
               for r in caplog.records)


async def test_call_jobs_share_the_bound_and_the_order_with_task_jobs() -> None:
    """A job that ends in a callback (no task of its own) holds its slot until released."""
    admission = Admission(2)
    started: list[str] = []
    slots: dict[str, Slot] = {}

    def call(name: str, slot: Slot) -> None:
        started.append(name)
        slots[name] = slot

    async def task_job() -> None:
        started.append("task")

    admission.submit_call(functools.partial(call, "a"))
    admission.submit_call(functools.partial(call, "b"))
    admission.submit(task_job)
    admission.submit_call(functools.partial(call, "c"))
    assert started == ["a", "b"]
    assert (admission.running, admission.queued) == (2, 2)
    slots["b"].release()
    slots["b"].release()  # a second release frees nothing more
    await asyncio.sleep(0.01)
    assert started == ["a", "b", "task", "c"]  # the task ended and handed its slot on
    assert (admission.running, admission.queued) == (2, 0)
    slots["a"].release()
    slots["c"].release()
    assert (admission.running, admission.queued) == (0, 0)


def test_call_jobs_that_end_inside_their_start_do_not_recurse() -> None:
    """A send refused at once ends its check inside its own start: 10,000 such checks
    behind the bound start one after another, not each inside the one before."""
    admission = Admission(1)
    ended: list[int] = []

    def refused(n: int, slot: Slot) -> None:
        ended.append(n)
        slot.release()

    for n in range(10_000):
        admission.submit_call(functools.partial(refused, n))
    assert ended == list(range(10_000))
    assert (admission.running, admission.queued) == (0, 0)


async def test_a_crashing_start_is_logged_and_frees_its_slot(
    caplog: pytest.LogCaptureFixture,
) -> None:
    admission = Admission(1, "check")
    after: list[Slot] = []

    def crash(slot: Slot) -> None:
        raise RuntimeError("probe bug")

    admission.submit_call(crash, "sw-1/ping")
    admission.submit_call(after.append)
    assert len(after) == 1
    assert any(r.levelno == logging.ERROR and "check sw-1/ping crashed" in r.getMessage()
               for r in caplog.records)


async def test_stopping_cancels_call_jobs_that_overrun_the_grace() -> None:
    admission = Admission(2)
    cancelled: list[str] = []

    class Job:
        def __init__(self, name: str) -> None:
            self.name = name

        def cancel(self) -> None:
            cancelled.append(self.name)

    slots: list[Slot] = []

    def start(name: str, slot: Slot) -> None:
        slot.hold(Job(name))
        slots.append(slot)

    admission.submit_call(functools.partial(start, "quick"))
    admission.submit_call(functools.partial(start, "stuck"))
    asyncio.get_running_loop().call_later(0.01, slots[0].release)
    await admission.wait_running(0.2)
    assert cancelled == ["stuck"]
    assert admission.running == 0


def test_a_limit_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Admission(0)


async def test_asks_during_a_run_make_one_more_run_not_one_each() -> None:
    runs: list[int] = []
    release = asyncio.Event()

    async def job() -> None:
        runs.append(len(runs))
        await release.wait()

    coalesced = Coalesced(job)
    coalesced.ask()
    await asyncio.sleep(0)
    for _ in range(5):  # a burst while the first run is under way
        coalesced.ask()
    release.set()
    for _ in range(10):
        await asyncio.sleep(0)
    assert runs == [0, 1]
    coalesced.ask()  # a later ask runs again
    for _ in range(10):
        await asyncio.sleep(0)
    assert runs == [0, 1, 2]


async def test_a_wait_ends_when_its_event_is_set_or_its_time_is_up() -> None:
    """The daemon's periodic loops wait here: a stop ends the wait at once, a timeout
    says the event was not set, and stopping the waiting task is not swallowed."""
    event = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.call_later(0.05, event.set)
    started = loop.time()
    assert await wait_or_timeout(event, 30.0)
    assert loop.time() - started < 10.0  # woken by the event, not the 30 s timeout
    assert await wait_or_timeout(event, 0.0)  # already set: no wait at all

    assert not await wait_or_timeout(asyncio.Event(), 0.01)

    waiting = asyncio.create_task(wait_or_timeout(asyncio.Event(), 30.0))
    await asyncio.sleep(0.01)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert waiting.cancelled()
