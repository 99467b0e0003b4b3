"""bridge's side of the ping benchmark, run in a child process so it is measured like fping.

The parent sends the workload as JSON on stdin; the child pings through the daemon's own
path (`start_probe` under the daemon's admission bound, as its scheduler starts checks) and
prints one JSON tally.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime

from bench.common import run_child, self_cpu_s
from bench.ping_work import PingTally, PingWork, require_loopback
from bridge.aio import Admission, Slot
from bridge.core.probe_kinds.base import ProbeKind
from bridge.core.probe_kinds.icmp import IcmpProbe
from bridge.core.results import ProbeResult
from bridge.daemon import heap
from bridge.probes.registry import Probers, start_probe

MAX_DOWN_EXAMPLES = 3


def ping_with_bridge(work: PingWork) -> PingTally:
    """Run one round in a fresh child process; its whole CPU comes from RUSAGE_CHILDREN."""
    fields, process_cpu_s = run_child("bench.bridge_ping", asdict(work))
    fields["process_cpu_s"] = process_cpu_s
    fields["down_examples"] = tuple(fields["down_examples"])
    return PingTally(**fields)


async def _run_round(work: PingWork) -> tuple[list[ProbeResult], float, float]:
    probe = IcmpProbe(kind=ProbeKind.ICMP, count=work.count,
                      packet_interval_s=work.packet_interval_s, timeout_s=work.timeout_s,
                      interval_s=60.0)
    probers = Probers()
    admission = Admission(work.max_concurrent, "ping")  # the daemon's bound on running checks
    results: list[ProbeResult | None] = [None] * len(work.targets)
    finished: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    remaining = len(work.targets)

    # As the daemon's scheduler starts a check (CheckScheduler._start, _ended): the slot
    # is released when the result is in.
    def start(index: int, address: str, slot: Slot) -> None:
        slot.hold(start_probe(probers, address, probe, datetime.now(UTC),
                              functools.partial(checked, index, slot)))

    def checked(index: int, slot: Slot, result: ProbeResult) -> None:
        nonlocal remaining
        slot.release()
        results[index] = result
        remaining -= 1
        if not remaining:
            finished.set_result(None)

    heap.settle()  # as the daemon does once it has built its long-lived state
    cpu_before_s, t0 = self_cpu_s(), time.perf_counter()
    for index, address in enumerate(work.targets):
        admission.submit_call(functools.partial(start, index, address))
    await finished
    done = [result for result in results if result is not None]
    return done, self_cpu_s() - cpu_before_s, time.perf_counter() - t0


def _tally(work: PingWork, results: list[ProbeResult], cpu_s: float, wall_s: float) -> PingTally:
    replies, rtt_sum_ms = 0, 0.0
    for result in results:
        loss, rtt_s = result.measurements.get("loss_ratio"), result.measurements.get("rtt_avg_s")
        received = 0 if loss is None else round((1 - loss) * work.count)
        replies += received
        if rtt_s is not None:
            rtt_sum_ms += rtt_s * 1000 * received
    down = [f"{address}: {result.output}"
            for address, result in zip(work.targets, results, strict=True) if not result.ok]
    return PingTally(run_cpu_s=cpu_s, process_cpu_s=0.0, wall_s=wall_s,
                     up=len(results) - len(down), replies=replies, rtt_sum_ms=rtt_sum_ms,
                     down_examples=tuple(down[:MAX_DOWN_EXAMPLES]))


def main() -> None:
    """Child entry point: workload JSON on stdin, tally JSON on stdout."""
    work = PingWork(**json.load(sys.stdin))
    require_loopback(work.targets)
    results, cpu_s, wall_s = asyncio.run(_run_round(work))
    tally = asdict(_tally(work, results, cpu_s, wall_s))
    del tally["process_cpu_s"]  # the parent measures that one
    json.dump(tally, sys.stdout)


if __name__ == "__main__":
    main()
