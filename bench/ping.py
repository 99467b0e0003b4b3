"""The `ping` benchmark: bridge's ICMP check path against fping, same loopback targets."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from statistics import median

from bench.bridge_ping import ping_with_bridge
from bench.common import Report, Row
from bench.fping import fping_args, fping_path, fping_version, ping_with_fping
from bench.ping_work import PingTally, PingWork, loopback_targets

TARGETS = (1000, 10_000)
QUICK_TARGETS = (200,)
ROUNDS = 5  # alternating bridge / fping, so drift hits both sides alike


def run(*, quick: bool) -> Report:
    """Ping the same loopback targets with bridge and with fping; compare cost and answers."""
    path = fping_path()
    peer_name = fping_version(path)
    rows: list[Row] = []
    notes: list[str] = []
    for size in QUICK_TARGETS if quick else TARGETS:
        work = PingWork(targets=loopback_targets(size))
        bridge: list[PingTally] = []
        peer: list[PingTally] = []
        for _ in range(ROUNDS):
            bridge.append(ping_with_bridge(work))
            peer.append(ping_with_fping(path, work))
        rows += compare(work, bridge, peer, peer_name)
        notes += [
            f"{size} loopback targets ({work.targets[0]} … {work.targets[-1]}), "
            f"{work.count} echo requests each, {ROUNDS} rounds: medians of CPU and wall time "
            "(another process on the machine shows in a round or two, not in the median), "
            "answers summed",
            *_shortfalls("bridge", work, bridge),
            *_shortfalls(peer_name, work, peer),
        ]
    work = PingWork(targets=[])
    command = shlex.join([*fping_args("fping", work), "<targets>"])
    notes += [
        f"bridge: start_probe for every target under the daemon's admission bound of "
        f"{work.max_concurrent} running checks, {work.packet_interval_s:g} s between packets, "
        f"timeout {work.timeout_s:g} s",
        f"peer: {command}",
    ]
    return Report(rows, notes)


def compare(
    work: PingWork, bridge: Sequence[PingTally], peer: Sequence[PingTally], peer_name: str
) -> list[Row]:
    """The rows: CPU per echo request, whole-process CPU, wall time, and what was answered."""
    requests = work.requests * len(bridge)
    checks = len(work.targets) * len(bridge)
    prefix = f"ping.{len(work.targets)}"

    def row(name: str, unit: str, measure: Callable[[Sequence[PingTally]], float]) -> Row:
        return Row(f"{prefix}.{name}", unit, measure(bridge), measure(peer), peer_name)

    def mean_rtt_ms(tallies: Sequence[PingTally]) -> float:
        replies = sum(t.replies for t in tallies)
        return sum(t.rtt_sum_ms for t in tallies) / replies if replies else 0.0

    return [
        row("cpu_per_ping", "us",
            lambda ts: median(t.run_cpu_s for t in ts) / work.requests * 1e6),
        row("cpu_process", "s", lambda ts: median(t.process_cpu_s for t in ts)),
        row("wall", "s", lambda ts: median(t.wall_s for t in ts)),
        row("success_ratio", "ratio", lambda ts: sum(t.up for t in ts) / checks),
        row("reply_ratio", "ratio", lambda ts: sum(t.replies for t in ts) / requests),
        row("rtt_avg", "ms", mean_rtt_ms),
    ]


def _shortfalls(side: str, work: PingWork, tallies: Sequence[PingTally]) -> list[str]:
    notes = []
    for n, tally in enumerate(tallies, start=1):
        if tally.up < len(work.targets):
            examples = "; ".join(tally.down_examples)
            notes.append(f"WARNING: {side} reported {len(work.targets) - tally.up} of "
                         f"{len(work.targets)} loopback targets DOWN in round {n} "
                         f"(e.g. {examples})")
        if tally.replies < work.requests:
            notes.append(f"WARNING: {side} got {tally.replies} of {work.requests} echo replies "
                         f"from loopback in round {n}")
    return notes
