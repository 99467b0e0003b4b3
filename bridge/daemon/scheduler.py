"""Spread checks evenly over their intervals, without drift, under a concurrency bound.

One ticker task starts, every `tick_s`, the checks due before the next tick; a heap of
due times holds the plan. Thousands of separate timers cost far more CPU, and a tick
that runs late simply starts everything that is overdue.

All of it runs on the monotonic clock (`time.monotonic`, which is also the event loop's
clock): a step of the wall clock neither stops nor bunches checks. APScheduler, which
drove the tick before, plans its interval jobs in wall-clock time: after the clock was
stepped back two hours it ran nothing for two hours.

The scheduler also knows when a check last finished with a verdict on its device: if
none has for `stall_after_s` (twice the longest interval plus the longest probe
deadline), monitoring has stopped, whatever the cause, and /readyz and
`bridge_checks_stalled` say so. A failure on the bridge's own side (a probe that missed
its deadline on an overloaded loop, no ICMP socket) is not a finished check: no device
was checked.
"""

from __future__ import annotations

import asyncio
import functools
import heapq
import logging
import math
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bridge.aio import Admission, Cancellable, Slot
from bridge.core.state import CheckKey

log = logging.getLogger(__name__)
# Overdue checks taken over from a dead instance start within this share of their interval,
# spread by phase. The goal (lease + one interval after the death) leaves the new owner
# about an interval less the hand-over; all at once (it was 2 s) is a burst the loop cannot
# carry at scale: at 50,000 + 10,000, 26,707 overdue checks at once, and some 3,300 probes
# overran their deadlines (failed on the monitoring host, so run again an interval later).
RESUME_SPREAD_SHARE = 0.25
# A check that ran off its slot (taken over, run at once) moves back to it in steps: its next
# run comes at least this share of its interval after the last (and at most an interval), so
# it is on its slot within four runs and never runs twice in quick succession.
SLOT_APPROACH_SHARE = 0.75

@dataclass(frozen=True, slots=True)
class Ran:
    """What running one check told the scheduler."""

    delay_s: float  # until the check runs again: its interval, or its retry interval
    judged: bool  # it reached a verdict on its device (not a failure on the bridge's side)
    retry: bool = False  # the delay is a retry's: a failure is still being retried (soft)


RunCheck = Callable[[CheckKey], Awaitable[Ran]]
"""Runs one check; never raises for a failed probe (a failure is a result)."""

StartCheck = Callable[[CheckKey, Callable[[Ran], None]], Cancellable]
"""Starts one check that reports how it ran to the callback (RunCheck without a task of
the scheduler's own); returns what to cancel if it overruns the shutdown's grace."""


@dataclass(frozen=True, slots=True)
class Plan:
    """How often a check runs, and the longest one run may take (its probe's deadline)."""

    interval_s: float
    deadline_s: float = 0.0


def phase_s(key: CheckKey, interval_s: float) -> float:
    """A stable offset within the interval, so checks spread out and keep their slot."""
    return (zlib.crc32(str(key).encode()) / 2**32) * interval_s


def stall_after_s(plans: dict[CheckKey, Plan]) -> float | None:
    """How long without a finished check means monitoring has stopped; None without checks.

    Every check finishes at least once per interval plus its deadline; twice the longest
    interval leaves room for a check that runs at the end of one interval and the start
    of the next but one, and for a backlog behind max_concurrent_checks.
    """
    if not plans:
        return None
    return (2 * max(p.interval_s for p in plans.values())
            + max(p.deadline_s for p in plans.values()))


def next_due(due: float, delay_s: float, now: float) -> float:
    """When a check that was due at `due` runs next: `delay_s` later, counted from the due
    time, not from completion (no drift). A check that fell behind (the loop stalled, the
    process was stopped) skips the slots it missed and keeps its phase: starting every
    overdue check at `now` would run them in lockstep from then on."""
    upcoming = due + delay_s
    if upcoming >= now or delay_s <= 0:
        return max(upcoming, now)
    return upcoming + math.ceil((now - upcoming) / delay_s) * delay_s


