"""Checks taken over from another instance run when their interval since the last owner's
check has passed: at once if that owner died a while ago, never a whole interval late."""

from __future__ import annotations

import asyncio

from bridge.core.state import CheckKey
from bridge.daemon.scheduler import RESUME_SPREAD_SHARE, CheckScheduler, Plan, Ran
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
        for _ in range(int(INTERVAL_S * 2) + 1):  # one second at a time, the ticker looks
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
