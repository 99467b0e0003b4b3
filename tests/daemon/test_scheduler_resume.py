"""Checks taken over from another instance run when their interval since the last owner's
check has passed: at once if that owner died a while ago, never a whole interval late."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable

from bridge.core.state import CheckKey
from bridge.daemon.scheduler import (
    RESUME_SPREAD_SHARE,
    SLOT_APPROACH_SHARE,
    CheckScheduler,
    Plan,
    Ran,
)
from tests.daemon.test_scheduler_stall import FakeMonotonic

INTERVAL_S = 30.0
RECENT = CheckKey("checked-5-s-ago", "ping")
ORPHANED = CheckKey("checked-100-s-ago", "ping")
STEPPED = CheckKey("checked-in-the-future", "ping")  # the old owner's wall clock was ahead


async def test_taken_over_checks_resume_from_their_last_owners_check() -> None:
    clock = FakeMonotonic()
    started_at: dict[CheckKey, float] = {}

    async def run_check(key: CheckKey) -> Ran:
        started_at.setdefault(key, clock.now_s)
        return Ran(INTERVAL_S, True)

    scheduler = CheckScheduler(run_check, 4, 0.01, lambda _lag_s: None, clock=clock)
    start_s = clock.now_s
    scheduler.set_plans({k: Plan(INTERVAL_S, 5.0) for k in (RECENT, ORPHANED, STEPPED)})
    scheduler.resume({RECENT: 5.0, ORPHANED: 100.0, STEPPED: -50.0})
    scheduler.start()
    try:
        for _ in range(int(INTERVAL_S * 2) + 4):  # half a second at a time, the ticker looks
            await asyncio.sleep(0.02)
            clock.now_s += 0.5
    finally:
        await scheduler.stop(1.0)
    assert started_at[ORPHANED] - start_s <= INTERVAL_S * RESUME_SPREAD_SHARE + 0.5
    assert INTERVAL_S - 5.0 <= started_at[RECENT] - start_s <= INTERVAL_S - 5.0 + 0.5
    assert 0.0 <= started_at[STEPPED] - start_s <= INTERVAL_S + 0.5


async def test_many_overdue_checks_taken_over_are_spread_not_started_in_one_burst() -> None:
    """A dead instance's checks are mostly overdue by the time its leases run out: started
    within 2 s, 26,707 of them made thousands of probes overrun their deadlines on the new
    owner, and those waited a whole interval more. They start spread over a share of their
    interval, each within it."""
    clock = FakeMonotonic()
    started_at: dict[CheckKey, float] = {}

    async def run_check(key: CheckKey) -> Ran:
        started_at.setdefault(key, clock.now_s)
        return Ran(INTERVAL_S, True)

    orphans = [CheckKey(f"orphan-{n}", "ping") for n in range(200)]
    scheduler = CheckScheduler(run_check, 1000, 0.01, lambda _lag_s: None, clock=clock)
    start_s = clock.now_s
    scheduler.set_plans({k: Plan(INTERVAL_S, 5.0) for k in orphans})
    scheduler.resume(dict.fromkeys(orphans, INTERVAL_S + 12.0))
    scheduler.start()
    try:
        for _ in range(int(INTERVAL_S * 2) + 1):
            await asyncio.sleep(0.02)
            clock.now_s += 0.5
    finally:
        await scheduler.stop(1.0)
    window_s = INTERVAL_S * RESUME_SPREAD_SHARE
    first_s = [started_at[k] - start_s for k in orphans]
    assert max(first_s) <= window_s + 0.5  # every one within the window...
    in_first_2_s = sum(1 for s in first_s if s <= 2.0)
    assert in_first_2_s <= len(orphans) * (2.5 / window_s) + 10  # ...not most of them at once


async def _run_for(scheduler: CheckScheduler, clock: FakeMonotonic, seconds: float,
                   at: dict[int, Callable[[], None]] | None = None) -> None:
    """Tick the scheduler for `seconds` of fake time, half a second a step; `at` calls
    something at a step."""
    scheduler.start()
    try:
        for step in range(int(seconds * 2)):
            if at and step in at:
                at[step]()
            await asyncio.sleep(0.02)
            clock.now_s += 0.5
    finally:
        await scheduler.stop(1.0)


def _busiest_quarter_share(starts_s: list[float]) -> float:
    quarters = Counter(int((s % INTERVAL_S) // (INTERVAL_S / 4)) for s in starts_s)
    return max(quarters.values()) / len(starts_s)


def _in_last_interval(starts: dict[CheckKey, list[float]], end_s: float) -> list[float]:
    """Every start in the last whole interval before `end_s` (each check once)."""
    return [s for runs in starts.values() for s in runs
            if end_s - 1.0 - INTERVAL_S <= s < end_s - 1.0]


def _recorder(clock: FakeMonotonic, starts: dict[CheckKey, list[float]],
              ran: Callable[[CheckKey], Ran] = lambda _key: Ran(INTERVAL_S, True)
              ) -> Callable[[CheckKey], Awaitable[Ran]]:
    async def run_check(key: CheckKey) -> Ran:
        starts[key].append(clock.now_s)
        return ran(key)
    return run_check


def _planned(clock: FakeMonotonic, starts: dict[CheckKey, list[float]],
             keys: list[CheckKey],
             ran: Callable[[CheckKey], Ran] = lambda _key: Ran(INTERVAL_S, True)
             ) -> CheckScheduler:
    """A scheduler with `keys` planned every INTERVAL_S, recording each start."""
    scheduler = CheckScheduler(_recorder(clock, starts, ran), 1000, 0.01, lambda _lag_s: None,
                               clock=clock)
    scheduler.set_plans({k: Plan(INTERVAL_S, 5.0) for k in keys})
    return scheduler


def _gaps(runs: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(runs)]


async def test_overdue_checks_taken_over_go_back_to_their_own_slots_after_catching_up() -> None:
    """Caught up within a quarter of their interval, a dead instance's checks kept that
    quarter for good: the new owner ran them in one burst every interval (at 25,000 checks
    the event loop fell 50-90 ms behind in that half of every interval and not in the
    other). After the catch-up each moves back to a slot spread over the whole interval,
    never running again sooner than 3/4 of an interval nor later than one."""
    clock = FakeMonotonic()
    starts: dict[CheckKey, list[float]] = defaultdict(list)
    orphans = [CheckKey(f"orphan-{n}", "ping") for n in range(400)]
    start_s = clock.now_s
    scheduler = _planned(clock, starts, orphans)
    clock.now_s += 17.0  # taken over a while after this instance planned its own checks
    scheduler.resume(dict.fromkeys(orphans, INTERVAL_S + 12.0))
    await _run_for(scheduler, clock, INTERVAL_S * 6)
    caught_up = [starts[k][0] - start_s - 17.0 for k in orphans]
    assert max(caught_up) <= INTERVAL_S * RESUME_SPREAD_SHARE + 0.5
    last = _in_last_interval(starts, clock.now_s)
    assert len(last) == len(orphans)  # on their slots: each once an interval
    assert _busiest_quarter_share(last) <= 0.35  # spread, not a quarter of the interval
    for key in orphans:
        gaps = _gaps(starts[key])
        assert min(gaps) >= INTERVAL_S * SLOT_APPROACH_SHARE - 1.0
        assert max(gaps) <= INTERVAL_S + 1.0


async def test_checks_asked_for_at_once_run_on_in_their_own_slots() -> None:
    """Many checks run at once (re-checks after a hand-over, after a monitoring gap) run on
    in their own slots, not in step with each other from then on, and none runs twice in
    quick succession on its way back."""
    clock = FakeMonotonic()
    starts: dict[CheckKey, list[float]] = defaultdict(list)
    keys = [CheckKey(f"device-{n}", "ping") for n in range(400)]
    scheduler = _planned(clock, starts, keys)
    asked_at = int(INTERVAL_S * 2 * 1.2)  # every one has run once
    asked_s = clock.now_s + asked_at * 0.5
    await _run_for(scheduler, clock, INTERVAL_S * 7,
                   at={asked_at: lambda: scheduler.run_now(set(keys))})
    last = _in_last_interval(starts, clock.now_s)
    assert len(last) == len(keys)
    assert _busiest_quarter_share(last) <= 0.35
    first = {k: starts[k][0] for k in keys}
    for key in keys:  # back in the slot it had before, to within the ticker's steps
        back = [s for s in starts[key] if clock.now_s - 1.0 - INTERVAL_S <= s]
        assert all(min((s - first[key]) % INTERVAL_S, -(s - first[key]) % INTERVAL_S) <= 1.0
                   for s in back)
        asked = [s for s in starts[key] if s >= asked_s]
        assert min(_gaps(asked)) >= INTERVAL_S * SLOT_APPROACH_SHARE - 1.0
        assert max(_gaps(starts[key])) <= INTERVAL_S + 1.0


async def test_checks_taken_over_where_their_last_owner_bunched_them_spread_out() -> None:
    """A starting instance runs its checks late, bunched where its loop was busy; a second
    instance that takes them over saw them in the store as checked within a few seconds of
    each other. Each runs when its interval since then has passed, then moves to a slot
    of its own: the new owner's load is even over the interval, not in a burst."""
    clock = FakeMonotonic()
    starts: dict[CheckKey, list[float]] = defaultdict(list)
    keys = [CheckKey(f"bunched-{n}", "ping") for n in range(400)]
    start_s = clock.now_s
    scheduler = _planned(clock, starts, keys)
    scheduler.resume({k: 20.0 + (n % 4) for n, k in enumerate(keys)})  # checked 20-23 s ago
    await _run_for(scheduler, clock, INTERVAL_S * 6)
    for key in keys:  # when its interval since the last owner's check has passed
        assert 7.0 - 0.5 <= starts[key][0] - start_s <= 10.0 + 0.5
        gaps = _gaps(starts[key])
        assert min(gaps) >= INTERVAL_S * SLOT_APPROACH_SHARE - 1.0
        assert max(gaps) <= INTERVAL_S + 1.0
    last = _in_last_interval(starts, clock.now_s)
    assert len(last) == len(keys)
    assert _busiest_quarter_share(last) <= 0.35