class CheckScheduler:
    """Owns the due-time heap, the ticker task and every running check task."""

    def __init__(
        self,
        run_check: RunCheck,
        max_concurrent: int,
        tick_s: float,
        on_lag: Callable[[float], None],
        clock: Callable[[], float] = time.monotonic,
        start_check: StartCheck | None = None,
    ) -> None:
        self._run_check = run_check
        self._start_check = start_check  # when given, used instead of run_check
        self._admission = Admission(max_concurrent, "check")
        self._tick_s = tick_s
        self._on_lag = on_lag
        self._clock = clock
        self._heap: list[tuple[float, int, CheckKey]] = []
        self._plans: dict[CheckKey, Plan] = {}
        self._stall_after_s: float | None = None  # of _plans; every tick asks (12,000 plans)
        self._current: dict[CheckKey, int] = {}  # the one heap entry per check that counts
        self._seq = 0
        self._origin_s: float | None = None  # the first plan's time: slots count from it
        self._off_slot: set[CheckKey] = set()  # ran out of turn; moving back to their slot
        self._ticker: asyncio.Task[None] | None = None
        self._accepting = False
        self._last_finished = clock()  # a fresh start has a full stall period to get going

    @property
    def in_flight(self) -> int:
        """Checks currently running."""
        return self._admission.running

    @property
    def queued(self) -> int:
        """Checks due but waiting for a free slot (max_concurrent_checks)."""
        return self._admission.queued

    def since_finished_s(self) -> float:
        """Seconds since a check last reached a verdict (since the start, before the first)."""
        return max(0.0, self._clock() - self._last_finished)

    def stall_after_s(self) -> float | None:
        """The stall threshold of the installed checks; None without checks."""
        return self._stall_after_s

    def stalled(self) -> str | None:
        """Why monitoring has stopped, or None while checks keep finishing."""
        limit_s = self.stall_after_s()
        since_s = self.since_finished_s()
        if limit_s is None or since_s <= limit_s:
            return None
        return f"no check finished in {since_s:.0f} s (expected within {limit_s:g} s)"

    def set_plans(self, plans: dict[CheckKey, Plan]) -> None:
        """Install a (re)loaded set of checks; existing checks keep their schedule."""
        now = self._clock()
        if not self._plans:
            self._last_finished = now  # the first checks get a full stall period too
        if self._origin_s is None:
            self._origin_s = now
        for key, plan in plans.items():
            if key not in self._plans and key not in self._current:
                self._push(self._slot(key, plan.interval_s, now), key)
        self._plans = dict(plans)  # a removed key is skipped when it comes due
        self._off_slot &= self._plans.keys()
        self._stall_after_s = stall_after_s(self._plans)

    def resume(self, checked_ago_s: dict[CheckKey, float]) -> None:
        """Checks taken over from another instance, by how long ago their last owner checked
        them: each runs when its interval since then has passed, not a whole interval
        from now; those already overdue (the last owner died) within RESUME_SPREAD_SHARE of
        their interval, spread by their phase. The ages come from the store's wall-clock
        times: each is kept within [0, interval], so a stepped clock at worst runs a check
        early or on its ordinary slot. From there each moves back to a slot of its own
        (`_toward_slot`): the last owner's checks ran where its loop got to them."""
        now = self._clock()
        overdue = 0
        for key, ago_s in checked_ago_s.items():
            plan = self._plans.get(key)
            if plan is None or key not in self._current:
                continue  # not ours, or running now (it schedules itself when done)
            left_s = min(max(plan.interval_s - ago_s, 0.0), plan.interval_s)
            if left_s <= 0.0:
                left_s = phase_s(key, plan.interval_s * RESUME_SPREAD_SHARE)
                overdue += 1
            self._push(now + left_s, key)
            self._off_slot.add(key)
        log.info("%d checks taken over, %d of them overdue (spread over %g of their interval)",
                 len(checked_ago_s), overdue, RESUME_SPREAD_SHARE)

    def run_now(self, keys: set[CheckKey]) -> None:
        """Run these checks as soon as possible (a running check is left to finish); then
        each moves back to its own slot, not in step with the others."""
        now = self._clock()
        for key in keys:
            if key in self._plans and key in self._current:
                self._push(now, key)  # supersedes its scheduled entry
                self._off_slot.add(key)

    def start(self) -> None:
        """Begin ticking."""
        self._accepting = True
        self._ticker = asyncio.get_running_loop().create_task(self._tick_forever(),
                                                              name="check ticker")

    async def stop(self, grace_s: float) -> None:
        """Stop starting checks; give running ones `grace_s`, then cancel them."""
        self._accepting = False
        if self._ticker is not None:
            self._ticker.cancel()
            await asyncio.gather(self._ticker, return_exceptions=True)
        self._admission.drop_queued()
        await self._admission.wait_running(grace_s)

    def _push(self, due: float, key: CheckKey) -> None:
        self._seq += 1
        self._current[key] = self._seq
        heapq.heappush(self._heap, (due, self._seq, key))

    async def _tick_forever(self) -> None:
        was_stalled: str | None = None
        while self._accepting:
            self._tick()
            stalled = self.stalled()
            if stalled and not was_stalled:
                log.error("monitoring has stalled: %s", stalled)
            elif was_stalled and not stalled:
                log.info("checks are finishing again")
            was_stalled = stalled
            await asyncio.sleep(self._tick_s)  # the loop's timers run on the monotonic clock

    def _tick(self) -> None:
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
        if self._start_check is None:
            self._admission.submit(functools.partial(self._run, key, due), str(key))
        else:
            self._admission.submit_call(functools.partial(self._start, key, due), str(key))

    async def _run(self, key: CheckKey, due: float) -> None:
        self._on_lag(max(0.0, self._clock() - due))  # a queued check's wait counts as lag
        try:
            ran = await self._run_check(key)
        except Exception:  # run_check reports failures as results; this is a bug
            log.exception("check %s crashed; it stays scheduled", key)
            ran = self._crashed(key)
        self._ran(key, due, ran)

    def _start(self, key: CheckKey, due: float, slot: Slot) -> None:
        self._on_lag(max(0.0, self._clock() - due))  # a queued check's wait counts as lag
        assert self._start_check is not None
        try:
            slot.hold(self._start_check(key, functools.partial(self._ended, key, due, slot)))
        except Exception:  # start_check reports failures as results; this is a bug
            log.exception("check %s crashed; it stays scheduled", key)
            slot.release()
            self._ran(key, due, self._crashed(key))

    def _ended(self, key: CheckKey, due: float, slot: Slot, ran: Ran) -> None:
        slot.release()
        self._ran(key, due, ran)

    def _crashed(self, key: CheckKey) -> Ran:
        plan = self._plans.get(key)
        return Ran(plan.interval_s if plan else 0.0, judged=False)

    def _ran(self, key: CheckKey, due: float, ran: Ran) -> None:
        if ran.judged:
            self._last_finished = self._clock()
        delay_s, now = ran.delay_s, self._clock()
        if key not in self._plans or not self._accepting:
            return
        if key in self._off_slot and not ran.retry:
            # Run out of turn (taken over, asked for at once): back to its own slot in steps.
            # Kept where it ran, the slots of a dead instance's checks would stay bunched in
            # a quarter of their interval for good (and every check asked for at once would
            # run in step with the others).
            self._push(self._toward_slot(key, delay_s, due, now), key)
            return
        self._push(next_due(due, delay_s, now), key)

    def _toward_slot(self, key: CheckKey, interval_s: float, due: float, now: float) -> float:
        """When a check that ran off its slot at `due` runs next: on its slot if that comes
        between SLOT_APPROACH_SHARE of an interval and an interval after `due` (and on it
        from then on), else SLOT_APPROACH_SHARE of an interval after `due`, a quarter of an
        interval nearer to it."""
        step_s = interval_s * SLOT_APPROACH_SHARE
        slot = self._slot(key, interval_s, due + step_s)
        upcoming = slot if slot <= due + interval_s else due + step_s
        if upcoming < now:  # it fell behind (the process was stopped): its slot from now
            upcoming = slot = self._slot(key, interval_s, now)
        if upcoming == slot:
            self._off_slot.discard(key)
        return upcoming

    def _slot(self, key: CheckKey, interval_s: float, after: float) -> float:
        """The check's first slot at or after `after`: its phase in every interval counted
        from the first plan, so the checks of one interval are spread evenly over it."""
        origin_s = after if self._origin_s is None else self._origin_s
        first = origin_s + phase_s(key, interval_s)
        if after <= first or interval_s <= 0:
            return max(first, after)
        return first + math.ceil((after - first) / interval_s) * interval_s
