"""The probe wrapper's hard deadline: a hung probe becomes a failed result, never a stall,
and a cancellation from outside (the daemon stopping) still cancels."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.results import ProbeResult
from bridge.probes.deadlines import Deadline
from bridge.probes.icmp.probe import IcmpProber
from bridge.probes.registry import Probers, run_probe, start_probe

# budget 0.01 s, so the wrapper's deadline is 1.01 s
PROBE = IcmpProbe(kind="icmp", count=1, timeout_s=0.01, interval_s=5)
HUNG = "127.0.0.66"  # the fake below never answers for this address
STARTED = datetime(2026, 3, 1, tzinfo=UTC)

LATE = "probe did not finish within 1.01 s (the bridge is overloaded)"


class _HangsOnOneAddress(IcmpProber):
    """A probe with a bug: for one address it never returns; it can swallow a cancel."""

    def __init__(self, swallow_cancel: bool = False, privileged: bool | None = False) -> None:
        super().__init__(privileged=privileged)
        self.swallow_cancel = swallow_cancel

    async def check(self, address: str, probe: IcmpProbe, started: datetime) -> ProbeResult:
        if address != HUNG:
            return ProbeResult(True, started, 0.0, "1/1 replies")
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            if not self.swallow_cancel:
                raise
        return ProbeResult(True, started, 0.0, "answered after all")


async def test_a_hung_probe_fails_at_its_deadline_and_the_others_are_untouched() -> None:
    probers = Probers(icmp=_HangsOnOneAddress())
    try:
        results = await asyncio.gather(*(run_probe(probers, address, PROBE, STARTED)
                                         for address in ["127.0.0.1", HUNG, "127.0.0.2", HUNG]))
    finally:
        probers.close()
    assert [(r.ok, r.output) for r in results] == [
        (True, "1/1 replies"), (False, LATE),
        (True, "1/1 replies"), (False, LATE)]
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_a_probe_that_swallows_the_cancel_leaves_no_cancellation_behind() -> None:
    """A cancel request left on the task would break the next asyncio.timeout in it."""
    probers = Probers(icmp=_HangsOnOneAddress(swallow_cancel=True))
    try:
        result = await run_probe(probers, HUNG, PROBE, STARTED)
    finally:
        probers.close()
    assert result.output == "answered after all"
    assert asyncio.current_task().cancelling() == 0  # type: ignore[union-attr]


async def test_cancelling_from_outside_still_cancels() -> None:
    """The daemon stopping cancels its checks: that is not a probe failure."""
    probers = Probers(icmp=_HangsOnOneAddress())
    try:
        task = asyncio.create_task(run_probe(probers, HUNG, PROBE, STARTED))
        await asyncio.sleep(0)  # let it start
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    finally:
        probers.close()


def test_deadlines_work_in_each_event_loop_that_uses_the_probers() -> None:
    """`bridge probe` and tests run more than one loop over a process's life."""
    probers = Probers(icmp=_HangsOnOneAddress())
    try:
        quick = asyncio.run(run_probe(probers, "127.0.0.1", PROBE, STARTED))
        hung = asyncio.run(run_probe(probers, HUNG, PROBE, STARTED))
    finally:
        probers.close()
    assert (quick.ok, hung.output) == (True, LATE)


@pytest.mark.parametrize(("outside_cancels", "expired", "left_cancelling"), [
    (0, True, 0),  # the deadline alone: a timeout, and no cancel request left behind
    (1, False, 1),  # the daemon cancelled too: propagate, its request stays
])
async def test_whose_cancellation_it_was(outside_cancels: int, expired: bool,
                                         left_cancelling: int) -> None:
    async def check() -> tuple[bool, int]:
        task = asyncio.current_task()
        assert task is not None
        deadline = Deadline(task)
        deadline.fire()
        for _ in range(outside_cancels):
            task.cancel()
        try:
            await asyncio.sleep(1)
        except asyncio.CancelledError:
            return deadline.expired(), task.cancelling()
        raise AssertionError("not cancelled")

    assert await asyncio.create_task(check()) == (expired, left_cancelling)


async def test_the_daemons_way_in_runs_a_prober_put_in_the_engines_place() -> None:
    """start_probe (the scheduler's) goes around the coroutine only for the ICMP engine's
    own checks: a prober whose check differs (here hung for one address) is run as
    run_probe runs it, deadline included. (Its sockets work, as the daemon's would.)"""
    probers = Probers(icmp=_HangsOnOneAddress(privileged=None))
    loop = asyncio.get_running_loop()
    try:
        answers = [loop.create_future() for _ in range(2)]
        for answer, address in zip(answers, ["127.0.0.1", HUNG], strict=True):
            start_probe(probers, address, PROBE, STARTED, answer.set_result)
        results: list[ProbeResult] = await asyncio.gather(*answers)
    finally:
        probers.close()
    assert [(r.ok, r.output) for r in results] == [(True, "1/1 replies"), (False, LATE)]
