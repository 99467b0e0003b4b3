"""The `ping` benchmark: bridge's ICMP check path against fping, same loopback targets."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence

from bench.bridge_ping import ping_with_bridge
from bench.common import Report, Row
from bench.fping import fping_args, fping_path, fping_version, ping_with_fping
from bench.ping_work import PingTally, PingWork, loopback_targets

TARGETS = 1000
QUICK_TARGETS = 200
ROUNDS = 3  # alternating bridge / fping, so drift hits both sides alike


def run(*, quick: bool) -> Report:
    """Ping the same loopback targets with bridge and with fping; compare cost and answers."""
    path = fping_path()
    peer_name = fping_version(path)
    work = PingWork(targets=loopback_targets(QUICK_TARGETS if quick else TARGETS))
    bridge: list[PingTally] = []
    peer: list[PingTally] = []
    for _ in range(ROUNDS):
        bridge.append(ping_with_bridge(work))
        peer.append(ping_with_fping(path, work))
    rows = compare(work, bridge, peer, peer_name)
    command = shlex.join([*fping_args("fping", work), "<targets>"])
    notes = [
        f"{len(work.targets)} loopback targets ({work.targets[0]} … {work.targets[-1]}), "
        f"{work.count} echo requests each, {ROUNDS} rounds, means shown",
        f"bridge: run_probe under a semaphore of {work.max_concurrent}, "
        f"{work.packet_interval_s:g} s between packets, timeout {work.timeout_s:g} s",
        f"peer: {command}",
        *_shortfalls("bridge", work, bridge),
        *_shortfalls(peer_name, work, peer),
    ]
    return Report(rows, notes)


def compare(
    work: PingWork, bridge: Sequence[PingTally], peer: Sequence[PingTally], peer_name: str
) -> list[Row]:
    """The rows: CPU per echo request, whole-process CPU, wall time, and what was answered."""
    requests = work.requests * len(bridge)
    checks = len(work.targets) * len(bridge)

    def row(name: str, unit: str, measure: Callable[[Sequence[PingTally]], float]) -> Row:
        return Row(name, unit, measure(bridge), measure(peer), peer_name)

    def mean_rtt_ms(tallies: Sequence[PingTally]) -> float:
        replies = sum(t.replies for t in tallies)
        return sum(t.rtt_sum_ms for t in tallies) / replies if replies else 0.0

    return [
        row("ping.cpu_per_ping", "us", lambda ts: sum(t.run_cpu_s for t in ts) / requests * 1e6),
        row("ping.cpu_process", "s", lambda ts: sum(t.process_cpu_s for t in ts) / len(ts)),
        row("ping.wall", "s", lambda ts: sum(t.wall_s for t in ts) / len(ts)),
        row("ping.success_ratio", "ratio", lambda ts: sum(t.up for t in ts) / checks),
        row("ping.reply_ratio", "ratio", lambda ts: sum(t.replies for t in ts) / requests),
        row("ping.rtt_avg", "ms", mean_rtt_ms),
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
