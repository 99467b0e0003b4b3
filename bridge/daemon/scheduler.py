"""Spread checks evenly over their intervals, without drift, under a concurrency bound.

One APScheduler job ticks every `tick_s` and starts the checks that are due; a heap
of due times holds the plan. Thousands of separate interval jobs cost far more CPU,
and APScheduler's default misfire grace silently skips runs after a stall: a tick
that runs late simply starts everything that is overdue.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import logging
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bridge.aio import Admission
from bridge.core.state import CheckKey

log = logging.getLogger(__name__)

RunCheck = Callable[[CheckKey], Awaitable[float]]
"""Runs one check and returns the delay until the next one (interval or retry)."""


@dataclass(frozen=True)
class Plan:
    """How often a check runs."""

    interval_s: float


def phase_s(key: CheckKey, interval_s: float) -> float:
    """A stable offset within the interval, so checks spread out and keep their slot."""
    return (zlib.crc32(str(key).encode()) / 2**32) * interval_s


class CheckScheduler:
    """Owns the due-time heap, the tick job and every running check task."""

    def __init__(
        self,
        run_check: RunCheck,
        max_concurrent: int,
        tick_s: float,
        on_lag: Callable[[float], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run_check = run_check
        self._admission = Admission(max_concurrent, "check")
        self._tick_s = tick_s
        self._on_lag = on_lag
        self._clock = clock
        self._heap: list[tuple[float, int, CheckKey]] = []
        self._plans: dict[CheckKey, Plan] = {}
        self._current: dict[CheckKey, int] = {}  # the one heap entry per check that counts
        self._seq = 0
        self._scheduler = AsyncIOScheduler()
        self._accepting = False

    @property
    def in_flight(self) -> int:
        """Checks currently running."""
        return self._admission.running

    @property
    def queued(self) -> int:
        """Checks due but waiting for a free slot (max_concurrent_checks)."""
        return self._admission.queued

    def set_plans(self, plans: dict[CheckKey, Plan]) -> None:
        """Install a (re)loaded set of checks; existing checks keep their schedule."""
        now = self._clock()
        for key, plan in plans.items():
            if key not in self._plans and key not in self._current:
                self._push(now + phase_s(key, plan.interval_s), key)
        self._plans = dict(plans)  # a removed key is skipped when it comes due

    def run_now(self, keys: set[CheckKey]) -> None:
        """Run these checks as soon as possible (a running check is left to finish)."""
        now = self._clock()
        for key in keys:
            if key in self._plans and key in self._current:
                self._push(now, key)  # supersedes its scheduled entry

    def start(self) -> None:
        """Begin ticking."""
        self._accepting = True
        self._scheduler.add_job(self._tick, "interval", seconds=self._tick_s, id="tick",
                                coalesce=True, max_instances=1, misfire_grace_time=None)
        self._scheduler.start()

    async def stop(self, grace_s: float) -> None:
        """Stop starting checks; give running ones `grace_s`, then cancel them."""
        self._accepting = False
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)
        self._admission.drop_queued()
        await self._admission.wait_running(grace_s)

    def _push(self, due: float, key: CheckKey) -> None:
        self._seq += 1
        self._current[key] = self._seq
        heapq.heappush(self._heap, (due, self._seq, key))

    async def _tick(self) -> None:
        # Hand out everything due before the next tick, each at its own due time, so
        # the tick length does not become scheduling lag.
        now = self._clock()
        horizon = now + self._tick_s
        loop = asyncio.get_running_loop()
        while self._accepting and self._heap and self._heap[0][0] <= horizon:
            due, seq, key = heapq.heappop(self._heap)
            if self._current.get(key) != seq:
                continue  # superseded by a later entry for the same check
            del self._current[key]
            if key not in self._plans:
                continue
            loop.call_later(max(0.0, due - now), self._launch, key, due)

    def _launch(self, key: CheckKey, due: float) -> None:
        if not self._accepting or key not in self._plans:
            return
        self._admission.submit(functools.partial(self._run, key, due), str(key))

    async def _run(self, key: CheckKey, due: float) -> None:
        self._on_lag(max(0.0, self._clock() - due))  # a queued check's wait counts as lag
        try:
            delay_s = await self._run_check(key)
        except Exception:  # run_check reports failures as results; this is a bug
            log.exception("check %s crashed; it stays scheduled", key)
            plan = self._plans.get(key)
            delay_s = plan.interval_s if plan else 0.0
        if key in self._plans and self._accepting:
            # Next run counts from the due time, not from completion: no drift.
            self._push(max(due + delay_s, self._clock()), key)
