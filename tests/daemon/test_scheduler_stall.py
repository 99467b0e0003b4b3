"""The scheduler notices when checks stop finishing, on an injected monotonic clock."""

from __future__ import annotations

import asyncio

from bridge.core.state import CheckKey
from bridge.daemon.scheduler import CheckScheduler, Plan, Ran, next_due, stall_after_s

GW = CheckKey("gw", "ping")


class FakeMonotonic:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now_s = 1000.0

    def __call__(self) -> float:
        return self.now_s


def test_the_threshold_is_two_longest_intervals_plus_the_longest_deadline() -> None:
    plans = {GW: Plan(30.0, 4.0), CheckKey("sw", "snmp"): Plan(60.0, 11.0)}
    assert stall_after_s(plans) == 2 * 60 + 11
    assert stall_after_s({}) is None


async def _run_until_stalled(verdicts: list[Ran | None]) -> tuple[str | None, str | None, int]:
    """Run one check (interval 10 s, deadline 3 s: stalled after 23 s) on a fake clock; each
    run answers the next of `verdicts`, None for a run that never returns."""
    clock = FakeMonotonic()
    ran = asyncio.Event()
    runs = 0

    async def run_check(_key: CheckKey) -> Ran:
        nonlocal runs
        verdict = verdicts[min(runs, len(verdicts) - 1)]
        runs += 1
        ran.set()
        if verdict is None:
            await asyncio.Event().wait()  # a wedged check: no timeout ends it
        assert verdict is not None
        return verdict

    scheduler = CheckScheduler(run_check, 4, 0.01, lambda _lag_s: None, clock=clock)
    scheduler.set_plans({GW: Plan(10.0, 3.0)})
    scheduler.start()
    try:
        clock.now_s += 10  # the first run is due
        await asyncio.wait_for(ran.wait(), 5)
        await asyncio.sleep(0.05)
        clock.now_s += 23
        at_threshold = scheduler.stalled()
        clock.now_s += 1
        ran.clear()
        await asyncio.wait_for(ran.wait(), 5)  # the next run started (and ends, or not)
        await asyncio.sleep(0.05)
        return at_threshold, scheduler.stalled(), runs
    finally:
        await scheduler.stop(grace_s=0.1)


def test_a_wedged_check_makes_monitoring_stalled() -> None:
    at_threshold, after, runs = asyncio.run(_run_until_stalled([Ran(10.0, True), None]))
    assert at_threshold is None
    assert after == "no check finished in 24 s (expected within 23 s)"
    assert runs == 2


def test_failures_on_the_bridges_side_are_not_finished_checks() -> None:
    # e.g. every probe missing its deadline on an overloaded loop: no device was checked
    at_threshold, after, _ = asyncio.run(_run_until_stalled([Ran(10.0, True),
                                                             Ran(10.0, False)]))
    assert at_threshold is None
    assert after == "no check finished in 24 s (expected within 23 s)"


def test_checks_that_keep_finishing_are_not_stalled() -> None:
    _, after, _ = asyncio.run(_run_until_stalled([Ran(10.0, True)]))
    assert after is None


def test_no_checks_configured_is_never_stalled() -> None:
    async def run() -> str | None:
        clock = FakeMonotonic()

        async def never(_key: CheckKey) -> Ran:
            raise AssertionError("no check is configured")

        scheduler = CheckScheduler(never, 4, 0.01, lambda _lag_s: None, clock=clock)
        scheduler.set_plans({})
        scheduler.start()
        clock.now_s += 86400
        await asyncio.sleep(0.05)
        stalled = scheduler.stalled()
        await scheduler.stop(grace_s=0.1)
        return stalled

    assert asyncio.run(run()) is None


def test_a_check_that_fell_behind_keeps_its_phase() -> None:
    """After a stall, overdue checks skip the slots they missed instead of all starting at
    once and running in lockstep from then on."""
    assert next_due(100.0, 10.0, 105.0) == 110.0  # on time: one interval after its due time
    assert next_due(100.0, 10.0, 110.0) == 110.0
    assert next_due(100.0, 10.0, 135.0) == 140.0  # 35 s behind: its next slot, phase kept
    assert next_due(103.0, 10.0, 135.0) == 143.0  # another check keeps its own phase
    assert next_due(100.0, 2.0, 135.0) == 136.0  # a retry keeps its retry cadence
    assert next_due(100.0, 0.0, 135.0) == 135.0  # run now
    phases = {next_due(100.0 + p, 10.0, 1000.0) % 10 for p in (0.5, 2.5, 7.5)}
    assert len(phases) == 3  # still spread over the interval