async def test_a_failure_being_retried_keeps_its_retry_spacing_off_its_slot() -> None:
    """A check asked for at once that fails softly is retried its retry interval apart
    (here equal to its interval, as by default below 10 s), not pulled to its slot, which
    could come a moment later and count as the next attempt."""
    clock = FakeMonotonic()
    starts: dict[CheckKey, list[float]] = defaultdict(list)
    keys = [CheckKey(f"failing-{n}", "ping") for n in range(100)]
    asked_step = int(INTERVAL_S * 2 * 1.2)
    asked_s = clock.now_s + asked_step * 0.5

    def ran(_key: CheckKey) -> Ran:  # the run asked for and the next two find it failing
        return Ran(INTERVAL_S, True, retry=asked_s <= clock.now_s < asked_s + 2.5 * INTERVAL_S)

    scheduler = _planned(clock, starts, keys, ran)
    await _run_for(scheduler, clock, INTERVAL_S * 5,
                   at={asked_step: lambda: scheduler.run_now(set(keys))})
    for key in keys:
        attempts = [s for s in starts[key] if s >= asked_s][:3]  # at once, then 2 retries
        assert len(attempts) == 3
        assert all(abs(g - INTERVAL_S) <= 1.0 for g in _gaps(attempts))


async def test_a_check_that_takes_a_while_still_runs_within_an_interval_on_its_way_back() -> None:
    clock = FakeMonotonic()
    starts: dict[CheckKey, list[float]] = defaultdict(list)
    keys = [CheckKey(f"slow-{n}", "system") for n in range(100)]

    async def run_check(key: CheckKey) -> Ran:
        begun = clock.now_s
        starts[key].append(begun)
        while clock.now_s < begun + 5.0:  # noqa: ASYNC110 - an SNMP poll of 5 s of fake time
            await asyncio.sleep(0.005)
        return Ran(INTERVAL_S, True)

    scheduler = CheckScheduler(run_check, 1000, 0.01, lambda _lag_s: None, clock=clock)
    scheduler.set_plans({k: Plan(INTERVAL_S, 10.0) for k in keys})
    clock.now_s += 11.0
    scheduler.resume(dict.fromkeys(keys, INTERVAL_S + 3.0))
    await _run_for(scheduler, clock, INTERVAL_S * 6)
    for key in keys:
        assert max(_gaps(starts[key])) <= INTERVAL_S + 1.0
